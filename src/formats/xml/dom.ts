/**
 * The node model of the XML parser: elements keep their source offsets so the signer can
 * splice bytes and the verifier can tell exactly which element it checked.
 *
 * @module
 */
import type { NamespaceScope } from "./namespace_scope.ts";

/** The namespace bound to the `xml` prefix. */
export const XML_NS = "http://www.w3.org/XML/1998/namespace";

/** An attribute (namespace declarations are kept apart in {@linkcode XmlElement.namespaceDecls}). */
export interface XmlAttribute {
  /** The qualified name as written. */
  readonly qName: string;
  /** The prefix ("" for none). */
  readonly prefix: string;
  /** The local name. */
  readonly localName: string;
  /** The namespace URI ("" for an unprefixed attribute). */
  readonly namespaceURI: string;
  /** The normalized value (references resolved, whitespace normalized). */
  readonly value: string;
}

/** A namespace declaration written on an element (`xmlns` → prefix ""). */
export interface XmlNamespaceDecl {
  /** The declared prefix ("" for the default namespace). */
  readonly prefix: string;
  /** The namespace URI ("" undeclares the default namespace). */
  readonly uri: string;
}

/** Character data (text or CDATA), line endings normalized, references resolved. */
export interface XmlText {
  /** The node kind. */
  readonly kind: "text";
  /** The characters. */
  readonly value: string;
}

/** A comment. */
export interface XmlComment {
  /** The node kind. */
  readonly kind: "comment";
  /** The text between `<!--` and `-->`. */
  readonly value: string;
}

/** A processing instruction. */
export interface XmlPi {
  /** The node kind. */
  readonly kind: "pi";
  /** The PI target. */
  readonly target: string;
  /** The PI data after the target and its space. */
  readonly data: string;
}

/** An element with its source span. */
export interface XmlElement {
  /** The node kind. */
  readonly kind: "element";
  /** The qualified name as written. */
  readonly qName: string;
  /** The prefix ("" for none). */
  readonly prefix: string;
  /** The local name. */
  readonly localName: string;
  /** The namespace URI ("" for none). */
  readonly namespaceURI: string;
  /** The attributes, without namespace declarations. */
  readonly attributes: readonly XmlAttribute[];
  /** The namespace declarations written on this element. */
  readonly namespaceDecls: readonly XmlNamespaceDecl[];
  /** Namespaces in scope (prefix → URI, "" for the default namespace). */
  readonly inScope: NamespaceScope;
  /** The child nodes in document order. */
  readonly children: XmlNode[];
  /** The parent element (null for the document element). */
  readonly parent: XmlElement | null;
  /** Offset of `<` of the start tag. */
  readonly start: number;
  /** Offset just past the `>` of the start tag. */
  startTagEnd: number;
  /** Offset of `<` of the end tag (equal to `end` for an empty-element tag). */
  closeTagStart: number;
  /** Offset just past the element. */
  end: number;
  /** Whether the element was written as `<e/>`. */
  selfClosing: boolean;
}

/** Any child node. */
export type XmlNode = XmlElement | XmlText | XmlComment | XmlPi;

/** A parsed document. */
export interface XmlDocument {
  /** The source text the offsets refer to. */
  readonly text: string;
  /** Comments and PIs before and after the root, and the root itself, in order. */
  readonly children: readonly (XmlElement | XmlComment | XmlPi)[];
  /** The document element. */
  readonly root: XmlElement;
  /** Every element in document order. */
  readonly elements: readonly XmlElement[];
}

/** The value of the unprefixed attribute `name`, if present. */
export function attr(el: XmlElement, name: string): string | undefined {
  for (const a of el.attributes) if (a.prefix === "" && a.localName === name) return a.value;
  return undefined;
}

/** Whether `el` is `{ns}local`. */
export function isElement(el: XmlNode, ns: string, local: string): boolean {
  return el.kind === "element" && el.namespaceURI === ns && el.localName === local;
}

/** The child elements of `el`, optionally only those named `{ns}local`. */
export function childElements(el: XmlElement, ns?: string, local?: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (c.kind !== "element") continue;
    if (ns === undefined || (c.namespaceURI === ns && c.localName === local)) out.push(c);
  }
  return out;
}

/** The concatenated character data directly inside `el`. */
export function textContent(el: XmlElement): string {
  let s = "";
  for (const c of el.children) if (c.kind === "text") s += c.value;
  return s;
}

/** Whether `node` is `ancestor` or inside it. */
export function isWithin(node: XmlElement, ancestor: XmlElement): boolean {
  for (let n: XmlElement | null = node; n; n = n.parent) if (n === ancestor) return true;
  return false;
}
