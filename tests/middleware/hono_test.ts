import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Context, Hono } from "hono";
import {
  type JwsFailure,
  type JwsVerifier,
  jwsVerify,
  type Variables,
} from "../../src/middleware/hono.ts";
import { signJws } from "../../src/formats/jws/sign.ts";
import { verifyJws } from "../../src/formats/jws/verify.ts";
import { encodeBase64url } from "../../src/formats/jws/base64.ts";
import { identityFor, pinned, withTempIdentities } from "../formats/jws/_identities.ts";
import { makeExpired } from "./_expired.ts";
import { createThreadedBackend } from "../../src/core/verify_backends/threaded.ts";
import { serve } from "./_server.ts";

const enc = new TextEncoder();
const { good, stranger, expired } = withTempIdentities((dir) => ({
  good: identityFor(dir, "ES256", { name: "good" }),
  stranger: identityFor(dir, "ES256", { name: "stranger" }),
  expired: makeExpired(dir),
}));
const policy = pinned([[good, "acme"], [expired, "old-acme"]]);
const verifier: JwsVerifier = {
  jws: {
    verify: (jws, payload, opts) =>
      verifyJws(jws, payload, { policy, allowedAlgs: ["ES256"], ...opts }),
  },
};

function makeApp(opts: Parameters<typeof jwsVerify>[1] = {}) {
  const app = new Hono<{ Variables: Variables & { jwsFailure?: JwsFailure } }>();
  app.use("/api/*", jwsVerify(verifier, opts));
  app.post("/api/echo", async (c) => {
    const failure = c.get("jwsFailure");
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    return c.json({
      subject: c.get("pkcs11exSubject") ?? null,
      failure: failure?.reason ?? null,
      bodyB64: encodeBase64url(bytes),
    });
  });
  app.post(
    "/api/json",
    async (c) => c.json({ subject: c.get("pkcs11exSubject"), parsed: await c.req.json() }),
  );
  return app;
}

async function withServer(
  app: { fetch: (req: Request) => Response | Promise<Response> },
  fn: (url: string) => Promise<void>,
): Promise<void> {
  const server = await serve(app.fetch);
  try {
    await fn(server.url);
  } finally {
    await server.close();
  }
}

const body = enc.encode('{"amount":"10.00","to":"CL-123"}');
const bomBody = new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode('{"note":"BOM first"}')]);

async function post(
  url: string,
  data: Uint8Array | ReadableStream<Uint8Array>,
  headers: Record<string, string>,
) {
  const res = await fetch(url, {
    method: "POST",
    body: data,
    headers: { "content-type": "application/json", ...headers },
    ...(data instanceof ReadableStream && { duplex: "half" }),
  } as RequestInit);
  return { status: res.status, text: await res.text() };
}

/** The echo route answered 200 for signer "acme" with exactly `payload` as the body. */
function assertEchoed(res: { status: number; text: string }, payload: Uint8Array): void {
  assert.equal(res.status, 200, res.text);
  const json = JSON.parse(res.text);
  assert.equal(json.subject, "acme");
  assert.equal(json.bodyB64, encodeBase64url(payload));
}

