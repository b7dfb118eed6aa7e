/**
 * Code-point <-> UTF-16 offset conversion. Tagtune stores JavaScript string offsets (UTF-16 code
 * units); doccano, spaCy/Prodigy, brat and CLUENER count code points (Python `str` indices).
 * The two only differ after an astral character (emoji, CJK Extension B), i.e. a surrogate pair,
 * so texts without surrogates need no table. A lone surrogate counts as one code point, as in
 * Python and in `for (const ch of text)`.
 */

const SURROGATE = /[\uD800-\uDFFF]/

/** True when the text contains a surrogate, i.e. when code-point and UTF-16 offsets may differ. */
export function hasSurrogates(text: string): boolean {
  return SURROGATE.test(text)
}

export interface OffsetConverter {
  readonly text: string
  /** Length of the text in code points. */
  readonly codePointLength: number
  /** UTF-16 offset of a code-point offset; null when it is not an integer in [0, codePointLength]. */
  fromCodePoint(cp: number): number | null
  /** Code-point offset of a UTF-16 offset; null when outside [0, text.length] or inside a surrogate pair. */
  toCodePoint(utf16: number): number | null
}

const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff
const isLow = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff

/** Builds the converter for one document; the lookup tables exist only when the text has surrogates. */
export function offsetConverter(text: string): OffsetConverter {
  if (!hasSurrogates(text)) {
    const n = text.length
    const same = (o: number): number | null => (Number.isInteger(o) && o >= 0 && o <= n ? o : null)
    return { text, codePointLength: n, fromCodePoint: same, toCodePoint: same }
  }
  // cpToUnit[cp] = UTF-16 offset of code point cp; unitToCp[u] = code point at u, -1 inside a pair.
  const n = text.length
  const unitToCp = new Int32Array(n + 1)
  const cpToUnit = new Int32Array(n + 1)
  let cp = 0
  for (let u = 0; u < n; u++) {
    cpToUnit[cp] = u
    unitToCp[u] = cp
    if (isHigh(text.charCodeAt(u)) && u + 1 < n && isLow(text.charCodeAt(u + 1))) unitToCp[++u] = -1
    cp++
  }
  cpToUnit[cp] = n
  unitToCp[n] = cp
  const cpLength = cp
  return {
    text,
    codePointLength: cpLength,
    fromCodePoint: (o) => (Number.isInteger(o) && o >= 0 && o <= cpLength ? cpToUnit[o]! : null),
    toCodePoint(o) {
      if (!Number.isInteger(o) || o < 0 || o > n) return null
      const c = unitToCp[o]!
      return c < 0 ? null : c
    },
  }
}

/** A span converted to UTF-16, or why it cannot be (the problem kind and a sentence for the user). */
export type SpanCheck = { ok: true; start: number; end: number } | { ok: false; kind: 'span-out-of-range' | 'empty-span'; message: string }

/**
 * Checks a half-open span given in code points and converts it to UTF-16. `shown` is how the span
 * is printed in messages (default `[start, end)`), e.g. CLUENER prints its inclusive `[start, end]`.
 */
export function spanFromCodePoints(conv: OffsetConverter, start: number, end: number, shown = `[${start}, ${end})`): SpanCheck {
  const s = conv.fromCodePoint(start)
  const e = conv.fromCodePoint(end)
  if (s === null || e === null) {
    return { ok: false, kind: 'span-out-of-range', message: `span ${shown} is outside the text (${conv.codePointLength} characters); span skipped` }
  }
  if (e <= s) return { ok: false, kind: 'empty-span', message: `span ${shown} is empty (end must be after start); span skipped` }
  return { ok: true, start: s, end: e }
}

/** Checks a half-open span given in UTF-16 units (Label Studio): inside the text, not splitting a surrogate pair. */
export function checkUtf16Span(text: string, start: number, end: number): SpanCheck {
  const shown = `[${start}, ${end})`
  if (start < 0 || end > text.length || start > text.length || end < 0) {
    return { ok: false, kind: 'span-out-of-range', message: `span ${shown} is outside the text (${text.length} UTF-16 units); span skipped` }
  }
  if (splitsPair(text, start) || splitsPair(text, end)) {
    return { ok: false, kind: 'span-out-of-range', message: `span ${shown} splits a surrogate pair (an emoji or rare character); span skipped` }
  }
  if (end <= start) return { ok: false, kind: 'empty-span', message: `span ${shown} is empty (end must be after start); span skipped` }
  return { ok: true, start, end }
}

/** True when UTF-16 offset `o` falls between the two halves of a surrogate pair. */
export function splitsPair(text: string, o: number): boolean {
  return o > 0 && o < text.length && isLow(text.charCodeAt(o)) && isHigh(text.charCodeAt(o - 1))
}

/**
 * A stored span in code points, for writers. Stored spans were validated on the way in, so a span
 * that does not fit the text is a bug upstream: it throws rather than writing a corrupt file.
 */
export function spanToCodePoints(conv: OffsetConverter, span: { start: number; end: number }): { start: number; end: number } {
  const start = conv.toCodePoint(span.start)
  const end = conv.toCodePoint(span.end)
  if (start === null || end === null) {
    throw new RangeError(`Span [${span.start}, ${span.end}) does not fit the document text "${conv.text.slice(0, 40)}" (outside it or inside a surrogate pair)`)
  }
  return { start, end }
}

/** Order of spans in a DocumentRecord: by start, then end, then label (so round trips are exact). */
export function compareSpans(a: { start: number; end: number; label: string }, b: { start: number; end: number; label: string }): number {
  return a.start - b.start || a.end - b.end || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0)
}
