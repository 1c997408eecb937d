/**
 * Rewrites an unencrypted, MAC-less bundle (openssl `-keypbe NONE -certpbe NONE -nomac`) with
 * @peculiar/asn1-pfx: bags in another order, attributes dropped. Tests use it to make
 * bundles whose key certificate is not first and has no localKeyId.
 */
import { ContentInfo } from "@peculiar/asn1-cms";
import { AuthenticatedSafe, PFX, SafeBag, SafeContents } from "@peculiar/asn1-pfx";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";

const ID_DATA = "1.2.840.113549.1.7.1";

function octets(value: ArrayBuffer): ArrayBuffer {
  return AsnConvert.serialize(new OctetString(value));
}

/** Reorders every bag of `bundle` with `order` and drops their attributes when asked. */
export function reshape(
  bundle: Uint8Array,
  order: (bags: SafeBag[]) => SafeBag[],
  dropAttributes: boolean,
): Uint8Array {
  const pfx = AsnConvert.parse(bundle, PFX);
  const inner = (info: ContentInfo): ArrayBuffer =>
    AsnConvert.parse(info.content, OctetString).buffer;
  const safe = AsnConvert.parse(inner(pfx.authSafe), AuthenticatedSafe);
  const bags = safe.flatMap((info) => [...AsnConvert.parse(inner(info), SafeContents)]);
  const reordered = order(bags).map((bag) =>
    new SafeBag({
      bagId: bag.bagId,
      bagValue: bag.bagValue,
      bagAttributes: dropAttributes ? undefined : bag.bagAttributes,
    })
  );
  const contents = new ContentInfo({
    contentType: ID_DATA,
    content: octets(AsnConvert.serialize(new SafeContents(reordered))),
  });
  const out = new PFX({
    version: 3,
    authSafe: new ContentInfo({
      contentType: ID_DATA,
      content: octets(AsnConvert.serialize(new AuthenticatedSafe([contents]))),
    }),
  });
  // deno-lint-ignore no-explicit-any
  (out as any).macData = undefined;
  return new Uint8Array(AsnConvert.serialize(out));
}