describe("jwsVerify (Hono, real HTTP on loopback)", () => {
  test("a signed request passes; the handler sees the subject and the unchanged body", async () => {
    await withServer(makeApp(), async (url) => {
      for (const payload of [body, bomBody]) {
        const jws = await signJws(payload, good.signer);
        const res = await post(`${url}/api/echo`, payload, { "JWS-Signature": jws });
        assertEchoed(res, payload);
      }
      const jws = await signJws(body, good.signer);
      const res = await post(`${url}/api/json`, body, { "JWS-Signature": jws });
      assert.deepEqual(JSON.parse(res.text), {
        subject: "acme",
        parsed: { amount: "10.00", to: "CL-123" },
      });
    });
  });

  test("refusals → 401 with the right reason, and no internals by default", async () => {
    const jws = await signJws(body, good.signer);
    const [h, , s] = jws.split(".");
    const header = JSON.parse(
      new TextDecoder().decode(
        Uint8Array.from(atob(h.replace(/-/g, "+").replace(/_/g, "/")), (ch) => ch.charCodeAt(0)),
      ),
    );
    const tamperedHeader = `${encodeBase64url(JSON.stringify({ ...header, kid: "x" }))}..${s}`;
    const none = `${
      encodeBase64url(JSON.stringify({ alg: "none", b64: false, crit: ["b64"], kid: "k" }))
    }..AAAA`;
    const cases: [string, Uint8Array, Record<string, string>][] = [
      ["signature_invalid", enc.encode('{"amount":"99.00","to":"CL-123"}'), {
        "JWS-Signature": jws,
      }],
      ["signature_invalid", body, { "JWS-Signature": tamperedHeader }],
      ["missing_required_header", body, {}],
      ["unknown_signer", body, { "JWS-Signature": await signJws(body, stranger.signer) }],
      ["cert_expired", body, { "JWS-Signature": await signJws(body, expired.signer) }],
      ["disallowed_alg", body, { "JWS-Signature": none }],
      ["malformed_jws", body, { "JWS-Signature": "not a jws" }],
    ];
    await withServer(makeApp({ exposeReason: true }), async (url) => {
      for (const [reason, data, headers] of cases) {
        const res = await post(`${url}/api/echo`, data, headers);
        assert.equal(res.status, 401, reason);
        assert.deepEqual(JSON.parse(res.text), { error: reason });
      }
    });
    await withServer(makeApp(), async (url) => {
      for (const [reason, data, headers] of cases) {
        const res = await post(`${url}/api/echo`, data, headers);
        assert.equal(res.status, 401, reason);
        assert.equal(res.text, "Unauthorized", reason);
      }
    });
  });

  test("halt403, exposeReason, a custom header name", async () => {
    const app = makeApp({ onFailure: "halt403", exposeReason: true, header: "x-jws-signature" });
    await withServer(app, async (url) => {
      const jws = await signJws(body, stranger.signer);
      const res = await post(`${url}/api/echo`, body, { "x-jws-signature": jws });
      assert.equal(res.status, 403);
      assert.deepEqual(JSON.parse(res.text), { error: "unknown_signer" });
      const ok = await post(`${url}/api/echo`, body, {
        "x-jws-signature": await signJws(body, good.signer),
      });
      assert.equal(ok.status, 200);
    });
  });

  test("onFailure assign: the handler decides", async () => {
    const app = makeApp({ onFailure: { assign: "jwsFailure" } });
    await withServer(app, async (url) => {
      const res = await post(`${url}/api/echo`, body, {
        "JWS-Signature": await signJws(body, expired.signer),
      });
      assert.equal(res.status, 200);
      const json = JSON.parse(res.text);
      assert.equal(json.failure, "cert_expired");
      assert.equal(json.subject, null);
      assert.equal(json.bodyB64, encodeBase64url(body));
    });
  });

  test("an oversized body → 413 before verification (Content-Length and streamed)", async () => {
    let calls = 0;
    const counting: JwsVerifier = {
      jws: { verify: (...args) => (calls++, verifier.jws.verify(...args)) },
    };
    const app = new Hono();
    app.use("*", jwsVerify(counting, { bodyLimit: 1024, exposeReason: true }));
    app.post("/", (c) => c.text("ok"));
    await withServer(app, async (url) => {
      const big = new Uint8Array(4096).fill(0x41);
      const jws = await signJws(big, good.signer);
      const res = await post(url, big, { "JWS-Signature": jws });
      assert.equal(res.status, 413);
      assert.deepEqual(JSON.parse(res.text), { error: "body_too_large" });
      // Chunked: no Content-Length, the streamed count refuses it.
      const stream = new ReadableStream<Uint8Array>({
        start(ctrl) {
          for (let i = 0; i < 8; i++) ctrl.enqueue(big.subarray(0, 512));
          ctrl.close();
        },
      });
      const chunked = await post(url, stream, { "JWS-Signature": jws });
      assert.equal(chunked.status, 413);
      const small = enc.encode("small");
      const fine = await post(url, small, { "JWS-Signature": await signJws(small, good.signer) });
      assert.equal(fine.status, 200);
      assert.equal(calls, 1);
    });
  });

  test("a Content-Length that understates the body still cannot pass the limit", async () => {
    // Not possible over HTTP/1.1 (the server frames by Content-Length); in memory it is.
    const app = new Hono();
    app.use("*", jwsVerify(verifier, { bodyLimit: 1024, exposeReason: true }));
    app.post("/", (c) => c.text("ok"));
    const big = new Uint8Array(4096).fill(0x41);
    const res = await app.request("/", {
      method: "POST",
      body: big,
      headers: { "content-length": "10", "JWS-Signature": await signJws(big, good.signer) },
    });
    assert.equal(res.status, 413);
  });

  const earlierReads: [string, (req: Context["req"]) => unknown][] = [
    ["read as text", (req) => req.text()],
    ["whose stream was locked (a reader taken, nothing read)", (req) => req.raw.body?.getReader()],
  ];
  for (const [how, read] of earlierReads) {
    test(`a body ${how} before the middleware → body_already_consumed`, async () => {
      const app = new Hono();
      app.use("*", async (c, next) => {
        await read(c.req);
        await next();
      });
      app.use("*", jwsVerify(verifier, { exposeReason: true }));
      app.post("/", (c) => c.text("ok"));
      await withServer(app, async (url) => {
        const res = await post(url, body, { "JWS-Signature": await signJws(body, good.signer) });
        assert.equal(res.status, 401);
        assert.deepEqual(JSON.parse(res.text), { error: "body_already_consumed" });
      });
    });
  }

  test("a chunked body (no Content-Length) is read from its stream, verified and still readable", async () => {
    await withServer(makeApp(), async (url) => {
      const stream = new ReadableStream<Uint8Array>({
        start(ctrl) {
          ctrl.enqueue(bomBody.subarray(0, 5));
          ctrl.enqueue(bomBody.subarray(5));
          ctrl.close();
        },
      });
      const jws = await signJws(bomBody, good.signer);
      const res = await post(`${url}/api/echo`, stream, { "JWS-Signature": jws });
      assertEchoed(res, bomBody);
    });
  });

  test("a body cached as bytes before the middleware is still verified", async () => {
    const app = new Hono<{ Variables: Variables }>();
    app.use("*", async (c, next) => {
      await c.req.arrayBuffer();
      await next();
    });
    app.use("*", jwsVerify(verifier));
    app.post("/", (c) => c.text(String(c.get("pkcs11exSubject"))));
    await withServer(app, async (url) => {
      const res = await post(url, bomBody, {
        "JWS-Signature": await signJws(bomBody, good.signer),
      });
      assert.equal(res.status, 200);
      assert.equal(res.text, "acme");
    });
  });

  test("200 concurrent signed requests all pass", async () => {
    await withServer(makeApp(), async (url) => {
      const results = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const payload = enc.encode(JSON.stringify({ i, pad: "x".repeat(i) }));
          const res = await post(`${url}/api/echo`, payload, {
            "JWS-Signature": await signJws(payload, good.signer),
          });
          return res.status === 200 && JSON.parse(res.text).bodyB64 === encodeBase64url(payload);
        }),
      );
      assert.equal(results.filter(Boolean).length, 200);
    });
  });

  test("with a threaded backend: signed requests pass, tampered ones are refused, workers did the math", async () => {
    const backend = createThreadedBackend({ threads: 1 });
    try {
      await backend.start();
      await withServer(makeApp({ backend, exposeReason: true }), async (url) => {
        const results = await Promise.all(
          Array.from({ length: 100 }, async (_, i) => {
            const payload = enc.encode(JSON.stringify({ i }));
            const jws = await signJws(payload, good.signer);
            const sent = i % 4 === 0 ? enc.encode(JSON.stringify({ i: i + 1 })) : payload;
            const res = await post(`${url}/api/echo`, sent, { "JWS-Signature": jws });
            return `${res.status} ${i % 4 === 0 ? JSON.parse(res.text).error : ""}`;
          }),
        );
        results.forEach((r, i) =>
          assert.equal(r, i % 4 === 0 ? "401 signature_invalid" : "200 ", `request ${i}`)
        );
      });
      assert.ok(backend.offThread > 50, `${backend.offThread} verified on the worker`);
    } finally {
      backend.close();
    }
  });

  test("the factory checks its options at once", () => {
    assert.throws(() => jwsVerify({} as JwsVerifier), TypeError);
    assert.throws(() => jwsVerify(verifier, { onFailure: "halt500" as "halt401" }), TypeError);
    assert.throws(() => jwsVerify(verifier, { onFailure: { assign: "" } }), TypeError);
    // A failure stored under the subject's key would pass `if (!c.get(key))` checks.
    assert.throws(
      () => jwsVerify(verifier, { onFailure: { assign: "pkcs11exSubject" } }),
      TypeError,
    );
    assert.throws(
      () => jwsVerify(verifier, { assign: "who", onFailure: { assign: "who" } }),
      TypeError,
    );
    assert.throws(() => jwsVerify(verifier, { header: "" }), TypeError);
    assert.throws(() => jwsVerify(verifier, { bodyLimit: -1 }), RangeError);
    assert.throws(() => jwsVerify(verifier, { bodyLimit: 1.5 }), RangeError);
    assert.equal(jwsVerify(verifier).name, "jwsVerify");
  });

  test("the verifier's signatureHeader is the default header", async () => {
    const app = new Hono<{ Variables: Variables }>();
    app.use("*", jwsVerify({ ...verifier, signatureHeader: "x-jws-signature" }));
    app.post("/", (c) => c.text(String(c.get("pkcs11exSubject"))));
    await withServer(app, async (url) => {
      const res = await post(url, body, { "x-jws-signature": await signJws(body, good.signer) });
      assert.equal(res.text, "acme");
    });
  });
});
