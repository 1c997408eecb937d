/**
 * The project's pkcs11ex config as the tasks see it: the module named by `--config` is
 * imported, its default export validated by `resolveConfig` (the same boot rules as
 * `Pkcs11ex.start`, so a config the library refuses is refused here too, naming the key),
 * and one function reads what a task needs of a slot.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { resolveConfig, type ResolvedConfig } from "../../src/core/config/mod.ts";
import { UsageError } from "./errors.ts";

/** The default `--config`. */
export const DEFAULT_CONFIG_PATH = "./pkcs11ex.config.ts";

/** How a configured slot finds its token. */
export type SlotMatch = ResolvedConfig["slots"][string]["slotMatch"];

/** What a task needs to reach one configured slot. */
export interface SlotTarget {
  /** The slot reference (the key under `slots`). */
  readonly ref: string;
  /** The PKCS#11 module path. */
  readonly driver: string;
  /** The pinned SHA-256 of the driver, if `driverPins` has one. */
  readonly sha256: string | undefined;
  /** The vendor configuration string (`driverConfig`), if any. */
  readonly reserved: string | undefined;
  /** How to find the slot. */
  readonly slotMatch: SlotMatch;
}

/**
 * Imports the config module at `path` and validates its default export.
 *
 * @throws {UsageError} when the module is missing or exports no object.
 * @throws {ConfigError} (`invalid_config`) naming the offending key.
 */
export async function loadConfig(path: string): Promise<ResolvedConfig> {
  const absolute = resolve(path);
  if (!existsSync(absolute)) {
    throw new UsageError(`Cannot find the config module ${path} (pass --config PATH)`);
  }
  const loaded = await import(pathToFileURL(absolute).href) as { default?: unknown };
  if (typeof loaded.default !== "object" || loaded.default === null) {
    throw new UsageError(`The config module ${path} has no default export object`);
  }
  return resolveConfig(loaded.default);
}

/** Every slot reference of the config, in order. */
export function slotRefs(config: ResolvedConfig): string[] {
  return Object.keys(config.slots);
}

/** The driver, pin, vendor configuration and slot match of the configured slot `ref`. */
export function slotTarget(config: ResolvedConfig, ref: string): SlotTarget {
  const slot = Object.hasOwn(config.slots, ref) ? config.slots[ref] : undefined;
  if (slot === undefined) {
    const known = slotRefs(config);
    throw new UsageError(
      `No slot "${ref}" in the config (configured: ${known.length ? known.join(", ") : "none"})`,
    );
  }
  return {
    ref,
    driver: slot.driver,
    sha256: slot.driverSha256,
    reserved: slot.driverConfig,
    slotMatch: slot.slotMatch,
  };
}
