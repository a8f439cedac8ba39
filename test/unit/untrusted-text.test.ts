import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { errorBodyFacts, httpError } from '../../electron/core/providers/errors'
import { requestIdFrom } from '../../electron/core/providers/http'
import { untrustedText } from '../../shared/errors'

/** Characters that must never reach a message, a terminal or an export from a server's text. */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
const DANGEROUS = [
  ...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)),
  ...Array.from({ length: 0x21 }, (_, i) => String.fromCharCode(0x7f + i)),
  '\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069',
  '\ud800', '\udfff'
]

/** Any text, weighted towards the characters that matter here. */
const hostileText = fc
  .array(fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.constantFrom(...DANGEROUS), fc.constantFrom('\u001b[2J', '\u009b31m', 'exe.png\u202e')), { maxLength: 30 })
  .map((parts) => parts.join(''))
const plainWords = fc.array(fc.stringMatching(/^[A-Za-z0-9.,:'"!?()_-]{1,12}$/), { minLength: 1, maxLength: 20 }).map((w) => w.join(' '))
const runs = { numRuns: 1000 }

describe('untrustedText', () => {
  it('never lets a control, bidi or broken character through', () => {
    fc.assert(fc.property(hostileText, fc.integer({ min: 1, max: 400 }), (text, max) => {
      expect(untrustedText(text, max)).not.toMatch(FORBIDDEN)
    }), runs)
  })

  it('stays within its length in code points, and is stable when applied twice', () => {
    fc.assert(
      fc.property(hostileText, fc.integer({ min: 1, max: 400 }), (text, max) => {
        const once = untrustedText(text, max)
        expect(Array.from(once).length).toBeLessThanOrEqual(max)
        expect(untrustedText(once, max)).toBe(once)
      }),
      runs
    )
  })

  it('leaves plain text as it was', () => {
    fc.assert(fc.property(plainWords, (text) => {
      expect(untrustedText(text, 1000)).toBe(text)
    }), runs)
  })

  it('keeps the readable words when controls are slipped between them', () => {
    fc.assert(
      fc.property(plainWords, fc.array(fc.constantFrom(...DANGEROUS.filter((c) => !/[\ud800-\udfff]/.test(c)))), (text, junk) => {
        const words = text.split(' ')
        const mixed = words.map((w, i) => `${junk[i % Math.max(junk.length, 1)] ?? ''}${w}`).join(' ')
        expect(untrustedText(mixed, 1000).split(' ').filter(Boolean)).toEqual(words.flatMap((w) => w.split(' ')))
      }),
      runs
    )
  })

  it('turns terminal escapes and bidi overrides into inert text', () => {
    expect(untrustedText('ok\u001b[2J\u009b31mred')).toBe('ok [2J 31mred')
    expect(untrustedText('invoice\u202egnp.exe')).toBe('invoicegnp.exe')
    expect(untrustedText('\u2067abc\u2069 def')).toBe('abc def')
    expect(untrustedText(`${'a'.repeat(9)}😀😀`, 10)).toBe(`${'a'.repeat(9)}…`)
  })
})

describe('server fields beside the message', () => {
  it('request ids, codes and reasons from a server are plain text too', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        expect(requestIdFrom({ 'x-request-id': text }) ?? '').not.toMatch(FORBIDDEN)
        expect(requestIdFrom({}, { request_id: text }) ?? '').not.toMatch(FORBIDDEN)
        const facts = errorBodyFacts({ error: { message: text, code: text, type: text, status: text, details: [{ reason: text }] } })
        for (const value of [facts.message, facts.code, facts.type, facts.status, ...(facts.reasons ?? [])]) expect(value ?? '').not.toMatch(FORBIDDEN)
        const data = httpError('openai', 400, { error: { message: text, code: text } }, undefined, undefined)
        expect(data.message).not.toMatch(FORBIDDEN)
        expect(data.providerCode ?? '').not.toMatch(FORBIDDEN)
      }),
      { numRuns: 300 }
    )
  })
})
