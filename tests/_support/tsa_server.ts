/**
 * A real RFC 3161 time-stamp authority on 127.0.0.1 for tests: each POSTed TimeStampReq is
 * answered by `openssl ts -reply` with a TSA certificate (extendedKeyUsage critical
 * timeStamping) issued by a throw-away CA. Modes make the failures a client must handle.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { AsnConvert } from "@peculiar/asn1-schema";
import { PKIFreeText, PKIStatusInfo, TimeStampReq, TimeStampResp } from "@peculiar/asn1-tsp";
import { runOk } from "./run.ts";

/** How the server answers. */
export type TsaMode =
  | "normal" // a granted response from openssl ts -reply
  | "reject" // PKIStatus rejection (2)
  | "http500" // HTTP 500
  | "garbage" // HTTP 200 with a body that is not DER
  | "no_token" // PKIStatus granted without a TimeStampToken
  | "wrong_imprint" // a valid response for another digest
  | "wrong_nonce" // a valid response for the same digest but another nonce
  | "bad_signature" // a valid response whose token signature is broken
  | "slow"; // answers after `slowMs`

/** A running TSA. */
export interface TsaServer {
  /** The URL to POST requests to. */
  url: string;
  /** The TSA certificate (PEM) and its CA (PEM), and their file paths. */
  tsaCertPem: string;
  caCertPem: string;
  tsaCertPath: string;
  caCertPath: string;
  /** Every response body sent, in order (for outside verification with `openssl ts`). */
  responses: Uint8Array[];
  /** Changes the mode for later requests. */
  setMode(mode: TsaMode): void;
  /** Stops the server, ending any request still waiting. */
  close(): Promise<void>;
}

function makePki(dir: string): void {
  const ext = join(dir, "tsa_ext.cnf");
  writeFileSync(
    ext,
    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n" +
      "extendedKeyUsage=critical,timeStamping\nsubjectKeyIdentifier=hash\n",
  );
  runOk("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    join(dir, "ca.key"),
    "-out",
    join(dir, "ca.pem"),
    "-days",
    "3",
    "-subj",
    "/CN=pkcs11ex Test TSA CA/C=CL",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign",
  ]);
  runOk("openssl", [
    "req",
    "-new",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    join(dir, "tsa.key"),
    "-out",
    join(dir, "tsa.csr"),
    "-subj",
    "/CN=pkcs11ex Test TSA/C=CL",
  ]);
  runOk("openssl", [
    "x509",
    "-req",
    "-in",
    join(dir, "tsa.csr"),
    "-CA",
    join(dir, "ca.pem"),
    "-CAkey",
    join(dir, "ca.key"),
    "-set_serial",
    "4242",
    "-days",
    "2",
    "-out",
    join(dir, "tsa.pem"),
    "-extfile",
    ext,
  ]);
  writeFileSync(join(dir, "tsaserial"), "01\n");
  writeFileSync(
    join(dir, "ts.cnf"),
    [
      "[ tsa ]",
      "default_tsa = tsa_config1",
      "[ tsa_config1 ]",
      `dir = ${dir}`,
      "serial = $dir/tsaserial",
      "crypto_device = builtin",
      "signer_cert = $dir/tsa.pem",
      "certs = $dir/ca.pem",
      "signer_key = $dir/tsa.key",
      "signer_digest = sha256",
      "default_policy = 1.3.6.1.4.1.99999.1",
      "digests = sha256, sha384, sha512",
      "accuracy = secs:1",
      "ordering = no",
      "tsa_name = yes",
      "ess_cert_id_chain = yes",
      "ess_cert_id_alg = sha256",
      "",
    ].join("\n"),
  );
}

function execOpenssl(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      "openssl",
      args,
      (err, _out, stderr) => err ? reject(new Error(`openssl ${args[1]}: ${stderr}`)) : resolve(),
    );
  });
}

function statusOnly(status: number, withText: boolean): Uint8Array {
  const info = new PKIStatusInfo({ status });
  if (withText) info.statusString = new PKIFreeText(["rejected by the test TSA"]);
  return new Uint8Array(AsnConvert.serialize(new TimeStampResp({ status: info })));
}

/**
 * Makes the TSA's PKI in `dir` and starts the server.
 *
 * @param dir A temporary directory the server may write to.
 * @param opts The first mode (default `normal`) and the delay of `slow` (default 3000 ms).
 */
export async function startTsaServer(
  dir: string,
  opts: { mode?: TsaMode; slowMs?: number } = {},
): Promise<TsaServer> {
  makePki(dir);
  let mode: TsaMode = opts.mode ?? "normal";
  let counter = 0;
  const responses: Uint8Array[] = [];
  const waiting = new Set<{ timer: ReturnType<typeof setTimeout>; res: ServerResponse }>();
  const cnf = join(dir, "ts.cnf");

  async function reply(query: Uint8Array): Promise<Uint8Array> {
    const n = ++counter;
    let q = join(dir, `q${n}.tsq`);
    writeFileSync(q, query);
    if (mode === "wrong_imprint" || mode === "wrong_nonce") {
      // A fresh query: another digest, or the same digest (re-read from the request) with
      // openssl's own random nonce.
      const other = join(dir, `o${n}.tsq`);
      const digest = mode === "wrong_imprint" ? "00".repeat(32) : queryDigest(query);
      await execOpenssl(["ts", "-query", "-digest", digest, "-sha256", "-cert", "-out", other]);
      q = other;
    }
    const out = join(dir, `r${n}.tsr`);
    await execOpenssl(["ts", "-reply", "-config", cnf, "-queryfile", q, "-out", out]);
    const body = new Uint8Array(readFileSync(out));
    if (mode === "bad_signature") body[body.length - 1] ^= 0x01;
    return body;
  }

  function queryDigest(query: Uint8Array): string {
    const req = AsnConvert.parse(query, TimeStampReq);
    return Buffer.from(req.messageImprint.hashedMessage.buffer).toString("hex");
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Uint8Array[] = [];
    for await (const c of req) chunks.push(c as Uint8Array);
    const query = new Uint8Array(Buffer.concat(chunks));
    const send = (status: number, body: Uint8Array) => {
      responses.push(body);
      res.writeHead(status, { "content-type": "application/timestamp-reply" }).end(body);
    };
    switch (mode) {
      case "http500":
        return void res.writeHead(500).end("TSA down");
      case "garbage":
        return send(200, new TextEncoder().encode("<html>not a time-stamp</html>"));
      case "reject":
        return send(200, statusOnly(2, true));
      case "no_token":
        return send(200, statusOnly(0, false));
      case "slow": {
        const entry = {
          res,
          timer: setTimeout(() => {
            waiting.delete(entry);
            res.writeHead(503).end();
          }, opts.slowMs ?? 3000),
        };
        waiting.add(entry);
        return;
      }
      default:
        return send(200, await reply(query));
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      res.writeHead(500).end(String(err));
    });
  });
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/tsa`,
    tsaCertPem: readFileSync(join(dir, "tsa.pem"), "utf8"),
    caCertPem: readFileSync(join(dir, "ca.pem"), "utf8"),
    tsaCertPath: join(dir, "tsa.pem"),
    caCertPath: join(dir, "ca.pem"),
    responses,
    setMode(next: TsaMode): void {
      mode = next;
    },
    close(): Promise<void> {
      for (const w of waiting) {
        clearTimeout(w.timer);
        w.res.destroy();
      }
      waiting.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      return closed;
    },
  };
}
