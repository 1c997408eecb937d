/**
 * The project's pkcs11ex config as the tasks see it: the module named by `--config` is
 * imported and its default export read. Only the slot's driver, slot match and the
 * driver pins matter here; one function reads them.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { UsageError } from "./errors.ts";

/** The default `--config`. */
export const DEFAULT_CONFIG_PATH = "./pkcs11ex.config.ts";

/** How a configured slot finds its token. */
export type SlotMatch = { readonly tokenLabel: string } | { readonly slotId: number | bigint };

/** What a task needs to reach one configured slot. */
export interface SlotTarget {
  /** The slot reference (the key under `slots`). */
  readonly ref: string;
  /** The PKCS#11 module path. */
  readonly driver: string;
  /** The pinned SHA-256 of the driver, if `driverPins` has one. */
  readonly sha256: string | undefined;
  /** How to find the slot. */
  readonly slotMatch: SlotMatch;
}

/** The config module's default export, untyped until read. */
export type LoadedConfig = Record<string, unknown>;

/** Imports the config module at `path` and returns its default export. */
export async function loadConfig(path: string): Promise<LoadedConfig> {
  const absolute = resolve(path);
  if (!existsSync(absolute)) {
    throw new UsageError(`Cannot find the config module ${path} (pass --config PATH)`);
  }
  const loaded = await import(pathToFileURL(absolute).href) as { default?: unknown };
  const config = loaded.default;
  if (typeof config !== "object" || config === null) {
    throw new UsageError(`The config module ${path} has no default export object`);
  }
  return config as LoadedConfig;
}

function isSlotMatch(value: unknown): value is SlotMatch {
  if (typeof value !== "object" || value === null) return false;
  const match = value as { tokenLabel?: unknown; slotId?: unknown };
  return typeof match.tokenLabel === "string" || typeof match.slotId === "number" ||
    typeof match.slotId === "bigint";
}

/** Every slot reference of the config, in order. */
export function slotRefs(config: LoadedConfig): string[] {
  const slots = config.slots;
  return typeof slots === "object" && slots !== null ? Object.keys(slots) : [];
}

/** The driver, pin and slot match of the configured slot `ref`. */
export function slotTarget(config: LoadedConfig, ref: string): SlotTarget {
  const slots = (config.slots ?? {}) as Record<string, unknown>;
  const slot = Object.hasOwn(slots, ref) ? slots[ref] as Record<string, unknown> : undefined;
  if (slot === undefined) {
    const known = slotRefs(config);
    throw new UsageError(
      `No slot "${ref}" in the config (configured: ${known.length ? known.join(", ") : "none"})`,
    );
  }
  const { driver, slotMatch } = slot;
  if (typeof driver !== "string" || driver === "") {
    throw new UsageError(`slots.${ref}.driver: missing or not a path`);
  }
  if (!isSlotMatch(slotMatch)) {
    throw new UsageError(`slots.${ref}.slotMatch: expected { tokenLabel } or { slotId }`);
  }
  const pins = (config.driverPins ?? {}) as Record<string, unknown>;
  const pin = pins[driver];
  return { ref, driver, sha256: typeof pin === "string" ? pin : undefined, slotMatch };
}
