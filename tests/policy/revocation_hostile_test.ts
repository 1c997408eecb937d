/**
 * Revocation data and chains built to deceive: OCSP responses from responders the issuer did
 * not delegate to, CRLs that do not cover the certificate in question, serials that read
 * differently as signed and unsigned numbers, and a v1 certificate posing as a CA.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  DistributionPointName,
  GeneralName,
  IssuingDistributionPoint,
  Reason,
  ReasonFlags,
} from "@peculiar/asn1-x509";
import { isPkcs11exError } from "../../src/core/errors.ts";
import { parseCertificate } from "../../src/core/x509.ts";
import {
  CASignedAllowlist,
  crlHasSerial,
  pathValidate,
  verifyCrl,
  verifyOcspResponse,
} from "../../src/policy/mod.ts";
import { buildCert, buildCrl, extension, KU, testKey } from "../_support/cert_builder.ts";
import { TestCa } from "../_support/pki.ts";
import { makeTempDir } from "../_support/tmp.ts";

const DAY = 86_400_000;
const failsWith = (reason: string, kind?: string) => (e: unknown) =>
  isPkcs11exError(e, reason as never) && (kind === undefined || e.detail?.kind === kind);

describe("OCSP responders the issuer did not delegate to", () => {
  const { dir, cleanup } = makeTempDir("ocsp-hostile-");
  const root = TestCa.root(dir, { name: "root" });
  const inter = root.subCa({ name: "inter" });
  const issuer = parseCertificate(inter.cert.certDer);

  test("a certificate with anyExtendedKeyUsage cannot vouch for itself", async () => {
    const victim = inter.issue({ name: "victim", eku: "anyExtendedKeyUsage,emailProtection" });
    const selfVouched = inter.ocsp(victim, victim, { noNonce: true }).response;
    inter.revoke(victim);
    const opts = { issuer, cert: parseCertificate(victim.certDer), maxAge: DAY };
    await assert.rejects(
      verifyOcspResponse(selfVouched, opts),
      failsWith("ocsp_unavailable", "unauthorized_responder"),
    );
    const responder = inter.issue({ name: "responder", eku: "OCSPSigning" });
    assert.equal(
      await verifyOcspResponse(inter.ocsp(victim, responder, { noNonce: true }).response, opts),
      "revoked",
    );
  });

  test("an expired delegated responder is not trusted", async () => {
    const leaf = inter.issue({ name: "leaf" });
    const expired = inter.issue({
      name: "expired-responder",
      eku: "OCSPSigning",
      notBefore: new Date(Date.now() - 60 * DAY),
      notAfter: new Date(Date.now() - 30 * DAY),
    });
    const response = inter.ocsp(leaf, expired, { noNonce: true }).response;
    await assert.rejects(
      verifyOcspResponse(response, { issuer, cert: parseCertificate(leaf.certDer), maxAge: DAY }),
      failsWith("ocsp_unavailable", "unauthorized_responder"),
    );
  });

  test("cleanup", () => cleanup());
});

describe("CRLs that do not cover the certificate", () => {
  const caKey = testKey("ec");
  const leafKey = testKey("ec");
  const ca = parseCertificate(buildCert({
    subject: "CRL CA",
    issuer: "CRL CA",
    key: caKey,
    issuerKey: caKey,
    ca: true,
    keyUsage: KU.keyCertSign | KU.cRLSign,
  }));
  const leafDer = buildCert({
    subject: "CRL leaf",
    issuer: "CRL CA",
    key: leafKey,
    issuerKey: caKey,
    ca: false,
  });
  const leaf = parseCertificate(leafDer);
  const crl = (o: Omit<Parameters<typeof buildCrl>[0], "issuer" | "issuerKey">) =>
    buildCrl({ issuer: "CRL CA", issuerKey: caKey, ...o });
  const idp = (fields: Partial<IssuingDistributionPoint>) =>
    extension("2.5.29.28", new IssuingDistributionPoint(fields), true);
  const ctx = { validationTime: new Date(), maxClockSkew: 30_000, policyOpts: {} };
  const policy = (crls: Uint8Array[]) =>
    new CASignedAllowlist({
      caBundle: [ca.der],
      allow: [{ dnMatch: "CN=CRL leaf", subjectId: "leaf" }],
      crlFetcher: () => crls,
    });

  test("a complete CRL that does not list the leaf lets it through; one that does, refuses it", async () => {
    assert.equal(await policy([crl({})]).validate(leaf, [], ctx), "leaf");
    const listing = crl({
      revoked: [{
        serial: new Uint8Array(leaf.serialNumber.hex.match(/../g)!.map((h) => parseInt(h, 16))),
      }],
    });
    await assert.rejects(policy([listing]).validate(leaf, [], ctx), failsWith("cert_revoked"));
  });

  const refused: [string, Uint8Array, string][] = [
    [
      "a delta CRL",
      crl({ extensions: [extension("2.5.29.27", new Uint8Array([2, 1, 5]).buffer, true)] }),
      "delta_crl",
    ],
    [
      "an unknown critical extension",
      crl({ extensions: [extension("1.2.3.4", new Uint8Array([5, 0]).buffer, true)] }),
      "critical_extension",
    ],
    [
      "a CRL of some reasons only",
      crl({ extensions: [idp({ onlySomeReasons: new Reason(ReasonFlags.keyCompromise) })] }),
      "partial_crl",
    ],
    ["an indirect CRL", crl({ extensions: [idp({ indirectCRL: true })] }), "partial_crl"],
    [
      "an entry with a critical extension",
      crl({
        revoked: [{
          serial: new Uint8Array([1]),
          extensions: [extension("1.2.3.4", new Uint8Array([5, 0]).buffer, true)],
        }],
      }),
      "critical_entry_extension",
    ],
    [
      "a CRL of CA certificates only",
      crl({ extensions: [idp({ onlyContainsCACerts: true })] }),
      "not_covered",
    ],
    [
      "a CRL of another distribution point",
      crl({
        extensions: [
          idp({
            distributionPoint: new DistributionPointName({
              fullName: [
                new GeneralName({ uniformResourceIdentifier: "http://crl.example/other.crl" }),
              ],
            }),
          }),
        ],
      }),
      "not_covered",
    ],
    [
      "a CRL without nextUpdate",
      crl({ nextUpdate: null, thisUpdate: new Date(Date.now() - 3650 * DAY) }),
      "stale",
    ],
    [
      "a CRL issued after the validation time",
      crl({ thisUpdate: new Date(Date.now() + 365 * DAY) }),
      "not_yet_valid",
    ],
  ];
  for (const [name, der, kind] of refused) {
    test(`${name} → crl_unavailable ${kind}`, async () => {
      await assert.rejects(
        policy([der]).validate(leaf, [], ctx),
        failsWith("crl_unavailable", kind),
      );
    });
  }

  test("a CRL of end-entity certificates covers the leaf", async () => {
    assert.equal(
      await policy([crl({ extensions: [idp({ onlyContainsUserCerts: true })] })]).validate(
        leaf,
        [],
        ctx,
      ),
      "leaf",
    );
  });

  test("a negative serial is found in the CRL that lists it", async () => {
    const negative = Uint8Array.of(0x80, 0x01, 0x02, 0x03);
    const revoked = parseCertificate(
      buildCert({
        subject: "CRL leaf",
        issuer: "CRL CA",
        key: leafKey,
        issuerKey: caKey,
        serial: negative,
      }),
    );
    assert.ok(revoked.serialNumber.value < 0n);
    const listing = crl({ revoked: [{ serial: negative }] });
    assert.ok(crlHasSerial(await verifyCrl(listing, ca), revoked));
    await assert.rejects(policy([listing]).validate(revoked, [], ctx), failsWith("cert_revoked"));
  });
});

describe("path validation with a v1 certificate", () => {
  const rootKey = testKey("rsa");
  const midKey = testKey("ec");
  const leafKey = testKey("ec");
  const root = parseCertificate(
    buildCert({
      subject: "Root",
      issuer: "Root",
      key: rootKey,
      issuerKey: rootKey,
      ca: true,
      keyUsage: KU.keyCertSign | KU.cRLSign,
    }),
  );
  const leafOf = (issuer: string, key: typeof rootKey) =>
    parseCertificate(
      buildCert({ subject: "Leaf", issuer, key: leafKey, issuerKey: key, ca: false }),
    );

  test("a v1 intermediate is not a CA", async () => {
    const v1 = parseCertificate(
      buildCert({ subject: "V1", issuer: "Root", key: midKey, issuerKey: rootKey, version: 0 }),
    );
    assert.equal(v1.version, 1);
    await assert.rejects(
      pathValidate(leafOf("V1", midKey), [v1], [root]),
      failsWith("chain_invalid", "not_ca"),
    );
  });

  test("a v1 trust anchor still issues (it is trusted as configured)", async () => {
    const v1Root = parseCertificate(
      buildCert({
        subject: "V1 Root",
        issuer: "V1 Root",
        key: rootKey,
        issuerKey: rootKey,
        version: 0,
      }),
    );
    const path = await pathValidate(leafOf("V1 Root", rootKey), [], [v1Root]);
    assert.equal(path.length, 2);
  });
});
