/**
 * The XMP packet every output carries: the IPTC digital source type that says the picture is made by a
 * trained model (what the EU AI Act's transparency duty and the IPTC/C2PA guidance ask for), the IPTC
 * AI fields, and Pixdesk's own fields (model, provider, request ids) in its namespace.
 */

const IPTC_SOURCE_TYPES = 'http://cv.iptc.org/newscodes/digitalsourcetype/'
/** A new picture made by a model from a prompt alone. */
const GENERATED_SOURCE_TYPE = `${IPTC_SOURCE_TYPES}trainedAlgorithmicMedia`
/** A picture that combines a source with what a model made of it: every edit. */
const EDITED_SOURCE_TYPE = `${IPTC_SOURCE_TYPES}compositeWithTrainedAlgorithmicMedia`

const PIXDESK_XMP_NAMESPACE = 'https://pixdesk.app/ns/1.0/'

export type ProvenanceKind = 'edit' | 'generate'

export const digitalSourceTypeFor = (kind: ProvenanceKind): string => (kind === 'edit' ? EDITED_SOURCE_TYPE : GENERATED_SOURCE_TYPE)

/** What the packet states; the strings are written as they are (escaped), absent ones are left out. */
export interface ProvenanceFields {
  kind: ProvenanceKind
  model: string
  provider?: string
  prompt: string
  requestId?: string
  parentRequestId?: string
  recordId?: string
  sourceSha256?: string
  /** The reference images sent after the one edited, in order: number, file name, sha256, role. */
  references?: ReadonlyArray<{ image: number; name?: string; sha256?: string; role?: string }>
  createdAt: string
  software: string
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/**
 * The packet, with the prompt shortened to `promptChars` (containers such as a JPEG segment hold at most
 * 64 KB; the sidecar and the history keep the prompt whole).
 */
export function xmpPacket(fields: ProvenanceFields, promptChars = 16_000): string {
  const prompt = fields.prompt.slice(0, promptChars)
  const own = (key: keyof ProvenanceFields) => {
    const value = fields[key]
    return typeof value === 'string' && value ? `<pixdesk:${key}>${xmlEscape(value)}</pixdesk:${key}>` : ''
  }
  return (
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>' +
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" ' +
    'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" ' +
    `xmlns:pixdesk="${PIXDESK_XMP_NAMESPACE}">` +
    `<Iptc4xmpExt:DigitalSourceType>${digitalSourceTypeFor(fields.kind)}</Iptc4xmpExt:DigitalSourceType>` +
    `<Iptc4xmpExt:AISystemUsed>${xmlEscape(fields.model)}</Iptc4xmpExt:AISystemUsed>` +
    (prompt ? `<Iptc4xmpExt:AIPromptInformation>${xmlEscape(prompt)}</Iptc4xmpExt:AIPromptInformation>` : '') +
    `<xmp:CreatorTool>${xmlEscape(fields.software)}</xmp:CreatorTool>` +
    `<xmp:CreateDate>${xmlEscape(fields.createdAt)}</xmp:CreateDate>` +
    (prompt ? `<dc:description><rdf:Alt><rdf:li xml:lang="x-default">${xmlEscape(prompt)}</rdf:li></rdf:Alt></dc:description>` : '') +
    `<pixdesk:kind>${fields.kind}</pixdesk:kind>` +
    own('model') +
    own('provider') +
    (prompt ? `<pixdesk:prompt>${xmlEscape(prompt)}</pixdesk:prompt>` : '') +
    own('requestId') +
    own('parentRequestId') +
    own('recordId') +
    own('sourceSha256') +
    (fields.references?.length ? `<pixdesk:references>${xmlEscape(JSON.stringify(fields.references))}</pixdesk:references>` : '') +
    own('createdAt') +
    '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
  )
}

/**
 * The longest packet that fits `maxBytes`: the prompt gives way first, then goes; the labelling itself
 * (source type, model, ids) is never dropped.
 */
export function xmpPacketWithin(fields: ProvenanceFields, maxBytes: number): string {
  for (const chars of [16_000, 4_000, 1_000, 0]) {
    const packet = xmpPacket(fields, chars)
    if (Buffer.byteLength(packet) <= maxBytes) return packet
  }
  return xmpPacket({ ...fields, prompt: '' }, 0)
}
