/**
 * Certificates and CRLs built field by field (with @peculiar/asn1-x509 and node:crypto keys),
 * for the cases openssl will not write: v1 intermediates, negative serials, CRLs with chosen
 * extensions or times. Everything is really signed, so only the field under test is wrong.
 */
import { createHash, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  CertificateList,
  Extension,
  Extensions,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  RevokedCertificate,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  TBSCertList,
  Time,
  Validity,
  Version,
} from "@peculiar/asn1-x509";

const DAY = 86_400_000;
const SHA256_WITH_RSA = "1.2.840.113549.1.1.11";
const SHA256_WITH_ECDSA = "1.2.840.10045.4.3.2";

/** A key pair and its SubjectPublicKeyInfo. */
export interface TestKey {
  type: "rsa" | "ec";
  privateKey: KeyObject;
  spkiDer: Uint8Array;
}

/** A fresh RSA-2048 or P-256 key. */
export function testKey(type: "rsa" | "ec"): TestKey {
  const pair = type === "rsa"
    ? generateKeyPairSync("rsa", { modulusLength: 2048 })
    : generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    type,
    privateKey: pair.privateKey,
    spkiDer: new Uint8Array(pair.publicKey.export({ type: "spki", format: "der" })),
  };
}

/** A Name with one CN. */
export function commonName(cn: string): Name {
  const value = new AttributeValue({ utf8String: cn });
  return new Name([
    new RelativeDistinguishedName([new AttributeTypeAndValue({ type: "2.5.4.3", value })]),
  ]);
}

const bytes = (b: ArrayBuffer | Uint8Array) => new Uint8Array(b);
/** An extension whose value is an ASN.1 object, or DER bytes as they are. */
const extension = (extnID: string, value: unknown, critical = false): Extension => {
  const der = value instanceof ArrayBuffer ? value : AsnConvert.serialize(value);
  return new Extension({ extnID, critical, extnValue: new OctetString(der) });
};
const keyId = (spki: Uint8Array) =>
  createHash("sha1")
    .update(bytes(AsnConvert.parse(spki, SubjectPublicKeyInfo).subjectPublicKey))
    .digest();

function signatureAlgorithm(key: TestKey): AlgorithmIdentifier {
  return key.type === "rsa"
    ? new AlgorithmIdentifier({ algorithm: SHA256_WITH_RSA, parameters: null })
    : new AlgorithmIdentifier({ algorithm: SHA256_WITH_ECDSA });
}

function signed(tbs: unknown, key: TestKey): ArrayBuffer {
  return sign("sha256", bytes(AsnConvert.serialize(tbs)), key.privateKey).buffer as ArrayBuffer;
}

/** What {@linkcode buildCert} makes. */
export interface CertOptions {
  subject: string;
  issuer: string;
  key: TestKey;
  issuerKey: TestKey;
  /** DER INTEGER content bytes (default 8 random positive bytes). */
  serial?: Uint8Array;
  /** 0 for v1 (no extensions are written then), 2 for v3 (default). */
  version?: 0 | 2;
  /** basicConstraints cA (omitted when undefined). */
  ca?: boolean;
  /** keyUsage bits (KeyUsageFlags; omitted when undefined). */
  keyUsage?: number;
  notBefore?: Date;
  notAfter?: Date;
}

/** A certificate signed by `issuerKey`. */
export function buildCert(o: CertOptions): Uint8Array {
  const v1 = o.version === 0;
  const exts = v1 ? [] : [
    ...(o.ca === undefined
      ? []
      : [extension("2.5.29.19", new BasicConstraints({ cA: o.ca }), true)]),
    ...(o.keyUsage === undefined ? [] : [extension("2.5.29.15", new KeyUsage(o.keyUsage), true)]),
    extension("2.5.29.14", new SubjectKeyIdentifier(keyId(o.key.spkiDer))),
    extension(
      "2.5.29.35",
      new AuthorityKeyIdentifier({ keyIdentifier: new OctetString(keyId(o.issuerKey.spkiDer)) }),
    ),
  ];
  const serial = o.serial ??
    Uint8Array.from(
      crypto.getRandomValues(new Uint8Array(8)),
      (b, i) => i === 0 ? (b & 0x7f) | 1 : b,
    );
  const tbs = new TBSCertificate({
    version: o.version ?? 2,
    serialNumber: serial.slice().buffer,
    signature: signatureAlgorithm(o.issuerKey),
    issuer: commonName(o.issuer),
    validity: new Validity({
      notBefore: o.notBefore ?? new Date(Date.now() - DAY),
      notAfter: o.notAfter ?? new Date(Date.now() + 30 * DAY),
    }),
    subject: commonName(o.subject),
    subjectPublicKeyInfo: AsnConvert.parse(o.key.spkiDer, SubjectPublicKeyInfo),
    extensions: exts.length ? new Extensions(exts) : undefined,
  });
  const cert = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: signatureAlgorithm(o.issuerKey),
    signatureValue: signed(tbs, o.issuerKey),
  });
  return bytes(AsnConvert.serialize(cert));
}

/** `KeyUsageFlags` of @peculiar/asn1-x509, for {@linkcode CertOptions.keyUsage}. */
export const KU: typeof KeyUsageFlags = KeyUsageFlags;

/** What {@linkcode buildCrl} makes. */
export interface CrlOptions {
  issuer: string;
  issuerKey: TestKey;
  /** Serial numbers (DER INTEGER content bytes) listed as revoked, each with its extensions. */
  revoked?: { serial: Uint8Array; extensions?: Extension[] }[];
  thisUpdate?: Date;
  /** `null` leaves nextUpdate out (default a week after thisUpdate). */
  nextUpdate?: Date | null;
  extensions?: Extension[];
}

/** A v2 CRL signed by `issuerKey`. */
export function buildCrl(o: CrlOptions): Uint8Array {
  const thisUpdate = o.thisUpdate ?? new Date(Date.now() - 60_000);
  const tbs = new TBSCertList({
    version: Version.v2,
    signature: signatureAlgorithm(o.issuerKey),
    issuer: commonName(o.issuer),
    thisUpdate: new Time(thisUpdate),
    nextUpdate: o.nextUpdate === null
      ? undefined
      : new Time(o.nextUpdate ?? new Date(thisUpdate.getTime() + 7 * DAY)),
    revokedCertificates: o.revoked?.map((r) =>
      new RevokedCertificate({
        userCertificate: r.serial.slice().buffer,
        revocationDate: new Time(thisUpdate),
        crlEntryExtensions: r.extensions,
      })
    ),
    crlExtensions: o.extensions,
  });
  const crl = new CertificateList({
    tbsCertList: tbs,
    signatureAlgorithm: signatureAlgorithm(o.issuerKey),
    signature: signed(tbs, o.issuerKey),
  });
  return bytes(AsnConvert.serialize(crl));
}

/** An extension with any value (for certificates, CRLs and CRL entries). */
export { extension };
