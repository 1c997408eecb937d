import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { digest, digestStream } from "../../src/core/digest.ts";

const sha256 = (b: Uint8Array | string) => new Uint8Array(createHash("sha256").update(b).digest());

async function* chunks(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p;
}

describe("digest / digestStream", () => {
  test("every input shape gives SHA-256 for PS256, RS256 and ES256", async () => {
    const text = "hello, wörld";
    const want = sha256(text);
    const bytes = new TextEncoder().encode(text);
    for (const alg of ["PS256", "RS256", "ES256"]) {
      assert.deepEqual(digest(text, alg), want);
      assert.deepEqual(digest(bytes, alg), want);
      assert.deepEqual(digest([bytes.subarray(0, 3), bytes.subarray(3)], alg), want);
      assert.deepEqual(await digestStream(bytes, alg), want);
      assert.deepEqual(await digestStream(["hel", "lo, wörld"], alg), want);
      assert.deepEqual(
        await digestStream(chunks(bytes.subarray(0, 5), bytes.subarray(5)), alg),
        want,
      );
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(bytes.subarray(0, 1));
          c.enqueue(bytes.subarray(1));
          c.close();
        },
      });
      assert.deepEqual(await digestStream(stream, alg), want);
    }
  });

  test("a 64 MiB stream hashes chunk by chunk without holding it", async () => {
    const chunk = new Uint8Array(1024 * 1024).fill(0x61);
    const ref = createHash("sha256");
    for (let i = 0; i < 64; i++) ref.update(chunk);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent++ < 64) c.enqueue(chunk);
        else c.close();
      },
    });
    assert.deepEqual(await digestStream(stream, "PS256"), new Uint8Array(ref.digest()));
  });

  test("unknown algs, EdDSA and bad chunks are refused", async () => {
    assert.throws(() => digest("x", "HS256"), RangeError);
    assert.throws(() => digest("x", "EdDSA"), RangeError);
    assert.throws(() => digest(42 as never, "PS256"), TypeError);
    assert.throws(() => digest([1] as never, "PS256"), TypeError);
    await assert.rejects(digestStream([{}] as never, "PS256"), TypeError);
    await assert.rejects(digestStream(null as never, "PS256"), TypeError);
  });
});
