import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type * as C2paWasm from '@contentauth/c2pa-wasm'
import { AppError } from '../../../shared/errors'
import { coseSign1, reserveFor } from './cose'
import { digitalSourceTypeFor, type ProvenanceKind } from './xmp'

/**
 * Content Credentials (C2PA) through the official c2pa-rs library in its WebAssembly build
 * (@contentauth/c2pa-wasm): the native Node build cannot be installed everywhere (it downloads a binary
 * from GitHub when installed), the WebAssembly one is a plain npm package and runs offline.
 */
type C2paModule = typeof C2paWasm

export type C2paFormat = 'png' | 'jpeg' | 'webp'
const MIME: Record<C2paFormat, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' }
const INGREDIENT_MIME: Record<string, string> = { ...MIME, gif: 'image/gif', avif: 'image/avif', tiff: 'image/tiff', heif: 'image/heic' }

export interface ManifestFacts {
  kind: ProvenanceKind
  model: string
  provider?: string
  title: string
  requestId?: string
  parentRequestId?: string
  /** The edited picture, read as it is on disk (the original, never the upload copy). */
  source?: { bytes: Buffer; format?: string; title: string }
  software: { name: string; version: string }
}

let loading: Promise<C2paModule> | undefined

/**
 * The library reads the images it signs through FileReaderSync, which only browsers' workers have; in
 * Node a Blob that keeps its bytes answers it synchronously. Installed once, and only when absent.
 */
const BYTES = Symbol('pixdesk.blobBytes')
class BytesBlob extends Blob {
  readonly [BYTES]: Uint8Array
  constructor(bytes: Uint8Array) {
    super([bytes as Uint8Array<ArrayBuffer>])
    this[BYTES] = bytes
  }
  override slice(start = 0, end = this[BYTES].length): BytesBlob {
    return new BytesBlob(this[BYTES].subarray(start, end))
  }
}
function installFileReaderSync(): void {
  const scope = globalThis as { FileReaderSync?: unknown }
  if (scope.FileReaderSync) return
  scope.FileReaderSync = class {
    readAsArrayBuffer(blob: unknown): ArrayBuffer {
      const bytes = (blob as BytesBlob)[BYTES]
      if (!bytes) throw new Error('Only images handed over by Pixdesk can be read here.')
      // A copy of exactly these bytes: a Buffer's own slice() is a view into a possibly larger, shared pool.
      return Uint8Array.prototype.slice.call(bytes).buffer as ArrayBuffer
    }
  }
}

async function library(): Promise<C2paModule> {
  loading ??= (async () => {
    // Found through its package.json, so the same code works from sources, bundles and an installed app.
    const pkg = createRequire(__filename).resolve('@contentauth/c2pa-wasm/package.json')
    const wasm = await readFile(join(dirname(pkg), 'pkg', 'c2pa_bg.wasm'))
    const mod = await import('@contentauth/c2pa-wasm')
    await mod.default({ module_or_path: wasm })
    installFileReaderSync()
    return mod
  })()
  try {
    return await loading
  } catch (err) {
    loading = undefined
    throw new AppError({ code: 'internal', message: `The Content Credentials library could not be loaded: ${(err as Error).message}` })
  }
}

function manifestFor(facts: ManifestFacts, format: C2paFormat): Record<string, unknown> {
  const agent = { name: facts.model, ...(facts.provider ? { provider: facts.provider } : {}) }
  const sourceType = digitalSourceTypeFor(facts.kind)
  const actions =
    facts.kind === 'edit' && facts.source
      ? [
          { action: 'c2pa.opened', parameters: { ingredientIds: ['source'] } },
          { action: 'c2pa.edited', digitalSourceType: sourceType, softwareAgent: agent }
        ]
      : [{ action: 'c2pa.created', digitalSourceType: sourceType, softwareAgent: agent }]
  return {
    claim_generator_info: [facts.software],
    title: facts.title,
    format: MIME[format],
    assertions: [
      { label: 'c2pa.actions.v2', data: { actions } },
      {
        label: 'app.pixdesk.request',
        data: {
          model: facts.model,
          ...(facts.provider ? { provider: facts.provider } : {}),
          ...(facts.requestId ? { requestId: facts.requestId } : {}),
          ...(facts.parentRequestId ? { parentRequestId: facts.parentRequestId } : {})
        }
      }
    ]
  }
}

/** The image with a signed manifest embedded: the source as its ingredient, the model as the agent that made it. */
export async function signContentCredentials(bytes: Buffer, format: C2paFormat, facts: ManifestFacts, dataDir: string): Promise<Buffer> {
  const c2pa = await library()
  // Loaded on first signing: certificate creation pulls in an X.509 library every command would otherwise pay for at start.
  const { signingCredentials } = await import('./certificate')
  const credentials = await signingCredentials(dataDir)
  // No thumbnails: making them decodes and scales the whole image inside WebAssembly, which roughly doubled the signing time.
  const builder = c2pa.WasmBuilder.fromJson(JSON.stringify(manifestFor(facts, format)), JSON.stringify({ builder: { thumbnail: { enabled: false } } }))
  try {
    const source = facts.source
    if (facts.kind === 'edit' && source) {
      const ingredient = { title: source.title, relationship: 'parentOf', label: 'source' }
      const mime = source.format ? INGREDIENT_MIME[source.format] : undefined
      try {
        if (!mime) throw new Error('format not read by the library')
        await builder.addIngredientFromBlob(JSON.stringify(ingredient), mime, new BytesBlob(source.bytes))
      } catch {
        // A source the library cannot open is still named as the ingredient, without its own data.
        builder.addIngredient(JSON.stringify({ ...ingredient, format: mime ?? 'application/octet-stream' }))
      }
    }
    const reserveSize = reserveFor(credentials)
    const signer = { alg: credentials.alg, reserveSize, sign: async (claim: Uint8Array) => coseSign1(claim, credentials, reserveSize) as Uint8Array<ArrayBuffer> }
    const signed = await builder.sign(signer, [], MIME[format], new BytesBlob(bytes))
    return Buffer.from(signed)
  } finally {
    builder.free()
  }
}

export interface ReadManifest {
  /** The active manifest as the library reports it (claim generator, title, assertions, ingredients, signature). */
  manifest: Record<string, unknown>
  /** Validation failures other than the certificate not being on a public trust list. */
  failures: Array<{ code: string; explanation?: string }>
}

/** The active manifest of a file, or null when it carries none. */
export async function readContentCredentials(bytes: Buffer, format: C2paFormat): Promise<ReadManifest | null> {
  const c2pa = await library()
  let reader: Awaited<ReturnType<C2paModule['WasmReader']['fromBytes']>>
  try {
    reader = await c2pa.WasmReader.fromBytes(MIME[format], bytes)
  } catch (err) {
    if (/JumbfNotFound|no JUMBF|ManifestNotFound|not found/i.test(String(err))) return null
    throw err
  }
  try {
    const store = JSON.parse(reader.json()) as {
      active_manifest?: string
      manifests?: Record<string, Record<string, unknown>>
      validation_results?: { activeManifest?: { failure?: Array<{ code: string; explanation?: string }> } }
    }
    const manifest = store.active_manifest ? store.manifests?.[store.active_manifest] : undefined
    if (!manifest) return null
    // A per-installation or studio certificate is not on the public C2PA trust list; that is expected.
    const failures = (store.validation_results?.activeManifest?.failure ?? []).filter((f) => f.code !== 'signingCredential.untrusted')
    return { manifest, failures }
  } finally {
    reader.free()
  }
}
