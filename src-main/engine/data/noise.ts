/**
 * Text noise for robustness evaluation: character swaps, drops and insertions, the typos and
 * OCR slips real input has. Latin words get adjacent-letter swaps, dropped letters and
 * inserted letters; CJK text gets swapped neighbouring characters, dropped characters and
 * characters inserted from the document itself (a random CJK character would mostly be a rare
 * one the model never saw). Spans move with the text and never become empty; surrogate pairs
 * are never split. Pure: the caller passes a seeded `random`.
 */
import type { NerDocument, NerSpan } from './alignment'

export interface NoiseRates {
  /** Probability per character of swapping it with the next one (same word, same span). */
  swap: number
  /** Probability per character of dropping it (never a span's last remaining character). */
  drop: number
  /** Probability per character of inserting a character after it. */
  insert: number
}

const isCjk = (ch: string): boolean => /[\u3400-\u9fff\uf900-\ufaff\u{20000}-\u{3134f}]/u.test(ch)
const isLetter = (ch: string): boolean => /\p{L}/u.test(ch)
const LATIN = 'abcdefghijklmnopqrstuvwxyz'

interface Char {
  ch: string
  /** Index of the span holding it, or -1. */
  span: number
}

export function addTextNoise(doc: NerDocument, rates: NoiseRates, random: () => number): NerDocument {
  const spans = [...doc.spans]
  const chars: Char[] = []
  let offset = 0
  for (const ch of doc.text) {
    const span = spans.findIndex((s) => offset >= s.start && offset < s.end)
    chars.push({ ch, span })
    offset += ch.length
  }
  const cjkPool = chars.filter((c) => isCjk(c.ch)).map((c) => c.ch)
  const remaining = spans.map((_, i) => chars.filter((c) => c.span === i).length)
  const out: Char[] = []
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!
    const next = chars[i + 1]
    if (!isLetter(c.ch)) {
      out.push(c)
      continue
    }
    if (rates.drop > 0 && random() < rates.drop && (c.span < 0 || remaining[c.span]! > 1)) {
      if (c.span >= 0) remaining[c.span]!--
      continue
    }
    if (rates.swap > 0 && next && isLetter(next.ch) && next.span === c.span && isCjk(next.ch) === isCjk(c.ch) && random() < rates.swap) {
      out.push({ ch: next.ch, span: c.span }, { ch: c.ch, span: c.span })
      i++
      continue
    }
    out.push(c)
    if (rates.insert > 0 && random() < rates.insert) {
      const pool = isCjk(c.ch) ? cjkPool : null
      const ch = pool && pool.length > 0 ? pool[Math.floor(random() * pool.length)]! : LATIN[Math.floor(random() * LATIN.length)]!
      // Inside a span when the next character is in the same span: the insertion is part of the word.
      out.push({ ch, span: next && next.span === c.span ? c.span : -1 })
    }
  }
  let text = ''
  const starts = new Array<number>(spans.length).fill(-1)
  const ends = new Array<number>(spans.length).fill(-1)
  for (const c of out) {
    if (c.span >= 0) {
      if (starts[c.span] === -1) starts[c.span] = text.length
      ends[c.span] = text.length + c.ch.length
    }
    text += c.ch
  }
  const newSpans: NerSpan[] = []
  spans.forEach((s, i) => {
    if (starts[i]! >= 0) newSpans.push({ start: starts[i]!, end: ends[i]!, label: s.label })
  })
  return { id: doc.id, text, spans: newSpans }
}
