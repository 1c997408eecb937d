/** Shared pieces of the configuration tests. */
import assert from "node:assert/strict";
import { ConfigError } from "../../../src/core/errors.ts";
import type { Pkcs11exConfig, SlotConfig } from "../../../src/core/config/mod.ts";

/** A driver that exists on every test machine (Debian package softhsm2; a symlink). */
export const SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so";

/** A valid soft_hsm slot on SoftHSM2, with overrides. */
export function softSlot(extra: Partial<SlotConfig> = {}): SlotConfig {
  return { type: "soft_hsm", driver: SOFTHSM, ...extra };
}

/** A config whose `defaultSlot` is the first of `slots`. */
export function withSlots(
  slots: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Pkcs11exConfig {
  return { defaultSlot: Object.keys(slots)[0], slots, ...extra } as Pkcs11exConfig;
}

/**
 * Asserts that `fn` throws a ConfigError at `path` whose message is `path: problem…`
 * (problem matched as a prefix), with `detail.rule` when `rule` is given.
 */
export function assertConfigError(
  fn: () => unknown,
  path: string,
  problem: string | RegExp,
  rule?: number,
): ConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${caught}`);
  assert.equal(caught.reason, "invalid_config");
  assert.equal(caught.path, path);
  const text = caught.message.slice(path === "" ? 0 : path.length + 2);
  if (path !== "") assert.ok(caught.message.startsWith(`${path}: `), caught.message);
  if (typeof problem === "string") {
    assert.ok(text.startsWith(problem), `"${caught.message}" should read "${path}: ${problem}…"`);
  } else {
    assert.match(text, problem);
  }
  if (rule !== undefined) assert.equal(caught.detail.rule, rule);
  return caught;
}
