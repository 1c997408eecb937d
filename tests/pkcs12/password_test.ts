import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { disposePassword, encodePassword } from "../../src/pkcs12/_password.ts";

describe("password encoding for the PKCS#12 KDF", () => {
  test("BMPString: UTF-16BE with a two-byte terminator, surrogate pairs above U+FFFF", () => {
    assert.deepEqual(encodePassword("ab").bmp, [Uint8Array.from([0, 0x61, 0, 0x62, 0, 0])]);
    assert.deepEqual(encodePassword("€").bmp, [Uint8Array.from([0x20, 0xac, 0, 0])]);
    assert.deepEqual(encodePassword("😀").bmp, [Uint8Array.from([0xd8, 0x3d, 0xde, 0x00, 0, 0])]);
    assert.deepEqual(encodePassword(new TextEncoder().encode("ñ")).bmp, [
      Uint8Array.from([0, 0xf1, 0, 0]),
    ]);
  });

  test("bytes that are not UTF-8 become one code unit each, as OpenSSL does", () => {
    assert.deepEqual(encodePassword(Uint8Array.from([0xff, 0x41])).bmp, [
      Uint8Array.from([0, 0xff, 0, 0x41, 0, 0]),
    ]);
    assert.deepEqual(encodePassword(Uint8Array.from([0xc3])).bmp, [
      Uint8Array.from([0, 0xc3, 0, 0]),
    ]);
  });

  test('an empty or absent password has both the "" and the NULL form', () => {
    for (const p of [undefined, "", new Uint8Array(0)]) {
      assert.deepEqual(encodePassword(p).bmp, [new Uint8Array(2), new Uint8Array(0)]);
    }
  });

  test("the encoder copies the caller's bytes, and dispose zeroes every copy", () => {
    const mine = new TextEncoder().encode("hunter2");
    const enc = encodePassword(mine);
    assert.notEqual(enc.utf8.buffer, mine.buffer);
    disposePassword(enc);
    assert.ok(enc.utf8.every((b) => b === 0));
    assert.ok(enc.bmp.every((b) => b.every((x) => x === 0)));
    assert.deepEqual(mine, new TextEncoder().encode("hunter2"));
  });

  test("a password that is neither a string nor bytes is a TypeError", () => {
    assert.throws(() => encodePassword(42 as unknown as string), TypeError);
  });
});
