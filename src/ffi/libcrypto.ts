/**
 * Signature verification through OpenSSL 3's libcrypto (`EVP_DigestVerify`,
 * `EVP_PKEY_verify`), bound with our own FFI adapter. Parsed public keys (`EVP_PKEY *`)
 * are cached per key id in a bounded LRU and freed on eviction; no pointer leaves this
 * file. One instance per thread: calls are synchronous and not reentrant.
 *
 * @module
 */
import type {
  FfiAdapter,
  FunctionSignature,
  NativeCall,
  NativeHandle,
  NativeLibrary,
} from "./adapter.ts";
import { loadAdapter } from "./runtime.ts";

/** The signature schemes libcrypto verifies here. */
export type LibcryptoScheme = "rsa_pkcs1" | "rsa_pss" | "ecdsa" | "eddsa";

/** One verification, as plain data. */
export interface LibcryptoVerifyInput {
  /** A stable id of the key (e.g. its SPKI SHA-256), the cache key. */
  readonly keyId: string;
  /** The SubjectPublicKeyInfo DER. */
  readonly spkiDer: Uint8Array;
  /** The scheme; the key's type must match it. */
  readonly scheme: LibcryptoScheme;
  /** The hash (`none` for EdDSA). */
  readonly hash: "sha256" | "sha384" | "sha512" | "none";
  /** The PSS salt length in bytes. */
  readonly saltLength?: number;
  /** The message, or its digest when `precomputedDigest`. */
  readonly data: Uint8Array;
  /** The signature (DER `SEQUENCE { r, s }` for ECDSA). */
  readonly signature: Uint8Array;
  /** Whether `data` is the digest already (not for EdDSA). */
  readonly precomputedDigest: boolean;
}

/** A libcrypto opened in this thread. */
export interface LibcryptoVerifier {
  /**
   * True when the signature is valid, false when it is not.
   * @throws {Error} when libcrypto refuses the key (unparsable SPKI, wrong key type).
   */
  verify(input: LibcryptoVerifyInput): boolean;
  /** Frees every cached key and closes the library. */
  close(): void;
}

const P = "pointer", H = "handle", I = "i32", S = "size", V = "void";
const sig = (parameters: FunctionSignature["parameters"], result: FunctionSignature["result"]) => ({
  parameters,
  result,
});
const SYMBOLS = {
  d2i_PUBKEY: sig([P, P, S], H),
  EVP_PKEY_free: sig([H], V),
  EVP_PKEY_get_base_id: sig([H], I),
  EVP_MD_CTX_new: sig([], H),
  EVP_MD_CTX_free: sig([H], V),
  EVP_MD_CTX_reset: sig([H], I),
  EVP_MD_CTX_get_pkey_ctx: sig([H], H),
  EVP_MD_CTX_copy_ex: sig([H, H], I),
  EVP_DigestVerifyInit: sig([H, P, H, P, H], I),
  EVP_DigestVerify: sig([H, P, S, P, S], I),
  EVP_PKEY_CTX_new: sig([H, P], H),
  EVP_PKEY_CTX_free: sig([H], V),
  EVP_PKEY_verify_init: sig([H], I),
  EVP_PKEY_verify: sig([H, P, S, P, S], I),
  EVP_PKEY_CTX_set_signature_md: sig([H, H], I),
  EVP_PKEY_CTX_set_rsa_padding: sig([H, I], I),
  EVP_PKEY_CTX_set_rsa_pss_saltlen: sig([H, I], I),
  EVP_PKEY_CTX_set_rsa_mgf1_md: sig([H, H], I),
  EVP_sha256: sig([], H),
  EVP_sha384: sig([], H),
  EVP_sha512: sig([], H),
  ERR_clear_error: sig([], V),
} as const satisfies Record<string, FunctionSignature>;

