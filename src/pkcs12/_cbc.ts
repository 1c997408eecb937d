/**
 * CBC decryption with PKCS#7 padding for the ciphers PKCS#12 bundles use: AES through
 * WebCrypto (Deno's node:crypto lacks AES-192), triple DES through node:crypto, RC2 in
 * TypeScript. A wrong key shows up as bad padding, reported as `undefined`.
 *
 * @module
 */
import { createDecipheriv } from "node:crypto";
import { rc2CbcDecrypt } from "./_rc2.ts";

/** A block cipher in CBC mode and its key. */
export type CbcCipher =
  | { kind: "aes"; key: Uint8Array }
  | { kind: "des-ede3"; key: Uint8Array }
  | { kind: "rc2"; key: Uint8Array; effectiveBits: number };

/** The block length of a cipher in bytes. */
export function blockSize(cipher: CbcCipher): number {
  return cipher.kind === "aes" ? 16 : 8;
}

/** Strips PKCS#7 padding; `undefined` (and the buffer zeroed) when the padding is wrong. */
function unpad(plain: Uint8Array, block: number): Uint8Array | undefined {
  const n = plain[plain.length - 1];
  let ok = plain.length > 0 && n >= 1 && n <= block && n <= plain.length;
  for (let i = plain.length - n; ok && i < plain.length; i++) ok = plain[i] === n;
  if (!ok) {
    plain.fill(0);
    return undefined;
  }
  const out = plain.slice(0, plain.length - n);
  plain.fill(0);
  return out;
}

async function raw(cipher: CbcCipher, iv: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  switch (cipher.kind) {
    case "aes": {
      // WebCrypto checks the padding itself; add a block of known padding so it never fails.
      const key = await crypto.subtle.importKey(
        "raw",
        cipher.key as Uint8Array<ArrayBuffer>,
        "AES-CBC",
        false,
        [
          "encrypt",
          "decrypt",
        ],
      );
      const last = data.subarray(data.length - 16);
      const pad = new Uint8Array(
        await crypto.subtle.encrypt(
          { name: "AES-CBC", iv: last as Uint8Array<ArrayBuffer> },
          key,
          new Uint8Array(0),
        ),
      );
      const joined = new Uint8Array(data.length + 16);
      joined.set(data);
      joined.set(pad, data.length);
      return new Uint8Array(
        await crypto.subtle.decrypt(
          { name: "AES-CBC", iv: iv as Uint8Array<ArrayBuffer> },
          key,
          joined,
        ),
      );
    }
    case "des-ede3": {
      const d = createDecipheriv("des-ede3-cbc", cipher.key, iv).setAutoPadding(false);
      const head = new Uint8Array(d.update(data));
      const tail = new Uint8Array(d.final());
      const out = new Uint8Array(head.length + tail.length);
      out.set(head);
      out.set(tail, head.length);
      head.fill(0);
      return out;
    }
    case "rc2":
      return rc2CbcDecrypt(cipher.key, cipher.effectiveBits, iv, data);
  }
}

/**
 * Decrypts `data` with `cipher` in CBC mode and removes the PKCS#7 padding.
 *
 * @returns The plaintext, or `undefined` when the length or the padding is wrong (a wrong
 *   password, or corrupted bytes).
 */
export async function cbcDecrypt(
  cipher: CbcCipher,
  iv: Uint8Array,
  data: Uint8Array,
): Promise<Uint8Array | undefined> {
  const block = blockSize(cipher);
  if (iv.length !== block || data.length === 0 || data.length % block !== 0) return undefined;
  return unpad(await raw(cipher, iv, data), block);
}
