/**
 * A read-only loader for PKCS#12 (.p12 / .pfx) bundles: certificates and chain, never the
 * private key. Native TypeScript (no `openssl` CLI).
 *
 * @example
 * ```ts ignore
 * import { PKCS12 } from "@pkcs11ex/pkcs11ex/pkcs12";
 *
 * const bundle = await PKCS12.load(p12Bytes, { password });
 * console.log(bundle.leaf.subject, bundle.hasPrivateKey);
 * ```
 *
 * @module
 */
import { load } from "./load.ts";

export { load };

export type { Pkcs12Bundle, Pkcs12LoadOptions } from "./load.ts";
export type {
  Dn,
  DnAttribute,
  KeyType,
  KeyUsageType,
  NamedCurve,
  X509Certificate,
} from "../core/x509.ts";

/** The PKCS#12 loader. */
export const PKCS12: { readonly load: typeof load } = Object.freeze({ load });
