/**
 * The configuration of `Pkcs11ex.start` (api §1): its types and {@linkcode resolveConfig},
 * which validates it with valibot, applies the defaults and enforces the boot rules of
 * api §1.5, throwing a `ConfigError` that names the offending key.
 *
 * @module
 */
export type {
  AnyFormat,
  ConfigEnvironment,
  KeyConfig,
  PinCallback,
  PinContext,
  Pkcs11exConfig,
  Reauthentication,
  ResolvedConfig,
  ResolvedKeyConfig,
  ResolvedSlotConfig,
  SlotConfig,
  SlotMatch,
  SlotType,
} from "./types.ts";
export { resolveConfig } from "./resolve.ts";
