/**
 * The text form of a driver inventory (`list-slots` without `--json`): module and slot
 * headers, flags in words, and aligned tables of mechanisms and objects.
 *
 * @module
 */
import type { Version } from "../../src/ffi/module.ts";
import type { DriverReport, SlotReport } from "./inventory.ts";
import { formatTable } from "./table.ts";

/** `CKF_USER_PIN_INITIALIZED` → `user pin initialized`. */
export function flagWords(names: readonly string[]): string {
  return names.length === 0
    ? "(none)"
    : names.map((n) => n.replace(/^CKF_/, "").replaceAll("_", " ").toLowerCase()).join(", ");
}

const v = (version: Version): string => `${version.major}.${version.minor}`;
const count = (value: number | null): string => value === null ? "n/a" : String(value);
// ulMaxSessionCount 0 is CK_EFFECTIVELY_INFINITE.
const limit = (value: number | null): string => value === 0 ? "unlimited" : count(value);
const sizes = (min: number, max: number): string => min === 0 && max === 0 ? "-" : `${min}-${max}`;

function tokenLines(report: SlotReport): string[] {
  const token = report.token!;
  const lines = [
    `  Token "${token.label}"  model ${token.model}  serial ${token.serialNumber}  by ${token.manufacturerId}`,
    `    flags: ${flagWords(token.flagNames)}`,
    `    PIN length ${count(token.minPinLen)}-${count(token.maxPinLen)}, sessions ${
      count(token.sessionCount)
    } of ${limit(token.maxSessionCount)}, hardware ${v(token.hardwareVersion)}, firmware ${
      v(token.firmwareVersion)
    }`,
    `  Mechanisms (${report.mechanisms.length}):`,
    ...formatTable(
      ["name", "key sizes", "flags"],
      report.mechanisms.map((
        m,
      ) => [m.name, sizes(m.minKeySize, m.maxKeySize), flagWords(m.flagNames)]),
      "    ",
    ),
  ];
  if (report.objects === null) return [...lines, "  Objects: (token not initialized)"];
  const how = report.loggedIn
    ? "logged in"
    : report.loginError ?? "public objects only; log in with --login or --pin-from-env";
  lines.push(`  Objects (${report.objects.length}, ${how}):`);
  if (report.objects.length > 0) {
    lines.push(...formatTable(
      ["class", "label", "id", "key", "subject", "expires"],
      report.objects.map((o) => [
        o.class.replace(/^CKO_/, "").replaceAll("_", " ").toLowerCase(),
        o.label,
        o.id,
        o.keyType === undefined
          ? ""
          : [o.keyType.replace(/^CKK_/, ""), o.keySize ?? o.curve ?? ""].join(" ").trim(),
        o.subject ?? "",
        o.notAfter ?? "",
      ]),
      "    ",
    ));
  }
  return lines;
}

/** The text lines describing one driver. */
export function renderDriver(report: DriverReport): string[] {
  const { info } = report;
  const lines = [
    `Driver ${report.driver}`,
    `  ${info.libraryDescription} ${v(info.libraryVersion)} by ${info.manufacturerId}, Cryptoki ${
      v(info.cryptokiVersion)
    }`,
  ];
  if (report.slots.length === 0) lines.push("  (no slots match)");
  for (const slot of report.slots) {
    lines.push(
      "",
      `Slot ${slot.slot.slotId}  ${slot.slot.description}`,
      `  flags: ${flagWords(slot.slot.flagNames)}`,
    );
    if (slot.token !== null) lines.push(...tokenLines(slot));
  }
  return lines;
}
