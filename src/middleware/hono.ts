/**
 * Hono middleware that verifies a detached JWS header over the exact raw request body
 * (api §3.7, the TypeScript form of `Pkcs11ex.JWS.Plug`).
 *
 * @example
 * ```ts ignore
 * import { Hono } from "hono";
 * import { jwsVerify, type Variables } from "@pkcs11ex/pkcs11ex/hono";
 *
 * const app = new Hono<{ Variables: Variables }>();
 * app.use("/api/*", jwsVerify(p11, { onFailure: "halt401" }));
 * app.post("/api/payments", async (c) => c.json({ from: c.get("pkcs11exSubject") }));
 * ```
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { Pkcs11exError, type Pkcs11exReason } from "../core/errors.ts";
import type { PayloadMode } from "../formats/jws/parse.ts";
import type { CriticalHeaderValidator } from "../formats/jws/verify.ts";
import { readRawBody } from "./read_body.ts";
import type { VerifyBackend } from "../core/verify_bytes.ts";

export type { MiddlewareHandler } from "hono";

/** Options the middleware forwards to {@linkcode JwsVerifier.jws.verify}. */
export interface JwsVerifyCallOptions {
  /** The subject the policy must resolve. */
  expectedSubject?: string;
  /** Forwarded to the policy's `resolve` and `validate`. */
  policyOpts?: Readonly<Record<string, unknown>>;
  /** Payload modes accepted (`b64false`, `b64true`). */
  payloadModes?: readonly PayloadMode[];
  /** Extra critical headers with their validators. */
  criticalHeaders?: Readonly<Record<string, CriticalHeaderValidator>>;
  /** Names among `criticalHeaders` every request's JWS must carry in `crit`. */
  requiredCritical?: readonly string[];
  /**
   * Where the signature math runs (default: the verifier's; for a `Pkcs11ex`, libcrypto in
   * this thread). A busy server can pass `createThreadedBackend()` to keep the event loop free.
   */
  backend?: VerifyBackend;
}

/** The least the middleware needs: a `Pkcs11ex` instance satisfies it. */
export interface JwsVerifier {
  /** The configured signature header (`signatureHeader`), used when the options name none. */
  readonly signatureHeader?: string;
  /** JWS verification. */
  readonly jws: {
    /** Verifies a detached JWS over `payload`; rejects with a `Pkcs11exError`. */
    verify(
      jws: string,
      payload: Uint8Array,
      opts?: JwsVerifyCallOptions,
    ): Promise<{ readonly subjectId: string }>;
  };
}

/** What `onFailure: { assign }` stores: the refusal, for the handler to decide. */
export interface JwsFailure {
  /** The spec's reason. */
  readonly reason: Pkcs11exReason;
  /** The error (never sent to the client by the middleware). */
  readonly error: Pkcs11exError;
}

/** How a refused request ends. */
export type OnFailure = "halt401" | "halt403" | { readonly assign: string };

/** Options of {@linkcode jwsVerify}. */
export interface JwsVerifyOptions<AssignKey extends string = "pkcs11exSubject">
  extends JwsVerifyCallOptions {
  /** The request header carrying the JWS (default: `verifier.signatureHeader`, else `JWS-Signature`). */
  header?: string;
  /** What a refusal does (default `halt401`). */
  onFailure?: OnFailure;
  /** The context variable that receives the subject (default `pkcs11exSubject`). */
  assign?: AssignKey;
  /** Largest body accepted, in bytes (default 1 MiB); larger bodies get 413 before hashing. */
  bodyLimit?: number;
  /** Put the reason in failure responses (default `false`: a bare status text). */
  exposeReason?: boolean;
}

/** The context variables the middleware sets; use as `new Hono<{ Variables: Variables }>()`. */
export type Variables<AssignKey extends string = "pkcs11exSubject"> = {
  [K in AssignKey]: string;
};

