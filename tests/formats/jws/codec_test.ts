/**
 * The strict base64 codecs and the duplicate-name scan, against their definitions: a string is
 * accepted iff Node's codec round-trips it exactly; a duplicate is a repeated name after
 * unescaping, within one object.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  decodeBase64,
  decodeBase64url,
  isBase64,
  isBase64url,
} from "../../../src/formats/jws/base64.ts";
import { scanJson } from "../../../src/formats/jws/json_keys.ts";

function reference(text: string, encoding: "base64" | "base64url"): string | undefined {
  const alphabet = encoding === "base64url" ? /^[A-Za-z0-9_-]*$/ : /^[A-Za-z0-9+/]*={0,2}$/;
  if (!alphabet.test(text)) return undefined;
  const bytes = Buffer.from(text, encoding);
  return bytes.toString(encoding) === text ? bytes.toString("hex") : undefined;
}

function* strings(chars: string[], len: number): Generator<string> {
  if (len === 0) {
    yield "";
    return;
  }
  for (const s of strings(chars, len - 1)) for (const c of chars) yield s + c;
}

describe("strict base64", () => {
  test("accepts exactly the canonical encodings (every string of ≤ 5 chars over a mixed set)", () => {
    const chars = ["A", "Q", "g", "w", "_", "-", "+", "/", "=", "9"];
    for (let len = 0; len <= 5; len++) {
      for (const text of strings(chars, len)) {
        for (
          const [decode, encoding] of [[decodeBase64url, "base64url"], [
            decodeBase64,
            "base64",
          ]] as const
        ) {
          const got = decode(text);
          assert.equal(
            got === undefined ? undefined : Buffer.from(got).toString("hex"),
            reference(text, encoding),
            `${encoding} "${text}"`,
          );
        }
      }
    }
  });

  test("non-zero trailing bits are refused; the zero-bit form is accepted", () => {
    assert.equal(isBase64url("QQ"), true); // "A"
    assert.equal(isBase64url("QR"), false);
    assert.equal(isBase64url("QUI"), true); // "AB"
    assert.equal(isBase64url("QUJ"), false);
    assert.equal(isBase64("QQ=="), true);
    assert.equal(isBase64("QR=="), false);
    assert.equal(isBase64("QUI="), true);
    assert.equal(isBase64("QUJ="), false);
    assert.equal(isBase64("QQ"), false); // padding is required in x5c
  });
});

describe("scanJson: duplicate names", () => {
  const cases: [string, string | undefined][] = [
    ['{"a":1,"b":2}', undefined],
    ['{"a":1,"a":2}', "a"],
    ['{"a":1,"\\u0061":2}', "a"],
    ['{"a\\"":1,"a\\"":2}', 'a"'],
    ['{"a\\\\":1,"a":2}', undefined],
    ['{"x":"\\\\","x":1}', "x"],
    ['{"x":"a\\"b\\\\","y":{"x":1}}', undefined],
    ['{"x":[{"a":1},{"a":1}]}', undefined],
    ['{"x":[{"a":1,"a":1}]}', "a"],
    ['{"s":"{\\"a\\":1,\\"a\\":2}"}', undefined],
  ];
  for (const [text, want] of cases) {
    test(text, () => {
      JSON.parse(text);
      assert.equal(scanJson(text).duplicateKey, want);
    });
  }
});

describe("scanJson: nesting depth", () => {
  const cases: [string, number][] = [
    ["1", 0],
    ['"[{"', 0],
    ["{}", 1],
    ['{"a":[1,{"b":[]}],"c":{}}', 4],
    ['[[],[[]],{"x":"]]]"}]', 3],
    ["[".repeat(50_000) + "]".repeat(50_000), 50_000],
  ];
  for (const [text, want] of cases) {
    test(text.slice(0, 40), () => {
      JSON.parse(text);
      assert.equal(scanJson(text).depth, want);
    });
  }
});
