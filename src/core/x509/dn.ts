/**
 * Distinguished names: the RFC 4514 string form and the RFC 5280 §7.1 normalized form
 * (whitespace folded, case-insensitive comparison of string attributes, lowercase hex for
 * non-string values), plus a parser for RFC 4514 strings so patterns can be compared.
 *
 * @module
 */
import { AsnConvert } from "@peculiar/asn1-schema";
import { Name } from "@peculiar/asn1-x509";
import { toHex } from "./hex.ts";

/** One attribute of a relative distinguished name. */
export interface DnAttribute {
  /** Short name (`CN`, `O`, …) or dotted OID. */
  type: string;
  /** The value as text; non-string values as `#` + hex of their DER. */
  value: string;
}

/** A DN as RDNs in RFC 4514 order (most specific first), each a set of attributes. */
export type Dn = DnAttribute[][];

const SHORT_NAMES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.4": "SN",
  "2.5.4.5": "SERIALNUMBER",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "STREET",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.12": "T",
  "2.5.4.42": "GN",
  "0.9.2342.19200300.100.1.1": "UID",
  "0.9.2342.19200300.100.1.25": "DC",
  "1.2.840.113549.1.9.1": "EMAILADDRESS",
};
const OID_BY_NAME: Record<string, string> = Object.fromEntries(
  Object.entries(SHORT_NAMES).map(([oid, name]) => [name, oid]),
);

/** Decodes a DER `Name` into RDNs in RFC 4514 order; throws on malformed input. */
export function decodeName(der: Uint8Array): Dn {
  const name = AsnConvert.parse(der, Name);
  const rdns: Dn = [];
  for (const rdn of name) {
    rdns.push(rdn.map((atv) => {
      const type = SHORT_NAMES[atv.type] ?? atv.type;
      const v = atv.value;
      const value = v.anyValue ? `#${toHex(new Uint8Array(v.anyValue))}` : v.toString();
      return { type, value };
    }));
  }
  return rdns.reverse();
}

function escapeValue(value: string): string {
  if (value.startsWith("#") && /^#([0-9a-fA-F]{2})+$/.test(value)) return value;
  let out = value.replace(/[\\",+;<>=]/g, (c) => `\\${c}`).replace(/\0/g, "\\00");
  if (out.startsWith(" ") || out.startsWith("#")) out = `\\${out}`;
  if (out.endsWith(" ") && !out.endsWith("\\ ")) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** The RFC 4514 string of a DN. */
export function dnToString(dn: Dn): string {
  return dn.map((rdn) => rdn.map((a) => `${a.type}=${escapeValue(a.value)}`).join("+")).join(",");
}

function normalizeType(type: string): string {
  const upper = type.toUpperCase().replace(/^OID\./, "");
  return OID_BY_NAME[upper] ? upper : (SHORT_NAMES[upper] ?? upper);
}

/** Normalizes one attribute per RFC 5280 §7.1 (whitespace folded, case folded). */
export function normalizeAttribute(a: DnAttribute): DnAttribute {
  const value = a.value.startsWith("#") ? a.value.toLowerCase() : a.value.trim().replace(
    /\s+/g,
    " ",
  ).toLowerCase();
  return { type: normalizeType(a.type), value };
}

/** The normalized form of a DN: attributes normalized, multi-valued RDNs sorted. */
export function normalizeDn(dn: Dn): Dn {
  return dn.map((rdn) =>
    rdn.map(normalizeAttribute).sort((x, y) =>
      `${x.type}=${x.value}` < `${y.type}=${y.value}` ? -1 : 1
    )
  );
}

function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && i + 1 < text.length) {
      cur += c + text[i + 1];
      i++;
    } else if (c === sep) {
      parts.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts;
}

function unescapeValue(text: string): string {
  return text.trim().replace(
    /\\([0-9a-fA-F]{2}|.)/g,
    (_, e: string) => e.length === 2 ? String.fromCharCode(parseInt(e, 16)) : e,
  );
}

/**
 * Parses an RFC 4514 DN string (`CN=Acme,O=Acme Corp,C=CL`) into RDNs; throws a
 * `TypeError` naming the bad component when it is not one.
 */
export function parseDnString(text: string): Dn {
  if (text.trim() === "") return [];
  return splitUnescaped(text, ",").map((rdn) =>
    splitUnescaped(rdn, "+").map((atv) => {
      const [type, ...rest] = splitUnescaped(atv, "=");
      if (rest.length === 0 || type.trim() === "") {
        throw new TypeError(`Cannot parse the DN "${text}": "${atv}" is not TYPE=value`);
      }
      return { type: type.trim(), value: unescapeValue(rest.join("=")) };
    })
  );
}
