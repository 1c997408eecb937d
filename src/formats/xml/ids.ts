/**
 * The `Id` index of a document. Duplicate `Id`/`ID`/`xml:id` values are the precondition of
 * signature wrapping, so a document that has any is refused outright.
 *
 * @module
 */
import { XML_NS, type XmlDocument, type XmlElement } from "./dom.ts";
import { xmlError } from "./errors.ts";

/** Every `Id`, `ID` and `xml:id` value of the document, each naming exactly one element. */
export function indexIds(doc: XmlDocument): Map<string, XmlElement> {
  const ids = new Map<string, XmlElement>();
  for (const el of doc.elements) {
    for (const a of el.attributes) {
      const isId = (a.prefix === "" && (a.localName === "Id" || a.localName === "ID")) ||
        (a.namespaceURI === XML_NS && a.localName === "id");
      if (!isId) continue;
      if (ids.has(a.value)) {
        throw xmlError(
          "signature_wrapping",
          `Cannot accept the document: the Id "${a.value}" is used twice`,
          {
            kind: "duplicate_id",
            id: a.value,
          },
        );
      }
      ids.set(a.value, el);
    }
  }
  return ids;
}
