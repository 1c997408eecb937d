/**
 * The configuration of `Pkcs11ex.start` (api §1): what users write ({@linkcode Pkcs11exConfig})
 * and what {@linkcode resolveConfig} returns ({@linkcode ResolvedConfig}, defaults applied).
 *
 * @module
 */
import type { Policy } from "../../policy/types.ts";
import type { Algorithm, AlgorithmRegistry } from "../algorithms/mod.ts";
import type { Format } from "../format.ts";

/** A format adapter of any input, artifact and option types. */
export type AnyFormat = Format<unknown, unknown, unknown, unknown, unknown, unknown>;

/** The deployment switch; `production` lets trust policies refuse unsafe settings. */
export type ConfigEnvironment = "production" | "development" | "test";

/** The kind of device behind a slot; it drives the concurrency model (api §1.3). */
export type SlotType = "cloud_hsm" | "token" | "soft_hsm";

/** What `reauthentication` does after a session timeout (api §1.3). */
export type Reauthentication = "prompt" | "fail";

/** What a {@linkcode SlotConfig.pinCallback} is told about the login it serves. */
export interface PinContext {
  /** The slot's ref, the key of `config.slots`. */
  slotRef: string;
  /** The token label, when the device reported one. */
  tokenLabel?: string;
  /** A first login, or a login again after the session timed out. */
  reason: "login" | "reauthentication";
  /** 1 for the first try of this login, then 2, 3, … */
  attempt: number;
}

/** Returns the PIN; its bytes are used once for `C_Login` and never stored. */
export type PinCallback = (
  ctx: PinContext,
) => Promise<string | Uint8Array> | string | Uint8Array;

/** How to find the slot inside the loaded module: by slot id, or by token label (a scan). */
export type SlotMatch = { slotId: number | bigint } | { tokenLabel: string };

/** One signing identity inside a slot (api §1.4). */
export interface KeyConfig {
  /** `CKA_LABEL` of the private key. `label` or `id` is required (rule 8). */
  label?: string;
  /** `CKA_ID` of the private key, as bytes or a hex string. */
  id?: Uint8Array | string;
  /** `CKA_LABEL` of the certificate; not together with `certId` (rule 9). */
  certLabel?: string;
  /** `CKA_ID` of the certificate, as bytes or a hex string; not together with `certLabel`. */
  certId?: Uint8Array | string;
  /** Pins the signing algorithm; must be known and in the slot's effective allowlist. */
  alg?: string;
  /** Extra CA certificates (DER, or PEM text that may hold several) sent after the leaf. */
  chain?: (Uint8Array | string)[];
}

/** One slot (api §1.3); its key in `config.slots` is the slot ref. */
export interface SlotConfig {
  /** `cloud_hsm` / `soft_hsm`: a session pool; `token`: one logged-in session. */
  type: SlotType;
  /** Absolute path of the PKCS#11 module; must exist (rule 6) and match `driverPins` (rule 7). */
  driver: string;
  /** Absolute path of a vendor configuration, passed as `CK_C_INITIALIZE_ARGS.pReserved`. */
  driverConfig?: string;
  /** Default `{ slotId: 0 }`. */
  slotMatch?: SlotMatch;
  /** Required for `token` (rule 4), refused for `cloud_hsm` (rule 5), optional for `soft_hsm`. */
  pinCallback?: PinCallback;
  /** The slot's signing identities by key ref; default none (verify-only slot). */
  keys?: Record<string, KeyConfig>;
  /** Narrows the global allowlist for this slot (intersection; must not be empty, rule 10). */
  allowedAlgs?: string[];
  /** Workers (sessions) of a `cloud_hsm` / `soft_hsm` slot; default 1, must be 1 for `token`. */
  sessionPoolSize?: number;
  /** Open on first use; default `true` for `token`, `false` otherwise. */
  lazy?: boolean;
  /** After a session timeout: call `pinCallback` again (`prompt`, default) or `fail`. */
  reauthentication?: Reauthentication;
}

