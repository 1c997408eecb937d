/** Asserts that a promise rejects with a `Pkcs11exError` of a given reason (and detail). */
import assert from "node:assert/strict";
import { isPkcs11exError, type Pkcs11exReason } from "../../src/core/errors.ts";

/** Awaits `p` and checks its rejection's reason and the given `detail` entries. */
export async function rejectsWith(
  p: Promise<unknown>,
  reason: Pkcs11exReason,
  detail: Record<string, unknown> = {},
): Promise<void> {
  await assert.rejects(p, (err) => {
    assert.ok(isPkcs11exError(err), `not a Pkcs11exError: ${err}`);
    assert.equal(err.reason, reason, err.message);
    for (const [k, v] of Object.entries(detail)) assert.equal(err.detail[k], v);
    return true;
  });
}
