import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CKO } from "../../src/ffi/constants.ts";
import { makeTestToken } from "../_support/softhsm.ts";
import { makeTempDir } from "../_support/tmp.ts";
import { runOnPty } from "./_pty.ts";
import { makeP12, taskCommand, writeConfig } from "./_task.ts";

const token = await makeTestToken([], "prompt");
const work = makeTempDir("pkcs11ex-prompt-");
const config = writeConfig(work.dir, "legal_proxy", token.label);
const bundle = makeP12(work.dir, "typed", "rsa");

function importOnPty(label: string, steps: { expect: string; send: string }[]) {
  return runOnPty(
    taskCommand("import_p12", [
      "--config",
      config,
      "--in",
      bundle.p12,
      "--slot",
      "legal_proxy",
      "--label",
      label,
    ]),
    steps,
  );
}

describe("interactive prompts on a terminal", () => {
  test("control: the pseudo-terminal echoes what is typed in cooked mode", () => {
    const res = runOnPty(["bash", "-c", "read -p 'Say: ' line; echo got"], [
      { expect: "Say: ", send: "visible-words\r" },
    ]);
    assert.equal(res.status, 0, res.output);
    assert.ok(res.output.includes("visible-words"), "a cooked terminal echoes the typed text");
  });

  test("import-p12 asks for the password and the PIN with echo off and imports", () => {
    const res = importOnPty("typed-key", [
      { expect: "Bundle password: ", send: `${bundle.password}\r` },
      { expect: `User PIN of token "${token.label}": `, send: `${token.userPin}\r` },
    ]);
    assert.equal(res.status, 0, res.output);
    assert.match(res.output, /Imported into slot "legal_proxy"/);
    assert.ok(!res.output.includes(token.userPin), "the typed PIN is not echoed");
    assert.ok(!res.output.includes(bundle.password), "the typed password is not echoed");
    const session = token.openUserSession();
    try {
      const keys = session.findObjects({ CKA_CLASS: CKO.CKO_PRIVATE_KEY, CKA_LABEL: "typed-key" });
      assert.equal(keys.length, 1);
    } finally {
      session.close();
    }
  });

  test("Backspace deletes the last character; answers typed ahead are kept for the next prompt", () => {
    const pin = token.userPin;
    // A typo fixed with DEL (0x7f) and with BS (0x08); the PIN follows the password at once.
    const typed = `${bundle.password.slice(0, -1)}X\x7f${bundle.password.slice(-1)}\r` +
      `${pin.slice(0, 3)}zz\x08\x08${pin.slice(3)}\r`;
    const res = importOnPty("typed-ahead", [{ expect: "Bundle password: ", send: typed }]);
    assert.equal(res.status, 0, res.output);
    assert.ok(!res.output.includes(pin.slice(3)), "no part of the PIN is echoed");
    assert.ok(!res.output.includes(bundle.password.slice(3)), "no part of the password is echoed");
  });

  test("Ctrl-C at the prompt cancels with a usage failure", () => {
    const res = importOnPty("cancelled", [{ expect: "Bundle password: ", send: "abc\x03" }]);
    assert.equal(res.status, 2, res.output);
    assert.match(res.output, /Cancelled at the prompt/);
  });

  test("list-slots --login prompts for the PIN without echo and lists the private key", () => {
    const res = runOnPty(
      taskCommand("list_slots", ["--config", config, "--slot", "legal_proxy", "--login"]),
      [{ expect: "User PIN: ", send: `${token.userPin}\r` }],
    );
    assert.equal(res.status, 0, res.output);
    assert.ok(!res.output.includes(token.userPin));
    assert.match(res.output, /Objects \(\d+, logged in\)/);
    assert.match(res.output, /private key\s+typed-key/);
  });

  test("removes the fixtures", () => work.cleanup());
});
