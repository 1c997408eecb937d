/** Assertions shared by the PKCS#12 tests. */
import assert from "node:assert/strict";
import { isPkcs11exError, type Pkcs11exReason } from "../../src/core/errors.ts";

/** Asserts that `promise` rejects with a Pkcs11exError whose reason is one of `reasons`. */
export async function rejectsWith(
  promise: Promise<unknown>,
  ...reasons: Pkcs11exReason[]
): Promise<Record<string, unknown>> {
  let detail: Record<string, unknown> = {};
  await assert.rejects(promise, (err) => {
    assert.ok(isPkcs11exError(err), `expected a Pkcs11exError, got ${String(err)}`);
    assert.ok(reasons.includes(err.reason), `unexpected reason ${err.reason}: ${err.message}`);
    detail = { ...err.detail };
    return true;
  });
  return detail;
}
