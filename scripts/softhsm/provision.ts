/**
 * Provisioning of throw-away SoftHSM2 tokens for tests, the demo and benchmarks: make a
 * token, generate RSA / EC P-256 / Ed25519 key pairs on it, and issue each key a
 * self-signed certificate signed by the token key itself (stored with the same label and
 * `CKA_ID`).
 *
 * @module
 */
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { RSAPublicKey } from "@peculiar/asn1-rsa";
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  Extension,
  Extensions,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
} from "@peculiar/asn1-x509";
import { createHash, randomBytes } from "node:crypto";
import { BUILTIN_ALGORITHMS } from "../../src/core/algorithms/registry.ts";
import { MechanismCache, signOnToken } from "../../src/core/token_sign.ts";
import { CKC, CKK, CKO } from "../../src/ffi/constants.ts";
import type { Pkcs11Module } from "../../src/ffi/module.ts";
import type { KeyPairHandles, Session } from "../../src/ffi/session.ts";
import { assertThrowawaySoftHsm } from "./config.ts";

/** The key types the provisioning makes. */
export type ProvisionKeyType = "rsa" | "ec" | "ed25519";

/** One key to provision. */
export interface KeySpec {
  /** `CKA_LABEL` of the key pair and its certificate. */
  readonly label: string;
  /** The key type. */
  readonly type: ProvisionKeyType;
  /** RSA modulus size (default 2048). */
  readonly bits?: number;
  /** The certificate's common name (default: the label). */
  readonly commonName?: string;
  /** Certificate validity in days from yesterday (default 365). */
  readonly days?: number;
}

/** A provisioned key: its handles, `CKA_ID` and certificate. */
export interface ProvisionedKey extends KeyPairHandles {
  readonly label: string;
  readonly type: ProvisionKeyType;
  readonly id: Uint8Array;
  readonly certificateDer: Uint8Array;
}

const enc = (s: string) => new TextEncoder().encode(s);

// DER OIDs of CKA_EC_PARAMS.
const P256_PARAMS = Uint8Array.of(0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07);
const ED25519_PARAMS = Uint8Array.of(0x06, 0x03, 0x2b, 0x65, 0x70);

/**
 * Initializes the first uninitialized slot as a token with `label`, sets the user PIN,
 * and returns the slot id. Refuses unless `SOFTHSM2_CONF` is a throw-away configuration.
 */
export function createToken(
  module: Pkcs11Module,
  opts: { label: string; soPin: string; userPin: string },
): bigint {
  assertThrowawaySoftHsm();
  const free = module.slots(true).find((slot) =>
    !module.tokenInfo(slot).flagNames.includes("CKF_TOKEN_INITIALIZED")
  );
  if (free === undefined) throw new Error("SoftHSM has no uninitialized slot left");
  module.initToken(free, enc(opts.soPin), opts.label);
  // SoftHSM renumbers the slot after initialization: find it again by label.
  const slot = module.findSlotByTokenLabel(opts.label);
  using session = module.openSession(slot);
  session.login(enc(opts.soPin), "so");
  session.initPin(enc(opts.userPin));
  session.logout();
  return slot;
}

/** Generates a key pair on the token (private key sensitive and not extractable). */
export function generateKeyPair(session: Session, spec: KeySpec, id: Uint8Array): KeyPairHandles {
  const common = { CKA_TOKEN: true, CKA_LABEL: spec.label, CKA_ID: id };
  const priv = {
    ...common,
    CKA_PRIVATE: true,
    CKA_SENSITIVE: true,
    CKA_EXTRACTABLE: false,
    CKA_SIGN: true,
  };
  const pub = { ...common, CKA_VERIFY: true };
  switch (spec.type) {
    case "rsa":
      return session.generateKeyPair(
        { mechanism: "CKM_RSA_PKCS_KEY_PAIR_GEN" },
        {
          ...pub,
          CKA_MODULUS_BITS: spec.bits ?? 2048,
          CKA_PUBLIC_EXPONENT: Uint8Array.of(1, 0, 1),
        },
        priv,
      );
    case "ec":
      return session.generateKeyPair(
        { mechanism: "CKM_EC_KEY_PAIR_GEN" },
        { ...pub, CKA_EC_PARAMS: P256_PARAMS },
        priv,
      );
    case "ed25519":
      return session.generateKeyPair(
        { mechanism: "CKM_EC_EDWARDS_KEY_PAIR_GEN" },
        { ...pub, CKA_EC_PARAMS: ED25519_PARAMS },
        priv,
      );
  }
}

/** Unwraps the DER OCTET STRING that `CKA_EC_POINT` holds. */
function unwrapOctetString(der: Uint8Array): Uint8Array {
  if (der[0] !== 0x04) return der;
  const lenByte = der[1];
  const start = lenByte < 0x80 ? 2 : 2 + (lenByte & 0x7f);
  return der.subarray(start);
}

/** The DER SubjectPublicKeyInfo of a token public key. */
export function publicKeySpki(
  session: Session,
  publicKey: bigint,
  type: ProvisionKeyType,
): Uint8Array {
  if (type === "rsa") {
    const attrs = session.getAttributes(publicKey, ["CKA_MODULUS", "CKA_PUBLIC_EXPONENT"]);
    const rsa = new RSAPublicKey({
      modulus: withSignByte(attrs.CKA_MODULUS as Uint8Array),
      publicExponent: withSignByte(attrs.CKA_PUBLIC_EXPONENT as Uint8Array),
    });
    return new Uint8Array(AsnConvert.serialize(
      new SubjectPublicKeyInfo({
        algorithm: new AlgorithmIdentifier({ algorithm: "1.2.840.113549.1.1.1", parameters: null }),
        subjectPublicKey: AsnConvert.serialize(rsa),
      }),
    ));
  }
  const point = unwrapOctetString(
    session.getAttributes(publicKey, ["CKA_EC_POINT"]).CKA_EC_POINT as Uint8Array,
  );
  const algorithm = type === "ec"
    ? new AlgorithmIdentifier({ algorithm: "1.2.840.10045.2.1", parameters: P256_PARAMS.buffer })
    : new AlgorithmIdentifier({ algorithm: "1.3.101.112" });
  return new Uint8Array(AsnConvert.serialize(
    new SubjectPublicKeyInfo({ algorithm, subjectPublicKey: point.slice().buffer }),
  ));
}

