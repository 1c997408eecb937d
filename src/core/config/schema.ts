/**
 * The valibot schema of the configuration: shapes, types, ranges and defaults of api §1.2–1.4.
 * Rules that look across fields (api §1.5) run after it, in `resolve.ts`.
 *
 * Messages never echo a received value: a PIN typed into the wrong key must not reach a log.
 *
 * @module
 */
import { isAbsolute } from "node:path";
import * as v from "valibot";
import { toCertificates } from "../../policy/_certificate_input.ts";
import type { Policy } from "../../policy/types.ts";
import type { Algorithm } from "../algorithms/mod.ts";
import { ConfigError } from "../errors.ts";
import { unknownKeyProblem } from "./_suggest.ts";
import type { AnyFormat, PinCallback } from "./types.ts";

/** Most sessions (worker threads) one slot may pool. */
const MAX_SESSION_POOL_SIZE = 64;
/** The largest delay `setTimeout` honours (2³¹ − 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;
/** `CK_TOKEN_INFO.label` is 32 bytes of UTF-8. */
const MAX_TOKEN_LABEL_BYTES = 32;

function strictObject<const E extends v.ObjectEntries>(entries: E) {
  const known = Object.keys(entries);
  return v.strictObject(entries, (issue) => {
    if (issue.expected === "never") return unknownKeyProblem(String(issue.input), known);
    if (issue.expected?.startsWith('"')) return "missing (required)";
    return "must be an object";
  });
}

/** Names valibot's records skip silently; refused instead, so no slot or key vanishes. */
const RESERVED_KEYS = new Set(["__proto__", "prototype", "constructor"]);

/** An object of `value`s keyed by `key` (arrays refused: they are objects to valibot). */
function recordOf<
  const K extends v.GenericSchema<string, string>,
  const V extends v.GenericSchema,
>(key: K, value: V, message: string) {
  const plain = (o: unknown) => typeof o === "object" && o !== null && !Array.isArray(o);
  return v.pipe(
    v.custom<Record<string, unknown>>(plain, message),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const input = dataset.value;
      for (const name of Object.keys(input).filter((k) => RESERVED_KEYS.has(k))) {
        const path = [{ type: "object", origin: "key", input, key: name, value: input[name] }];
        addIssue({ message: "is a reserved name", path: path as [v.ObjectPathItem] });
      }
    }),
    v.record(key, value, message),
  );
}

const text = v.pipe(v.string("must be a string"), v.nonEmpty("must not be empty"));
const absolutePath = v.pipe(text, v.check(isAbsolute, "must be an absolute path"));
const timerMs = v.pipe(
  v.number("must be a number of ms"),
  v.integer("must be an integer number of ms"),
  v.minValue(0, "must not be negative"),
  v.maxValue(MAX_TIMER_MS, `must be at most ${MAX_TIMER_MS} ms`),
);
const algNames = v.array(text, "must be an array of algorithm names");

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/** A `CKA_ID` as bytes or hex text, copied to a fresh `Uint8Array`. */
const objectId = v.pipe(
  v.union([v.instance(Uint8Array), v.string()], "must be bytes (Uint8Array) or a hex string"),
  v.check(
    (id) => typeof id === "string" ? /^(?:[0-9a-fA-F]{2})+$/.test(id) : id.length > 0,
    "must be non-empty bytes or an even number of hex digits",
  ),
  v.transform((id) => typeof id === "string" ? hexToBytes(id) : new Uint8Array(id)),
);

/** One chain entry (DER, or PEM that may hold several) as DER certificates. */
const chainEntry = v.pipe(
  v.union([v.instance(Uint8Array), v.string()], "must be a certificate as DER bytes or PEM text"),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    try {
      const certs = toCertificates([dataset.value]);
      if (certs.length > 0) return certs.map((cert) => cert.der.slice());
      addIssue({ message: "holds no CERTIFICATE block" });
    } catch (cause) {
      addIssue({ message: `is not a certificate (${(cause as Error)?.message ?? cause})` });
    }
    return NEVER;
  }),
);

