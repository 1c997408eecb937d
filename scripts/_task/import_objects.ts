/**
 * Puts a PKCS#12 key pair and its certificates on a token through one logged-in session:
 * refuses labels already in use unless `replace`, creates every object first, removes the
 * objects it replaces only once all new ones exist, and removes what it created when a
 * step fails (so a failed import leaves the token as it was).
 *
 * @module
 */
import { parseCertificate, type X509Certificate } from "../../src/core/x509.ts";
import { toHex } from "../../src/core/x509/hex.ts";
import type { AttributeTemplate } from "../../src/ffi/attributes.ts";
import { CKO } from "../../src/ffi/constants.ts";
import type { Session } from "../../src/ffi/session.ts";
import type { PrivateKeyForImport } from "../../src/pkcs12/_private_key.ts";
import { UsageError } from "./errors.ts";
import {
  certificateTemplate,
  keyTemplates,
  type ObjectNames,
} from "../../src/core/slot/key_templates.ts";

/** Options of {@linkcode importKeyAndCertificates}. */
export interface ImportOptions extends ObjectNames {
  /** Destroy existing objects with the same labels (after the new ones exist). */
  readonly replace: boolean;
  /** Also store the bundle's chain certificates (labels `<certLabel>-ca1`, `-ca2`, …). */
  readonly withChain: boolean;
}

/** One object the import created. */
export interface ImportedObject {
  /** `private key`, `public key`, `certificate` or `CA certificate`. */
  readonly kind: string;
  /** `CKA_LABEL`. */
  readonly label: string;
  /** `CKA_ID`, hex. */
  readonly idHex: string;
  /** A short description (key type and size, or certificate subject). */
  readonly description: string;
}

/** What an import did. */
export interface ImportResult {
  /** The objects created, private key first. */
  readonly created: ImportedObject[];
  /** How many existing objects were destroyed (with `replace`). */
  readonly replaced: number;
}

interface PlannedObject extends ImportedObject {
  readonly template: AttributeTemplate;
}

function keyDescription(leaf: X509Certificate): string {
  return leaf.keyType === "ec" ? `EC ${leaf.curve ?? "?"}` : `RSA ${leaf.keySize}`;
}

function plan(key: PrivateKeyForImport, options: ImportOptions): PlannedObject[] {
  const leaf = parseCertificate(key.leafDer);
  const { privateKey, publicKey } = keyTemplates(key, leaf, options);
  const idHex = toHex(options.id);
  const described = keyDescription(leaf);
  const objects: PlannedObject[] = [
    {
      kind: "private key",
      label: options.label,
      idHex,
      description: described,
      template: privateKey,
    },
    {
      kind: "public key",
      label: options.label,
      idHex,
      description: described,
      template: publicKey,
    },
    {
      kind: "certificate",
      label: options.certLabel,
      idHex,
      description: `${leaf.subject}, expires ${leaf.notAfter.toISOString()}`,
      template: certificateTemplate(leaf, options.certLabel, options.id),
    },
  ];
  if (options.withChain) {
    key.chainDer.forEach((der, i) => {
      const cert = parseCertificate(der);
      const label = `${options.certLabel}-ca${i + 1}`;
      const caId = cert.subjectKeyIdentifier ?? cert.spkiSha256Hex.slice(0, 16);
      const id = Uint8Array.from(caId.match(/../g)!, (p) => parseInt(p, 16));
      objects.push({
        kind: "CA certificate",
        label,
        idHex: caId,
        description: cert.subject,
        template: certificateTemplate(cert, label, id, true),
      });
    });
  }
  return objects;
}

const CLASS_BY_KIND: Record<string, number> = {
  "private key": CKO.CKO_PRIVATE_KEY,
  "public key": CKO.CKO_PUBLIC_KEY,
  "certificate": CKO.CKO_CERTIFICATE,
  "CA certificate": CKO.CKO_CERTIFICATE,
};

/** Handles of objects already on the token under the labels the plan uses. */
function existing(session: Session, objects: PlannedObject[]): { kind: string; handle: bigint }[] {
  const found: { kind: string; handle: bigint }[] = [];
  const seen = new Set<bigint>();
  for (const { kind, label } of objects) {
    for (
      const handle of session.findObjects({ CKA_CLASS: CLASS_BY_KIND[kind], CKA_LABEL: label })
    ) {
      if (!seen.has(handle)) found.push({ kind, handle });
      seen.add(handle);
    }
  }
  return found;
}

/**
 * Labels of the key pair / certificate objects that already carry `id` under another label
 * than this import's (two keys with one `CKA_ID` make a lookup by id ambiguous).
 */
function idTakenBy(session: Session, options: ImportOptions): string[] {
  const ours = new Set([options.label, options.certLabel]);
  const labels = new Set<string>();
  for (const cls of [CKO.CKO_PRIVATE_KEY, CKO.CKO_PUBLIC_KEY, CKO.CKO_CERTIFICATE]) {
    for (const handle of session.findObjects({ CKA_CLASS: cls, CKA_ID: options.id })) {
      const label = String(session.getAttributes(handle, ["CKA_LABEL"]).CKA_LABEL ?? "");
      if (!ours.has(label)) labels.add(label);
    }
  }
  return [...labels];
}

/**
 * Creates the key pair and certificates of `key` on the session's token (the user must be
 * logged in). Throws {@linkcode UsageError} when a label is taken and `replace` is off or
 * the id belongs to objects with other labels, and the `pkcs11_error` of a refused
 * `C_CreateObject` after undoing what it created.
 */
export function importKeyAndCertificates(
  session: Session,
  key: PrivateKeyForImport,
  options: ImportOptions,
): ImportResult {
  const objects = plan(key, options);
  const old = existing(session, objects);
  if (old.length > 0 && !options.replace) {
    const kinds = [...new Set(old.map((o) => o.kind))].join(", ");
    throw new UsageError(
      `The token already holds objects with these labels (${kinds}): pass --replace to overwrite them`,
    );
  }
  const others = idTakenBy(session, options);
  if (others.length > 0) {
    throw new UsageError(
      `CKA_ID ${toHex(options.id)} already belongs to objects labelled ${
        others.map((l) => `"${l}"`).join(", ")
      }: choose another --id`,
    );
  }
  const created: bigint[] = [];
  try {
    for (const object of objects) created.push(session.createObject(object.template));
  } catch (error) {
    for (const handle of created.reverse()) {
      try {
        session.destroyObject(handle);
      } catch {
        // Best effort: the creation failure below is the one to report.
      }
    }
    throw error;
  }
  for (const { handle } of old) session.destroyObject(handle);
  return {
    created: objects.map(({ template: _template, ...object }) => object),
    replaced: old.length,
  };
}
