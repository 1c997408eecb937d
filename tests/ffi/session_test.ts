import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CKK, CKM, CKO } from "../../src/ffi/constants.ts";
import { digestInfo } from "../../src/core/algorithms/digest_info.ts";
import { ecdsaRawToDer } from "../../src/core/algorithms/ecdsa_encoding.ts";
import { Pkcs11exError } from "../../src/core/errors.ts";
import type { MechanismSpec } from "../../src/ffi/mechanism.ts";
import { makeTestToken } from "../_support/softhsm.ts";
import { run, runOk } from "../_support/run.ts";
import { makeTempDir } from "../_support/tmp.ts";

const token = await makeTestToken([
  { label: "rsa", type: "rsa" },
  { label: "ec", type: "ec" },
  { label: "ed", type: "ed25519" },
], "session");
const session = token.openUserSession();
// Object handles belong to the session epoch (SoftHSM drops them when a slot's last session
// closes): look the provisioned keys up again in this session.
const handles = (label: string) => ({
  privateKey: session.findOne({ CKA_CLASS: CKO.CKO_PRIVATE_KEY, CKA_LABEL: label }),
  publicKey: session.findOne({ CKA_CLASS: CKO.CKO_PUBLIC_KEY, CKA_LABEL: label }),
});
const keys = { rsa: handles("rsa"), ec: handles("ec"), ed: handles("ed") };
const message = new TextEncoder().encode("pkcs11ex signs this message\n");
const sha256 = (data: Uint8Array) => new Uint8Array(createHash("sha256").update(data).digest());
const PSS: MechanismSpec["pss"] = { hashAlg: "CKM_SHA256", mgf: "CKG_MGF1_SHA256", sLen: 32 };

/** Verifies `signature` over `message` with openssl, using the public key of the key's certificate. */
function opensslVerifies(
  keyLabel: string,
  signature: Uint8Array,
  kind: "pkcs1" | "pss" | "ecdsa" | "eddsa",
): boolean {
  const { dir, cleanup } = makeTempDir();
  try {
    const certPath = join(dir, "cert.der");
    writeFileSync(certPath, token.keys[keyLabel].certificateDer);
    const pub = join(dir, "pub.pem");
    writeFileSync(
      pub,
      runOk("openssl", ["x509", "-inform", "DER", "-in", certPath, "-pubkey", "-noout"]).stdout,
    );
    const data = join(dir, "data.bin");
    writeFileSync(data, message);
    const sig = join(dir, "sig.bin");
    writeFileSync(sig, signature);
    const args = kind === "eddsa"
      ? ["pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in", data, "-sigfile", sig]
      : [
        "dgst",
        "-sha256",
        "-verify",
        pub,
        "-signature",
        sig,
        ...(kind === "pss"
          ? ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"]
          : []),
        data,
      ];
    return run("openssl", args).status === 0;
  } finally {
    cleanup();
  }
}

