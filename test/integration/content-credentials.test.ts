import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { prepareContentCredentials, readContentCredentials, signContentCredentials, type ManifestFacts } from '../../electron/core/provenance/c2pa'
import { c2paThread } from '../../electron/core/provenance/c2pa-thread'

const facts: ManifestFacts = { kind: 'generate', model: 'gemini-3-pro-image-preview', provider: 'pixapi', title: 'output', requestId: 'req_1', software: { name: 'Pixdesk', version: '0.1.0' } }
const signedBy = async (bytes: Buffer) => {
  const read = await readContentCredentials(bytes, 'png')
  expect(read?.failures).toEqual([])
  return (read?.manifest.signature_info as { cert_serial_number?: string } | undefined)?.cert_serial_number
}

describe('Content Credentials signing certificate', () => {
  const dirs: string[] = []
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))))

  it("signs with the studio's certificate as soon as its files replace the installation's, without a restart", async () => {
    const [installation, studio] = await Promise.all([mkdtemp(join(tmpdir(), 'pixdesk-cc-a-')), mkdtemp(join(tmpdir(), 'pixdesk-cc-b-'))])
    dirs.push(installation, studio)
    const picture = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#884422' } }).png().toBuffer()

    const first = await signedBy(await signContentCredentials(picture, 'png', facts, installation))
    expect(await signedBy(await signContentCredentials(picture, 'png', facts, installation))).toBe(first)
    const other = await signedBy(await signContentCredentials(picture, 'png', facts, studio))
    expect(other).toBeDefined()
    expect(other).not.toBe(first)

    // Half replaced: the studio's certificate beside the installation's key is refused, naming both files.
    await copyFile(join(studio, 'content-credentials', 'signer.pem'), join(installation, 'content-credentials', 'signer.pem'))
    await expect(signContentCredentials(picture, 'png', facts, installation)).rejects.toThrow(/signer\.key is not the key of the first certificate in signer\.pem/)
    await copyFile(join(studio, 'content-credentials', 'signer.key'), join(installation, 'content-credentials', 'signer.key'))
    expect(await signedBy(await signContentCredentials(picture, 'png', facts, installation))).toBe(other)
  }, 60_000)

  it('made ready ahead of the first result: the credentials exist afterwards, and the first signature uses them', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'pixdesk-cc-ready-'))
    dirs.push(dataDir)
    await prepareContentCredentials(dataDir)
    expect((await readdir(join(dataDir, 'content-credentials'))).sort()).toEqual(expect.arrayContaining(['signer.key', 'signer.pem']))
    const picture = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#224488' } }).png().toBuffer()
    expect(await signedBy(await signContentCredentials(picture, 'png', facts, dataDir))).toBeDefined()
  }, 60_000)

  it('has the library check the first output per format and credentials, and again once the credentials change', async () => {
    const [installation, studio] = await Promise.all([mkdtemp(join(tmpdir(), 'pixdesk-cc-check-a-')), mkdtemp(join(tmpdir(), 'pixdesk-cc-check-b-'))])
    dirs.push(installation, studio)
    await Promise.all([prepareContentCredentials(installation), prepareContentCredentials(studio)])
    const png = await sharp({ create: { width: 24, height: 24, channels: 3, background: '#336699' } }).png().toBuffer()
    const jpeg = await sharp(png).jpeg().toBuffer()
    const thread = c2paThread()
    const sign = vi.spyOn(thread, 'sign')
    try {
      const outputs = [
        await signContentCredentials(png, 'png', facts, installation),
        await signContentCredentials(png, 'png', facts, installation),
        await signContentCredentials(jpeg, 'jpeg', facts, installation),
        await signContentCredentials(jpeg, 'jpeg', facts, installation)
      ]
      await copyFile(join(studio, 'content-credentials', 'signer.pem'), join(installation, 'content-credentials', 'signer.pem'))
      await copyFile(join(studio, 'content-credentials', 'signer.key'), join(installation, 'content-credentials', 'signer.key'))
      outputs.push(await signContentCredentials(png, 'png', facts, installation), await signContentCredentials(png, 'png', facts, installation))
      const checked = sign.mock.calls.map(([request]) => (JSON.parse(request.settings) as { verify?: { verify_after_sign?: boolean } }).verify?.verify_after_sign)
      expect(checked).toEqual([true, false, true, false, true, false])
      // Signed without the check or with it, every manifest reads back valid.
      for (const [i, bytes] of outputs.entries()) {
        const read = await readContentCredentials(bytes, i === 2 || i === 3 ? 'jpeg' : 'png')
        expect(read?.failures).toEqual([])
      }
    } finally {
      sign.mockRestore()
    }
  }, 60_000)
})
