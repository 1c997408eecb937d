/**
 * Test PKIs made by `openssl` (root → intermediate → leaf, RSA or EC) with openssl `ca`
 * databases, so CRLs come from `openssl ca -gencrl` and OCSP responses from `openssl ocsp`.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runOk } from "./run.ts";

/** A certificate and its key, made by openssl. */
export interface Issued {
  name: string;
  keyPath: string;
  certPath: string;
  certPem: string;
  certDer: Uint8Array;
}

/** How to make a certificate. */
export interface CertSpec {
  name: string;
  keyType?: "rsa" | "ec";
  /** openssl -subj form, most general first (default `/C=CL/O=pkcs11ex tests/CN=<name>`). */
  subject?: string;
  /** Make a CA (basicConstraints cA:TRUE). */
  ca?: boolean;
  pathLen?: number;
  /** keyUsage value (default by role). */
  keyUsage?: string;
  /** extendedKeyUsage value. */
  eku?: string;
  /** basicConstraints value, overriding `ca`/`pathLen`. */
  basicConstraints?: string;
  notBefore?: Date;
  notAfter?: Date;
}

const DAY = 86_400_000;

function asn1Time(d: Date): string {
  const iso = d.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `${iso.slice(2)}Z`;
}

function makeKey(dir: string, name: string, keyType: "rsa" | "ec"): string {
  const keyPath = join(dir, `${name}.key.pem`);
  const args = keyType === "rsa"
    ? ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
    : ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];
  runOk("openssl", ["genpkey", ...args, "-out", keyPath]);
  return keyPath;
}

