/**
 * Reads a detached compact JWS (`<protected>..<signature>`) together with its payload into
 * the shape the verification pipeline takes (api §2.3.1 step 1). Every envelope rule is
 * checked here, before any policy or math: segment count, strict base64url, a header that is
 * one JSON object without duplicate names, `alg`, RFC 7797 `b64`/`crit` in both directions,
 * RFC 7515 §4.1.11 `crit` semantics, and the presence of an identity hint.
 *
 * @module
 */
import { Pkcs11exError, type Pkcs11exReason } from "../../core/errors.ts";
import type { Parsed } from "../../core/format.ts";
import { decodeBase64url, encodeBase64url, isBase64 } from "./base64.ts";
import { REGISTERED_HEADERS } from "./header.ts";
import { scanJson } from "./json_keys.ts";
import { createParseCache } from "../../core/x509/cache.ts";

/** Longest compact JWS accepted (a header with a long `x5c` chain fits comfortably). */
export const MAX_JWS_LENGTH = 256 * 1024;

/** Deepest nesting of objects and arrays a protected header may have (real ones have 2–3). */
const MAX_HEADER_DEPTH = 32;

/** How the payload enters the signing input: raw (RFC 7797 `b64:false`) or base64url. */
export type PayloadMode = "b64false" | "b64true";

/** The untrusted identity hint of a JWS, verbatim from the header (api §2.3.2). */
export interface JwsSignerHint {
  /** `x5c`: standard base64 DER certificates, leaf first. */
  readonly x5c?: readonly string[];
  /** `kid`: an opaque identifier the policy must map to a registered certificate. */
  readonly kid?: string;
  /** `x5t#S256`: base64url SHA-256 of the signer's certificate. */
  readonly "x5t#S256"?: string;
}

/** A parsed detached JWS: the pipeline input plus the header and payload mode. */
export interface ParsedJws extends Parsed<JwsSignerHint> {
  /** The protected header (already checked for shape and duplicates). */
  readonly header: Readonly<Record<string, unknown>>;
  /** The payload mode the header selects. */
  readonly payloadMode: PayloadMode;
}

/** Options of {@linkcode parseDetachedJws}. */
export interface ParseJwsOptions {
  /** The detached payload. */
  payload: Uint8Array;
  /** Payload modes the verifier accepts (default `["b64false"]`). */
  payloadModes?: readonly PayloadMode[];
  /** Extra `crit` names the verifier understands (besides `b64`). */
  criticalHeaders?: readonly string[];
  /** Names the header must carry and list in `crit` (a subset of `criticalHeaders`). */
  requiredCritical?: readonly string[];
}

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function fail(reason: Pkcs11exReason, message: string, detail: Record<string, unknown>): never {
  throw new Pkcs11exError(reason, `Cannot verify the JWS: ${message}`, { detail });
}

function malformed(message: string, kind: string): never {
  fail("malformed_jws", message, { kind });
}

/** Decodes and checks the protected header segment. */
export function decodeHeader(segment: string): Record<string, unknown> {
  const bytes = decodeBase64url(segment);
  if (bytes === undefined || bytes.length === 0) {
    malformed("the protected header is not base64url", "header_base64url");
  }
  let text: string;
  let value: unknown;
  try {
    text = DECODER.decode(bytes);
    value = JSON.parse(text);
  } catch (cause) {
    throw new Pkcs11exError("malformed_jws", "Cannot verify the JWS: the header is not JSON", {
      detail: { kind: "header_json" },
      cause,
    });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    malformed("the header is not a JSON object", "header_not_object");
  }
  const { duplicateKey: duplicate, depth } = scanJson(text);
  if (depth > MAX_HEADER_DEPTH) {
    malformed(`the header nests deeper than ${MAX_HEADER_DEPTH} levels`, "header_too_deep");
  }
  if (duplicate !== undefined) {
    fail("malformed_jws", "the header repeats a name", {
      kind: "duplicate_header",
      header: duplicate,
    });
  }
  return value as Record<string, unknown>;
}

function readCrit(header: Record<string, unknown>): string[] {
  if (!Object.hasOwn(header, "crit")) return [];
  const crit = header.crit;
  if (
    !Array.isArray(crit) || crit.length === 0 || crit.some((n) => typeof n !== "string") ||
    new Set(crit).size !== crit.length
  ) {
    malformed("crit must be a non-empty list of distinct names", "crit_shape");
  }
  for (const name of crit as string[]) {
    if (REGISTERED_HEADERS.has(name)) {
      fail("malformed_jws", "crit lists a registered header", {
        kind: "crit_registered",
        header: name,
      });
    }
  }
  return crit as string[];
}

function readMode(header: Record<string, unknown>, crit: string[]): PayloadMode {
  const hasB64 = Object.hasOwn(header, "b64");
  if (hasB64 && typeof header.b64 !== "boolean") {
    fail("b64_crit_violation", "b64 is not a boolean", { kind: "b64_not_boolean" });
  }
  if (hasB64 && !crit.includes("b64")) {
    fail("b64_crit_violation", "b64 is set but crit does not list it", { kind: "b64_not_in_crit" });
  }
  if (!hasB64 && crit.includes("b64")) {
    fail("b64_crit_violation", "crit lists b64 but the header lacks it", {
      kind: "crit_without_b64",
    });
  }
  return header.b64 === false ? "b64false" : "b64true";
}

