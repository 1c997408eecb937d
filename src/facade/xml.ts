/**
 * `p11.xml`: enveloped XAdES signing with token keys and verification through the
 * instance's trust policy (api §3.4). The XML stack is imported on first use.
 *
 * @module
 */
import type { Pkcs11ex, SignerRef } from "../core/pkcs11ex.ts";
import type { Policy } from "../policy/types.ts";
import type { XmlSignOptions } from "../formats/xml/sign.ts";
import type { XmlVerifyOptions, XmlVerifyResult } from "../formats/xml/verify.ts";

/** Options of `p11.xml.sign`. */
export interface XmlApiSignOptions extends XmlSignOptions {
  /** The signing key (default: key `signing` on the default slot). */
  signer?: SignerRef;
  /** The algorithm (default: the key's pinned alg, else the first compatible allowed alg). */
  alg?: string;
}

/** Options of `p11.xml.verify` (the instance supplies policy, allowlist and algorithms). */
export type XmlApiVerifyOptions =
  & Omit<XmlVerifyOptions, "policy" | "allowedAlgs" | "algorithms">
  & {
    /** A per-call trust policy (default: `config.trustPolicy`). */
    trustPolicy?: Policy;
  };

/** The `p11.xml` API. */
export interface XmlApi {
  /** Signs an XML document with an enveloped XAdES signature (B-B; B-T with `tsaUrl`). */
  sign(doc: string, opts?: XmlApiSignOptions): Promise<string>;
  /** Verifies the document's signature; rejects with the spec's reason. */
  verify(doc: string | Uint8Array, opts?: XmlApiVerifyOptions): Promise<XmlVerifyResult>;
}

/** Builds `p11.xml` over an instance. */
export function createXmlApi(p11: Pkcs11ex): XmlApi {
  return {
    async sign(doc, opts = {}) {
      const { signXml } = await import("../formats/xml/sign.ts");
      const { signer: ref, alg, ...rest } = opts;
      const signer = await p11.signer(ref, { alg, format: "xml" });
      return await signXml(doc, signer, rest);
    },
    verify(doc, opts = {}) {
      return p11.telemetry.verify({ format: "xml", encodingContext: "der" }, async (span) => {
        const { verifyXml } = await import("../formats/xml/verify.ts");
        const { trustPolicy, ...rest } = opts;
        const result = await verifyXml(doc, {
          policy: trustPolicy ?? p11.config.trustPolicy,
          allowedAlgs: p11.config.allowedAlgs,
          algorithms: p11.algorithms,
          maxClockSkew: p11.config.maxClockSkew,
          ...rest,
        });
        span.metadata.alg = result.alg;
        span.metadata.subjectId = String(result.subjectId);
        return result;
      });
    },
  };
}
