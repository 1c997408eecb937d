/**
 * The X.509 certificate model of pkcs11ex: parse DER or PEM certificates into a typed,
 * read-only {@linkcode X509Certificate}. Malformed input of any kind (truncated, bit-flipped,
 * oversized, not a certificate) is a `Pkcs11exError` with reason `malformed_certificate`,
 * never a crash.
 *
 * @module
 */
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate } from "@peculiar/asn1-x509";
import { Pkcs11exError } from "./errors.ts";
import { bytesToSignedBigInt } from "./_bigint.ts";
import { readChildren, readTime, readWhole, type Tlv, tlvBytes } from "./x509/der.ts";
import { createParseCache, derKey } from "./x509/cache.ts";
import { decodeName, type Dn, dnToString, normalizeDn } from "./x509/dn.ts";
import { decodeExtensions } from "./x509/extensions.ts";
import { sha256Hex, toHex } from "./x509/hex.ts";
import { decodeBase64, looksLikePem, readPemBlocks } from "./x509/pem.ts";
import { describePublicKey, type KeyType, type NamedCurve } from "./x509/public_key.ts";

export type { Dn, DnAttribute } from "./x509/dn.ts";
export type { KeyType, NamedCurve } from "./x509/public_key.ts";
/** A key usage bit of the keyUsage extension (RFC 5280 §4.2.1.3). */
export type KeyUsageType =
  | "digitalSignature"
  | "nonRepudiation"
  | "keyEncipherment"
  | "dataEncipherment"
  | "keyAgreement"
  | "keyCertSign"
  | "crlSign"
  | "encipherOnly"
  | "decipherOnly";

/** Certificates larger than this are refused as malformed (no real certificate comes close). */
export const MAX_CERTIFICATE_BYTES = 1024 * 1024;

/** A parsed X.509 certificate. Every field is derived from {@linkcode X509Certificate.der}. */
export interface X509Certificate {
  /** The certificate as DER. */
  readonly der: Uint8Array;
  /** The signed part (TBSCertificate) as DER. */
  readonly tbsDer: Uint8Array;
  /** The outer signature algorithm OID and its raw parameters (DER), if any. */
  readonly signatureAlgorithm: { readonly oid: string; readonly params?: Uint8Array };
  /** The signature bits of the issuer over {@linkcode X509Certificate.tbsDer}. */
  readonly signatureValue: Uint8Array;
  /** Version number (1, 2 or 3). */
  readonly version: number;
  /** Subject DN as an RFC 4514 string (`CN=Acme,O=Acme Corp,C=CL`). */
  readonly subject: string;
  /** Subject DN normalized per RFC 5280 §7.1 (whitespace folded, lowercase), RFC 4514 syntax. */
  readonly subjectNormalized: string;
  /** Subject DN as RDNs in RFC 4514 order. */
  readonly subjectDn: Dn;
  /** Issuer DN as an RFC 4514 string. */
  readonly issuer: string;
  /** Issuer DN normalized per RFC 5280 §7.1. */
  readonly issuerNormalized: string;
  /** The raw subject `Name` bytes. */
  readonly subjectDer: Uint8Array;
  /** The raw issuer `Name` bytes. */
  readonly issuerDer: Uint8Array;
  /** Serial number as lowercase hex (magnitude, even length, no sign pad) and as a bigint. */
  readonly serialNumber: { readonly hex: string; readonly value: bigint };
  /** Start of the validity period. */
  readonly notBefore: Date;
  /** End of the validity period. */
  readonly notAfter: Date;
  /** SubjectPublicKeyInfo as DER. */
  readonly spkiDer: Uint8Array;
  /** SHA-256 of the SPKI DER, lowercase hex (the pin of PinnedRegistry). */
  readonly spkiSha256Hex: string;
  /** SHA-256 of the whole certificate DER, lowercase hex (JOSE `x5t#S256` as hex). */
  readonly certSha256Hex: string;
  /** The public key type. */
  readonly keyType: KeyType;
  /** RSA modulus bits, EC curve bits, 256 for Ed25519. */
  readonly keySize: number;
  /** The named curve of an EC key. */
  readonly curve?: NamedCurve | string;
  /** basicConstraints, if present. */
  readonly basicConstraints?: { readonly cA: boolean; readonly pathLenConstraint?: number };
  /** keyUsage bits by name, if present. */
  readonly keyUsage?: readonly KeyUsageType[];
  /** extendedKeyUsage purpose OIDs, if present. */
  readonly extendedKeyUsage?: readonly string[];
  /** subjectKeyIdentifier (hex), if present. */
  readonly subjectKeyIdentifier?: string;
  /** authorityKeyIdentifier keyIdentifier (hex), if present. */
  readonly authorityKeyIdentifier?: string;
  /** The URIs of the cRLDistributionPoints full names, if present. */
  readonly crlDistributionPoints?: readonly string[];
  /** OIDs of the extensions marked critical. */
  readonly criticalExtensions: readonly string[];
}

