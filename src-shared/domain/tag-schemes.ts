/**
 * Writing entity spans over tokens as tags in each scheme. Pure; used by the scheme preview
 * now and by CoNLL export later.
 */
import type { TagScheme } from './project'

/** An entity over tokens `[start, end)`. */
export interface TokenSpan {
  start: number
  end: number
  label: string
}

/** Tags for `length` tokens; spans must not overlap (nested entities have no flat tagging). */
export function spansToTags(length: number, spans: readonly TokenSpan[], scheme: TagScheme): string[] {
  const tags = new Array<string>(length).fill('O')
  const sorted = [...spans].sort((a, b) => a.start - b.start)
  let prev: TokenSpan | undefined
  for (const s of sorted) {
    if (s.start < 0 || s.end > length || s.end <= s.start) throw new RangeError(`span [${s.start}, ${s.end}) is outside 0..${length}`)
    if (prev && s.start < prev.end) throw new RangeError(`spans [${prev.start}, ${prev.end}) and [${s.start}, ${s.end}) overlap`)
    const single = s.end - s.start === 1
    for (let i = s.start; i < s.end; i++) {
      const first = i === s.start
      const last = i === s.end - 1
      let prefix: string
      switch (scheme) {
        case 'iob2':
          prefix = first ? 'B' : 'I'
          break
        case 'iob1':
          // B- only where this entity directly follows another of the same type.
          prefix = first && prev !== undefined && prev.end === s.start && prev.label === s.label ? 'B' : 'I'
          break
        case 'iobes':
          prefix = single ? 'S' : first ? 'B' : last ? 'E' : 'I'
          break
        case 'bmes':
          prefix = single ? 'S' : first ? 'B' : last ? 'E' : 'M'
          break
      }
      tags[i] = `${prefix}-${s.label}`
    }
    prev = s
  }
  return tags
}

/** A short example sentence for showing what a scheme looks like with the project's own labels. */
export function schemeExample(scheme: TagScheme, labels: readonly string[]): { token: string; tag: string }[] {
  const a = labels[0] ?? 'PER'
  const b = labels.find((l) => /^(LOC|GPE|PLACE|LOCATION)$/i.test(l)) ?? labels[labels.length - 1] ?? a
  const tokens = ['Ada', 'Lovelace', 'met', 'Charles', 'Babbage', 'in', 'London']
  const spans: TokenSpan[] = [
    { start: 0, end: 2, label: a },
    { start: 3, end: 5, label: a },
    { start: 6, end: 7, label: b },
  ]
  const tags = spansToTags(tokens.length, spans, scheme)
  return tokens.map((token, i) => ({ token, tag: tags[i]! }))
}
