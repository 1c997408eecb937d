/**
 * The JWS protected header on the signing side: which names the library owns, and how the
 * header of a detached JWS is built from the signer and the caller's options.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { Pkcs11exError } from "../../core/errors.ts";
import { encodeBase64, encodeBase64url } from "./base64.ts";

/** Header names the library sets itself; `extraHeaders` may not set them (api §3.2). */
export const RESERVED_HEADERS: readonly string[] = ["alg", "b64", "crit", "x5c"];

/** Header names registered by RFC 7515/7518 for JWS; they may never appear in `crit`. */
export const REGISTERED_HEADERS: ReadonlySet<string> = new Set([
  "alg",
  "jku",
  "jwk",
  "kid",
  "x5u",
  "x5c",
  "x5t",
  "x5t#S256",
  "typ",
  "cty",
  "crit",
]);

/** What goes into a protected header. */
export interface HeaderOptions {
  /** The JOSE signature algorithm. */
  alg: string;
  /** Certificates for `x5c`, DER, leaf first; omitted when empty. */
  certificates?: readonly Uint8Array[];
  /** The `kid` header. */
  kid?: string;
  /** Adds `x5t#S256`, the SHA-256 of the leaf certificate. */
  x5tS256?: boolean;
  /** `false` (default): unencoded payload (RFC 7797); `true`: ordinary base64url payload. */
  b64?: boolean;
  /** More header parameters, merged after the library's own. */
  extraHeaders?: Readonly<Record<string, unknown>>;
  /** Names of `extraHeaders` entries that must be listed in `crit` (e.g. Open Banking claims). */
  critical?: readonly string[];
}

/** Builds the protected header object; throws `reserved_header` when options collide. */
export function buildHeader(opts: HeaderOptions): Record<string, unknown> {
  const extra = opts.extraHeaders ?? {};
  const certificates = opts.certificates ?? [];
  const header: Record<string, unknown> = { alg: opts.alg };
  if (opts.kid !== undefined) {
    // What verifiers accept (RFC 7515 §4.1.4): a kid that is not a string makes a JWS nobody reads.
    if (typeof opts.kid !== "string" || opts.kid === "") {
      throw new TypeError("Cannot sign the JWS: kid must be a non-empty string");
    }
    header.kid = opts.kid;
  }
  const crit = opts.b64 === true ? [] : ["b64"];
  if (opts.b64 !== true) header.b64 = false;
  for (const name of opts.critical ?? []) {
    if (!Object.hasOwn(extra, name) || REGISTERED_HEADERS.has(name) || crit.includes(name)) {
      throw new RangeError(
        `Cannot mark "${name}" critical: it must be a distinct, unregistered extraHeaders name`,
      );
    }
    crit.push(name);
  }
  if (crit.length > 0) header.crit = crit;
  if (certificates.length > 0) header.x5c = certificates.map((der) => encodeBase64(der));
  if (opts.x5tS256 === true) {
    if (certificates.length === 0) {
      throw new RangeError("Cannot add x5t#S256: the signer has no certificate");
    }
    header["x5t#S256"] = encodeBase64url(createHash("sha256").update(certificates[0]).digest());
  }
  for (const [name, value] of Object.entries(extra)) {
    // `toJSON` would replace the whole header when it is serialized, `__proto__` its prototype.
    if (
      RESERVED_HEADERS.includes(name) || Object.hasOwn(header, name) || name === "toJSON" ||
      name === "__proto__"
    ) {
      throw new Pkcs11exError(
        "reserved_header",
        `Cannot sign the JWS: extraHeaders may not set "${name}"`,
        { detail: { header: name } },
      );
    }
    header[name] = jsonValue(name, value);
  }
  return header;
}

/** `value` when it serializes as JSON and reads back the same; a TypeError naming the header else. */
function jsonValue(name: string, value: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new TypeError(`Cannot sign the JWS: extraHeaders.${name} is not JSON`, { cause });
  }
  if (text === undefined || JSON.stringify(JSON.parse(text)) !== text) {
    throw new TypeError(`Cannot sign the JWS: extraHeaders.${name} is not JSON`);
  }
  return JSON.parse(text);
}
