/**
 * RFC 3161 time-stamps for the B-T level of PAdES and XAdES: request and check a token,
 * and verify a token found in a signature. Failures are `bt_failed` with `detail.kind`.
 *
 * @module
 */
export { requestTimestamp, type RequestTimestampOptions, type TimestampResult } from "./request.ts";
export {
  type TimestampInfo,
  type VerifyTimestampOptions,
  verifyTimestampToken,
} from "./verify_token.ts";
export type { BtFailedKind } from "./_bt_failed.ts";