/** Where OpenSSL 3's libcrypto lives on Linux, macOS and Windows. */
export const LIBCRYPTO_NAMES: readonly string[] = [
  "libcrypto.so.3",
  "libcrypto.3.dylib",
  "/opt/homebrew/lib/libcrypto.3.dylib",
  "/usr/local/lib/libcrypto.3.dylib",
  "libcrypto-3-x64.dll",
];

const EVP_PKEY_RSA = 6, EVP_PKEY_RSA_PSS = 912, EVP_PKEY_EC = 408, EVP_PKEY_ED25519 = 1087;
const KEY_TYPES: Record<LibcryptoScheme, readonly number[]> = {
  rsa_pkcs1: [EVP_PKEY_RSA],
  rsa_pss: [EVP_PKEY_RSA, EVP_PKEY_RSA_PSS],
  ecdsa: [EVP_PKEY_EC],
  eddsa: [EVP_PKEY_ED25519],
};
const RSA_PKCS1_PADDING = 1, RSA_PKCS1_PSS_PADDING = 6;

/** A parsed key and its initialized verification contexts, by parameters. */
interface KeyEntry {
  readonly pkey: NativeHandle;
  readonly type: number;
  readonly templates: Map<string, NativeHandle>;
}

function createVerifier(
  adapter: FfiAdapter,
  lib: NativeLibrary,
  maxKeys: number,
): LibcryptoVerifier {
  const fns = lib.symbols;
  const call = <T>(name: keyof typeof SYMBOLS, ...args: Parameters<NativeCall>) =>
    fns[name](...args) as T;
  const digests = {
    sha256: call<NativeHandle>("EVP_sha256"),
    sha384: call<NativeHandle>("EVP_sha384"),
    sha512: call<NativeHandle>("EVP_sha512"),
    none: null,
  };
  const md = call<NativeHandle>("EVP_MD_CTX_new");
  const keys = new Map<string, KeyEntry>();
  const cursor = new BigUint64Array(1);
  const cursorBytes = new Uint8Array(cursor.buffer);

  function parseKey(der: Uint8Array): KeyEntry {
    const start = adapter.addressOf(der);
    cursor[0] = start;
    const pkey = call<NativeHandle | null>("d2i_PUBKEY", null, cursorBytes, BigInt(der.length));
    if (pkey === null || cursor[0] !== start + BigInt(der.length)) {
      if (pkey !== null) call("EVP_PKEY_free", pkey);
      call("ERR_clear_error");
      throw new Error("libcrypto refused the SubjectPublicKeyInfo");
    }
    return { pkey, type: call<number>("EVP_PKEY_get_base_id", pkey), templates: new Map() };
  }

  function free(entry: KeyEntry): void {
    for (const template of entry.templates.values()) call("EVP_MD_CTX_free", template);
    call("EVP_PKEY_free", entry.pkey);
  }

  function key(input: LibcryptoVerifyInput): KeyEntry {
    let entry = keys.get(input.keyId);
    if (entry) {
      keys.delete(input.keyId);
    } else {
      entry = parseKey(input.spkiDer);
      if (keys.size >= maxKeys) {
        const [oldest, old] = keys.entries().next().value!;
        keys.delete(oldest);
        free(old);
      }
    }
    keys.set(input.keyId, entry);
    if (!KEY_TYPES[input.scheme].includes(entry.type)) {
      throw new Error(`libcrypto: the key cannot verify ${input.scheme}`);
    }
    return entry;
  }

  /** Sets RSA padding (and PSS salt/MGF1) on a key context; false when refused. */
  function rsaParams(pctx: NativeHandle | null, input: LibcryptoVerifyInput): boolean {
    if (input.scheme !== "rsa_pss" && input.scheme !== "rsa_pkcs1") return true;
    if (pctx === null) return false;
    const pss = input.scheme === "rsa_pss";
    if (
      call<number>(
        "EVP_PKEY_CTX_set_rsa_padding",
        pctx,
        pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING,
      ) <=
        0
    ) return false;
    if (!pss) return true;
    return call<number>("EVP_PKEY_CTX_set_rsa_pss_saltlen", pctx, input.saltLength ?? 32) > 0 &&
      call<number>("EVP_PKEY_CTX_set_rsa_mgf1_md", pctx, digests[input.hash]) > 0;
  }

  /** Initializes `ctx` for a message verification of `input` with `pkey`. */
  function init(ctx: NativeHandle, pkey: NativeHandle, input: LibcryptoVerifyInput): boolean {
    call("EVP_MD_CTX_reset", ctx);
    return call<number>("EVP_DigestVerifyInit", ctx, null, digests[input.hash], null, pkey) === 1 &&
      rsaParams(call<NativeHandle | null>("EVP_MD_CTX_get_pkey_ctx", ctx), input);
  }

  /**
   * An `EVP_MD_CTX` initialized once per key and parameters; each verification copies it
   * (cheaper than initializing: OpenSSL 3 fetches the algorithm on every init).
   */
  function template(entry: KeyEntry, input: LibcryptoVerifyInput): NativeHandle | null {
    const id = `${input.scheme}|${input.hash}|${input.saltLength ?? ""}`;
    const cached = entry.templates.get(id);
    if (cached) return cached;
    const ctx = call<NativeHandle>("EVP_MD_CTX_new");
    if (!init(ctx, entry.pkey, input)) {
      call("EVP_MD_CTX_free", ctx);
      return null;
    }
    entry.templates.set(id, ctx);
    return ctx;
  }

  function verifyMessage(entry: KeyEntry, input: LibcryptoVerifyInput): number {
    const ctx = template(entry, input);
    if (ctx === null) return -1;
    if (call<number>("EVP_MD_CTX_copy_ex", md, ctx) !== 1 && !init(md, entry.pkey, input)) {
      return -1;
    }
    const { signature, data } = input;
    return call<number>(
      "EVP_DigestVerify",
      md,
      signature,
      BigInt(signature.length),
      data,
      BigInt(data.length),
    );
  }

  function verifyDigest(pkey: NativeHandle, input: LibcryptoVerifyInput): number {
    const pctx = call<NativeHandle | null>("EVP_PKEY_CTX_new", pkey, null);
    if (pctx === null) return -1;
    try {
      if (
        call<number>("EVP_PKEY_verify_init", pctx) !== 1 ||
        call<number>("EVP_PKEY_CTX_set_signature_md", pctx, digests[input.hash]) <= 0 ||
        !rsaParams(pctx, input)
      ) return -1;
      const { signature, data } = input;
      return call<number>(
        "EVP_PKEY_verify",
        pctx,
        signature,
        BigInt(signature.length),
        data,
        BigInt(data.length),
      );
    } finally {
      call("EVP_PKEY_CTX_free", pctx);
    }
  }

  return {
    verify(input: LibcryptoVerifyInput): boolean {
      const entry = key(input);
      const rc = input.precomputedDigest
        ? verifyDigest(entry.pkey, input)
        : verifyMessage(entry, input);
      if (rc !== 1) call("ERR_clear_error");
      return rc === 1;
    },
    close() {
      for (const entry of keys.values()) free(entry);
      keys.clear();
      call("EVP_MD_CTX_free", md);
      lib.close();
    },
  };
}

/**
 * Opens OpenSSL 3's libcrypto (the first of `names` that loads) for verification;
 * resolves `null` when none does, or when opening libraries would need a permission
 * prompt (Deno without `--allow-ffi`), so that callers fall back to another backend.
 */
export async function openLibcrypto(
  names: readonly string[] = LIBCRYPTO_NAMES,
  maxKeys = 256,
): Promise<LibcryptoVerifier | null> {
  const adapter = await loadAdapter();
  if (!adapter.mayOpenLibraries()) return null;
  for (const name of names) {
    try {
      const lib = adapter.openLibrary(name, SYMBOLS);
      return createVerifier(adapter, lib, maxKeys);
    } catch {
      // not here, or not OpenSSL 3: try the next name
    }
  }
  return null;
}