const MAX_SLOT_ID = 2n ** 64n - 1n;
const slotId = v.pipe(
  v.union([v.number(), v.bigint()], "must be a non-negative integer (number or bigint)"),
  v.check(
    (id) =>
      typeof id === "bigint" ? id >= 0n && id <= MAX_SLOT_ID : Number.isSafeInteger(id) && id >= 0,
    "must be a non-negative integer (a bigint above 2^53, at most 2^64 - 1)",
  ),
  v.transform((id) => BigInt(id)),
);

const tokenLabel = v.pipe(
  text,
  v.check(
    (label) => new TextEncoder().encode(label).length <= MAX_TOKEN_LABEL_BYTES,
    `must be at most ${MAX_TOKEN_LABEL_BYTES} bytes of UTF-8`,
  ),
);

const slotMatch = v.pipe(
  strictObject({ slotId: v.optional(slotId), tokenLabel: v.optional(tokenLabel) }),
  v.check(
    (match) => (match.slotId === undefined) !== (match.tokenLabel === undefined),
    "must be { slotId } or { tokenLabel }",
  ),
  v.transform((match): { slotId: bigint } | { tokenLabel: string } =>
    match.tokenLabel === undefined
      ? { slotId: match.slotId ?? 0n }
      : { tokenLabel: match.tokenLabel }
  ),
);

const keySchema = strictObject({
  label: v.optional(text),
  id: v.optional(objectId),
  certLabel: v.optional(text),
  certId: v.optional(objectId),
  alg: v.optional(text),
  chain: v.optional(v.array(chainEntry, "must be an array of certificates"), () => []),
});

const slotSchema = strictObject({
  type: v.picklist(
    ["cloud_hsm", "token", "soft_hsm"],
    'must be "cloud_hsm", "token" or "soft_hsm"',
  ),
  driver: absolutePath,
  driverConfig: v.optional(absolutePath),
  slotMatch: v.optional(slotMatch, () => ({ slotId: 0n })),
  pinCallback: v.optional(
    v.custom<PinCallback>((f) => typeof f === "function", "must be a function"),
  ),
  keys: v.optional(recordOf(text, keySchema, "must be an object of keys"), () => ({})),
  allowedAlgs: v.optional(algNames),
  sessionPoolSize: v.optional(
    v.pipe(
      v.number("must be a number"),
      v.integer("must be a positive integer"),
      v.minValue(1, "must be a positive integer"),
      // Each session is a worker thread: more than this is a typo, not a pool.
      v.maxValue(MAX_SESSION_POOL_SIZE, `must be at most ${MAX_SESSION_POOL_SIZE}`),
    ),
    1,
  ),
  lazy: v.optional(v.boolean("must be a boolean")),
  reauthentication: v.optional(
    v.picklist(["prompt", "fail"], 'must be "prompt" or "fail"'),
    "prompt",
  ),
});

function isPolicy(value: unknown): value is Policy {
  const p = value as Policy | null;
  return typeof p === "object" && p !== null && typeof p.resolve === "function" &&
    typeof p.validate === "function";
}

function isFormat(value: unknown): value is AnyFormat {
  const f = value as AnyFormat | null;
  return typeof f === "object" && f !== null && typeof f.name === "string" && f.name !== "" &&
    typeof f.prepare === "function" && typeof f.assemble === "function" &&
    typeof f.parse === "function";
}

const configSchema = strictObject({
  signatureHeader: v.optional(
    v.pipe(
      v.string("must be a string"),
      v.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be an HTTP header name"),
    ),
    "JWS-Signature",
  ),
  allowedAlgs: v.optional(algNames, () => ["PS256"]),
  defaultSlot: v.optional(text),
  trustPolicy: v.optional(
    v.custom<Policy>(isPolicy, "must be a trust policy (an object with resolve and validate)"),
  ),
  sessionTimeout: v.optional(timerMs, 300_000),
  driverPins: v.optional(
    recordOf(
      absolutePath,
      v.pipe(
        v.string("must be a string"),
        v.regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex digits (a SHA-256)"),
      ),
      "must be an object of { driverPath: sha256Hex }",
    ),
    () => ({}),
  ),
  slots: v.optional(recordOf(text, slotSchema, "must be an object of slots"), () => ({})),
  telemetryPrefix: v.optional(text, "pkcs11ex"),
  algorithms: v.optional(
    recordOf(
      text,
      v.custom<Algorithm>((a) => typeof a === "object" && a !== null, "must be an Algorithm"),
      "must be an object of algorithms",
    ),
    () => ({}),
  ),
  formats: v.optional(
    recordOf(
      text,
      v.custom<AnyFormat>(isFormat, "must be a Format (name, prepare, assemble, parse)"),
      "must be an object of formats",
    ),
    () => ({}),
  ),
  environment: v.optional(
    v.picklist(
      ["production", "development", "test"],
      'must be "production", "development" or "test"',
    ),
    "development",
  ),
  maxClockSkew: v.optional(
    v.pipe(
      v.number("must be a number of ms"),
      v.finite("must be a finite number of ms"),
      v.minValue(0, "must not be negative"),
    ),
    30_000,
  ),
  poolWaitTimeout: v.optional(timerMs, 30_000),
});

