import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseCertificate, parsePemCertificates } from "../../src/core/x509.ts";
import { isPkcs11exError } from "../../src/core/errors.ts";
import { runOk } from "../_support/run.ts";
import { makeTempDir } from "../_support/tmp.ts";
import { makeSelfSigned } from "../_support/software_keys.ts";

const corpus = process.env.PKCS11EX_CORPUS ??
  path.resolve(import.meta.dirname ?? ".", "../../../shared/corpus");

function assertMalformed(fn: () => unknown): void {
  assert.throws(fn, (err) => isPkcs11exError(err, "malformed_certificate"));
}

function opensslField(certPath: string, ...args: string[]): string {
  return runOk("openssl", ["x509", "-in", certPath, "-noout", ...args]).stdout.trim();
}

describe("parseCertificate", () => {
  test("agrees with openssl on RSA, EC and Ed25519 certificates", () => {
    const { dir, cleanup } = makeTempDir();
    try {
      for (const keyType of ["rsa", "ec", "ed25519"] as const) {
        const id = makeSelfSigned(dir, keyType, { subject: "/C=CL/O=Acme, Inc/CN=Signer  One" });
        const cert = parseCertificate(id.certPem);
        assert.deepEqual(cert.der, id.certDer);
        assert.equal(parseCertificate(id.certDer).certSha256Hex, cert.certSha256Hex);
        assert.equal(cert.keyType, keyType);
        assert.equal(cert.keySize, keyType === "rsa" ? 2048 : 256);
        assert.equal(cert.curve, keyType === "ec" ? "P-256" : undefined);
        assert.equal(
          `subject=${cert.subject}`,
          opensslField(id.certPath, "-subject", "-nameopt", "rfc2253"),
        );
        assert.equal(cert.subjectNormalized, "CN=signer one,O=acme\\, inc,C=cl");
        assert.equal(
          `serial=${cert.serialNumber.hex.toUpperCase()}`,
          opensslField(id.certPath, "-serial"),
        );
        const spki = runOk("openssl", ["pkey", "-pubin", "-outform", "DER"], {
          input: opensslField(id.certPath, "-pubkey"),
        }).stdoutBytes;
        assert.deepEqual(cert.spkiDer, spki);
        const fp = opensslField(id.certPath, "-fingerprint", "-sha256").split("=")[1];
        assert.equal(cert.certSha256Hex, fp.replaceAll(":", "").toLowerCase());
        assert.deepEqual(cert.keyUsage?.slice().sort(), ["digitalSignature", "nonRepudiation"]);
        const end = new Date(opensslField(id.certPath, "-enddate").split("=")[1]);
        assert.equal(cert.notAfter.getTime(), end.getTime());
      }
    } finally {
      cleanup();
    }
  });

  test("reads the corpus CA certificates (extensions, key ids)", () => {
    const root = parseCertificate(
      readFileSync(path.join(corpus, "pdf/pyhanko-testing-root-ca.pem"), "utf8"),
    );
    assert.equal(root.subject, "CN=Root CA,OU=Testing Authority,O=Example Inc,C=BE");
    assert.deepEqual(root.basicConstraints, { cA: true, pathLenConstraint: undefined });
    assert.ok(root.keyUsage?.includes("keyCertSign"));
    assert.equal(root.subjectKeyIdentifier, root.authorityKeyIdentifier);
    const p256 = parseCertificate(
      readFileSync(path.join(corpus, "xml/xmlsec-xmldsig11-p256-cert.pem"), "utf8"),
    );
    assert.equal(p256.keyType, "ec");
    assert.equal(p256.curve, "P-256");
  });

  test("parsePemCertificates reads every block of a bundle and skips others", () => {
    const a = readFileSync(path.join(corpus, "pdf/pyhanko-testing-root-ca.pem"), "utf8");
    const b = readFileSync(path.join(corpus, "pdf/pyhanko-testing-interm-ca.pem"), "utf8");
    const bundle = `${a}\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n${b}`;
    assert.deepEqual(parsePemCertificates(bundle).map((c) => c.subject.split(",")[0]), [
      "CN=Root CA",
      "CN=Intermediate CA",
    ]);
    assert.deepEqual(parsePemCertificates("no pem here"), []);
  });

  test("hostile input is malformed_certificate, never a crash", () => {
    const der = parseCertificate(
      readFileSync(path.join(corpus, "pdf/pyhanko-testing-root-ca.pem"), "utf8"),
    ).der;
    for (const len of [0, 1, 2, 10, 100, der.length - 1]) {
      assertMalformed(() => parseCertificate(der.slice(0, len)));
    }
    const extra = new Uint8Array(der.length + 1);
    extra.set(der);
    assertMalformed(() => parseCertificate(extra));
    let seed = 7;
    for (let i = 0; i < 300; i++) {
      const copy = der.slice();
      seed = (seed * 1103515245 + 12345) >>> 0;
      const pos = seed % copy.length;
      copy[pos] ^= 1 << (seed >>> 29);
      try {
        parseCertificate(copy); // a flip inside a signature or a name can still parse
      } catch (err) {
        assert.ok(isPkcs11exError(err, "malformed_certificate"), String(err));
      }
    }
    assertMalformed(() => parseCertificate(new Uint8Array(2 * 1024 * 1024)));
    assertMalformed(() => parseCertificate(new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])));
    assertMalformed(() => parseCertificate(new Uint8Array([0x30, 0x80, 0, 0])));
    assertMalformed(() =>
      parseCertificate("-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----")
    );
    assertMalformed(() =>
      parseCertificate("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----")
    );
    assertMalformed(() =>
      parseCertificate("-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----")
    );
    assertMalformed(() => parseCertificate("hello"));
    assert.throws(() => parseCertificate(42 as unknown as string), TypeError);
  });
});
