/**
 * `Pkcs11ex`: the library instance. `start(config)` validates the configuration, pins the
 * drivers and starts the slot actors; the instance offers the Layer-2 primitives
 * (`signBytes`, `verifyBytes`), token-backed signers for the formats, and the slot API.
 *
 * @module
 */
import { Pkcs11exError } from "./errors.ts";
import { algCompatible } from "./algorithms/registry.ts";
import type { Algorithm, AlgorithmRegistry } from "./algorithms/types.ts";
import { resolveConfig } from "./config/mod.ts";
import type { Pkcs11exConfig, ResolvedConfig, ResolvedSlotConfig } from "./config/types.ts";
import { digestStream } from "./digest.ts";
import { collect, type SignInput, wholeBytes } from "./sign_input.ts";
import type { DocumentSigner, EncodingContext } from "./signer.ts";
import { SlotActor, type SlotState } from "./slot/slot_actor.ts";
import type { KeyDescription, ListedKey } from "./slot/protocol.ts";
import { createTelemetry, type Telemetry } from "./telemetry.ts";
import { planTokenSignature } from "./token_sign.ts";
import { verifyBytes as verifyInSoftware, type VerifyKey } from "./verify_bytes.ts";
import { createJwsApi, type JwsApi } from "../facade/jws.ts";
import { createPdfApi, type PdfApi } from "../facade/pdf.ts";
import { createXmlApi, type XmlApi } from "../facade/xml.ts";
import { createFormatApi, type FormatApi } from "../facade/format.ts";

/** A signing identity: `[slotRef, keyRef]`, or a key ref on the default slot. */
export type SignerRef = readonly [slotRef: string, keyRef: string] | string;

/** Options of {@linkcode Pkcs11ex.signBytes}. */
export interface SignBytesOptions {
  /** The signing key (default: key `signing` on the default slot). */
  signer?: SignerRef;
  /** The algorithm (default: the key's pinned alg, else the first compatible allowed alg). */
  alg?: string;
  /** The signature encoding (default `der`; JWS uses `jose`). */
  encodingContext?: EncodingContext;
  /** `data` is already the digest of the algorithm's hash (refused for streams). */
  precomputedDigest?: boolean;
}

/** Options of {@linkcode Pkcs11ex.verifyBytes}. */
export interface VerifyBytesCallOptions {
  /** The algorithm (default: inferred from the key type). */
  alg?: string;
  /** The signature encoding (default `der`). */
  encodingContext?: EncodingContext;
  /** `data` is already the digest. */
  precomputedDigest?: boolean;
}

/** One slot as `p11.slot.list()` reports it. */
export interface SlotListing {
  /** The slot ref of the configuration. */
  readonly ref: string;
  /** The slot type. */
  readonly type: ResolvedSlotConfig["type"];
  /** The state machine state. */
  readonly state: SlotState;
}

/** A slot's status (api §3.5). */
export interface SlotStatus {
  /** The state machine state. */
  readonly state: SlotState;
  /** When the last login happened (ms since the epoch), or `null`. */
  readonly lastLogin: number | null;
}

/** A configured key as `p11.slot.listKeys()` reports it. */
export interface KeyListing {
  /** The key ref of the configuration. */
  readonly ref: string;
  /** `CKA_LABEL` of the key, if configured. */
  readonly label: string | null;
  /** The pinned algorithm, if any. */
  readonly alg: string | null;
}

/** The slot API (api §3.5). */
export interface SlotApi {
  /** Logs in: a one-shot `pin`, else the `withPin` scope, else the `pinCallback`. */
  login(slotRef: string, opts?: { pin?: string | Uint8Array }): Promise<void>;
  /** Logs out; the next signing call logs in again through the callback. */
  logout(slotRef: string): Promise<void>;
  /** Every configured slot with its state. */
  list(): SlotListing[];
  /** The configured keys of a slot. */
  listKeys(slotRef: string): KeyListing[];
  /** The private keys actually on the token (label, id, type, whether a cert shares the id). */
  listTokenKeys(slotRef: string): Promise<ListedKey[]>;
  /** A slot's state and last login. */
  status(slotRef: string): SlotStatus;
  /** A slot's configuration (without the PIN callback). */
  getConfig(slotRef: string): Omit<ResolvedSlotConfig, "pinCallback">;
  /** Signs on the token with `[slotRef, keyRef]` (like `signBytes`). */
  sign(
    slotRef: string,
    keyRef: string,
    data: SignInput,
    opts?: Omit<SignBytesOptions, "signer">,
  ): Promise<Uint8Array>;
  /** Verifies on the token (`C_Verify` with the token's public key); rejects `signature_invalid`. */
  verify(
    slotRef: string,
    keyRef: string,
    data: Uint8Array | string,
    signature: Uint8Array,
    opts?: Omit<VerifyBytesCallOptions, "precomputedDigest">,
  ): Promise<void>;
}

