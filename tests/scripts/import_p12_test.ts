import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUILTIN_ALGORITHMS } from "../../src/core/algorithms/registry.ts";
import { MechanismCache, signOnToken } from "../../src/core/token_sign.ts";
import { ecdsaRawToDer } from "../../src/core/algorithms/ecdsa_encoding.ts";
import { parsePemCertificates } from "../../src/core/x509.ts";
import { CKO } from "../../src/ffi/constants.ts";
import type { Session } from "../../src/ffi/session.ts";
import { makeTestToken } from "../_support/softhsm.ts";
import { run, runOk } from "../_support/run.ts";
import { makeTempDir } from "../_support/tmp.ts";
import { makeP12, runTaskScript, writeConfig } from "./_task.ts";

const token = await makeTestToken([], "import");
const work = makeTempDir("pkcs11ex-import-");
const config = writeConfig(work.dir, "legal_proxy", token.label);
const rsa = makeP12(work.dir, "rsa", "rsa");
const ec = makeP12(work.dir, "ec", "ec");
const message = new TextEncoder().encode("signed by a key imported from a PKCS#12\n");

function importTask(
  bundle: { p12: string; password: string },
  extra: string[],
  pin = token.userPin,
) {
  return runTaskScript(
    "import_p12",
    [
      "--config",
      config,
      "--in",
      bundle.p12,
      "--slot",
      "legal_proxy",
      "--password-from-env",
      "P12_PASSWORD",
      "--pin-from-env",
      "TOKEN_PIN",
      ...extra,
    ],
    { P12_PASSWORD: bundle.password, TOKEN_PIN: pin },
  );
}

function withSession<T>(fn: (session: Session) => T): T {
  const session = token.openUserSession();
  try {
    return fn(session);
  } finally {
    session.close();
  }
}

/** Verifies `signature` over `message` with openssl against the bundle's certificate. */
function opensslVerifies(certPem: string, signature: Uint8Array, extra: string[] = []): boolean {
  const pub = join(work.dir, "pub.pem");
  writeFileSync(pub, runOk("openssl", ["x509", "-in", certPem, "-pubkey", "-noout"]).stdout);
  const data = join(work.dir, "data.bin");
  writeFileSync(data, message);
  const sig = join(work.dir, "sig.bin");
  writeFileSync(sig, signature);
  const res = run("openssl", [
    "dgst",
    "-sha256",
    "-verify",
    pub,
    ...extra,
    "-signature",
    sig,
    data,
  ]);
  return res.status === 0 && res.stdout.includes("Verified OK");
}

function keysLabelled(session: Session, label: string): bigint[] {
  return session.findObjects({ CKA_CLASS: CKO.CKO_PRIVATE_KEY, CKA_LABEL: label });
}

