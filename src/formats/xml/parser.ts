/**
 * A small, strict XML 1.0 + Namespaces parser that keeps source offsets.
 *
 * It refuses DTDs (`<!DOCTYPE`, hence every entity declaration: no XXE, no billion laughs),
 * undefined entities, unbound prefixes and duplicate attributes, and it bounds depth,
 * attribute count, attribute size and name length. It never recurses, so hostile nesting
 * cannot exhaust the stack. Every refusal is `malformed_xml` with `{ kind, offset }`.
 *
 * @module
 */
import { malformedXml } from "./errors.ts";
import { NamespaceScope } from "./namespace_scope.ts";
import {
  XML_NS,
  type XmlAttribute,
  type XmlComment,
  type XmlDocument,
  type XmlElement,
  type XmlNamespaceDecl,
  type XmlNode,
  type XmlPi,
} from "./dom.ts";

/** Bounds the parser enforces. */
export interface XmlLimits {
  /** Maximum element nesting depth (default 256). */
  maxDepth?: number;
  /** Maximum attributes (including namespace declarations) on one element (default 256). */
  maxAttributes?: number;
  /** Maximum length of one attribute value in characters (default 65536). */
  maxAttributeLength?: number;
  /** Maximum document length in characters (default 64 MiB). */
  maxLength?: number;
}

