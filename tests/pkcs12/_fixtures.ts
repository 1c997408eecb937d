/**
 * PKCS#12 bundles made by `openssl pkcs12 -export` for the loader tests: a root →
 * intermediate → leaf chain with RSA and EC leaf keys, in a temporary directory.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runOk } from "../_support/run.ts";
import { makeTempDir } from "../_support/tmp.ts";

/** The password of every fixture bundle unless a test says otherwise. */
export const PASSWORD = "correct horse";

/** Keys, certificates (PEM paths and DER) of a three-level chain. */
export interface ChainFixture {
  dir: string;
  cleanup: () => void;
  rootCert: string;
  intCert: string;
  rsaKey: string;
  rsaCert: string;
  ecKey: string;
  ecCert: string;
  der: (certPath: string) => Uint8Array;
}

function key(dir: string, name: string, kind: "rsa" | "ec"): string {
  const path = join(dir, `${name}.key.pem`);
  const args = kind === "rsa"
    ? ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
    : ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];
  runOk("openssl", ["genpkey", ...args, "-out", path]);
  return path;
}

function cert(
  dir: string,
  name: string,
  keyPath: string,
  issuer: { cert: string; key: string } | undefined,
  ca: boolean,
): string {
  const path = join(dir, `${name}.cert.pem`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(
    ext,
    `basicConstraints=critical,CA:${ca}\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n`,
  );
  const subj = `/CN=${name}/O=pkcs11ex p12 tests/C=CL`;
  if (!issuer) {
    runOk("openssl", [
      "req",
      "-new",
      "-x509",
      "-key",
      keyPath,
      "-out",
      path,
      "-days",
      "30",
      "-subj",
      subj,
      "-addext",
      "basicConstraints=critical,CA:true",
    ]);
    return path;
  }
  const csr = join(dir, `${name}.csr`);
  runOk("openssl", ["req", "-new", "-key", keyPath, "-out", csr, "-subj", subj]);
  runOk("openssl", [
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    issuer.cert,
    "-CAkey",
    issuer.key,
    "-CAcreateserial",
    "-out",
    path,
    "-days",
    "30",
    "-extfile",
    ext,
  ]);
  return path;
}

/** Makes root (RSA) → intermediate (EC) → leaves (one RSA, one EC) in a temp dir. */
export function makeChain(): ChainFixture {
  const { dir, cleanup } = makeTempDir("pkcs11ex-p12-");
  const rootKey = key(dir, "root", "ec");
  const rootCert = cert(dir, "Root CA", rootKey, undefined, true);
  const intKey = key(dir, "int", "ec");
  const intCert = cert(dir, "Intermediate CA", intKey, { cert: rootCert, key: rootKey }, true);
  const rsaKey = key(dir, "leaf-rsa", "rsa");
  const rsaCert = cert(dir, "Leaf RSA", rsaKey, { cert: intCert, key: intKey }, false);
  const ecKey = key(dir, "leaf-ec", "ec");
  const ecCert = cert(dir, "Leaf EC", ecKey, { cert: intCert, key: intKey }, false);
  return {
    dir,
    cleanup,
    rootCert,
    intCert,
    rsaKey,
    rsaCert,
    ecKey,
    ecCert,
    der: (p) => runOk("openssl", ["x509", "-in", p, "-outform", "DER"]).stdoutBytes,
  };
}

let counter = 0;

/**
 * Runs `openssl pkcs12 -export` with `args` (plus `-passout pass:<password>`) and returns
 * the bundle path and bytes.
 */
export function exportP12(
  fx: ChainFixture,
  args: string[],
  password: string = PASSWORD,
): { path: string; bytes: Uint8Array } {
  const path = join(fx.dir, `bundle-${++counter}.p12`);
  runOk("openssl", ["pkcs12", "-export", "-out", path, "-passout", `pass:${password}`, ...args]);
  return { path, bytes: new Uint8Array(readFileSync(path)) };
}

/** The PEM of the root and intermediate, in that order (root first, on purpose). */
export function caFile(fx: ChainFixture): string {
  const path = join(fx.dir, "cas.pem");
  const text = readFileSync(fx.rootCert, "utf8") + readFileSync(fx.intCert, "utf8");
  writeFileSync(path, text);
  return path;
}