describe("import-p12 task", () => {
  test("imports an RSA bundle non-interactively; the token key signs and openssl verifies", () => {
    const res = importTask(rsa, [
      "--label",
      "rsa-signing",
      "--cert-label",
      "rsa-cert",
      "--id",
      "0x0a0b",
    ]);
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /private key\s+rsa-signing\s+0a0b\s+RSA 2048/);
    assert.match(res.stdout, /certificate\s+rsa-cert\s+0a0b\s+C=CL,O=Acme,CN=rsa signer/);
    withSession((session) => {
      const [key] = keysLabelled(session, "rsa-signing");
      assert.ok(key !== undefined, "the private key is on the token");
      const attrs = session.getAttributes(key, [
        "CKA_SENSITIVE",
        "CKA_EXTRACTABLE",
        "CKA_PRIVATE",
        "CKA_TOKEN",
        "CKA_SIGN",
        "CKA_ID",
        "CKA_PRIVATE_EXPONENT",
      ]);
      assert.equal(attrs.CKA_SENSITIVE, true);
      assert.equal(attrs.CKA_EXTRACTABLE, false);
      assert.equal(attrs.CKA_PRIVATE, true);
      assert.equal(attrs.CKA_TOKEN, true);
      assert.equal(attrs.CKA_SIGN, true);
      assert.deepEqual(attrs.CKA_ID, Uint8Array.of(0x0a, 0x0b));
      assert.equal(attrs.CKA_PRIVATE_EXPONENT, undefined, "the private exponent cannot be read");
      const cert = session.findOne({ CKA_CLASS: CKO.CKO_CERTIFICATE, CKA_LABEL: "rsa-cert" });
      const value = session.getAttributes(cert, ["CKA_VALUE", "CKA_ID"]);
      const expected = parsePemCertificates(readFileSync(rsa.certPem, "utf8"))[0];
      assert.deepEqual(value.CKA_VALUE, expected.der);
      assert.deepEqual(value.CKA_ID, Uint8Array.of(0x0a, 0x0b));
      const signature = session.sign(
        session.mechanism({ mechanism: "CKM_SHA256_RSA_PKCS" }),
        key,
        message,
      );
      assert.ok(opensslVerifies(rsa.certPem, signature), "openssl verifies the token signature");
    });
  });

  test("imports an EC P-256 bundle with a generated id; the token key signs and openssl verifies", () => {
    const res = importTask(ec, ["--label", "ec-signing"]);
    assert.equal(res.status, 0, res.stderr);
    const id = res.stdout.match(/private key\s+ec-signing\s+([0-9a-f]+)\s+EC P-256/)?.[1];
    assert.ok(id !== undefined && id.length === 16, `an 8-byte id is generated: ${res.stdout}`);
    withSession((session) => {
      const [key] = keysLabelled(session, "ec-signing");
      const pub = session.findOne({ CKA_CLASS: CKO.CKO_PUBLIC_KEY, CKA_LABEL: "ec-signing" });
      const cert = session.findOne({ CKA_CLASS: CKO.CKO_CERTIFICATE, CKA_LABEL: "ec-signing" });
      for (const handle of [key, pub, cert]) {
        const got = session.getAttributes(handle, ["CKA_ID"]).CKA_ID as Uint8Array;
        assert.equal(Buffer.from(got).toString("hex"), id);
      }
      const digest = new Uint8Array(createHash("sha256").update(message).digest());
      const raw = session.sign(session.mechanism({ mechanism: "CKM_ECDSA" }), key, digest);
      assert.ok(opensslVerifies(ec.certPem, ecdsaRawToDer(raw, 32)));
    });
  });

  test("the library's sign path (PS256, ES256) uses the imported keys; openssl verifies", () => {
    withSession((session) => {
      const mechanisms = new MechanismCache(session);
      const sign = (label: string, alg: string) =>
        signOnToken(session, mechanisms, keysLabelled(session, label)[0], {
          alg: BUILTIN_ALGORITHMS[alg],
          data: message,
          precomputedDigest: false,
          context: "der",
        });
      const pss = ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"];
      assert.ok(opensslVerifies(rsa.certPem, sign("rsa-signing", "PS256"), pss));
      assert.ok(opensslVerifies(ec.certPem, sign("ec-signing", "ES256")));
    });
  });

  test("refuses an existing label without --replace, and replaces it with --replace", () => {
    const again = importTask(rsa, ["--label", "rsa-signing", "--cert-label", "rsa-cert"]);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /already holds objects with these labels.*--replace/);
    withSession((session) => assert.equal(keysLabelled(session, "rsa-signing").length, 1));

    const replaced = importTask(rsa, [
      "--label",
      "rsa-signing",
      "--cert-label",
      "rsa-cert",
      "--id",
      "ff",
      "--replace",
    ]);
    assert.equal(replaced.status, 0, replaced.stderr);
    assert.match(replaced.stdout, /Replaced 3 existing object/);
    withSession((session) => {
      const keys = keysLabelled(session, "rsa-signing");
      assert.equal(keys.length, 1);
      assert.deepEqual(session.getAttributes(keys[0], ["CKA_ID"]).CKA_ID, Uint8Array.of(0xff));
      const certs = session.findObjects({ CKA_CLASS: CKO.CKO_CERTIFICATE, CKA_LABEL: "rsa-cert" });
      assert.equal(certs.length, 1);
    });
  });

  test("a wrong bundle password fails with p12_password_incorrect and prints no secret", () => {
    const res = importTask({ p12: rsa.p12, password: "not-the-password" }, ["--label", "x1"]);
    assert.equal(res.status, 1);
    assert.match(res.stderr, /bundle password is incorrect \(p12_password_incorrect\)/);
    assert.ok(!(res.stdout + res.stderr).includes("not-the-password"));
  });

  test("a wrong PIN fails with pin_incorrect, prints no secret and creates nothing", () => {
    const res = importTask(rsa, ["--label", "x2"], "wrong-pin-9876");
    assert.equal(res.status, 1);
    assert.match(res.stderr, /user PIN is incorrect \(pin_incorrect\)/);
    assert.ok(!(res.stdout + res.stderr).includes("wrong-pin-9876"));
    assert.ok(!(res.stdout + res.stderr).includes(rsa.password));
    withSession((session) => assert.equal(keysLabelled(session, "x2").length, 0));
  });

  test("usage failures: unknown slot, missing bundle, missing option, bad id, no TTY to prompt", () => {
    const unknown = importTask(rsa, ["--label", "x3", "--slot", "nope"]);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /No slot "nope" in the config \(configured: legal_proxy\)/);

    const missing = importTask({ p12: join(work.dir, "absent.p12"), password: "x" }, [
      "--label",
      "x4",
    ]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /Cannot find the bundle/);

    const noLabel = importTask(rsa, []);
    assert.equal(noLabel.status, 2);
    assert.match(noLabel.stderr, /Missing --label/);

    const badId = importTask(rsa, ["--label", "x5", "--id", "0xabc"]);
    assert.equal(badId.status, 2);
    assert.match(badId.stderr, /--id must be hex bytes/);

    const noTty = runTaskScript("import_p12", [
      "--config",
      config,
      "--in",
      rsa.p12,
      "--slot",
      "legal_proxy",
      "--label",
      "x6",
    ]);
    assert.equal(noTty.status, 2);
    assert.match(noTty.stderr, /stdin is not a terminal \(use --password-from-env NAME\)/);
  });

  test("a token whose slot the config names but that does not exist fails with slot_not_found", () => {
    const otherDir = makeTempDir("pkcs11ex-import-cfg-");
    const other = writeConfig(otherDir.dir, "gone", "no-such-token");
    let res;
    try {
      res = runTaskScript("import_p12", [
        "--config",
        other,
        "--in",
        rsa.p12,
        "--slot",
        "gone",
        "--label",
        "x7",
        "--password-from-env",
        "P12_PASSWORD",
        "--pin-from-env",
        "TOKEN_PIN",
      ], { P12_PASSWORD: rsa.password, TOKEN_PIN: token.userPin });
    } finally {
      otherDir.cleanup();
    }
    assert.equal(res.status, 1);
    assert.match(res.stderr, /No token labelled "no-such-token".*\(slot_not_found\)/);
  });

  test("--with-chain stores the bundle's CA certificate as an authority certificate", () => {
    const dir = work.dir;
    const ca = join(dir, "ca");
    runOk("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      `${ca}.key`,
      "-out",
      `${ca}.crt`,
      "-subj",
      "/CN=Import Test CA",
      "-days",
      "30",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "subjectKeyIdentifier=hash",
    ]);
    const leaf = join(dir, "leaf");
    runOk("openssl", [
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      `${leaf}.key`,
      "-out",
      `${leaf}.csr`,
      "-subj",
      "/CN=Chained signer",
    ]);
    runOk("openssl", [
      "x509",
      "-req",
      "-in",
      `${leaf}.csr`,
      "-CA",
      `${ca}.crt`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-out",
      `${leaf}.crt`,
      "-days",
      "30",
    ]);
    runOk("openssl", [
      "pkcs12",
      "-export",
      "-in",
      `${leaf}.crt`,
      "-inkey",
      `${leaf}.key`,
      "-certfile",
      `${ca}.crt`,
      "-out",
      `${leaf}.p12`,
      "-passout",
      "pass:chain-pw",
    ]);
    const res = importTask({ p12: `${leaf}.p12`, password: "chain-pw" }, [
      "--label",
      "chained",
      "--with-chain",
    ]);
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /CA certificate\s+chained-ca1\s+[0-9a-f]+\s+CN=Import Test CA/);
    withSession((session) => {
      const caCert = session.findOne({ CKA_CLASS: CKO.CKO_CERTIFICATE, CKA_LABEL: "chained-ca1" });
      const attrs = session.getAttributes(caCert, ["CKA_CERTIFICATE_CATEGORY", "CKA_VALUE"]);
      assert.equal(attrs.CKA_CERTIFICATE_CATEGORY, 2n);
      const expected = parsePemCertificates(readFileSync(`${ca}.crt`, "utf8"))[0];
      assert.deepEqual(attrs.CKA_VALUE, expected.der);
    });
  });

  test("removes the fixtures", () => work.cleanup());
});
