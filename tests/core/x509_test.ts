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

  test("fields outside what X.509 allows are malformed, not read as something else", () => {
    const interm = parseCertificate(
      readFileSync(path.join(corpus, "pdf/pyhanko-testing-interm-ca.pem"), "utf8"),
    );
    assert.deepEqual(interm.basicConstraints, { cA: true, pathLenConstraint: 0 });
    const { dir, cleanup } = makeTempDir();
    const utc = parseCertificate(makeSelfSigned(dir, "ec").certDer); // openssl writes UTCTime
    cleanup();
    // Replaces notBefore (the first time of `tag`) with `text`, of the same length.
    const withNotBefore = (der: Uint8Array, tag: number, text: string) => {
      const at = indexOf(der, [tag, text.length]);
      assert.ok(at >= 0);
      const copy = der.slice();
      copy.set(new TextEncoder().encode(text), at + 2);
      return parseCertificate(copy);
    };
    const cases: [Uint8Array, number, string, string | undefined][] = [
      [utc.der, 0x17, "491231235959Z", "2049-12-31T23:59:59.000Z"],
      [utc.der, 0x17, "500101000000Z", "1950-01-01T00:00:00.000Z"],
      [utc.der, 0x17, "991399999999Z", undefined], // month 13
      [utc.der, 0x17, "250230000000Z", undefined], // February 30
      [utc.der, 0x17, "ZZZZZZZZZZZZZ", undefined],
      [utc.der, 0x17, "2501010000+01", undefined],
      [utc.der, 0x17, "250101000000 ", undefined],
      [interm.der, 0x18, "20240229120000Z", "2024-02-29T12:00:00.000Z"],
      [interm.der, 0x18, "20230229120000Z", undefined], // not a leap year
      [interm.der, 0x18, "2024022912000.Z", undefined],
      [interm.der, 0x18, "20240101240000Z", undefined], // hour 24
    ];
    for (const [der, tag, text, want] of cases) {
      if (want === undefined) assertMalformed(() => withNotBefore(der, tag, text));
      else assert.equal(withNotBefore(der, tag, text).notBefore.toISOString(), want, text);
    }
    const patched = (find: number[], replace: number[]) => {
      const at = indexOf(interm.der, find);
      assert.ok(at >= 0);
      const copy = interm.der.slice();
      copy.set(replace, at);
      return copy;
    };
    // TBSCertificate version [0] INTEGER 2 (v3) → 5; basicConstraints pathLen 0 → -1.
    const version = [0xa0, 0x03, 0x02, 0x01];
    assertMalformed(() => parseCertificate(patched([...version, 0x02], [...version, 0x05])));
    const pathLen = [0x01, 0x01, 0xff, 0x02, 0x01];
    assertMalformed(() => parseCertificate(patched([...pathLen, 0x00], [...pathLen, 0xff])));
  });
});

/** The offset of the first occurrence of `needle` in `bytes`, or -1. */
function indexOf(bytes: Uint8Array, needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
