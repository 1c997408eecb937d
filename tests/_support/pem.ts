/** PEM encoding for tests (64-column lines, no blank line: BoringSSL in Bun rejects one). */

/** A DER certificate as PEM text. */
export function certificatePem(der: Uint8Array): string {
  const b64 = btoa(Array.from(der, (b) => String.fromCharCode(b)).join(""));
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}
