import { createPrivateKey, randomBytes, webcrypto, X509Certificate, type KeyObject } from 'node:crypto'
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type * as X509Module from '@peculiar/x509'
import { AppError } from '../../../shared/errors'

/**
 * The credentials Content Credentials are signed with, kept in `<data>/content-credentials/`:
 * `signer.pem` (the signing certificate first, then the certificates that issued it) and `signer.key`
 * (its PKCS#8 private key). On first use Pixdesk creates them for this installation: a local authority
 * certificate and a signing certificate it issued (C2PA refuses self-signed signing certificates). A
 * studio that has its own certificate puts its two files there instead; see docs/provenance.md.
 */
const CREDENTIALS_FOLDER = 'content-credentials'
const CHAIN_FILE = 'signer.pem'
const KEY_FILE = 'signer.key'
/** Extended key usage for e-mail protection: one C2PA accepts for signing certificates. */
const EMAIL_PROTECTION = '1.3.6.1.5.5.7.3.4'
const DAY_MS = 24 * 60 * 60 * 1000

export type SigningAlg = 'es256' | 'es384' | 'es512' | 'ed25519' | 'ps256'

export interface SigningCredentials {
  /** DER certificates, the signing certificate first. */
  chain: Buffer[]
  key: KeyObject
  alg: SigningAlg
  /** The folder they were read from, for messages. */
  folder: string
}

type X509 = typeof X509Module
let loadingX509: Promise<X509> | undefined

/**
 * The X.509 library is loaded only when credentials are created, once per installation: reading them
 * back needs only node:crypto, and every command would otherwise pay for the library at start.
 */
function x509Library(): Promise<X509> {
  loadingX509 ??= (async () => {
    // The library's dependency injection reads decorator metadata, so the polyfill must be there first.
    await import('reflect-metadata')
    const x509 = await import('@peculiar/x509')
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[1])
    return x509
  })()
  return loadingX509
}

/** This installation's credentials, created the first time they are asked for. */
export async function signingCredentials(dataDir: string): Promise<SigningCredentials> {
  const folder = join(dataDir, CREDENTIALS_FOLDER)
  const existing = await readCredentials(folder)
  if (existing) return existing
  await createCredentials(folder)
  const created = await readCredentials(folder)
  if (!created) throw new AppError({ code: 'internal', path: folder, message: `The Content Credentials certificate created in ${folder} could not be read back.` })
  return created
}

/**
 * Parsed credentials per folder, with the files' identity when they were read. Parsing the key costs
 * about two milliseconds, paid on every output of a batch; a look at the files is far cheaper, and still
 * notices a studio replacing them while the app runs.
 */
const parsed = new Map<string, { stamp: string; credentials: SigningCredentials }>()

async function readCredentials(folder: string): Promise<SigningCredentials | undefined> {
  let stamp: string
  try {
    const files = await Promise.all([stat(join(folder, CHAIN_FILE)), stat(join(folder, KEY_FILE))])
    stamp = files.map((f) => `${f.ino}:${f.size}:${f.mtimeMs}`).join('|')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  const known = parsed.get(folder)
  if (known?.stamp === stamp) return known.credentials
  let pem: string
  let keyPem: string
  try {
    ;[pem, keyPem] = await Promise.all([readFile(join(folder, CHAIN_FILE), 'utf8'), readFile(join(folder, KEY_FILE), 'utf8')])
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  const chain = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'))
  if (!chain.length) throw credentialsError(folder, `${CHAIN_FILE} holds no PEM certificate`)
  let key: KeyObject
  try {
    key = createPrivateKey(keyPem)
  } catch (err) {
    throw credentialsError(folder, `${KEY_FILE} is not a readable private key (${(err as Error).message})`)
  }
  // A key from another pair would sign manifests no reader accepts: refuse it here, with a reason.
  let matches: boolean
  try {
    matches = new X509Certificate(chain[0]!).checkPrivateKey(key)
  } catch (err) {
    throw credentialsError(folder, `the first certificate in ${CHAIN_FILE} cannot be read (${(err as Error).message})`)
  }
  if (!matches) throw credentialsError(folder, `${KEY_FILE} is not the key of the first certificate in ${CHAIN_FILE} (a pair half replaced?)`)
  const credentials: SigningCredentials = { chain, key, alg: algFor(key, folder), folder }
  parsed.set(folder, { stamp, credentials })
  return credentials
}

function algFor(key: KeyObject, folder: string): SigningAlg {
  const type = key.asymmetricKeyType
  if (type === 'ed25519') return 'ed25519'
  if (type === 'rsa' || type === 'rsa-pss') return 'ps256'
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve
    if (curve === 'prime256v1' || curve === 'P-256') return 'es256'
    if (curve === 'secp384r1' || curve === 'P-384') return 'es384'
    if (curve === 'secp521r1' || curve === 'P-521') return 'es512'
  }
  throw credentialsError(folder, `the key in ${KEY_FILE} is of a kind C2PA does not sign with (${type ?? 'unknown'}); use EC P-256/P-384/P-521, Ed25519 or RSA`)
}

const credentialsError = (folder: string, why: string) =>
  new AppError({ code: 'validation', field: 'contentCredentials', path: folder, message: `Content Credentials cannot be signed: ${why}. Fix or remove the files in ${folder}.` })

/**
 * Written into a folder of its own and moved into place whole, so two processes starting at once never
 * leave a key beside another process's certificate: the second move fails and its pair is dropped.
 */
async function createCredentials(folder: string): Promise<void> {
  const x509 = await x509Library()
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
  const now = Date.now()
  const notBefore = new Date(now - DAY_MS)
  const installId = randomBytes(6).toString('hex')
  const authorityKeys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair
  const authority = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex'),
    name: `CN=Pixdesk local authority ${installId}, O=Pixdesk`,
    notBefore,
    notAfter: new Date(now + 20 * 365 * DAY_MS),
    keys: authorityKeys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(authorityKeys.publicKey)
    ]
  })
  const signerKeys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair
  const signer = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(8).toString('hex'),
    subject: `CN=Pixdesk ${installId}, O=Pixdesk`,
    issuer: authority.subject,
    notBefore,
    notAfter: new Date(now + 10 * 365 * DAY_MS),
    signingKey: authorityKeys.privateKey,
    publicKey: signerKeys.publicKey,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([EMAIL_PROTECTION], false),
      await x509.SubjectKeyIdentifierExtension.create(signerKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(authorityKeys.publicKey)
    ]
  })
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', signerKeys.privateKey))
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n`.replace(/\n\n/g, '\n')
  const staging = `${folder}.${randomBytes(6).toString('hex')}.tmp`
  await mkdir(staging, { recursive: true, mode: 0o700 })
  try {
    await writeFile(join(staging, CHAIN_FILE), `${signer.toString('pem')}\n${authority.toString('pem')}\n`)
    await writeFile(join(staging, KEY_FILE), keyPem, { mode: 0o600 })
    await rename(staging, folder).catch(async (err: NodeJS.ErrnoException) => {
      // Another process (or the studio) put credentials there first: theirs are used.
      if (err.code !== 'EEXIST' && err.code !== 'ENOTEMPTY' && err.code !== 'EPERM') throw err
    })
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
}
