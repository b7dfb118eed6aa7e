import { describe, expect, it } from 'vitest'
import { checkUtf16Span, compareSpans, hasSurrogates, offsetConverter, spanFromCodePoints, spanToCodePoints, splitsPair } from '../../../src-main/formats/offsets'

/** Code-point offset → UTF-16 offset, the slow obvious way. */
const slowUnits = (text: string, cp: number): number => Array.from(text).slice(0, cp).join('').length

describe('offsetConverter', () => {
  it('is the identity on BMP-only text, with range checks', () => {
    const conv = offsetConverter('浙商银行 abc')
    expect(conv.codePointLength).toBe(8)
    for (let i = 0; i <= 8; i++) {
      expect(conv.fromCodePoint(i)).toBe(i)
      expect(conv.toCodePoint(i)).toBe(i)
    }
    for (const bad of [-1, 9, 1.5, Number.NaN]) {
      expect(conv.fromCodePoint(bad)).toBeNull()
      expect(conv.toCodePoint(bad)).toBeNull()
    }
  })

  it('maps code points to UTF-16 units after emoji and CJK Extension B characters', () => {
    const text = 'a😀b𠮷c' // units: a=0, 😀=1-2, b=3, 𠮷=4-5, c=6
    const conv = offsetConverter(text)
    expect(conv.codePointLength).toBe(5)
    expect([0, 1, 2, 3, 4, 5].map((cp) => conv.fromCodePoint(cp))).toEqual([0, 1, 3, 4, 6, 7])
    expect([0, 1, 3, 4, 6, 7].map((u) => conv.toCodePoint(u))).toEqual([0, 1, 2, 3, 4, 5])
    expect(conv.toCodePoint(2)).toBeNull() // inside 😀
    expect(conv.toCodePoint(5)).toBeNull() // inside 𠮷
    expect(conv.fromCodePoint(6)).toBeNull()
    expect(conv.toCodePoint(8)).toBeNull()
  })

  it('counts a lone surrogate as one code point, like Python', () => {
    const conv = offsetConverter('a\uD800b\uDC00😀')
    expect(conv.codePointLength).toBe(5)
    expect([0, 1, 2, 3, 4, 5].map((cp) => conv.fromCodePoint(cp))).toEqual([0, 1, 2, 3, 4, 6])
    expect(conv.toCodePoint(5)).toBeNull()
  })

  it('agrees with Array.from on random texts mixing ASCII, CJK and astral characters', () => {
    const alphabet = ['a', ' ', '中', '😀', '𠮷', '👍🏽', '\u0301', '\uD800']
    let seed = 7
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n)
    for (let round = 0; round < 200; round++) {
      const text = Array.from({ length: rand(30) }, () => alphabet[rand(alphabet.length)]).join('')
      const conv = offsetConverter(text)
      const cps = Array.from(text).length
      expect(conv.codePointLength).toBe(cps)
      for (let cp = 0; cp <= cps; cp++) {
        const u = conv.fromCodePoint(cp)!
        expect(u).toBe(slowUnits(text, cp))
        expect(conv.toCodePoint(u)).toBe(cp)
      }
    }
  })

  it('builds tables only for texts with surrogates, fast enough for long documents', () => {
    expect(hasSurrogates('plain 中文')).toBe(false)
    expect(hasSurrogates('x😀')).toBe(true)
    const long = '中文😀'.repeat(100_000)
    const t0 = performance.now()
    const conv = offsetConverter(long)
    expect(conv.fromCodePoint(3 * 100_000)).toBe(long.length)
    expect(performance.now() - t0).toBeLessThan(500)
  })
})

describe('span checks', () => {
  const conv = offsetConverter('I ❤ 😀 Paris')
  it('converts a code-point span to UTF-16', () => {
    expect(spanFromCodePoints(conv, 6, 11)).toEqual({ ok: true, start: 7, end: 12 })
  })
  it('reports a span outside the text as span-out-of-range', () => {
    const r = spanFromCodePoints(conv, 6, 12)
    expect(r).toMatchObject({ ok: false, kind: 'span-out-of-range' })
    expect(!r.ok && r.message).toContain('[6, 12) is outside the text (11 characters)')
    expect(spanFromCodePoints(conv, -1, 2)).toMatchObject({ ok: false, kind: 'span-out-of-range' })
  })
  it('reports end <= start as empty-span, showing the offsets as the format writes them', () => {
    expect(spanFromCodePoints(conv, 3, 3)).toMatchObject({ ok: false, kind: 'empty-span' })
    const r = spanFromCodePoints(conv, 4, 3, '[4, 2] (inclusive end)')
    expect(!r.ok && r.message).toContain('[4, 2] (inclusive end) is empty')
  })
  it('checks UTF-16 spans: range, surrogate pairs, emptiness', () => {
    const text = 'I ❤ 😀 Paris'
    expect(checkUtf16Span(text, 4, 6)).toEqual({ ok: true, start: 4, end: 6 })
    expect(checkUtf16Span(text, 5, 7)).toMatchObject({ ok: false, kind: 'span-out-of-range' })
    expect(checkUtf16Span(text, 4, 5)).toMatchObject({ ok: false, kind: 'span-out-of-range' })
    expect(checkUtf16Span(text, 0, 13)).toMatchObject({ ok: false, kind: 'span-out-of-range' })
    expect(checkUtf16Span(text, 2, 2)).toMatchObject({ ok: false, kind: 'empty-span' })
    expect(splitsPair(text, 5)).toBe(true)
    expect(splitsPair(text, 4)).toBe(false)
  })
  it('converts stored spans back to code points, and refuses one that splits a pair', () => {
    expect(spanToCodePoints(conv, { start: 7, end: 12 })).toEqual({ start: 6, end: 11 })
    expect(() => spanToCodePoints(conv, { start: 5, end: 7 })).toThrow(RangeError)
  })
  it('orders spans by start, end, then label', () => {
    const spans = [
      { start: 3, end: 5, label: 'B' },
      { start: 0, end: 9, label: 'A' },
      { start: 3, end: 5, label: 'A' },
      { start: 0, end: 2, label: 'Z' },
    ]
    expect(spans.sort(compareSpans).map((s) => `${s.start}-${s.end}${s.label}`)).toEqual(['0-2Z', '0-9A', '3-5A', '3-5B'])
  })
})
