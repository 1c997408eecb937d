import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { Pkcs11exError } from "../../src/core/errors.ts";
import { parseHexId, parseTaskArgs, secretFromEnv } from "../../scripts/_task/args.ts";
import { describeFailure, UsageError } from "../../scripts/_task/errors.ts";
import { SecretPrompter } from "../../scripts/_task/prompt.ts";
import { formatTable } from "../../scripts/_task/table.ts";
import { flagWords } from "../../scripts/_task/render_slots.ts";

/** A fake terminal: a stream with `isTTY` and `setRawMode`, recording what is written. */
function fakeTerminal(isTTY = true) {
  const input = Object.assign(new PassThrough(), {
    isTTY,
    rawModes: [] as boolean[],
    setRawMode(mode: boolean) {
      this.rawModes.push(mode);
      return this;
    },
  });
  let written = "";
  const output = new PassThrough();
  output.on("data", (chunk) => written += String(chunk));
  return {
    input: input as unknown as NodeJS.ReadStream & { rawModes: boolean[] },
    output,
    written: () => written,
  };
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("SecretPrompter", () => {
  test("reads a line in raw mode and writes only the question and a newline", async () => {
    const term = fakeTerminal();
    const prompter = new SecretPrompter(term);
    const answer = prompter.ask("PIN: ", "--pin-from-env NAME");
    term.input.write("12");
    term.input.write("34\r");
    assert.equal(text(await answer), "1234");
    prompter.close();
    assert.deepEqual(term.input.rawModes, [true, false]);
    await new Promise((r) => setImmediate(r));
    assert.equal(term.written(), "PIN: \n");
  });

  test("Backspace removes a whole UTF-8 character, Ctrl-U clears the line", async () => {
    const term = fakeTerminal();
    using prompter = new SecretPrompter(term);
    const answer = prompter.ask("Password: ", "x");
    // "wrong", Ctrl-U, "pä", DEL (drops both bytes of ä), "añ", BS (drops ñ), "ño", Enter.
    term.input.write("wrong\x15pä\x7fañ\x08ño\r");
    assert.equal(text(await answer), "paño");
  });

  test("answers typed ahead go to the next question", async () => {
    const term = fakeTerminal();
    using prompter = new SecretPrompter(term);
    const first = prompter.ask("Password: ", "x");
    term.input.write("first\nsecond\r");
    assert.equal(text(await first), "first");
    assert.equal(text(await prompter.ask("PIN: ", "x")), "second");
  });

  test("Ctrl-C and Ctrl-D cancel with a UsageError", async () => {
    for (const key of ["\x03", "\x04"]) {
      const term = fakeTerminal();
      using prompter = new SecretPrompter(term);
      const answer = prompter.ask("PIN: ", "x");
      term.input.write(`12${key}`);
      await assert.rejects(answer, (e) => e instanceof UsageError && /Cancelled/.test(e.message));
    }
  });

  test("refuses to prompt when stdin is not a terminal, naming the flag to use", () => {
    const term = fakeTerminal(false);
    const prompter = new SecretPrompter(term);
    assert.equal(prompter.interactive, false);
    assert.throws(
      () => prompter.ask("User PIN: ", "--pin-from-env NAME"),
      /Cannot prompt for the user PIN: stdin is not a terminal \(use --pin-from-env NAME\)/,
    );
  });
});

describe("task arguments", () => {
  test("parseTaskArgs reports unknown options and missing values as UsageError", () => {
    assert.throws(() => parseTaskArgs({ in: { type: "string" } }, ["--nope"]), UsageError);
    assert.throws(() => parseTaskArgs({ in: { type: "string" } }, ["--in"]), UsageError);
    const args = parseTaskArgs({ in: { type: "string" }, replace: { type: "boolean" } }, [
      "--in",
      "a.p12",
      "--replace",
      "extra",
    ]);
    assert.deepEqual({ ...args.values }, { in: "a.p12", replace: true });
    assert.deepEqual(args.positionals, ["extra"]);
  });

  test("parseHexId takes hex with or without 0x and refuses anything else", () => {
    assert.deepEqual(parseHexId("0x01"), Uint8Array.of(1));
    assert.deepEqual(parseHexId("A1b2"), Uint8Array.of(0xa1, 0xb2));
    for (const bad of ["", "0x", "abc", "zz", "0x1g", "ab".repeat(65)]) {
      assert.throws(() => parseHexId(bad), UsageError, bad);
    }
  });

  test("secretFromEnv names the missing variable, never a value", () => {
    assert.throws(
      () => secretFromEnv("PKCS11EX_SURELY_UNSET_VARIABLE", "user PIN"),
      /the environment variable PKCS11EX_SURELY_UNSET_VARIABLE is not set/,
    );
  });
});

describe("task failure messages", () => {
  test("CKR_ATTRIBUTE_READ_ONLY says the device refuses imported keys", () => {
    const error = new Pkcs11exError(
      "pkcs11_error",
      "C_CreateObject failed: CKR_ATTRIBUTE_READ_ONLY",
      {
        detail: { rv: "CKR_ATTRIBUTE_READ_ONLY", fn: "C_CreateObject" },
      },
    );
    assert.equal(
      describeFailure(error),
      "C_CreateObject failed: CKR_ATTRIBUTE_READ_ONLY: this device refuses imported keys: " +
        "generate the key on the device instead",
    );
  });

  test("password, PIN and other reasons", () => {
    assert.match(
      describeFailure(new Pkcs11exError("p12_password_incorrect", "x")),
      /password is incorrect/,
    );
    assert.match(describeFailure(new Pkcs11exError("pin_incorrect", "x")), /PIN is incorrect/);
    assert.match(describeFailure(new Pkcs11exError("pin_locked", "x")), /PIN is locked/);
    assert.equal(
      describeFailure(new Pkcs11exError("slot_not_found", "No token")),
      "No token (slot_not_found)",
    );
    assert.equal(describeFailure(new UsageError("Missing --in")), "Missing --in");
  });
});

describe("task output", () => {
  test("formatTable pads columns to the widest cell", () => {
    assert.deepEqual(formatTable(["a", "bb", "c"], [["xxx", "y", ""], ["z", "", "w"]], "  "), [
      "  a    bb  c",
      "  xxx  y",
      "  z        w",
    ]);
  });

  test("flagWords turns CKF_ names into words", () => {
    assert.equal(flagWords(["CKF_TOKEN_PRESENT", "CKF_HW_SLOT"]), "token present, hw slot");
    assert.equal(flagWords([]), "(none)");
  });
});
