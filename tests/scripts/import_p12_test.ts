import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUILTIN_ALGORITHMS } from "../../src/core/algorithms/registry.ts";
import { ecdsaRawToDer } from "../../src/core/algorithms/ecdsa_encoding.ts";
import { MechanismCache, signOnToken } from "../../src/core/token_sign.ts";
import { parsePemCertificates } from "../../src/core/x509.ts";
import { CKO } from "../../src/ffi/constants.ts";
import { run, runOk } from "../_support/run.ts";
import { makeImportFixture } from "./_import_fixture.ts";

const { ec, importTask, keysLabelled, rsa, withSession, work } = await makeImportFixture("import");
const message = new TextEncoder().encode("signed by a key imported from a PKCS#12\n");

/** Verifies `signature` over `message` with openssl against the bundle's certificate. */
function opensslVerifies(certPem: string, signature: Uint8Array, extra: string[] = []): boolean {
  const pub = join(work.dir, "pub.pem");
  writeFileSync(pub, runOk("openssl", ["x509", "-in", certPem, "-pubkey", "-noout"]).stdout);
  const data = join(work.dir, "data.bin");
  writeFileSync(data, message);
  const sig = join(work.dir, "sig.bin");
  writeFileSync(sig, signature);
  const args = ["dgst", "-sha256", "-verify", pub, ...extra, "-signature", sig, data];
  const res = run("openssl", args);
  return res.status === 0 && res.stdout.includes("Verified OK");
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
