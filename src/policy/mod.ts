/**
 * Trust policies and the verification pipeline (api §2.3): `PinnedRegistry` (default),
 * `CASignedAllowlist`, `Allow` (tests only), `helpers` for custom policies, and
 * `verifyPipeline`, the one verification algorithm every format runs.
 *
 * @module
 */
export type { Environment, Policy, PolicyContext, Resolved, SignerHint } from "./types.ts";
export { PinnedRegistry, type PinnedRegistryOptions } from "./pinned_registry.ts";
export {
  type AllowEntry,
  CASignedAllowlist,
  type CASignedAllowlistOptions,
  type CrlFetcher,
  type OcspCheck,
} from "./ca_signed_allowlist.ts";
export { Allow, type AllowOptions } from "./allow.ts";
export * from "./helpers.ts";
export {
  type PipelineInput,
  type PipelineOptions,
  type PipelineResult,
  verifyPipeline,
} from "./pipeline.ts";
export type { CertificateInput } from "./_certificate_input.ts";
export type { SignatureAlgorithmId } from "./helpers/signed_by.ts";
export type { KeyFacts } from "../core/algorithms/registry.ts";
