/**
 * Reaching a configured slot from a task: load the driver (pin checked before `dlopen`)
 * and find the slot by token label or id.
 *
 * @module
 */
import { Pkcs11exError } from "../../src/core/errors.ts";
import { Pkcs11Module } from "../../src/ffi/module.ts";
import type { SlotTarget } from "./config.ts";

/** A loaded driver and the slot of a configured slot reference. */
export interface OpenedSlot {
  /** The loaded module. */
  readonly module: Pkcs11Module;
  /** The slot id. */
  readonly slotId: bigint;
}

/** Loads the target's driver and finds its slot (`slot_not_found` when absent). */
export async function openSlot(target: SlotTarget): Promise<OpenedSlot> {
  const module = await Pkcs11Module.load(target.driver, {
    sha256: target.sha256,
    reserved: target.reserved,
  });
  const match = target.slotMatch;
  if ("tokenLabel" in match) {
    return { module, slotId: module.findSlotByTokenLabel(match.tokenLabel) };
  }
  const slotId = match.slotId;
  if (!module.slots(true).includes(slotId)) {
    throw new Pkcs11exError(
      "slot_not_found",
      `No token in slot ${slotId} of ${target.driver} (slot "${target.ref}")`,
      { detail: { slotId: slotId.toString() } },
    );
  }
  return { module, slotId };
}