/** The configuration after the schema: types checked, defaults applied, ids as bytes. */
export type ConfigShape = v.InferOutput<typeof configSchema>;
/** One slot after the schema. */
export type SlotShape = v.InferOutput<typeof slotSchema>;
/** One key after the schema (`chain` still grouped per entry). */
export type KeyShape = v.InferOutput<typeof keySchema>;

/** Deepest nesting of plain objects and arrays read from a configuration. */
const MAX_CONFIG_DEPTH = 32;
/** Longest array read from a configuration (no real list comes near). */
const MAX_CONFIG_ARRAY = 10_000;

/** Values the configuration hands over as objects with behavior: kept as given. */
const isBehavior = (path: readonly string[]) =>
  path[0] === "trustPolicy" ||
  ((path[0] === "formats" || path[0] === "algorithms") && path.length === 2);

/**
 * A copy of the plain objects and arrays of `value` holding only their own enumerable
 * properties, in objects without a prototype: a property polluted onto `Object.prototype`
 * (say `trustPolicy`) is never read as configuration. Policies, formats and algorithms, class
 * instances and byte arrays are kept as they are.
 */
function ownData(value: unknown, path: string[], seen: Set<object>): unknown {
  if (typeof value !== "object" || value === null || isBehavior(path)) return value;
  const proto = Object.getPrototypeOf(value);
  const isArray = Array.isArray(value);
  if (!isArray && proto !== Object.prototype && proto !== null) return value;
  if (path.length > MAX_CONFIG_DEPTH || seen.has(value)) {
    throw new ConfigError("", "The configuration nests too deeply or refers to itself");
  }
  if (isArray && value.length > MAX_CONFIG_ARRAY) {
    throw new ConfigError(path.join("."), `is a list longer than ${MAX_CONFIG_ARRAY}`);
  }
  seen.add(value);
  const copy = isArray
    ? Array.from(value, (item, i) => ownData(item, [...path, String(i)], seen))
    : Object.fromEntries(
      Object.entries(value).map(([k, item]) => [k, ownData(item, [...path, k], seen)]),
    );
  seen.delete(value);
  return isArray ? copy : Object.assign(Object.create(null), copy);
}

function issuePath(issue: v.BaseIssue<unknown>): string {
  return (issue.path ?? []).map((item) => String(item.key)).join(".");
}

/**
 * Checks the shape of `input` and applies the defaults.
 *
 * @throws {ConfigError} for the first problem; `detail.problems` lists all of them.
 */
export function parseConfigShape(input: unknown): ConfigShape {
  let result;
  try {
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      throw new ConfigError("", "The configuration must be an object");
    }
    result = v.safeParse(configSchema, ownData(input, [], new Set()));
  } catch (cause) {
    if (cause instanceof ConfigError) throw cause;
    // A getter or proxy in the user's object threw while it was read.
    throw new ConfigError("", "Cannot read the configuration: a getter or proxy threw", {
      cause,
    });
  }
  // The output too: an option left out must not be found on a polluted Object.prototype.
  if (result.success) return ownData(result.output, [], new Set()) as ConfigShape;
  const problems = result.issues.map((issue) => {
    const path = issuePath(issue);
    return path === "" ? issue.message : `${path}: ${issue.message}`;
  });
  const [first] = result.issues;
  throw new ConfigError(issuePath(first), first.message, { detail: { problems } });
}