function extensions(spec: CertSpec, selfSigned: boolean): string {
  const bc = spec.basicConstraints ??
    (spec.ca
      ? `critical,CA:TRUE${spec.pathLen !== undefined ? `,pathlen:${spec.pathLen}` : ""}`
      : "CA:FALSE");
  const ku = spec.keyUsage ??
    (spec.ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,nonRepudiation");
  const lines = [
    "[ext]",
    `basicConstraints=${bc}`,
    ...(ku === "" ? [] : [`keyUsage=${ku}`]),
    "subjectKeyIdentifier=hash",
    `authorityKeyIdentifier=${selfSigned ? "keyid:always" : "keyid"}`,
    ...(spec.eku ? [`extendedKeyUsage=${spec.eku}`] : []),
  ];
  return lines.join("\n") + "\n";
}

/** A CA with its own `openssl ca` database. */
export class TestCa {
  readonly dir: string;
  readonly cert: Issued;
  readonly keyType: "rsa" | "ec";
  #configPath: string;

  private constructor(dir: string, cert: Issued, keyType: "rsa" | "ec", configPath: string) {
    this.dir = dir;
    this.cert = cert;
    this.keyType = keyType;
    this.#configPath = configPath;
  }

  static #setup(dir: string, name: string): { caDir: string; configPath: string } {
    const caDir = join(dir, `${name}-db`);
    mkdirSync(join(caDir, "newcerts"), { recursive: true });
    writeFileSync(join(caDir, "index.txt"), "");
    writeFileSync(
      join(caDir, "serial"),
      `${(Math.floor(Math.random() * 0xffff) + 0x1000).toString(16).padStart(6, "0")}\n`,
    );
    writeFileSync(join(caDir, "crlnumber"), "01\n");
    const configPath = join(caDir, "ca.cnf");
    writeFileSync(
      configPath,
      [
        "[ca]",
        "default_ca=CA_default",
        "[CA_default]",
        `dir=${caDir}`,
        "database=$dir/index.txt",
        "new_certs_dir=$dir/newcerts",
        "serial=$dir/serial",
        "crlnumber=$dir/crlnumber",
        "default_md=sha256",
        "policy=policy_any",
        "unique_subject=no",
        "preserve=yes",
        "email_in_dn=no",
        "copy_extensions=none",
        "default_crl_days=7",
        "[policy_any]",
        "countryName=optional",
        "stateOrProvinceName=optional",
        "localityName=optional",
        "organizationName=optional",
        "organizationalUnitName=optional",
        "commonName=supplied",
        "",
      ].join("\n"),
    );
    return { caDir, configPath };
  }

  #sign(spec: CertSpec, csrPath: string, keyPath: string, selfSign: boolean): Issued {
    const certPath = join(this.dir, `${spec.name}.cert.pem`);
    const extPath = join(this.dir, `${spec.name}.ext.cnf`);
    writeFileSync(extPath, extensions(spec, selfSign));
    const notBefore = spec.notBefore ?? new Date(Date.now() - DAY);
    const notAfter = spec.notAfter ?? new Date(Date.now() + 30 * DAY);
    runOk("openssl", [
      "ca",
      "-batch",
      "-notext",
      "-config",
      this.#configPath,
      "-in",
      csrPath,
      "-out",
      certPath,
      "-extfile",
      extPath,
      "-extensions",
      "ext",
      "-startdate",
      asn1Time(notBefore),
      "-enddate",
      asn1Time(notAfter),
      ...(selfSign
        ? ["-selfsign", "-keyfile", keyPath]
        : ["-cert", this.cert.certPath, "-keyfile", this.cert.keyPath]),
    ]);
    const certDer = runOk("openssl", ["x509", "-in", certPath, "-outform", "DER"]).stdoutBytes;
    return { name: spec.name, keyPath, certPath, certPem: readFileSync(certPath, "utf8"), certDer };
  }

  static #csr(dir: string, spec: CertSpec, keyPath: string): string {
    const csrPath = join(dir, `${spec.name}.csr.pem`);
    runOk("openssl", [
      "req",
      "-new",
      "-key",
      keyPath,
      "-out",
      csrPath,
      "-subj",
      spec.subject ?? `/C=CL/O=pkcs11ex tests/CN=${spec.name}`,
    ]);
    return csrPath;
  }

  /** Makes a self-signed root CA. */
  static root(dir: string, spec: CertSpec): TestCa {
    const keyType = spec.keyType ?? "rsa";
    const keyPath = makeKey(dir, spec.name, keyType);
    const { configPath } = TestCa.#setup(dir, spec.name);
    const csr = TestCa.#csr(dir, spec, keyPath);
    const ca = new TestCa(dir, { name: spec.name } as Issued, keyType, configPath);
    const cert = ca.#sign({ ca: true, ...spec }, csr, keyPath, true);
    return new TestCa(dir, cert, keyType, configPath);
  }

  /** Issues a certificate (any role) signed by this CA. */
  issue(spec: CertSpec): Issued {
    const keyPath = makeKey(this.dir, spec.name, spec.keyType ?? this.keyType);
    return this.#sign(spec, TestCa.#csr(this.dir, spec, keyPath), keyPath, false);
  }

  /** Issues a subordinate CA that can itself issue. */
  subCa(spec: CertSpec): TestCa {
    const cert = this.issue({ ca: true, ...spec });
    const { configPath } = TestCa.#setup(this.dir, spec.name);
    return new TestCa(this.dir, cert, spec.keyType ?? this.keyType, configPath);
  }

  /** Marks `cert` revoked in this CA's database. */
  revoke(cert: Issued): void {
    runOk("openssl", [
      "ca",
      "-config",
      this.#configPath,
      "-revoke",
      cert.certPath,
      "-cert",
      this.cert.certPath,
      "-keyfile",
      this.cert.keyPath,
      "-crl_reason",
      "keyCompromise",
    ]);
  }

  /** A DER CRL made by `openssl ca -gencrl`. */
  crl(): Uint8Array {
    const pem = join(this.dir, `${this.cert.name}.crl.pem`);
    runOk("openssl", [
      "ca",
      "-gencrl",
      "-config",
      this.#configPath,
      "-cert",
      this.cert.certPath,
      "-keyfile",
      this.cert.keyPath,
      "-out",
      pem,
    ]);
    return runOk("openssl", ["crl", "-in", pem, "-outform", "DER"]).stdoutBytes;
  }

  /**
   * A DER OCSP response from `openssl ocsp` acting as responder with `responder` (default
   * this CA), for `cert` or a bare serial (unknown to the database → status unknown).
   */
  ocsp(
    target: Issued | { serial: string },
    responder: Issued = this.cert,
    opts: { noNonce?: boolean } = {},
  ): { response: Uint8Array; request: Uint8Array } {
    const req = join(this.dir, "ocsp.req.der");
    const resp = join(this.dir, "ocsp.resp.der");
    const targetArgs = "serial" in target ? ["-serial", target.serial] : ["-cert", target.certPath];
    runOk("openssl", [
      "ocsp",
      "-issuer",
      this.cert.certPath,
      ...targetArgs,
      "-reqout",
      req,
      ...(opts.noNonce ? ["-no_nonce"] : []),
    ]);
    runOk("openssl", [
      "ocsp",
      "-index",
      join(this.dir, `${this.cert.name}-db`, "index.txt"),
      "-CA",
      this.cert.certPath,
      "-rsigner",
      responder.certPath,
      "-rkey",
      responder.keyPath,
      "-reqin",
      req,
      "-respout",
      resp,
      "-ndays",
      "1",
    ]);
    return {
      response: new Uint8Array(readFileSync(resp)),
      request: new Uint8Array(readFileSync(req)),
    };
  }
}
