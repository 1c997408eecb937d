import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { resolveConfig } from "../../../src/core/config/mod.ts";
import { runOk } from "../../_support/run.ts";
import { makeTempDir } from "../../_support/tmp.ts";
import { assertConfigError, SOFTHSM, softSlot, withSlots } from "./_helpers.ts";

/** SHA-256 of a file as openssl computes it. */
function opensslSha256(path: string): string {
  const out = runOk("openssl", ["dgst", "-sha256", "-r", path]).stdout;
  return out.trim().split(/\s+/)[0];
}

function withTempDir(fn: (dir: string) => void): void {
  const { dir, cleanup } = makeTempDir("pkcs11ex-config-");
  try {
    fn(dir);
  } finally {
    cleanup();
  }
}

describe("driver rules", () => {
  test("rule 6: a driver that does not exist on disk is refused", () => {
    withTempDir((dir) => {
      const missing = join(dir, "libmissing.so");
      assertConfigError(
        () => resolveConfig(withSlots({ platform: softSlot({ driver: missing }) })),
        "slots.platform.driver",
        `not found on disk (${missing}, ENOENT)`,
        6,
      );
    });
  });

  test("rule 6: a directory is not a driver", () => {
    withTempDir((dir) => {
      mkdirSync(join(dir, "lib.so"));
      assertConfigError(
        () => resolveConfig(withSlots({ platform: softSlot({ driver: join(dir, "lib.so") }) })),
        "slots.platform.driver",
        "is not a file",
        6,
      );
    });
  });

  test("rule 6: an existing driver passes (SoftHSM2 through its symlink)", () => {
    const config = resolveConfig(withSlots({ platform: softSlot() }));
    assert.equal(config.slots.platform.driver, SOFTHSM);
    assert.equal(config.slots.platform.driverSha256, undefined);
  });

  test("rule 7: a driver whose SHA-256 differs from its pin is refused", () => {
    withTempDir((dir) => {
      const driver = join(dir, "libvendor.so");
      writeFileSync(driver, "not really a module");
      const got = opensslSha256(driver);
      const pinned = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
      const err = assertConfigError(
        () =>
          resolveConfig(
            withSlots({ p: softSlot({ driver }) }, { driverPins: { [driver]: pinned } }),
          ),
        "slots.p.driver",
        `SHA-256 of ${driver} is ${got}, driverPins expects ${pinned}`,
        7,
      );
      assert.equal(err.detail.got, got);
    });
  });

  test("rule 7: the SoftHSM2 pin as openssl computes it passes (upper-case hex too)", () => {
    const pin = opensslSha256(SOFTHSM);
    const config = resolveConfig(
      withSlots({ p: softSlot() }, { driverPins: { [SOFTHSM]: pin.toUpperCase() } }),
    );
    assert.equal(config.slots.p.driverSha256, pin);
    assert.equal(config.driverPins[SOFTHSM], pin);
  });

  test("rule 7: a pin on the real file also guards a symlink to it", () => {
    withTempDir((dir) => {
      const real = join(dir, "libvendor.so.1");
      const link = join(dir, "libvendor.so");
      writeFileSync(real, "module bytes");
      symlinkSync(real, link);
      const pins = { [realpathSync(real)]: "00".repeat(32) };
      assertConfigError(
        () => resolveConfig(withSlots({ p: softSlot({ driver: link }) }, { driverPins: pins })),
        "slots.p.driver",
        `SHA-256 of ${link} is ${opensslSha256(real)}`,
        7,
      );
      const good = { [realpathSync(real)]: opensslSha256(real) };
      const config = resolveConfig(
        withSlots({ p: softSlot({ driver: link }) }, { driverPins: good }),
      );
      assert.equal(config.slots.p.driverSha256, opensslSha256(real));
    });
  });

  test("rule 7: a pin on a driver no slot uses is not read", () => {
    const config = resolveConfig({ driverPins: { "/nonexistent/lib.so": "ab".repeat(32) } });
    assert.equal(config.driverPins["/nonexistent/lib.so"], "ab".repeat(32));
  });

  test("driverPins: bad hex and relative paths are refused", () => {
    assertConfigError(
      () => resolveConfig({ driverPins: { [SOFTHSM]: "xyz" } }),
      `driverPins.${SOFTHSM}`,
      "must be 64 hex digits (a SHA-256)",
    );
    assertConfigError(
      () => resolveConfig({ driverPins: { [SOFTHSM]: "ab".repeat(31) } }),
      `driverPins.${SOFTHSM}`,
      "must be 64 hex digits",
    );
    assertConfigError(
      () => resolveConfig({ driverPins: { "lib.so": "ab".repeat(32) } }),
      "driverPins.lib.so",
      "must be an absolute path",
    );
  });

  test("rule 11: two slots on one driver with different driverConfig are refused", () => {
    withTempDir((dir) => {
      const driver = join(dir, "libkmsp11.so");
      writeFileSync(driver, "module");
      assertConfigError(
        () =>
          resolveConfig(withSlots({
            a: softSlot({ type: "cloud_hsm", driver, driverConfig: "/etc/pkcs11ex/a.yaml" }),
            b: softSlot({ type: "cloud_hsm", driver, driverConfig: "/etc/pkcs11ex/b.yaml" }),
          })),
        "slots.b.driverConfig",
        `differs from slots.a.driverConfig for the same driver ${driver}`,
        11,
      );
      assertConfigError(
        () =>
          resolveConfig(
            withSlots({
              a: softSlot({ driver }),
              b: softSlot({ driver, driverConfig: "/etc/b.yaml" }),
            }),
          ),
        "slots.b.driverConfig",
        "differs from slots.a.driverConfig",
        11,
      );
    });
  });

  test("rule 11: a symlink to the same file is the same driver", () => {
    withTempDir((dir) => {
      const link = join(dir, "libsofthsm2-link.so");
      symlinkSync(SOFTHSM, link);
      assertConfigError(
        () =>
          resolveConfig(
            withSlots({
              a: softSlot(),
              b: softSlot({ driver: link, driverConfig: "/etc/x.conf" }),
            }),
          ),
        "slots.b.driverConfig",
        "differs from slots.a.driverConfig",
        11,
      );
    });
  });

  test("rule 11: slots sharing a driver and its driverConfig are fine", () => {
    const config = resolveConfig(withSlots({
      a: softSlot({ driverConfig: "/etc/softhsm2.conf" }),
      b: softSlot({ driverConfig: "/etc/softhsm2.conf", slotMatch: { tokenLabel: "other" } }),
    }));
    assert.deepEqual(Object.keys(config.slots), ["a", "b"]);
  });
});