/**
 * Recent parses by exact DER, shared by every caller: a verifier sees the same signer
 * certificates on every call. At most 256 certificates of at most 16 KiB each (larger ones
 * are parsed on every call).
 */
const parsed = createParseCache<X509Certificate>({ maxEntries: 256, maxKeyLength: 16 * 1024 });

function malformed(message: string, cause?: unknown, kind = "invalid_der"): Pkcs11exError {
  return new Pkcs11exError("malformed_certificate", message, { cause, detail: { kind } });
}

function nameFields(bytes: Uint8Array, tlv: Tlv): [Uint8Array, Dn] {
  const der = tlvBytes(bytes, tlv).slice();
  return [der, decodeName(der)];
}

function build(der: Uint8Array): X509Certificate {
  const outer = readWhole(der, 0x30);
  const [tbsTlv, sigAlgTlv, sigTlv] = readChildren(der, outer);
  if (!sigTlv || tbsTlv.tag !== 0x30 || sigAlgTlv.tag !== 0x30 || sigTlv.tag !== 0x03) {
    throw new RangeError("not a Certificate SEQUENCE");
  }
  const fields = readChildren(der, tbsTlv);
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
  const [issuerTlv, validityTlv, subjectTlv, spkiTlv] = fields.slice(offset + 2);
  if (!spkiTlv || validityTlv.tag !== 0x30) throw new RangeError("TBSCertificate too short");
  const [notBefore, notAfter, extra] = readChildren(der, validityTlv);
  if (!notAfter || extra) throw new RangeError("Validity is not two times");
  const cert = AsnConvert.parse(der, Certificate);
  const tbs = cert.tbsCertificate;
  if (![0, 1, 2].includes(tbs.version)) throw new RangeError(`Unknown version ${tbs.version}`);
  const [issuerDer, issuerDn] = nameFields(der, issuerTlv);
  const [subjectDer, subjectDn] = nameFields(der, subjectTlv);
  const spkiDer = tlvBytes(der, spkiTlv).slice();
  const key = describePublicKey(spkiDer);
  const serialBytes = new Uint8Array(tbs.serialNumber);
  const serial = bytesToSignedBigInt(serialBytes);
  const serialHex = serial < 0n ? toHex(serialBytes) : serial.toString(16);
  const ext = decodeExtensions(tbs.extensions);
  const params = cert.signatureAlgorithm.parameters;
  return Object.freeze(
    {
      der,
      tbsDer: tlvBytes(der, tbsTlv).slice(),
      signatureAlgorithm: Object.freeze({
        oid: cert.signatureAlgorithm.algorithm,
        params: params ? new Uint8Array(params) : undefined,
      }),
      signatureValue: new Uint8Array(cert.signatureValue),
      version: tbs.version + 1,
      subject: dnToString(subjectDn),
      subjectNormalized: dnToString(normalizeDn(subjectDn)),
      subjectDn,
      issuer: dnToString(issuerDn),
      issuerNormalized: dnToString(normalizeDn(issuerDn)),
      subjectDer,
      issuerDer,
      serialNumber: Object.freeze({
        hex: serialHex.length % 2 ? `0${serialHex}` : serialHex,
        value: serial,
      }),
      notBefore: new Date(readTime(der, notBefore)),
      notAfter: new Date(readTime(der, notAfter)),
      spkiDer,
      spkiSha256Hex: sha256Hex(spkiDer),
      certSha256Hex: sha256Hex(der),
      keyType: key.keyType,
      keySize: key.keySize,
      curve: key.curve,
      ...ext,
    } satisfies X509Certificate,
  );
}