/** Internal access to slot actors (tests and provisioning; not exported from mod.ts). */
export const slotActors: WeakMap<Pkcs11ex, ReadonlyMap<string, SlotActor>> = new WeakMap();

/**
 * A started pkcs11ex instance.
 *
 * @example
 * ```ts ignore
 * await using p11 = await Pkcs11ex.start({
 *   allowedAlgs: ["PS256", "ES256"],
 *   defaultSlot: "platform",
 *   slots: {
 *     platform: {
 *       type: "soft_hsm",
 *       driver: "/usr/lib/softhsm/libsofthsm2.so",
 *       slotMatch: { tokenLabel: "demo" },
 *       pinCallback: () => Deno.env.get("TOKEN_PIN")!,
 *       keys: { signing: { label: "signing" } },
 *     },
 *   },
 * });
 * const signature = await p11.signBytes("hello", { signer: "signing" });
 * ```
 */
export class Pkcs11ex implements AsyncDisposable {
  /** The validated configuration. */
  readonly config: ResolvedConfig;
  /** The algorithm registry (built-ins plus `config.algorithms`). */
  readonly algorithms: AlgorithmRegistry;
  /** The telemetry channels of this instance. */
  readonly telemetry: Telemetry;
  /** The slot API. */
  readonly slot: SlotApi;
  readonly #slots: Map<string, SlotActor>;
  #closed = false;
  #jws: JwsApi | undefined;
  readonly #algCache = new Map<string, Algorithm>();
  #pdf: PdfApi | undefined;
  #xml: XmlApi | undefined;

  private constructor(config: ResolvedConfig) {
    this.config = config;
    this.algorithms = config.algorithms;
    this.telemetry = createTelemetry(config.telemetryPrefix);
    this.#slots = new Map(
      Object.values(config.slots).map((slot) => [
        slot.ref,
        new SlotActor(slot, {
          sessionTimeout: config.sessionTimeout,
          poolWaitTimeout: config.poolWaitTimeout,
          telemetry: this.telemetry,
        }),
      ]),
    );
    slotActors.set(this, this.#slots);
    this.slot = this.#slotApi();
  }

  /**
   * Validates `config` (throws `ConfigError`), starts the slot actors, and opens the eager
   * ones (a bad eager slot fails the start).
   */
  static async start(config: Pkcs11exConfig): Promise<Pkcs11ex> {
    const p11 = new Pkcs11ex(resolveConfig(config));
    try {
      for (const actor of p11.#slots.values()) if (!actor.config.lazy) await actor.open();
    } catch (err) {
      await p11.close();
      throw err;
    }
    return p11;
  }

  /** Detached JWS with token keys (api §3.2). */
  get jws(): JwsApi {
    return this.#jws ??= createJwsApi(this);
  }

  /** PAdES with token keys (api §3.3); the PDF stack loads on first use. */
  get pdf(): PdfApi {
    return this.#pdf ??= createPdfApi(this);
  }

  /** XAdES with token keys (api §3.4); the XML stack loads on first use. */
  get xml(): XmlApi {
    return this.#xml ??= createXmlApi(this);
  }

  /**
   * A registered format (`jws`, or one from `config.formats`) driven with token keys.
   *
   * @throws {RangeError} for an unknown format name.
   */
  format(name: string): FormatApi {
    return createFormatApi(this, name);
  }

  /** The HTTP header the JWS transport uses (`config.signatureHeader`). */
  get signatureHeader(): string {
    return this.config.signatureHeader;
  }

  #actor(slotRef: string): SlotActor {
    this.#assertOpen();
    const actor = this.#slots.get(slotRef);
    if (actor === undefined) {
      throw new Pkcs11exError("slot_not_found", `No slot "${slotRef}" is configured`, {
        detail: { slotRef },
      });
    }
    return actor;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Pkcs11exError("slot_closed", "This pkcs11ex instance is closed");
  }

