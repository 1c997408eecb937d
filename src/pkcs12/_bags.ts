/**
 * Reads a PFX (RFC 7292) into its certificates and decrypted private keys: checks the MAC,
 * walks the AuthenticatedSafe (plain and password-encrypted SafeContents) and the bags,
 * nested SafeContents included.
 *
 * @module
 */
import { concatBytes } from "../core/_bytes.ts";
import type { ContentInfo } from "@peculiar/asn1-cms";
import {
  AuthenticatedSafe,
  CertBag,
  PFX,
  PKCS8ShroudedKeyBag,
  SafeContents,
} from "@peculiar/asn1-pfx";
import { PrivateKeyInfo } from "@peculiar/asn1-pkcs8";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { Pkcs11exError } from "../core/errors.ts";
import { bytesOf, EncryptedData, parseAs } from "./_asn1.ts";
import { type BagAttributes, readAttributes } from "./_attributes.ts";
import { WorkBudget } from "./_budget.ts";
import { decrypt } from "./_decrypt.ts";
import { invalid, unsupported, wrongPassword } from "./_errors.ts";
import { verifyMac } from "./_mac.ts";
import type { PasswordBytes } from "./_password.ts";

const ID_DATA = "1.2.840.113549.1.7.1";
const ID_ENCRYPTED_DATA = "1.2.840.113549.1.7.6";
const KEY_BAG = "1.2.840.113549.1.12.10.1.1";
const SHROUDED_KEY_BAG = "1.2.840.113549.1.12.10.1.2";
const CERT_BAG = "1.2.840.113549.1.12.10.1.3";
const SAFE_CONTENTS_BAG = "1.2.840.113549.1.12.10.1.6";
const X509_CERTIFICATE = "1.2.840.113549.1.9.22.1";
const MAX_NESTING = 4;
const MAX_KEYS = 16;

/** A certificate bag. */
export interface CertEntry extends BagAttributes {
  /** The certificate DER. */
  der: Uint8Array;
}

/** A private key bag, decrypted. */
export interface KeyEntry extends BagAttributes {
  /** The PKCS#8 PrivateKeyInfo DER; the caller zeroes it. */
  pkcs8: Uint8Array;
}

/** Everything a PFX holds that this loader reads. */
export interface PfxContents {
  /** Certificate bags in bundle order. */
  certs: CertEntry[];
  /** Key bags in bundle order. */
  keys: KeyEntry[];
}

/** Zeroes every decrypted key of `contents`. */
export function disposeContents(contents: PfxContents): void {
  for (const key of contents.keys) key.pkcs8.fill(0);
}

class Walker {
  readonly out: PfxContents = { certs: [], keys: [] };
  readonly budget = new WorkBudget();

  constructor(readonly password: PasswordBytes, readonly maxCerts: number) {}

  async safeContents(der: Uint8Array, depth: number): Promise<void> {
    if (depth > MAX_NESTING) throw invalid("SafeContents nest too deeply", "too_deep");
    for (const bag of parseAs(der, SafeContents, "a SafeContents")) {
      const attrs = readAttributes(bag.bagAttributes);
      const value = bytesOf(bag.bagValue);
      switch (bag.bagId) {
        case KEY_BAG:
          this.addKey(value.slice(), attrs);
          break;
        case SHROUDED_KEY_BAG: {
          const info = parseAs(value, PKCS8ShroudedKeyBag, "a shrouded key bag");
          const data = bytesOf(info.encryptedData);
          this.addKey(
            await decrypt(info.encryptionAlgorithm, data, this.password, this.budget),
            attrs,
          );
          break;
        }
        case CERT_BAG:
          this.addCert(value, attrs);
          break;
        case SAFE_CONTENTS_BAG:
          await this.safeContents(value, depth + 1);
          break;
      }
    }
  }

  addKey(pkcs8: Uint8Array, attrs: BagAttributes): void {
    if (this.out.keys.length >= MAX_KEYS) {
      pkcs8.fill(0);
      throw invalid(`the bundle holds more than ${MAX_KEYS} keys`, "too_many_keys");
    }
    try {
      AsnConvert.parse(pkcs8, PrivateKeyInfo);
    } catch (err) {
      pkcs8.fill(0);
      // A shrouded key that decrypts to garbage means a wrong password whose padding passed.
      throw wrongPassword("decrypt the private key", err);
    }
    this.out.keys.push({ pkcs8, ...attrs });
  }

  addCert(value: Uint8Array, attrs: BagAttributes): void {
    const bag = parseAs(value, CertBag, "a certificate bag");
    if (bag.certId !== X509_CERTIFICATE) return;
    if (this.out.certs.length >= this.maxCerts) {
      throw new Pkcs11exError(
        "p12_chain_too_long",
        `Cannot load the PKCS#12 bundle: it holds more than ${this.maxCerts} certificates`,
        { detail: { maxChain: this.maxCerts } },
      );
    }
    const der = bytesOf(parseAs(bag.certValue, OctetString, "a certificate bag")).slice();
    this.out.certs.push({ der, ...attrs });
  }

  async authSafe(der: Uint8Array): Promise<void> {
    for (const info of parseAs(der, AuthenticatedSafe, "the AuthenticatedSafe")) {
      if (info.contentType === ID_DATA) {
        await this.safeContents(dataContent(info), 0);
      } else if (info.contentType === ID_ENCRYPTED_DATA) {
        const eci = parseAs(info.content, EncryptedData, "an EncryptedData").encryptedContentInfo;
        const enc = eci.encryptedContent;
        const data = enc?.value
          ? bytesOf(enc.value)
          : concatBytes((enc?.constructedValue ?? []).map((part) => bytesOf(part)));
        const plain = await decrypt(
          eci.contentEncryptionAlgorithm,
          data,
          this.password,
          this.budget,
        );
        try {
          await this.safeContents(plain, 0);
        } finally {
          plain.fill(0);
        }
      } else {
        throw unsupported(info.contentType);
      }
    }
  }
}

/** The OCTET STRING content of an id-data ContentInfo. */
function dataContent(info: ContentInfo): Uint8Array {
  return bytesOf(parseAs(info.content, OctetString, "a data ContentInfo"));
}

/**
 * Decodes a PFX, checking its MAC when it has one.
 *
 * @param der The bundle bytes.
 * @param password The password (its BMP forms may be narrowed by the MAC check).
 * @param maxCerts More certificate bags than this fail with `p12_chain_too_long`.
 * @returns The certificates and decrypted keys; dispose with {@linkcode disposeContents}.
 */
export async function readPfx(
  der: Uint8Array,
  password: PasswordBytes,
  maxCerts: number,
): Promise<PfxContents> {
  const pfx = parseAs(der, PFX, "the PFX");
  if (pfx.version !== 3) throw invalid(`version ${pfx.version} is not 3`, "bad_version");
  if (pfx.authSafe.contentType !== ID_DATA) throw unsupported(pfx.authSafe.contentType);
  const authSafe = dataContent(pfx.authSafe);
  const walker = new Walker(password, maxCerts);
  // The schema fills in an empty MacData when the bundle has none (`openssl -nomac`).
  if (pfx.macData?.mac.digestAlgorithm.algorithm) {
    await verifyMac(pfx.macData, authSafe, password, walker.budget);
  }
  try {
    await walker.authSafe(authSafe);
  } catch (err) {
    disposeContents(walker.out);
    throw err;
  }
  return walker.out;
}
