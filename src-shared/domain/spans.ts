/** Rules for spans on a text: validity, overlaps, and snapping a selection to words. Pure. */
import { CJK } from './text'
import type { SpanTuple } from './dataset'

export interface SpanIssue {
  index: number
  message: string
}

/** Problems with a span list for `text`: out of range, empty, splitting a surrogate pair, unknown label, overlap. */
export function checkSpans(text: string, spans: readonly SpanTuple[], labelIds: ReadonlySet<number>, allowNested: boolean): SpanIssue[] {
  const issues: SpanIssue[] = []
  const order = spans.map((s, i) => ({ s, i })).sort((a, b) => a.s[0] - b.s[0] || a.s[1] - b.s[1])
  let maxEnd = 0
  const seen = new Set<string>()
  for (const { s, i } of order) {
    const [start, end, label] = s
    if (!(start >= 0 && end <= text.length && start < end)) issues.push({ index: i, message: `span [${start}, ${end}) is outside the text (length ${text.length}) or empty` })
    else if (splitsPair(text, start) || splitsPair(text, end)) issues.push({ index: i, message: `span [${start}, ${end}) cuts a character in half` })
    else if (!labelIds.has(label)) issues.push({ index: i, message: `label id ${label} is not in the project` })
    else if (seen.has(`${start},${end},${label}`)) issues.push({ index: i, message: `span [${start}, ${end}) appears twice` })
    else if (!allowNested && start < maxEnd) issues.push({ index: i, message: `span [${start}, ${end}) overlaps another span; this project does not allow nested entities` })
    seen.add(`${start},${end},${label}`)
    maxEnd = Math.max(maxEnd, end)
  }
  return issues.sort((a, b) => a.index - b.index)
}

/** True when offset `o` falls between the two halves of a surrogate pair. */
export function splitsPair(text: string, o: number): boolean {
  if (o <= 0 || o >= text.length) return false
  const hi = text.charCodeAt(o - 1)
  const lo = text.charCodeAt(o)
  return hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff
}

export function sortSpans(spans: readonly SpanTuple[]): SpanTuple[] {
  return [...spans].sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2])
}

const WORD = /[\p{L}\p{N}\p{M}_'’-]/u

function isWordChar(text: string, i: number): boolean {
  const ch = String.fromCodePoint(text.codePointAt(i) ?? 32)
  return WORD.test(ch) && !CJK.test(ch)
}

/**
 * Widen a selection [start, end) to whole words (Latin script), trim surrounding whitespace,
 * and never split a surrogate pair. CJK characters are their own words, so a CJK selection is
 * kept per character. Returns null when nothing but whitespace was selected.
 */
export function snapToWords(text: string, start: number, end: number, snap = true): [number, number] | null {
  let s = Math.max(0, Math.min(start, end))
  let e = Math.min(text.length, Math.max(start, end))
  while (s < e && /\s/.test(text[s]!)) s++
  while (e > s && /\s/.test(text[e - 1]!)) e--
  if (s >= e) return null
  if (splitsPair(text, s)) s--
  if (splitsPair(text, e)) e++
  if (snap) {
    while (s > 0 && isWordChar(text, s) && isWordChar(text, s - 1) && !splitsPair(text, s - 1)) s--
    while (e < text.length && isWordChar(text, e - 1) && isWordChar(text, e)) e++
  }
  return [s, e]
}

/** Every occurrence of `needle` in `text` as [start, end), whole words only for Latin text. */
export function occurrences(text: string, needle: string, wholeWords = true): [number, number][] {
  const out: [number, number][] = []
  if (!needle) return out
  let at = text.indexOf(needle)
  while (at >= 0) {
    const end = at + needle.length
    const okStart = !wholeWords || at === 0 || !isWordChar(text, at - 1) || !isWordChar(text, at)
    const okEnd = !wholeWords || end === text.length || !isWordChar(text, end) || !isWordChar(text, end - 1)
    if (okStart && okEnd) out.push([at, end])
    at = text.indexOf(needle, at + 1)
  }
  return out
}
