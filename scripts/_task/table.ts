/**
 * Aligned text tables for task output.
 *
 * @module
 */

/** Formats rows as columns padded to their widest cell, two spaces apart, each line indented. */
export function formatTable(header: string[], rows: string[][], indent = ""): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((row) => (row[c] ?? "").length)));
  return all.map((row) =>
    (indent + row.map((cell, c) => cell.padEnd(widths[c])).join("  ")).trimEnd()
  );
}

/** JSON with bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) => typeof v === "bigint" ? v.toString() : v,
    2,
  );
}
