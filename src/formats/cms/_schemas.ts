/**
 * ASN.1 schemas the @peculiar packages lack (RSASSA-PSS-params, ESS signing-certificate)
 * and a lenient SignedData whose certificates stay raw so each can be judged on its own.
 * Decorators are applied as plain calls: no decorator syntax in this package.
 *
 * @module
 */
import {
  AsnIntegerArrayBufferConverter,
  AsnProp,
  AsnPropTypes,
  OctetString,
} from "@peculiar/asn1-schema";
import { AlgorithmIdentifier, GeneralNames } from "@peculiar/asn1-x509";
import { EncapsulatedContentInfo, SignerInfo } from "@peculiar/asn1-cms";

/** RSASSA-PSS-params (RFC 4055); absent fields take their DEFAULT (SHA-1, MGF1-SHA-1, 20, 1). */
export class RsaPssParams {
  hashAlgorithm?: AlgorithmIdentifier;
  maskGenAlgorithm?: AlgorithmIdentifier;
  saltLength?: number;
  trailerField?: number;
}
AsnProp({ type: AlgorithmIdentifier, context: 0, optional: true })(
  RsaPssParams.prototype,
  "hashAlgorithm",
);
AsnProp({ type: AlgorithmIdentifier, context: 1, optional: true })(
  RsaPssParams.prototype,
  "maskGenAlgorithm",
);
AsnProp({ type: AsnPropTypes.Integer, context: 2, optional: true })(
  RsaPssParams.prototype,
  "saltLength",
);
AsnProp({ type: AsnPropTypes.Integer, context: 3, optional: true })(
  RsaPssParams.prototype,
  "trailerField",
);

/** IssuerSerial (RFC 5035): the issuer as GeneralNames and the serial number. */
export class IssuerSerial {
  issuer: GeneralNames = new GeneralNames();
  serialNumber: ArrayBuffer = new ArrayBuffer(0);
}
AsnProp({ type: GeneralNames })(IssuerSerial.prototype, "issuer");
AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter })(
  IssuerSerial.prototype,
  "serialNumber",
);

/** ESSCertIDv2 (RFC 5035); `hashAlgorithm` absent means SHA-256 (the DEFAULT). */
export class EssCertIdV2 {
  hashAlgorithm?: AlgorithmIdentifier;
  certHash: OctetString = new OctetString();
  issuerSerial?: IssuerSerial;
}
AsnProp({ type: AlgorithmIdentifier, optional: true })(EssCertIdV2.prototype, "hashAlgorithm");
AsnProp({ type: OctetString })(EssCertIdV2.prototype, "certHash");
AsnProp({ type: IssuerSerial, optional: true })(EssCertIdV2.prototype, "issuerSerial");

/** SigningCertificateV2 (RFC 5035); policies are kept raw and ignored. */
export class SigningCertificateV2 {
  certs: EssCertIdV2[] = [];
  policies?: ArrayBuffer;
}
AsnProp({ type: EssCertIdV2, repeated: "sequence" })(SigningCertificateV2.prototype, "certs");
AsnProp({ type: AsnPropTypes.Any, optional: true })(SigningCertificateV2.prototype, "policies");

/** ESSCertID (RFC 2634): a SHA-1 certificate hash. */
export class EssCertId {
  certHash: OctetString = new OctetString();
  issuerSerial?: IssuerSerial;
}
AsnProp({ type: OctetString })(EssCertId.prototype, "certHash");
AsnProp({ type: IssuerSerial, optional: true })(EssCertId.prototype, "issuerSerial");

/** SigningCertificate (RFC 2634). */
export class SigningCertificateV1 {
  certs: EssCertId[] = [];
  policies?: ArrayBuffer;
}
AsnProp({ type: EssCertId, repeated: "sequence" })(SigningCertificateV1.prototype, "certs");
AsnProp({ type: AsnPropTypes.Any, optional: true })(SigningCertificateV1.prototype, "policies");

/**
 * SignedData with certificates and CRLs kept as raw DER elements, so one bad or exotic
 * certificate is reported as such instead of failing the whole decode.
 */
export class RawCertSignedData {
  version = 1;
  digestAlgorithms: AlgorithmIdentifier[] = [];
  encapContentInfo: EncapsulatedContentInfo = new EncapsulatedContentInfo();
  certificates?: ArrayBuffer[];
  crls?: ArrayBuffer[];
  signerInfos: SignerInfo[] = [];
}
AsnProp({ type: AsnPropTypes.Integer })(RawCertSignedData.prototype, "version");
AsnProp({ type: AlgorithmIdentifier, repeated: "set" })(
  RawCertSignedData.prototype,
  "digestAlgorithms",
);
AsnProp({ type: EncapsulatedContentInfo })(RawCertSignedData.prototype, "encapContentInfo");
AsnProp({ type: AsnPropTypes.Any, repeated: "set", context: 0, implicit: true, optional: true })(
  RawCertSignedData.prototype,
  "certificates",
);
AsnProp({ type: AsnPropTypes.Any, repeated: "set", context: 1, implicit: true, optional: true })(
  RawCertSignedData.prototype,
  "crls",
);
AsnProp({ type: SignerInfo, repeated: "set" })(RawCertSignedData.prototype, "signerInfos");
