/**
 * Decoding of the structural streams the reader needs (cross-reference and object streams):
 * FlateDecode with PNG predictors (ISO 32000-2 §7.4.4), bounded in output size.
 *
 * @module
 */
import { inflateSync } from "node:zlib";
import { type Budget, malformed } from "./_limits.ts";
import { dictOf, type PdfDict, PdfName, type PdfObject, type PdfStream } from "./_objects.ts";

/** Decodes a stream's data; only FlateDecode (with PNG or no predictor) or no filter. */
export function decodeStream(stream: PdfStream, budget: Budget): Uint8Array {
  const filters = asList(stream.dict.get("Filter"));
  const params = asList(stream.dict.get("DecodeParms"));
  let data = stream.raw();
  filters.forEach((f, i) => {
    if (!(f instanceof PdfName) || (f.value !== "FlateDecode" && f.value !== "Fl")) {
      throw malformed("unsupported_filter", "a structural stream uses an unsupported filter");
    }
    data = inflate(data, budget);
    const p = dictOf(params[i] ?? null);
    if (p) data = unpredict(data, p, budget);
  });
  return data;
}

function asList(v: PdfObject | undefined): PdfObject[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function inflate(data: Uint8Array, budget: Budget): Uint8Array {
  budget.tick(data.length >>> 4);
  try {
    return new Uint8Array(inflateSync(data, { maxOutputLength: budget.maxStreamBytes }));
  } catch (cause) {
    const tooBig = (cause as { code?: string }).code === "ERR_BUFFER_TOO_LARGE";
    throw malformed(
      tooBig ? "stream_too_large" : "flate_error",
      tooBig ? "a stream inflates past the size limit" : "a stream does not inflate",
    );
  }
}

function unpredict(data: Uint8Array, p: PdfDict, budget: Budget): Uint8Array {
  const predictor = p.get("Predictor") ?? 1;
  if (predictor === 1) return data;
  const colors = p.get("Colors") ?? 1;
  const bpc = p.get("BitsPerComponent") ?? 8;
  const columns = p.get("Columns") ?? 1;
  if (
    typeof predictor !== "number" || predictor < 10 || colors !== 1 || bpc !== 8 ||
    typeof columns !== "number" || !Number.isSafeInteger(columns) || columns < 1 ||
    columns > 1 << 20
  ) {
    throw malformed("unsupported_predictor", "a structural stream uses an unsupported predictor");
  }
  const rowLen = columns + 1;
  const rows = Math.floor(data.length / rowLen);
  budget.tick(data.length >>> 4);
  const out = new Uint8Array(rows * columns);
  for (let r = 0; r < rows; r++) {
    const type = data[r * rowLen];
    const src = r * rowLen + 1;
    const dst = r * columns;
    for (let c = 0; c < columns; c++) {
      const raw = data[src + c];
      const left = c > 0 ? out[dst + c - 1] : 0;
      const up = r > 0 ? out[dst - columns + c] : 0;
      const upLeft = r > 0 && c > 0 ? out[dst - columns + c - 1] : 0;
      let v: number;
      switch (type) {
        case 0:
          v = raw;
          break;
        case 1:
          v = raw + left;
          break;
        case 2:
          v = raw + up;
          break;
        case 3:
          v = raw + ((left + up) >> 1);
          break;
        case 4:
          v = raw + paeth(left, up, upLeft);
          break;
        default:
          throw malformed("unsupported_predictor", "a PNG row has an unknown filter type");
      }
      out[dst + c] = v & 0xff;
    }
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}
