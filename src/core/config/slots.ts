/**
 * One slot and its keys after the schema: the per-slot rules of api §1.5 (4, 5, 8, 9, 10),
 * the token pool size, a key's pinned algorithm, and the defaults that depend on `type`.
 *
 * @module
 */
import type { AlgorithmRegistry } from "../algorithms/mod.ts";
import { ConfigError } from "../errors.ts";
import { checkAlgName, effectiveAllowlist } from "./allowlist.ts";
import type { KeyShape, SlotShape } from "./schema.ts";
import type { ResolvedKeyConfig, ResolvedSlotConfig } from "./types.ts";

/**
 * Resolves one key: rule 8 (label or id), rule 9 (not both certLabel and certId), the
 * pinned `alg` inside `allowed`. The certificate selector defaults to the key's `id`, or its
 * `label` when it has no `id` (CKA_ID is what PKCS#11 uses to pair a key and its certificate).
 */
function resolveKey(
  path: string,
  ref: string,
  key: KeyShape,
  allowed: readonly string[],
  registry: AlgorithmRegistry,
): ResolvedKeyConfig {
  if (key.label === undefined && key.id === undefined) {
    throw new ConfigError(path, "needs a label or an id", { detail: { rule: 8 } });
  }
  if (key.certLabel !== undefined && key.certId !== undefined) {
    throw new ConfigError(`${path}.certId`, "not allowed together with certLabel", {
      detail: { rule: 9 },
    });
  }
  if (key.alg !== undefined) {
    checkAlgName(`${path}.alg`, key.alg, registry);
    if (!allowed.includes(key.alg)) {
      throw new ConfigError(
        `${path}.alg`,
        `"${key.alg}" is not in the slot's allowed algorithms (${allowed.join(", ")})`,
      );
    }
  }
  const explicitCert = key.certLabel !== undefined || key.certId !== undefined;
  const certId = explicitCert ? key.certId : key.id;
  const certLabel = explicitCert || certId !== undefined ? key.certLabel : key.label;
  const resolved = {
    ref,
    label: key.label,
    id: key.id,
    certLabel,
    certId,
    alg: key.alg,
    chain: key.chain.flat(),
  };
  return Object.assign(
    Object.create(null),
    Object.fromEntries(Object.entries(resolved).filter(([, value]) => value !== undefined)),
  ) as ResolvedKeyConfig;
}

/**
 * Resolves one slot except its driver (see `drivers.ts`).
 *
 * @param ref the slot ref.
 * @param global the global allowlist.
 * @throws {ConfigError} rules 4, 5, 8, 9, 10, a token pool above 1, a key alg out of bounds.
 */
export function resolveSlot(
  ref: string,
  slot: SlotShape,
  global: readonly string[],
  registry: AlgorithmRegistry,
): ResolvedSlotConfig {
  const path = `slots.${ref}`;
  if (slot.type === "token" && slot.pinCallback === undefined) {
    throw new ConfigError(`${path}.pinCallback`, 'missing for type "token"', {
      detail: { rule: 4 },
    });
  }
  if (slot.type === "cloud_hsm" && slot.pinCallback !== undefined) {
    throw new ConfigError(`${path}.pinCallback`, 'not allowed for type "cloud_hsm"', {
      detail: { rule: 5 },
    });
  }
  if (slot.type === "token" && slot.sessionPoolSize > 1) {
    throw new ConfigError(
      `${path}.sessionPoolSize`,
      'must be 1 for type "token" (the login lives on a single session)',
    );
  }
  const effectiveAllowedAlgs = effectiveAllowlist(path, global, slot.allowedAlgs, registry);
  // No prototype: a key ref such as "toString" must not find Object.prototype's member.
  const keys: Record<string, ResolvedKeyConfig> = Object.create(null);
  for (const [keyRef, key] of Object.entries(slot.keys)) {
    keys[keyRef] = resolveKey(
      `${path}.keys.${keyRef}`,
      keyRef,
      key,
      effectiveAllowedAlgs,
      registry,
    );
  }
  return Object.assign(Object.create(null), {
    ...slot,
    ref,
    effectiveAllowedAlgs,
    lazy: slot.lazy ?? slot.type === "token",
    keys,
  });
}
