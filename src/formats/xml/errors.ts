/**
 * Typed errors of the XML format: every refusal is a `Pkcs11exError` with the spec's reason
 * and a `kind` in `detail`.
 *
 * @module
 */
import { Pkcs11exError, type XmlReason } from "../../core/errors.ts";

/** A malformed or refused XML input at a source offset (reason `malformed_xml`). */
export function malformedXml(kind: string, offset: number, message: string): Pkcs11exError {
  return new Pkcs11exError("malformed_xml", `Cannot parse the XML document: ${message}`, {
    detail: { kind, offset },
  });
}

/** Any other XML refusal with a `detail` payload. */
export function xmlError(
  reason: XmlReason,
  message: string,
  detail: Record<string, unknown> = {},
): Pkcs11exError {
  return new Pkcs11exError(reason, message, { detail });
}
