/** An ES256 identity whose self-signed certificate expired in 2020 (made with `openssl ca`). */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runOk } from "../_support/run.ts";
import { softwareSigner, type TestIdentity } from "../_support/software_keys.ts";
import type { DocumentSigner } from "../../src/core/signer.ts";

/** Makes the expired identity in `dir`. */
export function makeExpired(dir: string): { identity: TestIdentity; signer: DocumentSigner } {
  const keyPath = join(dir, "expired.key.pem");
  const csrPath = join(dir, "expired.csr.pem");
  const certPath = join(dir, "expired.cert.pem");
  const confPath = join(dir, "ca.cnf");
  writeFileSync(join(dir, "index.txt"), "");
  writeFileSync(join(dir, "serial"), "01\n");
  writeFileSync(
    confPath,
    [
      "[ca]",
      "default_ca = d",
      "[d]",
      `database = ${join(dir, "index.txt")}`,
      `new_certs_dir = ${dir}`,
      `serial = ${join(dir, "serial")}`,
      "default_md = sha256",
      "policy = p",
      "[p]",
      "commonName = supplied",
      "",
    ].join("\n"),
  );
  runOk("openssl", [
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-out",
    keyPath,
  ]);
  runOk("openssl", ["req", "-new", "-key", keyPath, "-subj", "/CN=expired", "-out", csrPath]);
  runOk("openssl", [
    "ca",
    "-batch",
    "-config",
    confPath,
    "-selfsign",
    "-keyfile",
    keyPath,
    "-in",
    csrPath,
    "-startdate",
    "20200101000000Z",
    "-enddate",
    "20200201000000Z",
    "-notext",
    "-out",
    certPath,
  ]);
  const certDer = runOk("openssl", ["x509", "-in", certPath, "-outform", "DER"]).stdoutBytes;
  const identity: TestIdentity = {
    keyType: "ec",
    keyPath,
    certPath,
    keyPem: readFileSync(keyPath, "utf8"),
    certPem: readFileSync(certPath, "utf8"),
    certDer,
  };
  return { identity, signer: softwareSigner(identity, "ES256") };
}
