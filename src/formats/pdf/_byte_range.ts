/**
 * Structural checks of one signature dictionary: `/ByteRange` sanity and the `/Contents`
 * hex string it must bracket exactly (api §3.3 step 1, §4.1 PDF reasons).
 *
 * @module
 */
import { Pkcs11exError } from "../../core/errors.ts";
import { isNonNegInt, type PdfDict, PdfString } from "./_objects.ts";

/** A checked signature: its four-number range and the CMS bytes of `/Contents`. */
export interface CheckedRange {
  byteRange: [number, number, number, number];
  contentsDer: Uint8Array;
}

function invalid(kind: string, message: string): Pkcs11exError {
  return new Pkcs11exError("byte_range_invalid", `Cannot verify the PDF signature: ${message}`, {
    detail: { kind },
  });
}

/**
 * Checks `/ByteRange` and `/Contents` of `sig` against a file of `size` bytes.
 * @param inFile Whether the dictionary is stored uncompressed in the file (not in an object stream).
 */
export function checkByteRange(sig: PdfDict, size: number, inFile: boolean): CheckedRange {
  const br = sig.get("ByteRange");
  if (!Array.isArray(br) || br.length !== 4 || !br.every(isNonNegInt)) {
    throw invalid("not_four_integers", "/ByteRange is not four non-negative integers");
  }
  const [a, b, c, d] = br as number[];
  if (a !== 0) throw invalid("not_from_start", "/ByteRange does not start at byte 0");
  if (a + b > size || c + d > size) {
    throw new Pkcs11exError(
      "byte_range_out_of_bounds",
      `Cannot verify the PDF signature: /ByteRange reaches byte ${
        Math.max(a + b, c + d)
      } of a ${size}-byte file`,
      { detail: { kind: "byte_range_out_of_bounds", end: c + d, size } },
    );
  }
  if (b > c) throw invalid("overlap", "the two /ByteRange ranges overlap");
  if (b === c) throw invalid("no_hole", "/ByteRange leaves no room for /Contents");
  const contents = sig.get("Contents");
  if (!(contents instanceof PdfString) || !contents.hex || !contents.wellFormed) {
    throw new Pkcs11exError(
      "malformed_signature_contents",
      "Cannot verify the PDF signature: /Contents is not a hexadecimal string",
    );
  }
  if (!inFile) {
    throw invalid("signature_in_object_stream", "the signature dictionary is compressed");
  }
  if (contents.start !== b || contents.end !== c) {
    throw invalid("hole_not_contents", "the /ByteRange hole is not exactly the /Contents string");
  }
  return { byteRange: [a, b, c, d], contentsDer: trimDer(contents.bytes) };
}

/** Drops the zero padding after a DER value (BER with indefinite length is kept whole). */
function trimDer(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 2 || bytes[0] !== 0x30) return bytes;
  const first = bytes[1];
  if (first < 0x80) return bytes.subarray(0, Math.min(bytes.length, 2 + first));
  const n = first & 0x7f;
  if (n === 0 || n > 4 || bytes.length < 2 + n) return bytes;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + bytes[2 + i];
  return bytes.subarray(0, Math.min(bytes.length, 2 + n + len));
}
