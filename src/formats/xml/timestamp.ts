/**
 * The XAdES SignatureTimeStamp (ETSI EN 319 132-1 §5.4.1): an RFC 3161 token over the
 * `<ds:SignatureValue>` element canonicalized with the time-stamp's own
 * `<ds:CanonicalizationMethod>`, requested and checked with the shared client of
 * src/formats/tsp (failures are `bt_failed` with `detail.kind`).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { requestTimestamp, type TimestampInfo, verifyTimestampToken } from "../tsp/mod.ts";
import { type C14nOptions, canonicalize } from "./c14n.ts";
import type { XmlElement } from "./dom.ts";

/** A SignatureTimeStamp token that verified, with what it says. */
export interface VerifiedTimeStamp extends TimestampInfo {
  /** The TimeStampToken DER as embedded. */
  readonly tokenDer: Uint8Array;
}

function imprint(signatureValue: XmlElement, c14n: C14nOptions): Uint8Array {
  return new Uint8Array(createHash("sha256").update(canonicalize(signatureValue, c14n)).digest());
}

/** Asks the TSA for a token over the canonical SignatureValue; returns the token DER. */
export async function stampSignatureValue(
  signatureValue: XmlElement,
  c14n: C14nOptions,
  tsa: { tsaUrl: string; timeoutMs?: number },
): Promise<Uint8Array> {
  const digest = imprint(signatureValue, c14n);
  const { tokenDer } = await requestTimestamp({ ...tsa, digest });
  return tokenDer;
}

/**
 * Verifies one SignatureTimeStamp token against the SignatureValue it must cover (the TSA's
 * own signature, id-kp-timeStamping and the SHA-256 message imprint). Whether the TSA is
 * trusted is the caller's decision, from the returned TSA certificate.
 */
export function verifySignatureTimeStamp(
  tokenDer: Uint8Array,
  signatureValue: XmlElement,
  c14n: C14nOptions,
): VerifiedTimeStamp {
  return { ...verifyTimestampToken(tokenDer, imprint(signatureValue, c14n)), tokenDer };
}
