/**
 * The algorithm side of the configuration: the registry (built-ins ∪ `config.algorithms`),
 * the global allowlist (api §1.5 rules 1 and 2) and a slot's effective allowlist (rule 10).
 *
 * @module
 */
import {
  type Algorithm,
  type AlgorithmRegistry,
  createAlgorithmRegistry,
} from "../algorithms/mod.ts";
import { ConfigError } from "../errors.ts";

/**
 * The registry of the built-ins plus `extra`.
 *
 * @throws {ConfigError} at `algorithms.<name>` when an entry is not a valid Algorithm.
 */
export function configRegistry(extra: Record<string, Algorithm>): AlgorithmRegistry {
  for (const [name, alg] of Object.entries(extra)) {
    try {
      createAlgorithmRegistry({ [name]: alg });
    } catch (cause) {
      throw new ConfigError(`algorithms.${name}`, (cause as Error).message, { cause });
    }
  }
  return createAlgorithmRegistry(extra);
}

/**
 * Checks that every name is known and not `none`; returns them without duplicates.
 *
 * @param path the config path of the list, e.g. `allowedAlgs`.
 * @throws {ConfigError} rule 2 for an unknown name or `none`.
 */
export function checkAlgNames(
  path: string,
  names: readonly string[],
  registry: AlgorithmRegistry,
): string[] {
  names.forEach((name, index) => checkAlgName(`${path}.${index}`, name, registry));
  return [...new Set(names)];
}

/**
 * Checks that one algorithm name is known and not `none`.
 *
 * @throws {ConfigError} rule 2.
 */
export function checkAlgName(path: string, name: string, registry: AlgorithmRegistry): void {
  if (name === "none") {
    throw new ConfigError(path, '"none" is always refused', { detail: { rule: 2 } });
  }
  if (registry.get(name) === undefined) {
    throw new ConfigError(
      path,
      `unknown algorithm "${name}" (known: ${registry.names().join(", ")})`,
      { detail: { rule: 2 } },
    );
  }
}

/**
 * The global allowlist: not empty (rule 1), every name known (rule 2), duplicates removed.
 *
 * @throws {ConfigError} at `allowedAlgs`.
 */
export function globalAllowlist(names: readonly string[], registry: AlgorithmRegistry): string[] {
  if (names.length === 0) {
    throw new ConfigError("allowedAlgs", "must name at least one algorithm", {
      detail: { rule: 1 },
    });
  }
  return checkAlgNames("allowedAlgs", names, registry);
}

/**
 * A slot's effective allowlist: the global one, narrowed by the slot's (in the global order).
 *
 * @param slotPath e.g. `slots.platform`.
 * @throws {ConfigError} rule 2 for an unknown name, rule 10 for an empty intersection.
 */
export function effectiveAllowlist(
  slotPath: string,
  global: readonly string[],
  slotNames: readonly string[] | undefined,
  registry: AlgorithmRegistry,
): string[] {
  if (slotNames === undefined) return [...global];
  const path = `${slotPath}.allowedAlgs`;
  const own = new Set(checkAlgNames(path, slotNames, registry));
  const effective = global.filter((name) => own.has(name));
  if (effective.length === 0) {
    throw new ConfigError(
      path,
      `no algorithm in common with the global allowedAlgs (${global.join(", ")})`,
      { detail: { rule: 10 } },
    );
  }
  return effective;
}
