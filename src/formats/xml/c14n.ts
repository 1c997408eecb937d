/**
 * Exclusive XML Canonicalization 1.0 (with and without comments, with an
 * InclusiveNamespaces PrefixList) and Canonical XML 1.0 (inclusive, with and without
 * comments) of a whole document or of one element subtree, optionally leaving one subtree
 * out (the enveloped-signature transform).
 *
 * @module
 */
import { NamespaceScope } from "./namespace_scope.ts";
import { xmlError } from "./errors.ts";
import {
  XML_NS,
  type XmlAttribute,
  type XmlDocument,
  type XmlElement,
  type XmlNode,
} from "./dom.ts";

/** The exclusive c14n algorithm URI. */
export const EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#";
/** The exclusive c14n algorithm URI that keeps comments. */
export const EXC_C14N_WITH_COMMENTS = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
/** The (inclusive) Canonical XML 1.0 algorithm URI. */
export const C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
/** The (inclusive) Canonical XML 1.0 algorithm URI that keeps comments. */
export const C14N_WITH_COMMENTS = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";

/** Options of {@linkcode canonicalize}. */
export interface C14nOptions {
  /**
   * Canonical XML 1.0 (inclusive: every in-scope namespace is rendered, xml:* attributes of
   * the apex's ancestors are inherited) instead of the exclusive variant.
   */
  inclusive?: boolean;
  /** Keep comments (the `#WithComments` variant). */
  withComments?: boolean;
  /** The InclusiveNamespaces PrefixList of exclusive c14n (`#default` for the default namespace). */
  inclusivePrefixes?: readonly string[];
  /** A subtree to leave out (the enveloped signature). */
  exclude?: XmlElement;
}

/** Whether `uri` names a canonicalization this module implements. */
export function isSupportedC14n(uri: string): boolean {
  return uri === EXC_C14N || uri === EXC_C14N_WITH_COMMENTS || uri === C14N ||
    uri === C14N_WITH_COMMENTS;
}

/** Refuses a canonicalization URI other than (exclusive) c14n 1.0 (reason `c14n`). */
export function requireSupportedC14n(uri: string): void {
  if (!isSupportedC14n(uri)) {
    throw xmlError("c14n", `Cannot canonicalize with ${uri}: only c14n 1.0 is supported`, {
      kind: "unsupported_canonicalization",
      uri,
    });
  }
}

function escapeText(s: string): string {
  return s.replace(
    /[&<>\r]/g,
    (c) => c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&#xD;",
  );
}

function escapeAttr(s: string): string {
  return s.replace(
    /[&<"\t\n\r]/g,
    (c) =>
      c === "&"
        ? "&amp;"
        : c === "<"
        ? "&lt;"
        : c === '"'
        ? "&quot;"
        : c === "\t"
        ? "&#x9;"
        : c === "\n"
        ? "&#xA;"
        : "&#xD;",
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The xml:* attributes the apex inherits from its ancestors in inclusive c14n (nearest wins). */
function inheritedXmlAttributes(apex: XmlElement): XmlAttribute[] {
  const found = new Map<string, XmlAttribute>();
  for (const a of apex.attributes) if (a.namespaceURI === XML_NS) found.set(a.localName, a);
  const inherited: XmlAttribute[] = [];
  for (let n = apex.parent; n; n = n.parent) {
    for (const a of n.attributes) {
      if (a.namespaceURI !== XML_NS || found.has(a.localName)) continue;
      found.set(a.localName, a);
      inherited.push(a);
    }
  }
  return inherited;
}

function renderElement(
  root: XmlElement,
  out: string[],
  opts: C14nOptions,
): void {
  const inclusive = (opts.inclusivePrefixes ?? []).map((p) => (p === "#default" ? "" : p));
  const extraApexAttributes = opts.inclusive ? inheritedXmlAttributes(root) : [];
  // Iterative walk: [element, namespaces rendered by output ancestors] or a closing marker.
  type Item = { el: XmlElement; rendered: NamespaceScope } | { close: string } | {
    node: XmlNode;
  };
  const work: Item[] = [{ el: root, rendered: new NamespaceScope(undefined, new Map()) }];
  while (work.length) {
    const item = work.pop()!;
    if ("close" in item) {
      out.push(item.close);
      continue;
    }
    if ("node" in item) {
      const n = item.node;
      if (n.kind === "text") out.push(escapeText(n.value));
      else if (n.kind === "comment") out.push(`<!--${n.value}-->`);
      else if (n.kind === "pi") out.push(n.data ? `<?${n.target} ${n.data}?>` : `<?${n.target}?>`);
      continue;
    }
    const { el, rendered } = item;
    const used = new Set<string>([el.prefix]);
    if (opts.inclusive) {
      // Below the apex, an element's scope differs from its rendered parent's only by what it
      // declares itself.
      if (el === root) { for (const p of el.inScope.prefixes()) used.add(p); }
      else for (const d of el.namespaceDecls) used.add(d.prefix);
    } else {
      for (const a of el.attributes) if (a.prefix) used.add(a.prefix);
      for (const p of inclusive) if (p === "" || el.inScope.has(p)) used.add(p);
    }
    const decls: [string, string][] = [];
    for (const p of used) {
      if (p === "xml") continue;
      const uri = el.inScope.get(p) ?? "";
      const have = rendered.get(p);
      if (p === "" ? (have ?? "") !== uri : have !== uri) decls.push([p, uri]);
    }
    decls.sort((a, b) => compare(a[0], b[0]));
    const next = decls.length ? new NamespaceScope(rendered, new Map(decls)) : rendered;
    let tag = `<${el.qName}`;
    for (const [p, u] of decls) tag += ` ${p ? `xmlns:${p}` : "xmlns"}="${escapeAttr(u)}"`;
    const own = el === root && extraApexAttributes.length
      ? [...el.attributes, ...extraApexAttributes]
      : [...el.attributes];
    const attrs = own.sort((a, b) =>
      compare(a.namespaceURI, b.namespaceURI) || compare(a.localName, b.localName)
    );
    for (const a of attrs) tag += ` ${a.qName}="${escapeAttr(a.value)}"`;
    out.push(tag + ">");
    work.push({ close: `</${el.qName}>` });
    for (let i = el.children.length - 1; i >= 0; i--) {
      const c = el.children[i];
      if (c.kind === "element") {
        if (c !== opts.exclude) work.push({ el: c, rendered: next });
      } else if (c.kind !== "comment" || opts.withComments) work.push({ node: c });
    }
  }
}

/**
 * Canonicalizes an element subtree, or a whole document (the `URI=""` node-set: comments
 * and PIs around the root with their line breaks), with exclusive c14n or, with
 * `inclusive`, Canonical XML 1.0; returns UTF-8.
 */
export function canonicalize(node: XmlDocument | XmlElement, opts: C14nOptions = {}): Uint8Array {
  const out: string[] = [];
  if ("kind" in node) renderElement(node, out, opts);
  else {
    let afterRoot = false;
    for (const c of node.children) {
      if (c.kind === "element") {
        renderElement(c, out, opts);
        afterRoot = true;
        continue;
      }
      if (c.kind === "comment" && !opts.withComments) continue;
      const s = c.kind === "comment"
        ? `<!--${c.value}-->`
        : c.data
        ? `<?${c.target} ${c.data}?>`
        : `<?${c.target}?>`;
      out.push(afterRoot ? `\n${s}` : `${s}\n`);
    }
  }
  return new TextEncoder().encode(out.join(""));
}
