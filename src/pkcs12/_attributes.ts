/** The two PKCS#9 bag attributes a PFX uses: friendlyName and localKeyId. @module */
import type { PKCS12Attribute } from "@peculiar/asn1-pfx";
import { readWhole } from "../core/x509/der.ts";
import { bytesOf } from "./_asn1.ts";
import { invalid } from "./_errors.ts";

const FRIENDLY_NAME = "1.2.840.113549.1.9.20";
const LOCAL_KEY_ID = "1.2.840.113549.1.9.21";

/** The attributes of one SafeBag that this loader reads. */
export interface BagAttributes {
  /** The `friendlyName` (a BMPString), if present. */
  friendlyName?: string;
  /** The `localKeyId` (an OCTET STRING) linking a key to its certificate, if present. */
  localKeyId?: Uint8Array;
}

/** The content octets of the first value of `attr`, which must carry `tag`. */
function firstValue(attr: PKCS12Attribute, tag: number): Uint8Array {
  const value = attr.attrValues[0];
  if (!value) throw invalid("a bag attribute has no value", "bad_attribute");
  const bytes = bytesOf(value);
  try {
    const tlv = readWhole(bytes, tag);
    return bytes.slice(tlv.contentStart, tlv.end);
  } catch (err) {
    throw invalid("a bag attribute is malformed", "bad_attribute", err);
  }
}

/** Reads friendlyName and localKeyId from a bag's attributes. */
export function readAttributes(attrs: readonly PKCS12Attribute[] | undefined): BagAttributes {
  const out: BagAttributes = {};
  for (const attr of attrs ?? []) {
    if (attr.attrId === FRIENDLY_NAME) {
      const units = firstValue(attr, 0x1e);
      if (units.length % 2 !== 0) throw invalid("a friendlyName is malformed", "bad_attribute");
      let text = "";
      for (let i = 0; i < units.length; i += 2) {
        text += String.fromCharCode((units[i] << 8) | units[i + 1]);
      }
      out.friendlyName = text;
    } else if (attr.attrId === LOCAL_KEY_ID) {
      out.localKeyId = firstValue(attr, 0x04);
    }
  }
  return out;
}
