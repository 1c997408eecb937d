/**
 * Internal (not exported from `mod.ts`): the private key of a bundle split into the parts a
 * PKCS#11 `C_CreateObject` template needs, for the import-p12 provisioning task. The caller
 * must call `dispose()` as soon as the key is on the token; it zeroes every key byte.
 *
 * @module
 */
import { decodeBundle } from "./load.ts";
import { invalid } from "./_errors.ts";
import { disposeKeyParts, type EcParts, type RsaParts, splitPrivateKey } from "./_key_parts.ts";

export type { EcParts, RsaParts } from "./_key_parts.ts";

/** A bundle's key as parts, with its certificates; zero it with `dispose()`. */
export interface PrivateKeyForImport {
  /** The key type. */
  keyType: "rsa" | "ec";
  /** RSA components (big-endian unsigned, no leading zero), for an RSA key. */
  rsa?: RsaParts;
  /** Curve, private value and public point, for an EC key. */
  ec?: EcParts;
  /** The certificate of the key, DER. */
  leafDer: Uint8Array;
  /** The other certificates, DER, leaf's issuer first. */
  chainDer: Uint8Array[];
  /** The key's friendlyName (else the leaf's), if any. */
  friendlyName: string | undefined;
  /** The key bag's localKeyId, if any. */
  localKeyId: Uint8Array | undefined;
  /** Zeroes every key byte. */
  dispose(): void;
}

/**
 * Reads the private key of a bundle for import into a token.
 *
 * @param source A file path, or the bundle bytes.
 * @param options The bundle password.
 * @throws {Pkcs11exError} the reasons of `PKCS12.load`, and `p12_invalid` with
 *   `detail.kind` `no_private_key` or `unsupported_key_type` (only RSA and EC import).
 */
export async function readPrivateKeyForImport(
  source: string | Uint8Array,
  options: { password?: string | Uint8Array } = {},
): Promise<PrivateKeyForImport> {
  const decoded = await decodeBundle(source, { password: options.password });
  const key = decoded.key;
  if (!key) throw invalid("it holds no private key", "no_private_key");
  let parts;
  try {
    parts = splitPrivateKey(key.pkcs8);
  } finally {
    key.pkcs8.fill(0);
  }
  if (parts.keyType === "other") {
    throw invalid(`the key type ${parts.algorithmOid} cannot be imported`, "unsupported_key_type");
  }
  const split = parts;
  return {
    keyType: split.keyType,
    rsa: split.keyType === "rsa" ? split.rsa : undefined,
    ec: split.keyType === "ec" ? split.ec : undefined,
    leafDer: decoded.leaf.der,
    chainDer: decoded.chain.map((c) => c.der),
    friendlyName: decoded.friendlyName,
    localKeyId: key.localKeyId,
    dispose: () => disposeKeyParts(split),
  };
}
