/**
 * Decodes XML bytes into text by the BOM and the encoding declaration (UTF-8, US-ASCII,
 * ISO-8859-1), and maps text offsets back to byte offsets so a signature can be spliced
 * into the original bytes without touching anything else.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { malformedXml } from "./errors.ts";

/** The encodings the parser reads. */
export type XmlEncoding = "utf-8" | "us-ascii" | "iso-8859-1";

/** A decoded document: the text and how to map it back to the source bytes. */
export interface DecodedXml {
  /** The document text without a BOM. */
  readonly text: string;
  /** The source encoding. */
  readonly encoding: XmlEncoding;
  /** The source bytes (undefined when the input was a string). */
  readonly bytes?: Uint8Array;
  /** Length of the BOM: in bytes for byte input, in UTF-16 units for string input. */
  readonly bomLength: number;
}

const DECL =
  /^<\?xml\s+version\s*=\s*(["'])1\.[0-9]+\1(?:\s+encoding\s*=\s*(["'])([A-Za-z][A-Za-z0-9._-]*)\2)?/;

function encodingOf(head: string, offset: number): XmlEncoding {
  const m = DECL.exec(head);
  const name = (m?.[3] ?? "utf-8").toLowerCase();
  if (name === "utf-8" || name === "utf8") return "utf-8";
  if (name === "us-ascii" || name === "ascii") return "us-ascii";
  if (name === "iso-8859-1" || name === "latin1" || name === "iso_8859-1" || name === "l1") {
    return "iso-8859-1";
  }
  throw malformedXml("unsupported_encoding", offset, `encoding "${name}" is not supported`);
}

/** Decodes a document given as text or bytes (a leading U+FEFF in text counts as a BOM). */
export function decodeXml(input: string | Uint8Array): DecodedXml {
  if (typeof input === "string") {
    const bomLength = input.charCodeAt(0) === 0xfeff ? 1 : 0;
    const text = bomLength ? input.slice(1) : input;
    return { text, encoding: "utf-8", bomLength };
  }
  if (!(input instanceof Uint8Array)) {
    throw new TypeError("The XML document must be a string or bytes");
  }
  if (
    input.length >= 2 &&
    ((input[0] === 0xfe && input[1] === 0xff) || (input[0] === 0xff && input[1] === 0xfe))
  ) {
    throw malformedXml("unsupported_encoding", 0, "UTF-16 documents are not supported");
  }
  const bomLength = input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf ? 3 : 0;
  const head = Buffer.from(input.subarray(bomLength, bomLength + 256)).toString("latin1");
  const encoding = encodingOf(head, bomLength);
  if (bomLength && encoding !== "utf-8") {
    throw malformedXml("encoding_mismatch", 0, "a UTF-8 BOM contradicts the declared encoding");
  }
  const body = input.subarray(bomLength);
  let text: string;
  if (encoding === "iso-8859-1") {
    text = Buffer.from(body).toString("latin1");
  } else {
    if (encoding === "us-ascii") {
      const bad = body.findIndex((b) => b > 0x7f);
      if (bad >= 0) throw malformedXml("invalid_encoding", bad, "a non-ASCII byte in US-ASCII");
    }
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(body);
    } catch {
      throw malformedXml("invalid_encoding", bomLength, "the bytes are not valid UTF-8");
    }
  }
  return { text, encoding, bytes: input, bomLength };
}

/** The byte offset in the source of text offset `offset`. */
export function byteOffset(doc: DecodedXml, offset: number): number {
  if (doc.encoding !== "utf-8") return doc.bomLength + offset;
  return doc.bomLength + Buffer.byteLength(doc.text.slice(0, offset), "utf8");
}

/** Encodes inserted text in the document's encoding (refusing characters it cannot hold). */
export function encodeInserted(doc: DecodedXml, text: string): Uint8Array {
  if (doc.encoding === "utf-8") return new TextEncoder().encode(text);
  const limit = doc.encoding === "us-ascii" ? 0x7f : 0xff;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > limit) {
      throw new RangeError(
        `Cannot write character U+${text.charCodeAt(i).toString(16)} in ${doc.encoding}`,
      );
    }
  }
  return new Uint8Array(Buffer.from(text, "latin1"));
}
