import { constants, sign } from 'node:crypto'
import type { SigningCredentials, SigningAlg } from './certificate'

/**
 * A COSE_Sign1 signature (RFC 9052) over a C2PA claim, made here rather than by the C2PA library: its
 * WebAssembly build hands the claim to a callback and expects the whole signature structure back, with
 * the certificate chain in the protected header as C2PA 2.x requires. The payload is detached.
 */

type Cbor = null | number | string | Buffer | Cbor[] | Map<Cbor, Cbor>

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n])
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n])
  if (n < 0x10000) {
    const b = Buffer.alloc(3)
    b[0] = (major << 5) | 25
    b.writeUInt16BE(n, 1)
    return b
  }
  const b = Buffer.alloc(5)
  b[0] = (major << 5) | 26
  b.writeUInt32BE(n, 1)
  return b
}

/** Definite-length CBOR for the few types a COSE header needs. */
function cbor(value: Cbor): Buffer {
  if (value === null) return Buffer.from([0xf6])
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value)
  if (typeof value === 'string') {
    const s = Buffer.from(value, 'utf8')
    return Buffer.concat([head(3, s.length), s])
  }
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value])
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(cbor)])
  return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])])
}

const COSE_ALG: Record<SigningAlg, number> = { es256: -7, es384: -35, es512: -36, ed25519: -8, ps256: -37 }
const HEADER_ALG = 1
const HEADER_X5CHAIN = 33
const COSE_SIGN1_TAG = 0xd2

/** Signed off the main thread (in Node's thread pool): an ECDSA or RSA signature is the costly step. */
function signatureOver(data: Buffer, credentials: SigningCredentials): Promise<Buffer> {
  const { alg, key } = credentials
  const [digest, options]: [string | null, Parameters<typeof sign>[2]] =
    alg === 'ed25519'
      ? [null, key]
      : alg === 'ps256'
        ? ['sha256', { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }]
        : [DIGEST[alg], { key, dsaEncoding: 'ieee-p1363' }]
  return new Promise((resolve, reject) => sign(digest, data, options, (err, signature) => (err ? reject(err) : resolve(signature))))
}

const DIGEST: Record<'es256' | 'es384' | 'es512', string> = { es256: 'sha256', es384: 'sha384', es512: 'sha512' }

/**
 * The signature, padded to exactly `size` bytes: the library reserved that much room in the file before
 * hashing it, so a shorter signature would leave the recorded byte ranges wrong. The padding is the
 * `pad` entry of the unprotected header, as C2PA specifies.
 */
export async function coseSign1(claim: Uint8Array, credentials: SigningCredentials, size: number): Promise<Uint8Array> {
  const protectedHeader = cbor(
    new Map<Cbor, Cbor>([
      [HEADER_ALG, COSE_ALG[credentials.alg]],
      [HEADER_X5CHAIN, credentials.chain.length === 1 ? credentials.chain[0]! : credentials.chain]
    ])
  )
  const toBeSigned = cbor(['Signature1', protectedHeader, Buffer.alloc(0), Buffer.from(claim)])
  const signature = await signatureOver(toBeSigned, credentials)
  const build = (pad: number) => Buffer.concat([Buffer.from([COSE_SIGN1_TAG]), cbor([protectedHeader, new Map<Cbor, Cbor>([['pad', Buffer.alloc(pad)]]), null, signature])])
  let pad = Math.max(0, size - build(0).length)
  // The length prefix of the pad grows with it: step back until the whole fits exactly.
  while (pad > 0 && build(pad).length > size) pad--
  const out = build(pad)
  if (out.length !== size) throw new Error(`The signature needs ${out.length} bytes but ${size} were reserved; the certificate chain is too large.`)
  return new Uint8Array(out)
}

/** Room reserved for the signature: the chain plus the signature itself and the header's own bytes. */
export const reserveFor = (credentials: SigningCredentials): number => credentials.chain.reduce((sum, c) => sum + c.length + 8, 0) + 1024 + 2048
