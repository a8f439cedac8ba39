import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { askedSizeOf, checkDeliveredSizes, finishingTarget, sizeMismatchOf } from '../../electron/core/delivered-size'
import { embedInJpeg, embedInPng, embedInWebp } from '../../electron/core/provenance/containers'
import { copyableExif } from '../../electron/core/provenance/exif'
import { xmpPacket, xmpPacketWithin } from '../../electron/core/provenance/xmp'

const fields = { kind: 'edit' as const, model: 'gpt-image-2', provider: 'pixapi', prompt: 'Warm <light> & "shadows"', requestId: 'req_1', createdAt: '2026-03-01T10:00:00.000Z', software: 'Pixdesk' }
const picture = () => sharp({ create: { width: 48, height: 32, channels: 3, background: '#3366aa' } })

/** Where the compressed image data starts: JPEG start of scan, the first PNG IDAT, the WebP VP8 chunk. */
const imageData = (bytes: Buffer, marker: Buffer) => bytes.subarray(bytes.indexOf(marker))

describe('the label is written into the container, never by re-encoding', () => {
  it('keeps the compressed image data byte for byte and replaces XMP the file already had', async () => {
    const jpeg = await picture().withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><provider-said/></x:xmpmeta>').jpeg({ quality: 70 }).toBuffer()
    const png = await picture().png().toBuffer()
    const webp = await picture().webp({ quality: 60 }).toBuffer()
    const xmp = xmpPacket(fields)
    const cases = [
      { out: embedInJpeg(jpeg, { xmp }), before: jpeg, data: Buffer.from([0xff, 0xda]) },
      { out: embedInPng(png, { xmp }), before: png, data: Buffer.from('IDAT') },
      { out: embedInWebp(webp, { xmp }, { width: 48, height: 32, hasAlpha: false }), before: webp, data: Buffer.from('VP8 ') }
    ]
    for (const { out, before, data } of cases) {
      const original = imageData(before, data)
      expect(imageData(out, data).subarray(0, original.length)).toEqual(original)
      const meta = await sharp(out).metadata()
      const text = meta.xmp?.toString('utf8') ?? ''
      expect(text).toContain('compositeWithTrainedAlgorithmicMedia')
      expect(text).not.toContain('provider-said')
      const [a, b] = await Promise.all([sharp(out).raw().toBuffer(), sharp(before).raw().toBuffer()])
      expect(a.equals(b)).toBe(true)
    }
  })

  it('says trainedAlgorithmicMedia for generations, escapes the prompt and shortens it before dropping it', () => {
    expect(xmpPacket({ ...fields, kind: 'generate' })).toContain('<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia<')
    expect(xmpPacket(fields)).toContain('Warm &lt;light&gt; &amp; &quot;shadows&quot;')
    const long = { ...fields, prompt: 'é'.repeat(40_000) }
    const fitted = xmpPacketWithin(long, 20_000)
    expect(Buffer.byteLength(fitted)).toBeLessThanOrEqual(20_000)
    expect(fitted).toContain('compositeWithTrainedAlgorithmicMedia')
    expect(fitted).toContain('<pixdesk:requestId>req_1</pixdesk:requestId>')
  })
})