/** The default body limit: 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

function checkOptions(verifier: JwsVerifier, opts: JwsVerifyOptions<string>): void {
  if (typeof verifier?.jws?.verify !== "function") {
    throw new TypeError("jwsVerify: the verifier must have jws.verify(jws, payload, opts)");
  }
  for (const key of ["header", "assign"] as const) {
    if (opts[key] !== undefined && (typeof opts[key] !== "string" || opts[key] === "")) {
      throw new TypeError(`jwsVerify: ${key} must be a non-empty string`);
    }
  }
  const { onFailure, bodyLimit } = opts;
  if (
    onFailure !== undefined && onFailure !== "halt401" && onFailure !== "halt403" &&
    !(typeof onFailure === "object" && typeof onFailure?.assign === "string" &&
      onFailure.assign !== "")
  ) {
    throw new TypeError('jwsVerify: onFailure must be "halt401", "halt403" or { assign: key }');
  }
  if (typeof onFailure === "object" && onFailure.assign === (opts.assign ?? "pkcs11exSubject")) {
    // A failure under the success key would read as a subject to `if (!c.get(key))` checks.
    throw new TypeError("jwsVerify: onFailure.assign must differ from the subject's key");
  }
  if (bodyLimit !== undefined && !(Number.isSafeInteger(bodyLimit) && bodyLimit >= 0)) {
    throw new RangeError("jwsVerify: bodyLimit must be a non-negative integer");
  }
}

function refuse(status: ContentfulStatusCode, error: Pkcs11exError, expose: boolean): never {
  const res = expose ? Response.json({ error: error.reason }, { status }) : new Response(
    status === 401 ? "Unauthorized" : status === 403 ? "Forbidden" : "Payload Too Large",
    {
      status,
    },
  );
  throw new HTTPException(status, { res, cause: error });
}

/**
 * Makes a middleware that verifies the JWS header over the raw body and sets the signer's
 * subject under `assign`. Install it before anything that reads the body.
 *
 * @param verifier Anything with `jws.verify` (a `Pkcs11ex` instance).
 * @param options Header, failure mode, body limit and verification options.
 * @returns The middleware.
 * @throws {TypeError | RangeError} at once, when an option is invalid.
 */
export function jwsVerify<AssignKey extends string = "pkcs11exSubject">(
  verifier: JwsVerifier,
  options: JwsVerifyOptions<AssignKey> = {},
): MiddlewareHandler<{ Variables: Variables<AssignKey> }> {
  // Own properties only: nothing left out is read from a polluted Object.prototype.
  const opts: JwsVerifyOptions<AssignKey> = Object.assign(Object.create(null), options);
  checkOptions(verifier, opts);
  const headerName = opts.header ?? verifier.signatureHeader ?? "JWS-Signature";
  const onFailure = opts.onFailure ?? "halt401";
  // The default key is the default type argument: a caller who sets neither gets both.
  const assign = (opts.assign ?? "pkcs11exSubject") as AssignKey;
  const limit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const expose = opts.exposeReason === true;
  const callOpts: JwsVerifyCallOptions = {
    ...(opts.expectedSubject !== undefined && { expectedSubject: opts.expectedSubject }),
    ...(opts.policyOpts !== undefined && { policyOpts: opts.policyOpts }),
    ...(opts.payloadModes !== undefined && { payloadModes: opts.payloadModes }),
    ...(opts.criticalHeaders !== undefined && { criticalHeaders: opts.criticalHeaders }),
    ...(opts.requiredCritical !== undefined && { requiredCritical: opts.requiredCritical }),
    ...(opts.backend !== undefined && { backend: opts.backend }),
  };

  return async function jwsVerify(c: Context<{ Variables: Variables<AssignKey> }>, next) {
    let subjectId: string;
    try {
      const jws = c.req.header(headerName);
      if (jws === undefined || jws === "") {
        throw new Pkcs11exError(
          "missing_required_header",
          `Cannot verify the request: no ${headerName} header`,
          {
            detail: { header: headerName },
          },
        );
      }
      const body = await readRawBody(c.req, limit);
      ({ subjectId } = await verifier.jws.verify(jws, body, callOpts));
    } catch (err) {
      if (!(err instanceof Pkcs11exError)) throw err;
      if (err.reason === "body_too_large") refuse(413, err, expose);
      if (onFailure === "halt401") refuse(401, err, expose);
      if (onFailure === "halt403") refuse(403, err, expose);
      const failure: JwsFailure = { reason: err.reason, error: err };
      c.set(onFailure.assign as never, failure as never);
      return next();
    }
    c.set(assign, subjectId);
    return next();
  };
}
