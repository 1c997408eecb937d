/**
 * The driver rules of api §1.5: the module exists (6), matches its pin (7), and slots that
 * share a module agree on its `driverConfig` (11, a module is initialized once per process).
 *
 * @module
 */
import { realpathSync, statSync } from "node:fs";
import { normalize } from "node:path";
import { checkDriverPin } from "../../ffi/module.ts";
import { ConfigError, isPkcs11exError } from "../errors.ts";
import type { ResolvedSlotConfig } from "./types.ts";

/** Driver pins keyed by normalized path, hex in lowercase. */
export function normalizeDriverPins(pins: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(pins).map(([path, hex]) => [normalize(path), hex.toLowerCase()]),
  );
}

/** Rule 6: the driver is a file on disk; returns its real path (symlinks resolved). */
function checkDriverExists(path: string, driver: string): string {
  try {
    if (!statSync(driver).isFile()) {
      throw new ConfigError(path, `is not a file (${driver})`, { detail: { rule: 6 } });
    }
    return realpathSync(driver);
  } catch (cause) {
    if (cause instanceof ConfigError) throw cause;
    const code = (cause as { code?: string }).code ?? "EIO";
    throw new ConfigError(path, `not found on disk (${driver}, ${code})`, {
      detail: { rule: 6 },
      cause,
    });
  }
}

/** Rule 7: the on-disk SHA-256 matches the pin. */
function checkPin(path: string, driver: string, pin: string): void {
  try {
    checkDriverPin(driver, pin);
  } catch (cause) {
    if (isPkcs11exError(cause, "driver_pin_mismatch")) {
      throw new ConfigError(
        path,
        `SHA-256 of ${driver} is ${cause.detail.got}, driverPins expects ${pin}`,
        { detail: { rule: 7, expected: pin, got: cause.detail.got }, cause },
      );
    }
    throw new ConfigError(path, `cannot be read to check its pin (${driver})`, {
      detail: { rule: 7 },
      cause,
    });
  }
}

/**
 * Checks every slot's driver and records its pin on the slot (`driverSha256`), looked up by
 * the driver path as written and by its real path.
 *
 * @param slots resolved slots by ref (changed in place).
 * @param pins from {@linkcode normalizeDriverPins}.
 * @throws {ConfigError} rules 6, 7 and 11.
 */
export function checkDrivers(
  slots: Record<string, ResolvedSlotConfig>,
  pins: Readonly<Record<string, string>>,
): void {
  const firstUser = new Map<string, ResolvedSlotConfig>();
  for (const slot of Object.values(slots)) {
    const path = `slots.${slot.ref}.driver`;
    const real = checkDriverExists(path, slot.driver);
    const pin = pins[normalize(slot.driver)] ?? pins[real];
    if (pin !== undefined) {
      checkPin(path, slot.driver, pin);
      slot.driverSha256 = pin;
    }
    const first = firstUser.get(real);
    if (first === undefined) {
      firstUser.set(real, slot);
    } else if (first.driverConfig !== slot.driverConfig) {
      throw new ConfigError(
        `slots.${slot.ref}.driverConfig`,
        `differs from slots.${first.ref}.driverConfig for the same driver ${slot.driver}`,
        { detail: { rule: 11 } },
      );
    }
  }
}
