/**
 * Allowlist entries of CASignedAllowlist (api §2.3.5): SPKI SHA-256, whole-cert SHA-256,
 * and DN patterns (exact, or `CN=*` wildcard) compared after RFC 5280 §7.1 normalization.
 * SPKI entries are checked first, then cert hashes, then DN patterns.
 *
 * @module
 */
import { ConfigError } from "../core/errors.ts";
import type { X509Certificate } from "../core/x509.ts";
import { type Dn, normalizeDn, parseDnString } from "../core/x509/dn.ts";

/** One allowlist entry. */
export type AllowEntry =
  | { spkiSha256: string; subjectId: string }
  | { certSha256: string; subjectId: string }
  | { dnMatch: string; subjectId: string };

/** A compiled allowlist. */
export interface Allowlist {
  /** The subject id the leaf matches, or undefined. */
  match(leaf: X509Certificate): string | undefined;
}

function dnMatches(pattern: Dn, dn: Dn): boolean {
  if (pattern.length !== dn.length) return false;
  return pattern.every((rdn, i) => {
    const other = dn[i];
    if (rdn.length !== other.length) return false;
    return rdn.every((a, j) =>
      a.type === other[j].type &&
      (a.value === other[j].value || (a.type === "CN" && a.value === "*" && rdn.length === 1))
    );
  });
}

function hexKey(value: unknown, path: string): string {
  if (typeof value !== "string" || !/^[0-9a-fA-F]{64}$/.test(value)) {
    throw new ConfigError(path, "must be 64 hex characters (a SHA-256)");
  }
  return value.toLowerCase();
}

/** Compiles and checks allow entries; throws ConfigError naming the bad entry. */
export function compileAllowlist(entries: readonly AllowEntry[]): Allowlist {
  if (!Array.isArray(entries)) throw new ConfigError("trustPolicy.allow", "must be an array");
  const spki = new Map<string, string>();
  const certs = new Map<string, string>();
  const dns: { pattern: Dn; subjectId: string }[] = [];
  entries.forEach((entry, i) => {
    const path = `trustPolicy.allow[${i}]`;
    const e = entry as Record<string, unknown>;
    if (typeof e?.subjectId !== "string" || e.subjectId === "") {
      throw new ConfigError(`${path}.subjectId`, "must be a non-empty string");
    }
    if ("spkiSha256" in e) spki.set(hexKey(e.spkiSha256, `${path}.spkiSha256`), e.subjectId);
    else if ("certSha256" in e) certs.set(hexKey(e.certSha256, `${path}.certSha256`), e.subjectId);
    else if ("dnMatch" in e && typeof e.dnMatch === "string") {
      let pattern: Dn;
      try {
        pattern = normalizeDn(parseDnString(e.dnMatch));
      } catch (err) {
        throw new ConfigError(`${path}.dnMatch`, (err as Error).message);
      }
      const partial = pattern.flat().some((a) =>
        a.value.includes("*") && !(a.type === "CN" && a.value === "*")
      );
      if (partial || pattern.length === 0) {
        throw new ConfigError(
          `${path}.dnMatch`,
          "only a whole CN may be *, and the DN must not be empty",
        );
      }
      dns.push({ pattern, subjectId: e.subjectId });
    } else throw new ConfigError(path, "needs spkiSha256, certSha256 or dnMatch");
  });
  return {
    match(leaf: X509Certificate): string | undefined {
      const bySpki = spki.get(leaf.spkiSha256Hex);
      if (bySpki !== undefined) return bySpki;
      const byCert = certs.get(leaf.certSha256Hex);
      if (byCert !== undefined) return byCert;
      const dn = normalizeDn(leaf.subjectDn);
      return dns.find((d) => dnMatches(d.pattern, dn))?.subjectId;
    },
  };
}
