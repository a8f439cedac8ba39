import { AppError } from '../../../shared/errors'
import { c2paThread, type C2paMime } from './c2pa-thread'
import { signingCredentials, type SigningCredentials } from './certificate'
import { coseSign1, reserveFor } from './cose'
import { digitalSourceTypeFor, type ProvenanceKind } from './xmp'

/**
 * Content Credentials (C2PA) through the official c2pa-rs library in its WebAssembly build
 * (@contentauth/c2pa-wasm): the native Node build cannot be installed everywhere (it downloads a binary
 * from GitHub when installed), the WebAssembly one is a plain npm package and runs offline. The library
 * runs on a thread of its own (c2pa-thread.ts); this side writes the manifest and makes the signature.
 */

export type C2paFormat = 'png' | 'jpeg' | 'webp'
const MIME: Record<C2paFormat, C2paMime> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' }
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

/**
 * Makes signing ready ahead of the first result: this installation's credentials (created once, which
 * takes a few hundred milliseconds of the main thread) and the signing thread's compiled library
 * (seconds, on its own thread). Called while the first requests of a run are on the wire; a failure
 * here is left for the signing itself to report, with its file.
 */
export async function prepareContentCredentials(dataDir: string): Promise<void> {
  await Promise.all([signingCredentials(dataDir), c2paThread().warm()])
}

/**
 * Formats already signed, and read back, with a set of credentials. The library can validate what it
 * has just signed, which catches a certificate chain or key that readers would reject; that check
 * doubles the cost of signing, and with the same key, chain and format it can only repeat its verdict.
 * So the first output per format is checked, and again whenever the credentials change.
 */
const checkedFormats = new WeakMap<SigningCredentials, Set<C2paFormat>>()

function libraryChecks(credentials: SigningCredentials, format: C2paFormat): boolean {
  const formats = checkedFormats.get(credentials) ?? new Set<C2paFormat>()
  checkedFormats.set(credentials, formats)
  if (formats.has(format)) return false
  formats.add(format)
  return true
}

/** The image with a signed manifest embedded: the source as its ingredient, the model as the agent that made it. */
export async function signContentCredentials(bytes: Buffer, format: C2paFormat, facts: ManifestFacts, dataDir: string): Promise<Buffer> {
  const credentials = await signingCredentials(dataDir)
  const verifyAfterSign = libraryChecks(credentials, format)
  const source = facts.kind === 'edit' ? facts.source : undefined
  const ingredient = source && { title: source.title, relationship: 'parentOf', label: 'source' }
  const ingredientMime = source?.format ? INGREDIENT_MIME[source.format] : undefined
  const reserveSize = reserveFor(credentials)
  const signed = await c2paThread()
    .sign({
      manifest: JSON.stringify(manifestFor(facts, format)),
      // No thumbnails: making them decodes and scales the whole image inside WebAssembly, which roughly doubled the signing time.
      settings: JSON.stringify({ builder: { thumbnail: { enabled: false } }, verify: { verify_after_sign: verifyAfterSign } }),
      mime: MIME[format],
      bytes,
      alg: credentials.alg,
      reserveSize,
      ingredient:
        source && ingredient
          ? {
              json: JSON.stringify(ingredient),
              fallbackJson: JSON.stringify({ ...ingredient, format: ingredientMime ?? 'application/octet-stream' }),
              mime: ingredientMime,
              bytes: source.bytes
            }
          : undefined,
      signClaim: (claim) => coseSign1(claim, credentials, reserveSize)
    })
    .catch((err: unknown) => {
      // Checked again next time: the check that failed must not be skipped for the next output.
      if (verifyAfterSign) checkedFormats.get(credentials)?.delete(format)
      throw new AppError({ code: 'internal', message: `Content Credentials could not be signed: ${(err as Error).message}` })
    })
  return Buffer.from(signed.buffer, signed.byteOffset, signed.byteLength)
}

export interface ReadManifest {
  /** The active manifest as the library reports it (claim generator, title, assertions, ingredients, signature). */
  manifest: Record<string, unknown>
  /** Validation failures other than the certificate not being on a public trust list. */
  failures: Array<{ code: string; explanation?: string }>
}

/** The active manifest of a file, or null when it carries none. */
export async function readContentCredentials(bytes: Buffer, format: C2paFormat): Promise<ReadManifest | null> {
  const json = await c2paThread().read(MIME[format], bytes)
  if (json === null) return null
  const store = JSON.parse(json) as {
    active_manifest?: string
    manifests?: Record<string, Record<string, unknown>>
    validation_results?: { activeManifest?: { failure?: Array<{ code: string; explanation?: string }> } }
  }
  const manifest = store.active_manifest ? store.manifests?.[store.active_manifest] : undefined
  if (!manifest) return null
  // A per-installation or studio certificate is not on the public C2PA trust list; that is expected.
  const failures = (store.validation_results?.activeManifest?.failure ?? []).filter((f) => f.code !== 'signingCredential.untrusted')
  return { manifest, failures }
}
