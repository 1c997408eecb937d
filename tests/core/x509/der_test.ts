import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { DerError, encodeTlv, readOid, readWhole } from "../../../src/core/x509/der.ts";

const oidOf = (content: number[]) => {
  const der = encodeTlv(0x06, new Uint8Array(content));
  return readOid(der, readWhole(der, 0x06));
};

describe("readOid", () => {
  test("reads identifiers, the first two arcs joined as X.690 says", () => {
    assert.equal(
      oidOf([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]),
      "1.2.840.113549.1.1.11",
    );
    assert.equal(oidOf([0x88, 0x37, 0x03]), "2.999.3");
    assert.equal(oidOf([0x00]), "0.0");
  });

  test("reads a UUID arc (2.25.<128 bits>), the longest in use", () => {
    const uuid = (1n << 128n) - 1n;
    const bytes: number[] = [];
    for (let v = uuid; v > 0n; v >>= 7n) {
      bytes.unshift(Number(v & 0x7fn) | (bytes.length ? 0x80 : 0));
    }
    assert.equal(oidOf([0x69, ...bytes]), `2.25.${uuid}`);
  });

  const refused: [string, number[]][] = [
    ["empty", []],
    ["a truncated arc", [0x2a, 0x86]],
    ["an arc with a leading 0x80 (not minimal)", [0x2a, 0x80, 0x01]],
    ["a first arc with a leading 0x80", [0x80, 0x2a]],
    ["more than 128 bytes", [0x2a, ...new Array(128).fill(0x01)]],
    ["150 000 bytes", [0x2a, ...new Array(150_000).fill(0x81), 0x01]],
  ];
  for (const [name, content] of refused) {
    test(`refuses ${name}`, () => assert.throws(() => oidOf(content), DerError));
  }
});