const XMLNS_NS = "http://www.w3.org/2000/xmlns/";
const NAME = /[A-Za-z_:\u00C0-\uFFFF][A-Za-z0-9_:.\-\u00B7\u00C0-\uFFFF]*/y;
const SPACE = /[ \t\r\n]*/y;
const TEXT = /[^<&]*/y;
const ATTR_TEXT = /[^<&"']*/y;
// deno-lint-ignore no-control-regex -- XML 1.0 forbids these characters; the parser must find them.
const BAD_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const PREDEFINED: Record<string, string> = { lt: "<", gt: ">", amp: "&", apos: "'", quot: '"' };
const MAX_NAME = 1024;

/** The shared empty list of elements without attributes or namespace declarations. */
const NONE: readonly never[] = Object.freeze([]);

/** Normalizes line endings (XML 1.0 §2.11). */
function eol(s: string): string {
  return s.includes("\r") ? s.replace(/\r\n?/g, "\n") : s;
}

interface Frame {
  el: XmlElement;
}

/** Parses XML text into an {@linkcode XmlDocument} (throws `malformed_xml`). */
export function parseXml(text: string, limits: XmlLimits = {}): XmlDocument {
  const maxDepth = limits.maxDepth ?? 256;
  const maxAttributes = limits.maxAttributes ?? 256;
  const maxAttributeLength = limits.maxAttributeLength ?? 65536;
  if (text.length > (limits.maxLength ?? 64 * 1024 * 1024)) {
    throw malformedXml("document_too_large", 0, "the document is too large");
  }
  let pos = 0;
  const fail = (kind: string, message: string, at = pos): never => {
    throw malformedXml(kind, at, message);
  };
  const checkChars = (s: string, at: number): void => {
    const m = BAD_CHAR.exec(s);
    if (m) fail("invalid_character", "a character not allowed in XML", at + m.index);
  };
  const skipSpace = (): number => {
    SPACE.lastIndex = pos;
    SPACE.exec(text);
    const n = SPACE.lastIndex - pos;
    pos = SPACE.lastIndex;
    return n;
  };
  const name = (): string => {
    NAME.lastIndex = pos;
    const m = NAME.exec(text);
    if (!m) return fail("invalid_name", "a name was expected");
    if (m[0].length > MAX_NAME) fail("name_too_long", "a name is too long");
    pos = NAME.lastIndex;
    return m[0];
  };
  const expect = (s: string, kind: string): void => {
    if (!text.startsWith(s, pos)) fail(kind, `"${s}" was expected`);
    pos += s.length;
  };
  const reference = (): string => {
    const at = pos;
    const semi = text.indexOf(";", pos);
    if (semi < 0 || semi - pos > 12) {
      return fail("invalid_reference", "an unterminated reference", at);
    }
    const body = text.slice(pos + 1, semi);
    pos = semi + 1;
    if (body.startsWith("#")) {
      const code = body[1] === "x" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      const digits = body[1] === "x" ? /^#x[0-9A-Fa-f]+$/ : /^#[0-9]+$/;
      if (!digits.test(body) || !(code <= 0x10ffff)) {
        fail("invalid_reference", "a bad character reference", at);
      }
      const ch = String.fromCodePoint(code);
      if (BAD_CHAR.test(ch) || (code >= 0xd800 && code <= 0xdfff)) {
        fail("invalid_character", "a character reference to a forbidden character", at);
      }
      return ch;
    }
    const v = PREDEFINED[body];
    if (v === undefined) fail("undefined_entity", `the entity "&${body};" is not defined`, at);
    return v;
  };
  const comment = (): XmlComment => {
    const at = pos;
    pos += 4;
    const endAt = text.indexOf("--", pos);
    if (endAt < 0) fail("unterminated_comment", "an unterminated comment", at);
    if (text[endAt + 2] !== ">") fail("invalid_comment", '"--" inside a comment', endAt);
    const value = text.slice(pos, endAt);
    checkChars(value, pos);
    pos = endAt + 3;
    return { kind: "comment", value: eol(value) };
  };
  const pi = (): XmlPi => {
    const at = pos;
    pos += 2;
    const target = name();
    if (target.toLowerCase() === "xml") {
      fail("misplaced_xml_declaration", "a misplaced XML declaration", at);
    }
    const endAt = text.indexOf("?>", pos);
    if (endAt < 0) fail("unterminated_pi", "an unterminated processing instruction", at);
    if (endAt > pos && skipSpace() === 0) {
      fail("invalid_pi", "a processing instruction needs a space");
    }
    const data = text.slice(pos, Math.max(pos, endAt));
    checkChars(data, pos);
    pos = endAt + 2;
    return { kind: "pi", target, data: eol(data) };
  };
  const misc = (out: (XmlElement | XmlComment | XmlPi)[]): void => {
    for (;;) {
      skipSpace();
      if (text.startsWith("<!--", pos)) out.push(comment());
      else if (text.startsWith("<?", pos)) out.push(pi());
      else if (text.startsWith("<!DOCTYPE", pos) || text.startsWith("<!", pos)) {
        fail("doctype_forbidden", "DTDs and entity declarations are not accepted");
      } else return;
    }
  };

  // Prolog: the XML declaration, then comments, PIs and whitespace.
  if (text.startsWith("<?xml", pos) && /[ \t\r\n?]/.test(text[5] ?? "")) {
    const endAt = text.indexOf("?>");
    if (endAt < 0) fail("unterminated_declaration", "an unterminated XML declaration");
    pos = endAt + 2;
  }
  const top: (XmlElement | XmlComment | XmlPi)[] = [];
  misc(top);
  if (text[pos] !== "<") fail("no_root_element", "the document has no root element");

  const elements: XmlElement[] = [];
  const stack: Frame[] = [];
  // What is in scope before any declaration: only `xml` (one per document: lookups are kept).
  const documentScope = new NamespaceScope(undefined, new Map([["xml", XML_NS]]));
  // The next "]]>" at or after the current text chunk (2^32 - 1 when there is none).
  let cdataEnd = -1;
  const startTag = (parent: XmlElement | null): XmlElement => {
    const start = pos;
    pos += 1;
    const qName = name();
    const raw: { qName: string; value: string; at: number }[] = [];
    for (;;) {
      const spaced = skipSpace() > 0;
      if (text.startsWith("/>", pos) || text[pos] === ">") break;
      if (!spaced) fail("invalid_tag", "a space was expected between attributes");
      const at = pos;
      const an = name();
      skipSpace();
      expect("=", "invalid_attribute");
      skipSpace();
      const q = text[pos];
      if (q !== '"' && q !== "'") {
        fail("invalid_attribute", "a quoted attribute value was expected");
      }
      pos++;
      let value = "";
      for (;;) {
        ATTR_TEXT.lastIndex = pos;
        ATTR_TEXT.exec(text);
        const piece = text.slice(pos, ATTR_TEXT.lastIndex);
        value += /[\r\n\t]/.test(piece) ? piece.replace(/\r\n|[\r\n\t]/g, " ") : piece;
        pos = ATTR_TEXT.lastIndex;
        if (value.length > maxAttributeLength) {
          fail("attribute_too_large", "an attribute value is too large", at);
        }
        const c = text[pos];
        if (c === q) break;
        if (c === undefined) fail("unexpected_end", "the document ended inside an attribute");
        if (c === "<") fail("invalid_attribute", '"<" inside an attribute value');
        if (c === "&") value += reference();
        else {
          value += c;
          pos++;
        }
      }
      pos++;
      checkChars(value, at);
      raw.push({ qName: an, value, at });
      if (raw.length > maxAttributes) fail("too_many_attributes", "too many attributes", start);
    }
    const decls: XmlNamespaceDecl[] = [];
    for (const a of raw) {
      if (a.qName === "xmlns") decls.push({ prefix: "", uri: a.value });
      else if (a.qName.startsWith("xmlns:")) {
        const p = a.qName.slice(6);
        if (a.value === "") fail("invalid_namespace", `the prefix "${p}" is bound to ""`, a.at);
        if (p === "xmlns" || (p === "xml") !== (a.value === XML_NS)) {
          fail("invalid_namespace", `the prefix "${p}" cannot be bound to ${a.value}`, a.at);
        }
        decls.push({ prefix: p, uri: a.value });
      }
    }
    let inScope = parent ? parent.inScope : documentScope;
    if (decls.length) {
      const own = new Map<string, string>();
      for (const d of decls) {
        if (own.has(d.prefix)) fail("duplicate_attribute", "a namespace declared twice", start);
        own.set(d.prefix, d.uri);
      }
      inScope = new NamespaceScope(inScope, own);
    }
    const split = (q: string, at: number): [string, string] => {
      const i = q.indexOf(":");
      if (i < 0) return ["", q];
      if (i === 0 || i === q.length - 1 || q.indexOf(":", i + 1) >= 0) {
        fail("invalid_name", `bad QName "${q}"`, at);
      }
      return [q.slice(0, i), q.slice(i + 1)];
    };
    const [prefix, localName] = split(qName, start);
    const namespaceURI = inScope.get(prefix) ?? "";
    if (prefix && !inScope.has(prefix)) {
      fail("unbound_prefix", `the prefix "${prefix}" is not bound`, start);
    }
    const attributes: XmlAttribute[] = [];
    const seen = raw.length > 1 ? new Set<string>() : undefined;
    for (const a of raw) {
      if (a.qName === "xmlns" || a.qName.startsWith("xmlns:")) continue;
      const [ap, al] = split(a.qName, a.at);
      if (ap && !inScope.has(ap)) fail("unbound_prefix", `the prefix "${ap}" is not bound`, a.at);
      const ns = ap ? inScope.get(ap)! : "";
      if (ns === XMLNS_NS) fail("invalid_namespace", "an attribute in the xmlns namespace", a.at);
      const key = `${ns}\u0000${al}`;
      if (seen?.has(key)) {
        fail("duplicate_attribute", `the attribute "${a.qName}" is repeated`, a.at);
      }
      seen?.add(key);
      attributes.push({
        qName: a.qName,
        prefix: ap,
        localName: al,
        namespaceURI: ns,
        value: a.value,
      });
    }
    const selfClosing = text.startsWith("/>", pos);
    pos += selfClosing ? 2 : 1;
    const el: XmlElement = {
      kind: "element",
      qName,
      prefix,
      localName,
      namespaceURI,
      attributes: attributes.length ? attributes : NONE,
      namespaceDecls: decls.length ? decls : NONE,
      inScope,
      children: [],
      parent,
      start,
      startTagEnd: pos,
      closeTagStart: pos,
      end: pos,
      selfClosing,
    };
    elements.push(el);
    return el;
  };

  const root = startTag(null);
  top.push(root);
  if (!root.selfClosing) stack.push({ el: root });
  while (stack.length) {
    const cur = stack[stack.length - 1].el;
    const kids: XmlNode[] = cur.children;
    let chunk = "";
    const chunkAt = pos;
    for (;;) {
      TEXT.lastIndex = pos;
      TEXT.exec(text);
      chunk += eol(text.slice(pos, TEXT.lastIndex));
      pos = TEXT.lastIndex;
      if (text[pos] === "&") chunk += reference();
      else break;
    }
    if (chunk) {
      checkChars(chunk, chunkAt);
      if (cdataEnd < chunkAt) cdataEnd = text.indexOf("]]>", chunkAt) >>> 0;
      if (cdataEnd < pos) fail("invalid_text", '"]]>" in text', chunkAt);
      kids.push({ kind: "text", value: chunk });
    }
    if (pos >= text.length) {
      fail("unexpected_end", `the element <${cur.qName}> is not closed`, cur.start);
    }
    if (text.startsWith("</", pos)) {
      const at = pos;
      pos += 2;
      const n = name();
      if (n !== cur.qName) fail("mismatched_tag", `</${n}> does not close <${cur.qName}>`, at);
      skipSpace();
      expect(">", "invalid_tag");
      cur.closeTagStart = at;
      cur.end = pos;
      stack.pop();
    } else if (text.startsWith("<!--", pos)) kids.push(comment());
    else if (text.startsWith("<![CDATA[", pos)) {
      const at = pos;
      const endAt = text.indexOf("]]>", pos + 9);
      if (endAt < 0) fail("unterminated_cdata", "an unterminated CDATA section", at);
      const value = text.slice(pos + 9, endAt);
      checkChars(value, at);
      pos = endAt + 3;
      const last = kids[kids.length - 1];
      const v = eol(value);
      if (last?.kind === "text") kids[kids.length - 1] = { kind: "text", value: last.value + v };
      else kids.push({ kind: "text", value: v });
    } else if (text.startsWith("<?", pos)) kids.push(pi());
    else if (text.startsWith("<!", pos)) fail("doctype_forbidden", "declarations are not accepted");
    else {
      if (stack.length >= maxDepth) fail("too_deep", "the document is nested too deeply");
      const el = startTag(cur);
      kids.push(el);
      if (!el.selfClosing) stack.push({ el });
    }
  }
  misc(top);
  if (pos < text.length) fail("content_after_root", "content after the root element");
  return { text, children: top, root, elements };
}
