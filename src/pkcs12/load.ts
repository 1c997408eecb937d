/**
 * `PKCS12.load`: the certificates of a PKCS#12 (.p12 / .pfx) bundle, never its private key.
 *
 * @module
 */
import { parseCertificate, type X509Certificate } from "../core/x509.ts";
import { type CertEntry, disposeContents, type KeyEntry, readPfx } from "./_bags.ts";
import { invalid } from "./_errors.ts";
import { type BundleCert, findEndEntity, findKeyCert, orderChain } from "./_leaf.ts";
import { disposePassword, encodePassword } from "./_password.ts";
import { readSource } from "./_source.ts";

/** Options of {@linkcode load}. */
export interface Pkcs12LoadOptions {
  /**
   * The bundle password (a string, or its UTF-8 bytes). Omit only for a bundle without one.
   * The library copies it into bytes it zeroes after use; it never keeps it.
   */
  password?: string | Uint8Array;
  /** Bundles with more certificates than this fail with `p12_chain_too_long` (default 8). */
  maxChain?: number;
}

/** What a bundle holds, without its private key. */
export interface Pkcs12Bundle {
  /** The certificate of the bundle's private key (or, without a key, the end-entity one). */
  readonly leaf: X509Certificate;
  /** The other certificates, from the leaf's issuer toward the root, then any unlinked ones. */
  readonly chain: readonly X509Certificate[];
  /** Whether the bundle holds a private key (which this loader never returns). */
  readonly hasPrivateKey: boolean;
  /** The friendlyName of the key (or of the leaf's bag), if any. */
  readonly friendlyName: string | undefined;
}

/** The certificates and keys of a bundle, as {@linkcode load} and the import task read them. */
export interface DecodedBundle {
  /** The leaf's bag. */
  leaf: CertEntry & { cert: X509Certificate };
  /** The chain, ordered like {@linkcode Pkcs12Bundle.chain}. */
  chain: X509Certificate[];
  /** The key the leaf belongs to, decrypted; the caller zeroes `pkcs8`. */
  key: KeyEntry | undefined;
  /** The friendlyName of the key, else of the leaf's bag. */
  friendlyName: string | undefined;
}

function toCert(entry: CertEntry): BundleCert & CertEntry & { cert: X509Certificate } {
  try {
    return { ...entry, cert: parseCertificate(entry.der) };
  } catch (err) {
    throw invalid("a certificate bag holds no valid certificate", "bad_certificate", err);
  }
}

/**
 * Reads a bundle and picks its leaf, chain and key (internal: {@linkcode load} drops the key).
 * Keys other than the leaf's are zeroed before returning.
 */
export async function decodeBundle(
  source: string | Uint8Array,
  options: Pkcs12LoadOptions = {},
): Promise<DecodedBundle> {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("Cannot load the PKCS#12 bundle: options must be an object");
  }
  const maxChain = options.maxChain ?? 8;
  if (!Number.isSafeInteger(maxChain) || maxChain < 1) {
    throw new RangeError("Cannot load the PKCS#12 bundle: maxChain must be a positive integer");
  }
  const bytes = await readSource(source);
  const password = encodePassword(options.password);
  let contents;
  try {
    contents = await readPfx(bytes, password, maxChain);
  } finally {
    disposePassword(password);
  }
  try {
    const certs = contents.certs.map(toCert);
    if (certs.length === 0) throw invalid("it holds no certificate", "no_certificate");
    const key = contents.keys[0];
    const index = key
      ? findKeyCert(certs, key.pkcs8, key.localKeyId)
      : findEndEntity(certs.map((c) => c.cert));
    if (index < 0) throw invalid("no certificate matches the private key", "no_key_certificate");
    const leaf = certs[index];
    const rest = certs.filter((_, i) => i !== index).map((c) => c.cert);
    for (const other of contents.keys.slice(1)) other.pkcs8.fill(0);
    return {
      leaf,
      chain: orderChain(leaf.cert, rest),
      key,
      friendlyName: key?.friendlyName ?? leaf.friendlyName,
    };
  } catch (err) {
    disposeContents(contents);
    throw err;
  }
}

/**
 * Loads the certificates of a PKCS#12 bundle. The private key, if present, is decrypted only
 * to find its certificate and check the password, then zeroed: it is never returned.
 *
 * Reads what OpenSSL 3 (PBES2 with PBKDF2 and AES, SHA-256 MAC), `openssl -legacy` and
 * Windows (3DES and RC2-40 with the PKCS#12 KDF, SHA-1 MAC) write, and PBMAC1. Key
 * derivations run off the event loop where the runtime allows (PBKDF2) and may spend at most
 * the work of 2 000 000 PBKDF2 iterations in all (real bundles need a few thousand to under
 * 2 000 000); a bundle asking for more is refused before any is computed.
 *
 * @param source A file path, or the bundle bytes.
 * @param options `password` and `maxChain`.
 * @returns The leaf, its chain, whether a key is present and the friendlyName.
 * @throws {Pkcs11exError} `p12_invalid` (malformed, empty, too large, unreadable file,
 *   `detail.kind` `kdf_work_limit` for too many key-derivation iterations),
 *   `p12_password_incorrect` (wrong password or corrupted bytes), `p12_chain_too_long`,
 *   `p12_unsupported_kdf` (`detail.oid` names the algorithm).
 * @throws {TypeError} / {RangeError} for a bad `source` or option.
 *
 * @example
 * ```ts ignore
 * import { PKCS12 } from "@pkcs11ex/pkcs11ex/pkcs12";
 *
 * const { leaf, chain } = await PKCS12.load("signer.p12", { password: Deno.env.get("P12_PW") });
 * console.log(leaf.subject, chain.length);
 * ```
 */
export async function load(
  source: string | Uint8Array,
  options: Pkcs12LoadOptions = {},
): Promise<Pkcs12Bundle> {
  const decoded = await decodeBundle(source, options);
  decoded.key?.pkcs8.fill(0);
  return Object.freeze({
    leaf: decoded.leaf.cert,
    chain: Object.freeze(decoded.chain),
    hasPrivateKey: decoded.key !== undefined,
    friendlyName: decoded.friendlyName,
  });
}
