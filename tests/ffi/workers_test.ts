import { test } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey, verify } from "node:crypto";
import { makeTestToken, SOFTHSM_DRIVER } from "../_support/softhsm.ts";
import { certificatePem } from "../_support/pem.ts";

const token = await makeTestToken([{ label: "rsa", type: "rsa" }], "workers");

function runWorker(
  tag: string,
  count: number,
): Promise<{ alreadyInitialized: boolean; signatures: Uint8Array[] }> {
  const worker = new Worker(new URL("./_sign_worker.ts", import.meta.url).href, { type: "module" });
  return new Promise((resolve, reject) => {
    worker.onmessage = (event) => {
      worker.terminate();
      if (event.data.error) reject(new Error(event.data.error));
      else resolve(event.data);
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(String((event as ErrorEvent).message)));
    };
    worker.postMessage({
      driver: SOFTHSM_DRIVER,
      tokenLabel: token.label,
      pin: token.userPin,
      keyLabel: "rsa",
      count,
      tag,
    });
  });
}

test("two Web Workers with their own sessions sign concurrently on one initialized module", async () => {
  const [a, b] = await Promise.all([runWorker("a", 200), runWorker("b", 200)]);
  assert.equal(a.alreadyInitialized, true);
  assert.equal(b.alreadyInitialized, true);
  const cert = createPublicKey({
    key: certificatePem(token.keys.rsa.certificateDer),
    format: "pem",
  });
  for (const [tag, result] of [["a", a], ["b", b]] as const) {
    assert.equal(result.signatures.length, 200);
    result.signatures.forEach((sig, i) => {
      const ok = verify("sha256", new TextEncoder().encode(`${tag}-${i}`), cert, sig);
      assert.ok(ok, `signature ${tag}-${i}`);
    });
  }
});
