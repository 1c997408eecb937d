import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { isPkcs11exError } from "../../../src/core/errors.ts";
import { decodeXml } from "../../../src/formats/xml/decode.ts";
import { parseXml } from "../../../src/formats/xml/parser.ts";
import { attr, textContent } from "../../../src/formats/xml/dom.ts";

function malformed(input: string | Uint8Array, kind: string): void {
  assert.throws(
    () => parseXml(decodeXml(input).text),
    (e: unknown) => {
      assert.ok(isPkcs11exError(e, "malformed_xml"), String(e));
      assert.equal(e.detail.kind, kind, e.message);
      assert.equal(typeof e.detail.offset, "number");
      return true;
    },
  );
}

describe("parseXml", () => {
  test("keeps offsets, namespaces, normalized text and attributes", () => {
    const text =
      '<?xml version="1.0"?>\r\n<a:r xmlns:a="urn:a" x="1&#10;2\r\n3">t\r\nu<![CDATA[<&>]]>&lt;</a:r>';
    const doc = parseXml(text);
    assert.equal(doc.root.namespaceURI, "urn:a");
    assert.equal(doc.root.start, text.indexOf("<a:r"));
    assert.equal(doc.root.closeTagStart, text.indexOf("</a:r>"));
    assert.equal(attr(doc.root, "x"), "1\n2 3");
    assert.equal(textContent(doc.root), "t\nu<&><");
  });

  test("refuses DTDs, entity declarations and undefined entities (XXE, billion laughs)", () => {
    malformed('<!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>', "doctype_forbidden");
    malformed(
      '<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:1/x"><r/>',
      "doctype_forbidden",
    );
    malformed("<r><!ENTITY x 'y'></r>", "doctype_forbidden");
    malformed("<r>&a;</r>", "undefined_entity");
  });

  test("bounds depth, attribute count and size, quickly", () => {
    const t0 = performance.now();
    malformed("<a>".repeat(100_000), "too_deep");
    malformed(
      `<a ${Array.from({ length: 1000 }, (_, i) => `a${i}="1"`).join(" ")}/>`,
      "too_many_attributes",
    );
    malformed(`<a x="${"x".repeat(1 << 20)}"/>`, "attribute_too_large");
    assert.throws(
      () => parseXml("<a/>", { maxLength: 2 }),
      (e: unknown) => isPkcs11exError(e, "malformed_xml"),
    );
    assert.ok(performance.now() - t0 < 5000);
  });

  test("namespace scopes are shared, not copied: many bindings above many declaring elements", () => {
    // 10 000 bindings declared high up, then 10 000 elements that each declare one more:
    // copying the inherited bindings into each took gigabytes and killed the process.
    let xml = "";
    for (let d = 0; d < 40; d++) {
      xml += "<a";
      for (let k = 0; k < 250; k++) xml += ` xmlns:n${d}_${k}="urn:${d}:${k}"`;
      xml += ">";
    }
    xml += '<b xmlns:z="urn:z" n0_0:x="1"/>'.repeat(10_000) + "</a>".repeat(40);
    const doc = parseXml(xml);
    const last = doc.elements[doc.elements.length - 1];
    assert.equal(last.inScope.get("z"), "urn:z");
    assert.equal(last.inScope.get("n39_249"), "urn:39:249");
    assert.equal(last.attributes[0].namespaceURI, "urn:0:0");
    assert.equal(last.inScope.prefixes().size, 10_002); // with z and xml
    assert.equal(last.inScope.get("n40_0"), undefined);
  });

  test("refuses broken structure with a kind and an offset", () => {
    malformed("", "no_root_element");
    malformed("<a></b>", "mismatched_tag");
    malformed("<a/><b/>", "content_after_root");
    malformed("<a x='1' x='2'/>", "duplicate_attribute");
    malformed("<a xmlns:p='urn:1' xmlns:q='urn:1' p:x='1' q:x='2'/>", "duplicate_attribute");
    malformed("<p:a/>", "unbound_prefix");
    malformed("<a xmlns:p=''/>", "invalid_namespace");
    malformed("<a>\u0001</a>", "invalid_character");
    malformed("<a>&#0;</a>", "invalid_character");
    malformed("<a><!-- x -- y --></a>", "invalid_comment");
    malformed("<a>]]></a>", "invalid_text");
    malformed("<a x=1/>", "invalid_attribute");
    malformed("<a><?xml version='1.0'?></a>", "misplaced_xml_declaration");
  });

  test("every truncation of a real document is a typed error, never a crash", () => {
    const text =
      '<?xml version="1.0"?><!--c--><r xmlns="urn:r" xmlns:p="urn:p"><p:e a="&amp;">x<![CDATA[y]]><?pi d?></p:e></r>';
    for (let i = 0; i < text.length - 1; i++) {
      try {
        parseXml(text.slice(0, i));
        assert.fail(`prefix ${i} parsed`);
      } catch (e) {
        assert.ok(isPkcs11exError(e, "malformed_xml"), `${i}: ${e}`);
      }
    }
  });

  test("decodes UTF-8 (BOM), ISO-8859-1 and refuses other encodings", () => {
    const latin = new Uint8Array([
      ...new TextEncoder().encode("<?xml version = '1.0' encoding = 'ISO-8859-1'?><a>"),
      0xc1,
      0xd1,
      ...new TextEncoder().encode("</a>"),
    ]);
    assert.equal(textContent(parseXml(decodeXml(latin).text).root), "ÁÑ");
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode("<a/>")]);
    assert.equal(decodeXml(bom).bomLength, 3);
    malformed(new Uint8Array([0xff, 0xfe, 0x3c, 0]), "unsupported_encoding");
    malformed(
      new TextEncoder().encode('<?xml version="1.0" encoding="Shift_JIS"?><a/>'),
      "unsupported_encoding",
    );
    malformed(
      new Uint8Array([0x3c, 0x61, 0x3e, 0xc3, 0x28, 0x3c, 0x2f, 0x61, 0x3e]),
      "invalid_encoding",
    );
  });
});