/** The configuration object passed to `Pkcs11ex.start` (api §1.2). */
export interface Pkcs11exConfig {
  /** HTTP header of the detached-JWS transport; default `JWS-Signature`. */
  signatureHeader?: string;
  /** Accepted algorithms for sign and verify; default `["PS256"]`; `none` is always refused. */
  allowedAlgs?: string[];
  /** The slot used when no signer is named; required when `slots` is not empty (rule 3). */
  defaultSlot?: string;
  /** The verify-side trust policy; default an empty `PinnedRegistry`. */
  trustPolicy?: Policy;
  /** Inactivity (ms) after which token sessions log out; default 300 000. */
  sessionTimeout?: number;
  /** `{ absoluteDriverPath: sha256Hex }`, checked before `dlopen` (rule 7). */
  driverPins?: Record<string, string>;
  /** Slots by slot ref; default none (verify-only deployment). */
  slots?: Record<string, SlotConfig>;
  /** Prefix of the telemetry channel names; default `pkcs11ex`. */
  telemetryPrefix?: string;
  /** Extra (or replacement) algorithms by JOSE name. */
  algorithms?: Record<string, Algorithm>;
  /** Extra format adapters by name. */
  formats?: Record<string, AnyFormat>;
  /** Default `development`; `production` lets the trust policy refuse unsafe settings. */
  environment?: ConfigEnvironment;
  /** Allowed clock skew (ms) for certificate validity; default 30 000. */
  maxClockSkew?: number;
  /** How long (ms) a request waits for a busy pool before `session_pool_exhausted`; default 30 000. */
  poolWaitTimeout?: number;
}

/** A key with its defaults applied: ids as bytes, exactly one certificate selector. */
export interface ResolvedKeyConfig {
  /** The key ref, the key of `slot.keys`. */
  ref: string;
  /** `CKA_LABEL` of the private key. */
  label?: string;
  /** `CKA_ID` of the private key. */
  id?: Uint8Array;
  /** `CKA_LABEL` of the certificate (given, or inherited from `label` when there is no `id`). */
  certLabel?: string;
  /** `CKA_ID` of the certificate (given, or inherited from `id`). */
  certId?: Uint8Array;
  /** The pinned algorithm, if any. */
  alg?: string;
  /** Extra CA certificates as DER, in order. */
  chain: Uint8Array[];
}

/** A slot with its defaults applied. */
export interface ResolvedSlotConfig extends SlotConfig {
  /** The slot ref, the key of `config.slots`. */
  ref: string;
  /** Global allowlist ∩ slot allowlist, in the global order. */
  effectiveAllowedAlgs: string[];
  /** Workers of the slot (1 for a token). */
  sessionPoolSize: number;
  /** Whether the slot opens on first use. */
  lazy: boolean;
  /** What happens after a session timeout. */
  reauthentication: Reauthentication;
  /** The slot match, slot ids as bigint. */
  slotMatch: { slotId: bigint } | { tokenLabel: string };
  /** The resolved keys by key ref. */
  keys: Record<string, ResolvedKeyConfig>;
  /** The pinned SHA-256 (lowercase hex) of the driver, to check again before `dlopen`. */
  driverSha256?: string;
}

/** The configuration after validation, defaults applied; frozen (api §1.8). */
export interface ResolvedConfig {
  /** HTTP header of the detached-JWS transport. */
  signatureHeader: string;
  /** Accepted algorithms, duplicates removed. */
  allowedAlgs: string[];
  /** The default slot ref; absent only in a verify-only deployment. */
  defaultSlot?: string;
  /** The trust policy (already checked against `environment`). */
  trustPolicy: Policy;
  /** Inactivity timeout of token sessions, ms. */
  sessionTimeout: number;
  /** Driver pins by normalized absolute path, lowercase hex. */
  driverPins: Record<string, string>;
  /** Slots by slot ref. */
  slots: Record<string, ResolvedSlotConfig>;
  /** Prefix of the telemetry channel names. */
  telemetryPrefix: string;
  /** The built-ins plus `config.algorithms`. */
  algorithms: AlgorithmRegistry;
  /** Extra format adapters by name. */
  formats: Record<string, AnyFormat>;
  /** The deployment switch. */
  environment: ConfigEnvironment;
  /** Allowed clock skew, ms. */
  maxClockSkew: number;
  /** Wait for a busy pool before `session_pool_exhausted`, ms. */
  poolWaitTimeout: number;
}
