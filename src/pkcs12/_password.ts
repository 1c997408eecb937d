/**
 * The bundle password as bytes this module owns: UTF-8 for PBKDF2 (PBES2, PBMAC1) and the
 * BMPString form (UTF-16BE plus a two-byte terminator) for the PKCS#12 KDF of RFC 7292
 * appendix B. Every byte array is zeroed by {@linkcode disposePassword}.
 *
 * @module
 */

/** The encodings of one password; zero them with {@linkcode disposePassword}. */
export interface PasswordBytes {
  /** The password as UTF-8 (what PBKDF2 uses). */
  utf8: Uint8Array;
  /**
   * The BMPString forms to try with the PKCS#12 KDF. An empty or absent password has two
   * (OpenSSL's "" as two zero bytes, and the NULL password as no bytes); the MAC check
   * narrows the list to the one that verified.
   */
  bmp: Uint8Array[];
}

/** Decodes UTF-8 into code points; `undefined` when the bytes are not valid UTF-8. */
function codePoints(utf8: Uint8Array): number[] | undefined {
  const out: number[] = [];
  for (let i = 0; i < utf8.length;) {
    const b = utf8[i];
    const n = b < 0x80
      ? 0
      : b >= 0xc2 && b < 0xe0
      ? 1
      : b >= 0xe0 && b < 0xf0
      ? 2
      : b < 0xf5
      ? 3
      : -1;
    if (n < 0 || (n > 0 && b < 0xc2)) return undefined;
    let cp = n === 0 ? b : b & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const c = utf8[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return undefined;
      cp = (cp << 6) | (c & 0x3f);
    }
    const min = [0, 0x80, 0x800, 0x10000][n];
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    out.push(cp);
    i += n + 1;
  }
  return out;
}

/**
 * The BMPString form of a password given as UTF-8: UTF-16BE code units (surrogate pairs
 * above U+FFFF) and two zero bytes. Bytes that are not UTF-8 are taken one byte per code
 * unit, as OpenSSL does.
 */
function toBmp(utf8: Uint8Array): Uint8Array {
  const units: number[] = [];
  const cps = codePoints(utf8);
  if (cps === undefined) {
    units.push(...utf8);
  } else {
    for (const cp of cps) {
      if (cp > 0xffff) units.push(0xd800 | ((cp - 0x10000) >> 10), 0xdc00 | (cp & 0x3ff));
      else units.push(cp);
    }
    cps.fill(0);
  }
  const out = new Uint8Array(units.length * 2 + 2);
  units.forEach((u, i) => {
    out[2 * i] = u >> 8;
    out[2 * i + 1] = u & 0xff;
  });
  units.fill(0);
  return out;
}

/**
 * Copies the caller's password into bytes this module owns.
 *
 * @throws {TypeError} when `password` is neither a string, a Uint8Array nor undefined.
 */
export function encodePassword(password: string | Uint8Array | undefined): PasswordBytes {
  let utf8: Uint8Array;
  if (password === undefined) utf8 = new Uint8Array(0);
  else if (typeof password === "string") utf8 = new TextEncoder().encode(password);
  else if (password instanceof Uint8Array) utf8 = password.slice();
  else throw new TypeError("Cannot load the PKCS#12 bundle: password must be a string or bytes");
  const bmp = utf8.length === 0 ? [new Uint8Array(2), new Uint8Array(0)] : [toBmp(utf8)];
  return { utf8, bmp };
}

/** Zeroes every encoding of the password. */
export function disposePassword(password: PasswordBytes): void {
  password.utf8.fill(0);
  for (const b of password.bmp) b.fill(0);
}
