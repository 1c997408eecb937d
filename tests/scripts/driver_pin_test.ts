import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { SOFTHSM_DRIVER } from "../_support/softhsm.ts";
import { runOk } from "../_support/run.ts";
import { runTaskScript } from "./_task.ts";

const sha256sum = (path: string) => runOk("sha256sum", [path]).stdout.split(/\s+/)[0];

describe("driver-pin task", () => {
  test("prints the driverPins entry with the same SHA-256 as sha256sum", () => {
    const res = runTaskScript("driver_pin", [SOFTHSM_DRIVER]);
    assert.equal(res.status, 0, res.stderr);
    assert.equal(res.stdout, `"${resolve(SOFTHSM_DRIVER)}": "${sha256sum(SOFTHSM_DRIVER)}",\n`);
  });

  test("--json prints a driverPins object, one entry per path", () => {
    const res = runTaskScript("driver_pin", ["--json", SOFTHSM_DRIVER, "/bin/sh"]);
    assert.equal(res.status, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout), {
      driverPins: {
        [resolve(SOFTHSM_DRIVER)]: sha256sum(SOFTHSM_DRIVER),
        "/bin/sh": sha256sum("/bin/sh"),
      },
    });
  });

  test("a missing file, a directory or no path is a usage failure", () => {
    for (const args of [["/no/such/driver.so"], ["/tmp"], []]) {
      const res = runTaskScript("driver_pin", args);
      assert.equal(res.status, 2, args.join(" "));
      assert.match(res.stderr, /^error: /);
    }
  });
});
