/**
 * The guard that keeps secrets out of telemetry metadata: PINs, passwords, payloads,
 * signatures and key material never reach a subscriber, whatever a caller puts in.
 *
 * @module
 */

/** Key names that are dropped when they contain one of these (case-insensitive). */
const SECRET_SUBSTRINGS = [
  "password",
  "passwd",
  "passphrase",
  "secret",
  "payload",
  "signature",
  "privatekey",
  "plaintext",
];

/** Key names that are dropped when one of their camelCase/snake_case words is one of these. */
const SECRET_WORDS: ReadonlySet<string> = new Set(["pin", "sig", "body", "envelope", "private"]);

/** Strings longer than this are dropped: metadata names things, it does not carry documents. */
const MAX_STRING_LENGTH = 512;

/** How deep plain objects and arrays are followed; anything deeper is dropped. */
const MAX_DEPTH = 4;

/** Verdicts of {@linkcode isSecretKey}: metadata keys come from a small vocabulary. */
const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 1024;

/** Whether a metadata key names something secret (`pin`, `userPin`, `so_pin`, `signatureB64`…). */
export function isSecretKey(key: string): boolean {
  let verdict = verdicts.get(key);
  if (verdict === undefined) {
    verdict = judgeKey(key);
    if (verdicts.size < MAX_VERDICTS) verdicts.set(key, verdict);
  }
  return verdict;
}

function judgeKey(key: string): boolean {
  const lower = key.toLowerCase();
  if (SECRET_SUBSTRINGS.some((s) => lower.includes(s))) return true;
  const words = key
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  return words.some((w) => SECRET_WORDS.has(w));
}

/**
 * A copy of `metadata` with only plain data left: strings (up to 512 characters), finite
 * numbers, booleans, bigints, null, and plain objects/arrays of those (4 levels deep). Bytes
 * (`ArrayBuffer`, any typed array or `DataView`), functions, symbols, class instances
 * (`CryptoKey`, `KeyObject`, …) and every key named like a secret are dropped.
 */
export function sanitizeMetadata(metadata: Record<string, unknown>): Record<string, unknown> {
  return sanitizeObject(metadata, 0) ?? {};
}

function sanitizeObject(
  value: Record<string, unknown>,
  depth: number,
): Record<string, unknown> | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (isSecretKey(key)) continue;
    const clean = sanitizeValue(value[key], depth + 1);
    if (clean !== undefined) out[key] = clean;
  }
  return out;
}

function sanitizeValue(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case "string":
      return value.length <= MAX_STRING_LENGTH ? value : undefined;
    case "number":
      return Number.isFinite(value) ? value : undefined;
    case "boolean":
    case "bigint":
      return value;
    case "object":
      if (value === null) return null;
      if (Array.isArray(value)) {
        if (depth > MAX_DEPTH) return undefined;
        return value.map((v) => sanitizeValue(v, depth + 1)).filter((v) => v !== undefined);
      }
      if (isPlainObject(value)) return sanitizeObject(value, depth);
      return undefined;
    default:
      return undefined;
  }
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