function fromDer(bytes: Uint8Array): X509Certificate {
  if (bytes.length > MAX_CERTIFICATE_BYTES) {
    throw malformed(
      `Cannot parse the certificate: ${bytes.length} bytes exceeds ${MAX_CERTIFICATE_BYTES}`,
      undefined,
      "too_large",
    );
  }
  const key = derKey(bytes);
  const hit = parsed.get(key);
  if (hit) return hit;
  let cert: X509Certificate;
  try {
    cert = build(bytes.slice());
  } catch (err) {
    throw malformed("Cannot parse the certificate: the DER is not a valid X.509 certificate", err);
  }
  parsed.set(key, cert);
  return cert;
}

/**
 * Parses one certificate from DER bytes or PEM text (the first `CERTIFICATE` block).
 * Recent parses are remembered by their exact DER, so the same certificate object may be
 * returned to several callers: it is frozen, and its byte arrays and dates are read-only.
 *
 * @param input DER bytes, or a string holding PEM (or bare base64 DER).
 * @returns The parsed certificate.
 * @throws {Pkcs11exError} `malformed_certificate` when the input is not a certificate.
 * @throws {TypeError} when `input` is neither bytes nor a string.
 *
 * @example
 * ```ts ignore
 * const cert = parseCertificate(pemText);
 * console.log(cert.subject, cert.spkiSha256Hex);
 * ```
 */
export function parseCertificate(input: Uint8Array | string): X509Certificate {
  if (typeof input === "string") {
    if (input.length > MAX_CERTIFICATE_BYTES * 2) {
      throw malformed(
        "Cannot parse the certificate: the text is too large",
        undefined,
        "too_large",
      );
    }
    if (looksLikePem(input)) {
      const certs = parsePemCertificates(input);
      if (certs.length === 0) {
        throw malformed("Cannot parse the certificate: no CERTIFICATE block", undefined, "no_pem");
      }
      return certs[0];
    }
    const der = decodeBase64(input);
    if (!der) {
      throw malformed("Cannot parse the certificate: not PEM or base64", undefined, "no_pem");
    }
    return fromDer(der);
  }
  if (!(input instanceof Uint8Array)) {
    throw new TypeError("Cannot parse the certificate: expected a Uint8Array or a string");
  }
  return fromDer(input);
}

/**
 * Parses every `CERTIFICATE` block of a PEM text, in order (other blocks are skipped).
 *
 * @param text PEM text, e.g. a CA bundle.
 * @returns The certificates (empty when the text has none).
 * @throws {Pkcs11exError} `malformed_certificate` when a CERTIFICATE block is not one.
 */
export function parsePemCertificates(text: string): X509Certificate[] {
  if (typeof text !== "string") {
    throw new TypeError("Cannot parse PEM certificates: expected a string");
  }
  return readPemBlocks(text).filter((b) => b.label === "CERTIFICATE").map((b) => {
    if (!b.der) {
      throw malformed("Cannot parse the certificate: bad base64 in PEM", undefined, "bad_pem");
    }
    return fromDer(b.der);
  });
}
