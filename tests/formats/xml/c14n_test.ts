import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type C14nOptions, canonicalize } from "../../../src/formats/xml/c14n.ts";
import { parseXml } from "../../../src/formats/xml/parser.ts";

function c14n(text: string, opts: C14nOptions = {}, local?: string): string {
  const doc = parseXml(text);
  const node = local ? doc.elements.find((e) => e.localName === local)! : doc;
  return new TextDecoder().decode(canonicalize(node, opts));
}

const W3C_1 = '<n0:local xmlns:n0="foo:bar" xmlns:n3="ftp://example.org">\n' +
  '  <n1:elem2 xmlns:n1="http://example.net" xml:lang="en">\n' +
  '    <n3:stuff xmlns:n3="ftp://example.org"/>\n  </n1:elem2>\n</n0:local>';
const W3C_2 =
  '<n2:pdu xmlns:n1="http://example.com" xmlns:n2="http://foo.example" xml:lang="fr" xml:space="retain">\n' +
  '  <n1:elem2 xmlns:n1="http://example.net" xml:lang="en">\n' +
  '    <n3:stuff xmlns:n3="ftp://example.org"/>\n  </n1:elem2>\n</n2:pdu>';
const ELEM2 = '<n1:elem2 xmlns:n1="http://example.net" xml:lang="en">\n' +
  '    <n3:stuff xmlns:n3="ftp://example.org"></n3:stuff>\n  </n1:elem2>';

describe("exclusive c14n", () => {
  test("W3C Exc-C14N §2.2: the apex does not inherit unused namespaces or xml:* attributes", () => {
    assert.equal(c14n(W3C_1, {}, "elem2"), ELEM2);
    assert.equal(c14n(W3C_2, {}, "elem2"), ELEM2);
  });

  test("InclusiveNamespaces PrefixList renders listed prefixes in scope", () => {
    assert.equal(
      c14n(W3C_2, { inclusivePrefixes: ["n2"] }, "elem2"),
      ELEM2.replace(
        'xmlns:n1="http://example.net"',
        'xmlns:n1="http://example.net" xmlns:n2="http://foo.example"',
      ),
    );
    assert.equal(
      c14n('<a xmlns="urn:d"><x:b xmlns:x="urn:x"/></a>', { inclusivePrefixes: ["#default"] }, "b"),
      '<x:b xmlns="urn:d" xmlns:x="urn:x"></x:b>',
    );
  });

  test("C14N §3.3/§3.4: empty elements, attribute order by namespace URI, escaping", () => {
    assert.equal(
      c14n('<doc><e1   /><e2   ></e2><e3   name = "elem3"   id="elem3"   /></doc>'),
      '<doc><e1></e1><e2></e2><e3 id="elem3" name="elem3"></e3></doc>',
    );
    assert.equal(
      c14n(
        `<e5 a:attr="out" b:attr="sorted" attr2="all" attr="I'm" xmlns:b="http://www.ietf.org" xmlns:a="http://www.w3.org" xmlns="http://example.org"/>`,
      ),
      `<e5 xmlns="http://example.org" xmlns:a="http://www.w3.org" xmlns:b="http://www.ietf.org" attr="I'm" attr2="all" b:attr="sorted" a:attr="out"></e5>`,
    );
    assert.equal(
      c14n(`<doc a="&lt;&quot;&#x9;&#xA;&#xD;>'">&lt;&gt;&amp;&#xD;"'\r\n</doc>`),
      `<doc a="&lt;&quot;&#x9;&#xA;&#xD;>'">&lt;&gt;&amp;&#xD;"'\n</doc>`,
    );
  });

  test('namespace rendering: superfluous declarations dropped, xmlns="" only when needed', () => {
    assert.equal(
      c14n('<a xmlns:x="urn:x"><x:b xmlns:x="urn:x"/></a>'),
      '<a><x:b xmlns:x="urn:x"></x:b></a>',
    );
    assert.equal(
      c14n('<a xmlns="urn:a"><b xmlns=""><c/></b></a>'),
      '<a xmlns="urn:a"><b xmlns=""><c></c></b></a>',
    );
    assert.equal(c14n('<a xmlns="urn:a"><b xmlns=""><c/></b></a>', {}, "b"), "<b><c></c></b>");
    assert.equal(
      c14n('<p:a xmlns:p="urn:1"><p:b xmlns:p="urn:2"/></p:a>'),
      '<p:a xmlns:p="urn:1"><p:b xmlns:p="urn:2"></p:b></p:a>',
    );
  });

  test("document level: comments and PIs around the root, with and without comments", () => {
    const text = '<?xml version="1.0"?>\n<?pi x?>\n<!--c-->\n<r><!--in-->t</r>\n<!--d-->\n';
    assert.equal(c14n(text), "<?pi x?>\n<r>t</r>");
    assert.equal(
      c14n(text, { withComments: true }),
      "<?pi x?>\n<!--c-->\n<r><!--in-->t</r>\n<!--d-->",
    );
  });

  test("exclude leaves one subtree out (the enveloped-signature transform)", () => {
    const doc = parseXml("<r>a<s><t/></s>b</r>");
    const s = doc.elements.find((e) => e.localName === "s")!;
    assert.equal(new TextDecoder().decode(canonicalize(doc, { exclude: s })), "<r>ab</r>");
  });
});

describe("inclusive c14n 1.0", () => {
  test("W3C Exc-C14N §2.2, the inclusive results: in-scope namespaces and xml:* inherited", () => {
    assert.equal(
      c14n(W3C_1, { inclusive: true }, "elem2"),
      '<n1:elem2 xmlns:n0="foo:bar" xmlns:n1="http://example.net" xmlns:n3="ftp://example.org" xml:lang="en">\n' +
        "    <n3:stuff></n3:stuff>\n  </n1:elem2>",
    );
    assert.equal(
      c14n(W3C_2, { inclusive: true }, "elem2"),
      '<n1:elem2 xmlns:n1="http://example.net" xmlns:n2="http://foo.example" xml:lang="en" xml:space="retain">\n' +
        '    <n3:stuff xmlns:n3="ftp://example.org"></n3:stuff>\n  </n1:elem2>',
    );
  });

  test("default namespace: rendered where in scope, undeclared only against a rendered one", () => {
    const doc = '<a xmlns="urn:a" xmlns:p="urn:p"><b xmlns=""><c/></b><!-- c --></a>';
    assert.equal(
      c14n(doc, { inclusive: true }),
      '<a xmlns="urn:a" xmlns:p="urn:p"><b xmlns=""><c></c></b></a>',
    );
    assert.equal(
      c14n(doc, { inclusive: true, withComments: true }),
      '<a xmlns="urn:a" xmlns:p="urn:p"><b xmlns=""><c></c></b><!-- c --></a>',
    );
    assert.equal(c14n(doc, { inclusive: true }, "b"), '<b xmlns:p="urn:p"><c></c></b>');
    assert.equal(c14n(doc, { inclusive: true }, "c"), '<c xmlns:p="urn:p"></c>');
  });

  test("below the apex only what an element declares differently is rendered", () => {
    const doc =
      '<a xmlns:x="urn:x"><b xmlns:x="urn:x" xmlns:y="urn:y"><c xmlns:x="urn:2"/></b></a>';
    assert.equal(
      c14n(doc, { inclusive: true }),
      '<a xmlns:x="urn:x"><b xmlns:y="urn:y"><c xmlns:x="urn:2"></c></b></a>',
    );
    assert.equal(
      c14n(doc, { inclusive: true }, "c"),
      '<c xmlns:x="urn:2" xmlns:y="urn:y"></c>',
    );
  });
});
