/**
 * The RFC 3161 client of the B-T step (PAdES signature time-stamp, XAdES
 * SignatureTimeStamp): POST a TimeStampReq over HTTP, check the answer, return the token.
 *
 * The spec's `{bt_failed, pkcs11ex_audit_not_loaded}` is dropped: the client is part of
 * this package, so there is no optional dependency to be missing.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { MessageImprint, TimeStampReq, TimeStampResp } from "@peculiar/asn1-tsp";
import { readChildren, readWhole, tlvBytes } from "../../core/x509/der.ts";
import { OID_SHA256 } from "../cms/oids.ts";
import { btFailed } from "./_bt_failed.ts";
import { type TimestampInfo, verifyTimestampToken } from "./verify_token.ts";

/** Responses larger than this are refused as malformed. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/** Options of {@linkcode requestTimestamp}. */
export interface RequestTimestampOptions {
  /** The TSA's HTTP(S) URL. */
  tsaUrl: string;
  /** SHA-256 of the bytes to time-stamp (the signature value, or the c14n bytes). */
  digest: Uint8Array;
  /** Time limit of the whole exchange in ms (default 10 000). */
  timeoutMs?: number;
  /** The fetch to use (default `globalThis.fetch`): for proxies, auth headers, tests. */
  fetch?: typeof fetch;
}

/** A checked time-stamp token and what it says. */
export interface TimestampResult extends TimestampInfo {
  /** The TimeStampToken (a CMS ContentInfo DER), ready to embed. */
  tokenDer: Uint8Array;
  /** The PKIStatus: 0 granted, 1 granted with modifications. */
  status: number;
}

function makeRequest(digest: Uint8Array, nonce: Uint8Array): Uint8Array {
  const req = new TimeStampReq({
    messageImprint: new MessageImprint({
      hashAlgorithm: new AlgorithmIdentifier({ algorithm: OID_SHA256 }),
      hashedMessage: new OctetString(digest),
    }),
    nonce: nonce.slice().buffer,
    certReq: true,
  });
  return new Uint8Array(AsnConvert.serialize(req));
}

/** A positive 64-bit nonce as minimal INTEGER content: 0x00 then 8 bytes, top bit set. */
function makeNonce(): Uint8Array {
  const nonce = new Uint8Array(9);
  nonce.set(randomBytes(8), 1);
  nonce[1] |= 0x80;
  return nonce;
}

async function post(opts: RequestTimestampOptions, body: Uint8Array): Promise<Uint8Array> {
  const doFetch = opts.fetch ?? globalThis.fetch;
  let res: Response;
  try {
    res = await doFetch(opts.tsaUrl, {
      method: "POST",
      headers: {
        "content-type": "application/timestamp-query",
        accept: "application/timestamp-reply",
      },
      body: body as BodyInit,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
  } catch (cause) {
    throw btFailed("tsa_http", "the TSA request failed", { message: String(cause) }, cause);
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => {});
    throw btFailed("tsa_http_status", `the TSA answered HTTP ${res.status}`, {
      status: res.status,
    });
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (cause) {
    throw btFailed("tsa_http", "the TSA response could not be read", {
      message: String(cause),
    }, cause);
  }
  if (bytes.length > MAX_RESPONSE_BYTES) {
    throw btFailed("malformed_tsa_response", `the TSA response is ${bytes.length} bytes`);
  }
  return bytes;
}

/**
 * Requests, checks and returns an RFC 3161 time-stamp token for `digest`: SHA-256 message
 * imprint, a random 64-bit nonce, certReq; the answer must be HTTP 200, PKIStatus granted
 * (0) or grantedWithMods (1), carry a token whose imprint and nonce match the request and
 * whose signature verifies under a TSA certificate with id-kp-timeStamping.
 *
 * @param opts The TSA URL, the digest, the time limit and an optional fetch.
 * @returns The token DER with its time, serial, policy and TSA certificate.
 * @throws {Pkcs11exError} `bt_failed` with `detail.kind`: `tsa_http` (network error or
 *   timeout, `message`), `tsa_http_status` (`status`), `tsa_status` (`status`),
 *   `missing_time_stamp_token`, `malformed_tsa_response`, `imprint_mismatch`,
 *   `nonce_mismatch`, `tsa_signature_invalid`.
 * @throws {TypeError} when the digest is not 32 bytes or the URL is not a string.
 *
 * @example
 * ```ts ignore
 * const { tokenDer, genTime } = await requestTimestamp({
 *   tsaUrl: "http://timestamp.example/tsa",
 *   digest: sha256(signatureValue),
 *   timeoutMs: 5000,
 * });
 * ```
 */
export async function requestTimestamp(opts: RequestTimestampOptions): Promise<TimestampResult> {
  if (typeof opts?.tsaUrl !== "string") {
    throw new TypeError("Cannot time-stamp: tsaUrl must be a string");
  }
  if (!(opts.digest instanceof Uint8Array) || opts.digest.length !== 32) {
    throw new TypeError("Cannot time-stamp: digest must be a 32-byte SHA-256");
  }
  const nonce = makeNonce();
  const body = await post(opts, makeRequest(opts.digest, nonce));
  let resp: TimeStampResp;
  let tokenDer: Uint8Array | undefined;
  try {
    resp = AsnConvert.parse(body, TimeStampResp);
    const outer = readWhole(body, 0x30);
    const token = readChildren(body, outer)[1];
    tokenDer = token ? tlvBytes(body, token).slice() : undefined;
  } catch (cause) {
    throw btFailed("malformed_tsa_response", "the TSA response is not a TimeStampResp", {}, cause);
  }
  const status = resp.status.status;
  if (status !== 0 && status !== 1) {
    throw btFailed("tsa_status", `the TSA refused the request (PKIStatus ${status})`, {
      status,
      failInfo: resp.status.failInfo?.toJSON(),
    });
  }
  if (!tokenDer) {
    throw btFailed("missing_time_stamp_token", "the TSA granted but sent no token");
  }
  const info = verifyTimestampToken(tokenDer, opts.digest, { nonce });
  return { ...info, tokenDer, status };
}
