/**
 * Turns a telemetry {@linkcode SpanContext} into OpenTelemetry attributes.
 *
 * @module
 */

import type { Attributes, AttributeValue } from "@opentelemetry/api";
import type { SpanContext } from "../core/telemetry.ts";

/** `slotRef` → `slot_ref`, as OpenTelemetry attribute names are written. */
function snakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

/** One metadata value as an attribute value; plain objects and mixed arrays become JSON. */
function toAttributeValue(value: unknown): AttributeValue | undefined {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return value;
    case "bigint":
      return value.toString();
    case "object": {
      if (value === null) return undefined;
      if (Array.isArray(value)) {
        if (value.every((v) => typeof v === "string")) return value as string[];
        if (value.every((v) => typeof v === "number")) return value as number[];
        if (value.every((v) => typeof v === "boolean")) return value as boolean[];
      }
      return JSON.stringify(value, (_k, v) => typeof v === "bigint" ? v.toString() : v);
    }
    default:
      return undefined;
  }
}

/**
 * The attributes of one span or event: every metadata key and every measurement except
 * `systemTime` (which is the span's start time), snake_cased under `namespace`
 * (`pkcs11ex.slot_ref`, `pkcs11ex.byte_count`, `pkcs11ex.duration` in ms).
 */
export function toAttributes(ctx: SpanContext, namespace: string): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(ctx.metadata)) {
    const v = toAttributeValue(value);
    if (v !== undefined) out[`${namespace}.${snakeCase(key)}`] = v;
  }
  for (const [key, value] of Object.entries(ctx.measurements)) {
    if (key !== "systemTime" && typeof value === "number") {
      out[`${namespace}.${snakeCase(key)}`] = value;
    }
  }
  return out;
}