describe("Session signing, checked by openssl", () => {
  const rsa = () => keys.rsa.privateKey;

  test("CKM_SHA256_RSA_PKCS", () => {
    const sig = session.sign(
      session.mechanism({ mechanism: "CKM_SHA256_RSA_PKCS" }),
      rsa(),
      message,
    );
    assert.equal(sig.length, 256);
    assert.ok(opensslVerifies("rsa", sig, "pkcs1"));
    const tampered = sig.slice();
    tampered[10] ^= 1;
    assert.equal(opensslVerifies("rsa", tampered, "pkcs1"), false);
  });

  test("CKM_RSA_PKCS over a DigestInfo equals CKM_SHA256_RSA_PKCS", () => {
    const raw = session.sign(
      session.mechanism({ mechanism: "CKM_RSA_PKCS" }),
      rsa(),
      digestInfo("sha256", sha256(message)),
    );
    assert.ok(opensslVerifies("rsa", raw, "pkcs1"));
    const whole = session.sign(
      session.mechanism({ mechanism: "CKM_SHA256_RSA_PKCS" }),
      rsa(),
      message,
    );
    assert.deepEqual(raw, whole);
  });

  test("CKM_SHA256_RSA_PKCS_PSS with CK_RSA_PKCS_PSS_PARAMS", () => {
    const sig = session.sign(
      session.mechanism({ mechanism: "CKM_SHA256_RSA_PKCS_PSS", pss: PSS }),
      rsa(),
      message,
    );
    assert.ok(opensslVerifies("rsa", sig, "pss"));
  });

  test("CKM_RSA_PKCS_PSS over a digest", () => {
    const sig = session.sign(
      session.mechanism({ mechanism: "CKM_RSA_PKCS_PSS", pss: PSS }),
      rsa(),
      sha256(message),
    );
    assert.ok(opensslVerifies("rsa", sig, "pss"));
  });

  test("CKM_ECDSA returns raw r||s over a software digest", () => {
    const raw = session.sign(
      session.mechanism({ mechanism: "CKM_ECDSA" }),
      keys.ec.privateKey,
      sha256(message),
    );
    assert.equal(raw.length, 64);
    assert.ok(opensslVerifies("ec", ecdsaRawToDer(raw, 32), "ecdsa"));
  });

  test("CKM_EDDSA (Ed25519)", () => {
    const sig = session.sign(
      session.mechanism({ mechanism: "CKM_EDDSA" }),
      keys.ed.privateKey,
      message,
    );
    assert.equal(sig.length, 64);
    assert.ok(opensslVerifies("ed", sig, "eddsa"));
  });

  test("multi-part signing equals single-part (PKCS#1 v1.5 is deterministic)", () => {
    const mech = session.mechanism({ mechanism: "CKM_SHA256_RSA_PKCS" });
    const big = new Uint8Array(randomBytes(100_000));
    const single = session.sign(mech, rsa(), big);
    const parts = [big.subarray(0, 1), big.subarray(1, 65_536), big.subarray(65_536)];
    assert.deepEqual(session.signMultipart(mech, rsa(), parts), single);
  });

  test("signView returns the signature in place; sign hands out a copy the next call leaves alone", () => {
    const mech = session.mechanism({ mechanism: "CKM_SHA256_RSA_PKCS" });
    const owned = session.sign(mech, rsa(), message);
    const view = session.signView(mech, rsa(), message);
    assert.deepEqual(view, owned, "PKCS#1 v1.5 is deterministic");
    assert.ok(opensslVerifies("rsa", view.slice(), "pkcs1"));
    const other = new TextEncoder().encode("another message");
    const next = session.signView(mech, rsa(), other);
    assert.equal(next.buffer, view.buffer, "both views share the session's scratch");
    assert.notDeepEqual(view, owned, "the next call overwrote the first view");
    assert.deepEqual(owned, session.sign(mech, rsa(), message), "the copy kept its bytes");
  });

  test("sign's copies each own an ArrayBuffer of their exact length, across batches", () => {
    const mech = session.mechanism({ mechanism: "CKM_ECDSA" });
    const digest = sha256(message);
    const signatures = Array.from(
      { length: 300 }, // more than one batch of 64-byte copies
      () => session.sign(mech, keys.ec.privateKey, digest),
    );
    const buffers = new Set(signatures.map((sig) => sig.buffer));
    assert.equal(buffers.size, signatures.length, "no two signatures share a buffer");
    for (const sig of signatures) {
      assert.equal(sig.byteOffset, 0);
      assert.equal(sig.buffer.byteLength, 64);
      assert.equal(session.verify(mech, keys.ec.publicKey, digest, sig), true);
    }
    assert.equal(new Set(signatures.map((sig) => sig.join())).size, 300, "ECDSA is randomized");
  });

  test("multi-part PSS verifies on the token and fails when tampered", () => {
    const mech = session.mechanism({ mechanism: "CKM_SHA256_RSA_PKCS_PSS", pss: PSS });
    const sig = session.signMultipart(mech, rsa(), [message.subarray(0, 5), message.subarray(5)]);
    assert.ok(opensslVerifies("rsa", sig, "pss"));
    assert.equal(session.verify(mech, keys.rsa.publicKey, message, sig), true);
    assert.equal(session.verifyMultipart(mech, keys.rsa.publicKey, [message], sig), true);
    sig[0] ^= 0xff;
    assert.equal(session.verify(mech, keys.rsa.publicKey, message, sig), false);
  });

  test("digest matches node:crypto, single- and multi-part", () => {
    const mech = session.mechanism({ mechanism: "CKM_SHA256" });
    assert.deepEqual(session.digest(mech, message), sha256(message));
    assert.deepEqual(
      session.digestMultipart(mech, [message.subarray(0, 3), message.subarray(3)]),
      sha256(message),
    );
  });
});

