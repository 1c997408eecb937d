/**
 * {@linkcode resolveConfig}: the schema, then the boot rules of api §1.5, then the trust
 * policy's own environment check; the result is frozen (api §1.8: restart to change it).
 *
 * @module
 */
import { PinnedRegistry } from "../../policy/pinned_registry.ts";
import type { Policy } from "../../policy/types.ts";
import { ConfigError } from "../errors.ts";
import { configRegistry, globalAllowlist } from "./allowlist.ts";
import { checkDrivers, normalizeDriverPins } from "./drivers.ts";
import { parseConfigShape } from "./schema.ts";
import { resolveSlot } from "./slots.ts";
import type { ConfigEnvironment, ResolvedConfig, ResolvedSlotConfig } from "./types.ts";

/** Rule 3: `defaultSlot` names a configured slot, and is given whenever slots are. */
function checkDefaultSlot(defaultSlot: string | undefined, refs: readonly string[]): void {
  if (defaultSlot === undefined) {
    if (refs.length === 0) return;
    throw new ConfigError(
      "defaultSlot",
      `missing (required with slots; one of ${refs.join(", ")})`,
      {
        detail: { rule: 3 },
      },
    );
  }
  if (!refs.includes(defaultSlot)) {
    const known = refs.length === 0 ? "no slots are configured" : `slots: ${refs.join(", ")}`;
    throw new ConfigError("defaultSlot", `names no slot "${defaultSlot}" (${known})`, {
      detail: { rule: 3 },
    });
  }
}

/** The policy's `checkEnvironment`, its failures as ConfigError at `trustPolicy`. */
function checkPolicyEnvironment(policy: Policy, environment: ConfigEnvironment): void {
  try {
    policy.checkEnvironment?.(environment);
  } catch (cause) {
    if (cause instanceof ConfigError) throw cause;
    throw new ConfigError("trustPolicy", (cause as Error)?.message ?? String(cause), { cause });
  }
}

/** Freezes a slot and what it holds (byte arrays cannot be frozen; they are private copies). */
function freezeSlot(slot: ResolvedSlotConfig): void {
  for (const key of Object.values(slot.keys)) Object.freeze(Object.freeze(key).chain);
  Object.freeze(slot.keys);
  Object.freeze(slot.slotMatch);
  Object.freeze(slot.effectiveAllowedAlgs);
  if (slot.allowedAlgs) Object.freeze(slot.allowedAlgs);
  Object.freeze(slot);
}

/**
 * Validates a configuration and applies its defaults (api §1). Nothing is loaded and no
 * PIN callback is called; the driver files are read to check they exist and match their pins.
 *
 * @param input what the user passed to `Pkcs11ex.start` (a {@linkcode Pkcs11exConfig}).
 * @returns the frozen configuration with defaults applied.
 * @throws {ConfigError} whose `.path` names the offending key and whose message reads
 *   `slots.legal_proxy.pinCallback: missing for type "token"`; `detail.rule` is the rule
 *   number of api §1.5 when one applies.
 *
 * @example A verify-only deployment, and a refused typo
 * ```ts
 * import { resolveConfig } from "./resolve.ts";
 * import { ConfigError } from "../errors.ts";
 *
 * const config = resolveConfig({ allowedAlgs: ["PS256", "ES256"] });
 * console.assert(config.signatureHeader === "JWS-Signature" && config.defaultSlot === undefined);
 *
 * try {
 *   resolveConfig({ allowedAlgs: ["PS256"], sessionTimout: 60_000 });
 * } catch (err) {
 *   if (!(err instanceof ConfigError)) throw err;
 *   console.log(err.path); // sessionTimout
 *   console.log(err.message); // sessionTimout: unknown key (did you mean "sessionTimeout"?)
 * }
 * ```
 *
 * @example A token slot and a SoftHSM2 pool
 * ```ts ignore
 * import { resolveConfig } from "./mod.ts";
 * import { PinnedRegistry } from "../../policy/pinned_registry.ts";
 *
 * const config = resolveConfig({
 *   signatureHeader: "JWS-Signature",
 *   allowedAlgs: ["PS256", "ES256"],
 *   defaultSlot: "platform",
 *   trustPolicy: new PinnedRegistry({ pins: { ["a3".repeat(32)]: "acme_corp" } }),
 *   sessionTimeout: 5 * 60_000,
 *   driverPins: { "/usr/lib/libeTPkcs11.so": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" },
 *   environment: "production",
 *   slots: {
 *     platform: {
 *       type: "soft_hsm",
 *       driver: "/usr/lib/softhsm/libsofthsm2.so",
 *       slotMatch: { tokenLabel: "demo" },
 *       pinCallback: () => process.env.TOKEN_PIN ?? "",
 *       sessionPoolSize: 2,
 *       keys: { signing: { label: "platform-signing-key", certLabel: "platform-cert" } },
 *     },
 *     legal_proxy: {
 *       type: "token",
 *       driver: "/usr/lib/libeTPkcs11.so",
 *       slotMatch: { tokenLabel: "Legal Proxy A" },
 *       pinCallback: async ({ attempt }) => await askUser(`PIN (try ${attempt})`),
 *       allowedAlgs: ["PS256"],
 *       reauthentication: "fail",
 *       keys: { signing: { id: "01a2", alg: "PS256", chain: [intermediatePem] } },
 *     },
 *   },
 * });
 * config.slots.legal_proxy.lazy; // true (token default)
 * config.slots.legal_proxy.keys.signing.certId; // Uint8Array [0x01, 0xa2] (inherited from id)
 * ```
 */
export function resolveConfig(input: unknown): ResolvedConfig {
  const shape = parseConfigShape(input);
  const algorithms = configRegistry(shape.algorithms);
  const allowedAlgs = globalAllowlist(shape.allowedAlgs, algorithms);
  // No prototypes on the maps looked up by name: "toString" names no slot, key or format.
  const slots: Record<string, ResolvedSlotConfig> = Object.create(null);
  for (const [ref, slot] of Object.entries(shape.slots)) {
    slots[ref] = resolveSlot(ref, slot, allowedAlgs, algorithms);
  }
  checkDefaultSlot(shape.defaultSlot, Object.keys(slots));
  const driverPins = normalizeDriverPins(shape.driverPins);
  checkDrivers(slots, driverPins);
  const trustPolicy = shape.trustPolicy ?? new PinnedRegistry();
  checkPolicyEnvironment(trustPolicy, shape.environment);
  Object.values(slots).forEach(freezeSlot);
  return Object.freeze(Object.assign(Object.create(null), {
    ...shape,
    allowedAlgs: Object.freeze(allowedAlgs) as string[],
    trustPolicy,
    driverPins: Object.freeze(driverPins),
    slots: Object.freeze(slots),
    algorithms,
    formats: Object.freeze(Object.assign(Object.create(null), shape.formats)),
  }));
}
