/** Certificates given in configuration as objects, DER or PEM. @module */
import { parseCertificate, parsePemCertificates, type X509Certificate } from "../core/x509.ts";

/** A certificate as configuration may give it. */
export type CertificateInput = X509Certificate | Uint8Array | string;

/** Parses a configured certificate list (PEM strings may hold several). */
export function toCertificates(inputs: readonly CertificateInput[]): X509Certificate[] {
  return inputs.flatMap((c) => {
    if (typeof c === "string") {
      return c.includes("-----BEGIN") ? parsePemCertificates(c) : [parseCertificate(c)];
    }
    if (c instanceof Uint8Array) return [parseCertificate(c)];
    return [c];
  });
}