  /** Resolves a signer ref to its slot actor and key ref. */
  #resolveSigner(signer: SignerRef | undefined): { actor: SlotActor; keyRef: string } {
    this.#assertOpen();
    if (this.#slots.size === 0) {
      throw new Pkcs11exError(
        "no_signing_slot",
        "Cannot sign: this deployment configures no slots",
      );
    }
    const pair = Array.isArray(signer) && signer.length === 2 &&
      signer.every((part) => typeof part === "string");
    if (!(signer === undefined || typeof signer === "string" || pair)) {
      throw new TypeError("signer must be a key ref or a [slotRef, keyRef] pair of strings");
    }
    const [slotRef, keyRef] = typeof signer === "string" || signer === undefined
      ? [this.config.defaultSlot!, signer ?? "signing"]
      : signer;
    const actor = this.#actor(slotRef);
    actor.locator(keyRef); // key_not_found for an unknown key ref
    return { actor, keyRef };
  }

  /** The algorithm for a key, from the cache after the first resolution (a hot path). */
  #chooseAlg(
    actor: SlotActor,
    keyRef: string,
    requested: string | undefined,
  ): Promise<Algorithm> | Algorithm {
    const cacheKey = `${actor.config.ref}\0${keyRef}\0${requested ?? ""}`;
    const cached = this.#algCache.get(cacheKey);
    if (cached !== undefined) return cached;
    return this.#resolveAlg(actor, keyRef, requested).then((alg) => {
      this.#algCache.set(cacheKey, alg);
      return alg;
    });
  }

  /** Chooses the algorithm for a key (api §3.1) and checks it against the key type. */
  async #resolveAlg(
    actor: SlotActor,
    keyRef: string,
    requested: string | undefined,
  ): Promise<Algorithm> {
    const allowed = actor.config.effectiveAllowedAlgs;
    const pinned = actor.config.keys[keyRef].alg;
    const description = await actor.describeKey(keyRef);
    const facts = {
      keyType: description.keyType,
      keySize: description.keySize ?? 0,
      curve: description.curve,
    };
    if (requested !== undefined) {
      if (requested === "none" || !allowed.includes(requested)) {
        throw new Pkcs11exError(
          "disallowed_alg",
          `Algorithm "${requested}" is not allowed on slot "${actor.config.ref}"`,
          {
            detail: { alg: requested, allowed },
          },
        );
      }
      if (pinned !== undefined && pinned !== requested) {
        throw new Pkcs11exError(
          "incompatible_alg",
          `Key "${keyRef}" is pinned to ${pinned}, not ${requested}`,
          {
            detail: { alg: requested, pinned },
          },
        );
      }
    }
    const name = requested ?? pinned ??
      allowed.find((candidate) => {
        const alg = this.algorithms.get(candidate);
        return alg !== undefined && algCompatible(alg, facts);
      });
    const alg = name === undefined ? undefined : this.algorithms.get(name);
    if (alg === undefined) {
      throw new Pkcs11exError(
        "incompatible_alg",
        `No allowed algorithm fits the ${description.keyType} key "${keyRef}"`,
        {
          detail: { keyType: description.keyType, allowed },
        },
      );
    }
    if (!algCompatible(alg, facts)) {
      throw new Pkcs11exError(
        "incompatible_alg",
        `${alg.name} cannot sign with the ${description.keyType} key "${keyRef}"`,
        {
          detail: { alg: alg.name, keyType: description.keyType },
        },
      );
    }
    return alg;
  }

  /**
   * Signs on the token (api §3.1). Streams are hashed in constant memory and signed as a
   * digest; `precomputedDigest` is refused with streaming input.
   *
   * @throws {Pkcs11exError} `no_signing_slot`, `slot_not_found`, `key_not_found`,
   * `disallowed_alg`, `incompatible_alg`, PIN and PKCS#11 reasons.
   */
  signBytes(data: SignInput, opts: SignBytesOptions = {}): Promise<Uint8Array> {
    return this.#sign(data, opts, "raw");
  }

  #sign(data: SignInput, opts: SignBytesOptions, format: string): Promise<Uint8Array> {
    let signer;
    const context = opts.encodingContext ?? "der";
    try {
      signer = this.#resolveSigner(opts.signer);
      if (context !== "der" && context !== "jose") {
        throw new TypeError('encodingContext must be "der" or "jose"');
      }
    } catch (err) {
      return Promise.reject(err);
    }
    const { actor, keyRef } = signer;
    const metadata = { slotRef: actor.config.ref, keyRef, format, encodingContext: context };
    return this.telemetry.sign(metadata, async (span) => {
      const chosen = this.#chooseAlg(actor, keyRef, opts.alg);
      const alg = chosen instanceof Promise ? await chosen : chosen;
      span.metadata.alg = alg.name;
      let bytes = wholeBytes(data);
      let precomputed = opts.precomputedDigest === true;
      if (bytes === undefined) {
        if (precomputed) {
          throw new TypeError("precomputedDigest cannot be used with streaming input");
        }
        if (alg.hash === "none") bytes = await collect(data);
        else {
          bytes = await digestStream(data, alg.name, { algorithms: this.algorithms });
          precomputed = true;
        }
      }
      span.measurements.byteCount = bytes.length;
      const plan = planTokenSignature(alg, bytes, precomputed);
      const raw = await actor.sign(keyRef, plan.mechanism, plan.input);
      return alg.encodeSignature(raw, context);
    });
  }

  /**
   * Verifies in software (no token needed); rejects `signature_invalid` on failure.
   *
   * @param key a certificate, SPKI DER, or a `CryptoKey`.
   */
  async verifyBytes(
    data: SignInput,
    signature: Uint8Array,
    key: VerifyKey,
    opts: VerifyBytesCallOptions = {},
  ): Promise<void> {
    const metadata = {
      format: "raw",
      alg: opts.alg,
      encodingContext: opts.encodingContext ?? "der",
    };
    await this.telemetry.verify(metadata, async (span) => {
      let bytes = wholeBytes(data);
      let precomputed = opts.precomputedDigest === true;
      if (bytes === undefined) {
        if (precomputed) {
          throw new TypeError("precomputedDigest cannot be used with streaming input");
        }
        const alg = opts.alg === undefined ? undefined : this.algorithms.get(opts.alg);
        if (alg === undefined || alg.hash === "none") bytes = await collect(data);
        else {
          bytes = await digestStream(data, alg.name, { algorithms: this.algorithms });
          precomputed = true;
        }
      }
      span.measurements.byteCount = bytes.length;
      await verifyInSoftware(bytes, signature, key, {
        alg: opts.alg,
        encodingContext: opts.encodingContext,
        precomputedDigest: precomputed,
        algorithms: this.algorithms,
      });
    });
  }

  /**
   * A {@linkcode DocumentSigner} over a token key, for the formats: its certificates are
   * the certificate on the token (by `certLabel`/`certId`) followed by the key's `chain`.
   *
   * @throws {Pkcs11exError} `cert_not_found` when the token holds no certificate for the key.
   */
  async signer(
    signer?: SignerRef,
    opts: { alg?: string; format?: string } = {},
  ): Promise<DocumentSigner> {
    const { actor, keyRef } = this.#resolveSigner(signer);
    const alg = await this.#chooseAlg(actor, keyRef, opts.alg);
    const description: KeyDescription = await actor.describeKey(keyRef);
    if (description.certificateDer === undefined) {
      throw new Pkcs11exError("cert_not_found", `No certificate on the token for key "${keyRef}"`, {
        detail: { slotRef: actor.config.ref, keyRef },
      });
    }
    const ref: SignerRef = [actor.config.ref, keyRef];
    const format = opts.format ?? "raw";
    return {
      alg: alg.name,
      certificates: [description.certificateDer, ...actor.config.keys[keyRef].chain],
      sign: (data: Uint8Array, context: EncodingContext) =>
        this.#sign(data, { signer: ref, alg: alg.name, encodingContext: context }, format),
    };
  }

  #slotApi(): SlotApi {
    return {
      login: (slotRef, opts = {}) => this.#actor(slotRef).login(opts.pin),
      logout: (slotRef) => this.#actor(slotRef).logout(),
      list: () =>
        [...this.#slots.values()].map((a) => ({
          ref: a.config.ref,
          type: a.config.type,
          state: a.state,
        })),
      listKeys: (slotRef) =>
        Object.values(this.#actor(slotRef).config.keys).map((k) => ({
          ref: k.ref,
          label: k.label ?? null,
          alg: k.alg ?? null,
        })),
      listTokenKeys: (slotRef) => this.#actor(slotRef).listTokenKeys(),
      status: (slotRef) => {
        const actor = this.#actor(slotRef);
        return { state: actor.state, lastLogin: actor.lastLogin ?? null };
      },
      getConfig: (slotRef) => {
        const { pinCallback: _omitted, ...rest } = this.#actor(slotRef).config;
        return rest;
      },
      sign: (slotRef, keyRef, data, opts = {}) =>
        this.signBytes(data, { ...opts, signer: [slotRef, keyRef] }),
      verify: async (slotRef, keyRef, data, signature, opts = {}) => {
        const actor = this.#actor(slotRef);
        const alg = await this.#chooseAlg(actor, keyRef, opts.alg);
        const bytes = wholeBytes(data)!;
        const plan = planTokenSignature(alg, bytes, false);
        const raw = alg.decodeSignature(signature, opts.encodingContext ?? "der");
        const ok = await this.telemetry.verify(
          { slotRef, keyRef, alg: alg.name, format: "raw", onToken: true },
          () => actor.verify(keyRef, plan.mechanism, plan.input, raw),
        );
        if (!ok) {
          throw new Pkcs11exError("signature_invalid", "The token rejected the signature", {
            detail: { slotRef, keyRef, alg: alg.name },
          });
        }
      },
    };
  }

  /** Logs out, closes every session, ends every worker and finalizes the modules. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const actor of this.#slots.values()) await actor.close();
  }

  /** Closes the instance at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