describe("Session objects and attributes", () => {
  test("reads attributes of every kind", () => {
    const key = keys.rsa.privateKey;
    const attrs = session.getAttributes(key, [
      "CKA_CLASS",
      "CKA_KEY_TYPE",
      "CKA_LABEL",
      "CKA_ID",
      "CKA_SENSITIVE",
      "CKA_EXTRACTABLE",
      "CKA_START_DATE",
      "CKA_ALLOWED_MECHANISMS",
      "CKA_PRIVATE_EXPONENT",
    ]);
    assert.equal(attrs.CKA_CLASS, BigInt(CKO.CKO_PRIVATE_KEY)); // ulong
    assert.equal(attrs.CKA_KEY_TYPE, BigInt(CKK.CKK_RSA));
    assert.equal(attrs.CKA_LABEL, "rsa"); // string
    assert.deepEqual(attrs.CKA_ID, token.keys.rsa.id); // bytes
    assert.equal(attrs.CKA_SENSITIVE, true); // bool
    assert.equal(attrs.CKA_EXTRACTABLE, false);
    assert.equal(attrs.CKA_START_DATE, ""); // date (empty on SoftHSM)
    assert.ok(Array.isArray(attrs.CKA_ALLOWED_MECHANISMS)); // mechanism list
    assert.equal("CKA_PRIVATE_EXPONENT" in attrs, false, "sensitive attributes are absent");
    const pub = session.getAttributes(keys.rsa.publicKey, [
      "CKA_MODULUS_BITS",
      "CKA_PUBLIC_EXPONENT",
    ]);
    assert.equal(pub.CKA_MODULUS_BITS, 2048n);
    assert.deepEqual(pub.CKA_PUBLIC_EXPONENT, Uint8Array.of(1, 0, 1));
  });

  test("sets and reads back a label and a date", () => {
    const handle = session.createObject({
      CKA_CLASS: CKO.CKO_DATA,
      CKA_TOKEN: false,
      CKA_LABEL: "note",
      CKA_VALUE: Uint8Array.of(1, 2, 3),
    });
    session.setAttributes(handle, { CKA_LABEL: "renamed" });
    assert.equal(session.getAttributes(handle, ["CKA_LABEL"]).CKA_LABEL, "renamed");
    session.destroyObject(handle);
    assert.deepEqual(session.findObjects({ CKA_LABEL: "renamed" }), []);
  });

  test("finds keys by label, refuses ambiguous labels and reports missing ones", () => {
    assert.equal(
      session.findOne({ CKA_CLASS: CKO.CKO_PRIVATE_KEY, CKA_LABEL: "ec" }),
      keys.ec.privateKey,
    );
    const twin = session.createObject({
      CKA_CLASS: CKO.CKO_DATA,
      CKA_TOKEN: false,
      CKA_LABEL: "twin",
    });
    const twin2 = session.createObject({
      CKA_CLASS: CKO.CKO_DATA,
      CKA_TOKEN: false,
      CKA_LABEL: "twin",
    });
    assert.throws(
      () => session.findOne({ CKA_LABEL: "twin" }),
      (err: unknown) => err instanceof Pkcs11exError && err.reason === "key_ambiguous",
    );
    assert.throws(
      () => session.findOne({ CKA_LABEL: "absent" }),
      (err: unknown) => err instanceof Pkcs11exError && err.reason === "key_not_found",
    );
    session.destroyObject(twin);
    session.destroyObject(twin2);
  });

  test("finds more objects than one C_FindObjects batch", () => {
    const made = Array.from(
      { length: 70 },
      () => session.createObject({ CKA_CLASS: CKO.CKO_DATA, CKA_TOKEN: false, CKA_LABEL: "many" }),
    );
    assert.equal(session.findObjects({ CKA_LABEL: "many" }).length, 70);
    for (const h of made) session.destroyObject(h);
  });

  test("a wrong-type template value is a TypeError", () => {
    assert.throws(() => session.findObjects({ CKA_TOKEN: "yes" }), TypeError);
    assert.throws(() => session.findObjects({ CKA_CLASS: "x" }), TypeError);
  });

  test("an invalid mechanism is a pkcs11_error naming C_SignInit", () => {
    assert.throws(
      () =>
        session.sign(
          session.mechanism({ mechanism: "CKM_AES_KEY_GEN" }),
          keys.rsa.privateKey,
          message,
        ),
      (err: unknown) =>
        err instanceof Pkcs11exError && err.reason === "pkcs11_error" &&
        err.detail.fn === "C_SignInit" && err.detail.rv === "CKR_MECHANISM_INVALID",
    );
  });

  test("mechanism constants have the 2.40 values", () => {
    assert.equal(CKM.CKM_SHA256_RSA_PKCS_PSS, 0x43);
    assert.equal(CKM.CKM_EDDSA, 0x1057);
  });
});