describe('the source EXIF an output may carry', () => {
  it('copies camera, copyright and captions in either byte order, never orientation, GPS only when allowed', async () => {
    const source = await picture()
      .withExif({ IFD0: { Make: 'Nikon', Model: 'Z8', Copyright: 'Studio', Orientation: '6', ImageDescription: 'Bag' }, IFD3: { GPSLatitudeRef: 'S', GPSLatitude: '33/1 52/1 0/1' } })
      .jpeg()
      .toBuffer()
    const raw = (await sharp(source).metadata()).exif!
    for (const [gps, exif] of [
      [false, copyableExif(raw, { gps: false })],
      [true, copyableExif(raw, { gps: true })]
    ] as const) {
      expect(exif).toBeDefined()
      const out = embedInJpeg(await picture().jpeg().toBuffer(), { xmp: xmpPacket(fields), exif })
      const meta = await sharp(out).metadata()
      const text = meta.exif!.toString('latin1')
      expect(text).toContain('Nikon')
      expect(text).toContain('Studio')
      expect(meta.orientation).toBeUndefined()
      // The GPS directory's pointer tag (0x8825) in the main directory, little-endian as sharp writes it.
      expect(meta.exif!.includes(Buffer.from([0x25, 0x88, 0x04, 0x00]))).toBe(gps)
    }
    // A big-endian block ("MM") is copied in its own byte order.
    const bigEndian = Buffer.from('4d4d002a00000008000101100002000000034f4b000000000000', 'hex')
    const copied = copyableExif(bigEndian, { gps: false })!
    expect(copied.subarray(0, 4).toString('hex')).toBe('4d4d002a')
    expect(copied.includes(Buffer.from('OK\0'))).toBe(true)
    expect(copyableExif(Buffer.from('not exif at all'), { gps: true })).toBeUndefined()
  })
})

describe('delivered size against the asked size', () => {
  it('reads the asked size, tier and ratio as people read them', () => {
    expect(askedSizeOf({ size: '2048x2048' })?.label).toBe('2048×2048 (2K, 1:1)')
    expect(askedSizeOf({ size: '1024x1536' })?.label).toBe('1024×1536 (1K, 2:3)')
    expect(askedSizeOf({ size: '2K', aspectRatio: '16:9' })?.label).toBe('about 2731×1536 (2K, 16:9)')
    expect(askedSizeOf({ size: '4K' })?.label).toBe('4K')
    expect(askedSizeOf({ aspectRatio: '4:5' })?.label).toBe('4:5')
    expect(askedSizeOf({ size: 'auto' })).toBeNull()
    expect(askedSizeOf({})).toBeNull()
  })

  it('holds exact sizes exactly and the models’ own tier sizes roughly', () => {
    const exact = askedSizeOf({ size: '2048x2048' })!
    expect(sizeMismatchOf(exact, 2048, 2048)).toBeNull()
    expect(sizeMismatchOf(exact, 1024, 1024)).toMatchObject({ asked: '2048×2048 (2K, 1:1)', got: '1024×1024' })
    const tier = askedSizeOf({ size: '2K', aspectRatio: '16:9' })!
    expect(sizeMismatchOf(tier, 2752, 1536)).toBeNull()
    expect(sizeMismatchOf(tier, 1376, 768)).not.toBeNull()
    expect(sizeMismatchOf(tier, 2048, 2048)).not.toBeNull()
    expect(sizeMismatchOf(askedSizeOf({ aspectRatio: '21:9' })!, 1584, 672)).toBeNull()
    expect(finishingTarget(tier, 1376, 768)).toEqual({ width: 2731, height: 1536 })
    expect(finishingTarget(askedSizeOf({ size: '2K' })!, 1376, 768)).toEqual({ width: 2741, height: 1530 })
    expect(finishingTarget(askedSizeOf({ aspectRatio: '1:1' })!, 1200, 800)).toEqual({ width: 800, height: 800 })
  })

  it('keeps a missed size as delivered, or finishes it to the exact asked pixels', async () => {
    const small = { bytes: await sharp({ create: { width: 512, height: 256, channels: 3, background: '#884400' } }).jpeg().toBuffer() }
    const asked = askedSizeOf({ size: '1024x1024' })
    const [kept] = await checkDeliveredSizes([small], asked, 'keep')
    expect(kept!.bytes).toBe(small.bytes)
    expect(kept!.sizeMismatch).toEqual({ asked: '1024×1024 (1K, 1:1)', got: '512×256', delivered: { width: 512, height: 256 }, finished: false })
    const [finished] = await checkDeliveredSizes([small], asked, 'finish')
    const meta = await sharp(finished!.bytes).metadata()
    expect([meta.width, meta.height, meta.format]).toEqual([1024, 1024, 'jpeg'])
    expect(finished!.sizeMismatch?.finished).toBe(true)
    const [untouched] = await checkDeliveredSizes([small], null, 'finish')
    expect(untouched).toEqual(small)
  })
})