function readHint(header: Record<string, unknown>): JwsSignerHint {
  const { x5c, kid } = header;
  const x5t = header["x5t#S256"];
  if (x5c !== undefined) {
    if (
      !Array.isArray(x5c) || x5c.length === 0 ||
      x5c.some((c) => typeof c !== "string" || c === "" || !isBase64(c))
    ) {
      malformed("x5c must be a non-empty list of base64 certificates", "x5c_shape");
    }
  }
  if (kid !== undefined && typeof kid !== "string") malformed("kid is not a string", "kid_shape");
  if (x5t !== undefined && (typeof x5t !== "string" || decodeBase64url(x5t)?.length !== 32)) {
    malformed("x5t#S256 is not a base64url SHA-256", "x5t_shape");
  }
  if (x5c === undefined && kid === undefined && x5t === undefined) {
    fail("missing_required_header", "the header names no signer (x5c, x5t#S256 or kid)", {
      header: "x5c",
    });
  }
  return {
    ...(x5c !== undefined && { x5c: x5c as string[] }),
    ...(kid !== undefined && { kid: kid as string }),
    ...(x5t !== undefined && { "x5t#S256": x5t as string }),
  };
}

/** Everything the protected header alone decides; the same segment always yields the same. */
interface HeaderFacts {
  readonly header: Readonly<Record<string, unknown>>;
  readonly alg: string;
  readonly crit: readonly string[];
  readonly payloadMode: PayloadMode;
  readonly signerHint: JwsSignerHint;
}

/**
 * Recent protected headers by their exact segment text, with what they decide (frozen): a
 * signer whose header does not change between requests pays a map lookup instead of the
 * base64url decoding, JSON parsing and envelope checks. Only headers that passed every check
 * are stored; a header with a per-request member (`iat`, a nonce) simply misses.
 */
const recentHeaders = createParseCache<HeaderFacts>({ maxEntries: 256, maxKeyLength: 32 * 1024 });

function headerFacts(segment: string): HeaderFacts {
  const known = recentHeaders.get(segment);
  if (known !== undefined) return known;
  const header = decodeHeader(segment);
  if (!Object.hasOwn(header, "alg")) {
    fail("missing_required_header", "the header has no alg", { header: "alg" });
  }
  const alg = header.alg;
  if (typeof alg !== "string" || alg === "") malformed("alg is not a name", "alg_shape");
  if (alg.toLowerCase() === "none") {
    fail("disallowed_alg", 'alg "none" is never accepted', { alg });
  }
  const crit = readCrit(header);
  const payloadMode = readMode(header, crit);
  const signerHint = readHint(header);
  const facts = deepFreeze({ header, alg, crit, payloadMode, signerHint });
  recentHeaders.set(segment, facts);
  return facts;
}

/** Freezes a JSON value and everything in it. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/** Parses a detached compact JWS with its payload; rejects with the spec's JWS reasons. */
export function parseDetachedJws(jws: string, opts: ParseJwsOptions): ParsedJws {
  if (typeof jws !== "string") throw new TypeError("The JWS must be a string");
  // An array-like payload would be copied into the signed input byte by byte, modulo 256.
  if (!(opts.payload instanceof Uint8Array)) {
    throw new TypeError("The detached payload must be a Uint8Array");
  }
  if (jws.length > MAX_JWS_LENGTH) malformed("it is too long", "too_long");
  const segments = jws.split(".");
  if (segments.length !== 3) malformed("it does not have three segments", "segments");
  const [protectedSegment, payloadSegment, signatureSegment] = segments;
  if (payloadSegment !== "") malformed("the payload segment is not empty", "not_detached");
  const { header, alg, crit, payloadMode, signerHint } = headerFacts(protectedSegment);
  const modes = opts.payloadModes ?? ["b64false"];
  if (!modes.includes(payloadMode)) {
    if (payloadMode === "b64true") {
      fail("missing_required_header", "the header lacks b64:false and crit", { header: "crit" });
    }
    fail("b64_crit_violation", "the unencoded payload mode is not accepted", {
      kind: "mode_not_accepted",
      mode: payloadMode,
    });
  }
  const understood = opts.criticalHeaders ?? [];
  for (const name of crit) {
    if (name === "b64") continue;
    if (!understood.includes(name)) {
      fail("malformed_jws", "crit lists a header this verifier does not understand", {
        kind: "unsupported_crit",
        header: name,
      });
    }
    if (!Object.hasOwn(header, name)) {
      fail("missing_required_header", "crit lists a header that is absent", { header: name });
    }
  }
  for (const name of opts.requiredCritical ?? []) {
    if (!crit.includes(name)) {
      fail("missing_required_header", "a required critical header is not listed in crit", {
        header: name,
      });
    }
  }

  const signature = decodeBase64url(signatureSegment);
  if (signature === undefined || signature.length === 0) {
    malformed("the signature is not base64url", "signature_base64url");
  }
  const payloadPart = payloadMode === "b64false"
    ? opts.payload
    : ENCODER.encode(encodeBase64url(opts.payload));
  const prefix = ENCODER.encode(`${protectedSegment}.`);
  const signedInput = new Uint8Array(prefix.length + payloadPart.length);
  signedInput.set(prefix);
  signedInput.set(payloadPart, prefix.length);
  return { signedInput, signature, alg, encodingContext: "jose", signerHint, header, payloadMode };
}