/** A positive DER INTEGER body: a leading zero when the top bit is set. */
function withSignByte(bytes: Uint8Array): ArrayBuffer {
  const out = bytes[0] >= 0x80 ? Uint8Array.of(0, ...bytes) : bytes.slice();
  return out.buffer;
}

function name(commonName: string): Name {
  const rdn = (type: string, value: string) =>
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: value }) }),
    ]);
  return new Name([rdn("2.5.4.6", "CL"), rdn("2.5.4.10", "pkcs11ex"), rdn("2.5.4.3", commonName)]);
}

const SIGNATURE_ALGS = {
  rsa: { alg: "RS256", oid: "1.2.840.113549.1.1.11", nullParams: true },
  ec: { alg: "ES256", oid: "1.2.840.10045.4.3.2", nullParams: false },
  ed25519: { alg: "EdDSA", oid: "1.3.101.112", nullParams: false },
} as const;

/** Issues a self-signed certificate for a token key pair, signed on the token. */
export function selfSignedCertificate(
  session: Session,
  keys: KeyPairHandles,
  spec: KeySpec,
): Uint8Array {
  const spkiDer = publicKeySpki(session, keys.publicKey, spec.type);
  const spki = AsnConvert.parse(spkiDer, SubjectPublicKeyInfo);
  const sigAlg = SIGNATURE_ALGS[spec.type];
  const algorithmId = new AlgorithmIdentifier({
    algorithm: sigAlg.oid,
    ...(sigAlg.nullParams ? { parameters: null } : {}),
  });
  const subject = name(spec.commonName ?? spec.label);
  const notBefore = new Date(Date.now() - 86_400_000);
  const notAfter = new Date(notBefore.getTime() + (spec.days ?? 365) * 86_400_000);
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x01; // positive and minimal: a leading 0x00 is illegal DER padding
  const ski = createHash("sha1").update(new Uint8Array(spki.subjectPublicKey)).digest();
  const tbs = new TBSCertificate({
    version: 2,
    serialNumber: serial.buffer,
    signature: algorithmId,
    issuer: subject,
    validity: new Validity({ notBefore, notAfter }),
    subject,
    subjectPublicKeyInfo: spki,
    extensions: new Extensions([
      new Extension({
        extnID: id_ce_basicConstraints,
        critical: true,
        extnValue: new OctetString(AsnConvert.serialize(new BasicConstraints({ cA: false }))),
      }),
      new Extension({
        extnID: id_ce_keyUsage,
        critical: true,
        extnValue: new OctetString(AsnConvert.serialize(
          new KeyUsage(KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation),
        )),
      }),
      new Extension({
        extnID: id_ce_subjectKeyIdentifier,
        extnValue: new OctetString(AsnConvert.serialize(new SubjectKeyIdentifier(ski))),
      }),
    ]),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = signOnToken(session, new MechanismCache(session), keys.privateKey, {
    alg: BUILTIN_ALGORITHMS[sigAlg.alg],
    data: tbsDer,
    precomputedDigest: false,
    context: "der",
  });
  const cert = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: algorithmId,
    signatureValue: signature.slice().buffer,
  });
  return new Uint8Array(AsnConvert.serialize(cert));
}

/** A short DER INTEGER (certificate serials are at most 20 bytes). */
function derInteger(content: Uint8Array): Uint8Array {
  return Uint8Array.of(0x02, content.length, ...content);
}

/** Stores a certificate object on the token with the key's label and `CKA_ID`. */
export function storeCertificate(
  session: Session,
  certificateDer: Uint8Array,
  opts: { label: string; id: Uint8Array },
): bigint {
  const cert = AsnConvert.parse(certificateDer, Certificate);
  return session.createObject({
    CKA_CLASS: CKO.CKO_CERTIFICATE,
    CKA_CERTIFICATE_TYPE: CKC.CKC_X_509,
    CKA_TOKEN: true,
    CKA_LABEL: opts.label,
    CKA_ID: opts.id,
    CKA_SUBJECT: new Uint8Array(AsnConvert.serialize(cert.tbsCertificate.subject)),
    CKA_ISSUER: new Uint8Array(AsnConvert.serialize(cert.tbsCertificate.issuer)),
    CKA_SERIAL_NUMBER: derInteger(new Uint8Array(cert.tbsCertificate.serialNumber)),
    CKA_VALUE: certificateDer,
  });
}

/** Generates a key pair and its self-signed certificate; the session must be logged in. */
export function provisionKey(session: Session, spec: KeySpec): ProvisionedKey {
  const id = new Uint8Array(randomBytes(8));
  const keys = generateKeyPair(session, spec, id);
  const certificateDer = selfSignedCertificate(session, keys, spec);
  storeCertificate(session, certificateDer, { label: spec.label, id });
  return { ...keys, label: spec.label, type: spec.type, id, certificateDer };
}

/** The `CKK_` key type of a provisioning key type. */
export function keyTypeConstant(type: ProvisionKeyType): number {
  return type === "rsa" ? CKK.CKK_RSA : type === "ec" ? CKK.CKK_EC : CKK.CKK_EC_EDWARDS;
}
