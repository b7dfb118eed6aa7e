/**
 * BERT basic tokenization with offsets: the text is cleaned (control characters, U+0000 and
 * U+FFFD removed, whitespace made a space), CJK ideographs are set apart, characters are
 * lowercased and/or stripped of accents, and the result is split on whitespace and punctuation,
 * exactly as transformers' BasicTokenizer does. Unlike that one, each word keeps where it came
 * from in the original text: [start, end) UTF-16 offsets, per character when the word is not a
 * plain copy of the original, the way the fast tokenizer's NormalizedString aligns them.
 * Pure: no I/O, no state between calls besides a per-code-point cache of character classes.
 */
import { isChineseChar, isPunctuation, isRemoved, isWhitespace, transformChar } from './unicode'

export interface BasicTokenizerOptions {
  /** Lowercase (per character). */
  lowercase: boolean
  /** Strip accents (NFD, then drop "Mn"). Already resolved: transformers' `null` means `lowercase`. */
  stripAccents: boolean
  /** Put every CJK ideograph in a word of its own. */
  tokenizeChineseChars: boolean
  /**
   * Whitespace-delimited tokens (after cleaning) that are kept whole: not stripped of accents,
   * not split on punctuation (transformers' `never_split`). With `lowercase`, transformers'
   * BertTokenizer lowercases the text before its BasicTokenizer looks at never_split, so the
   * lowercased token is what is looked up and kept: only lowercase entries can ever match.
   */
  neverSplit: ReadonlySet<string>
}

export interface Word {
  /** The normalized text of the word. */
  text: string
  /** [start, end) of the word in the original text, in UTF-16 code units. */
  start: number
  end: number
  /**
   * Where each UTF-16 unit of `text` came from: [start, end) of its source character in the
   * original text, as pairs (unit k at 2k, 2k + 1). Null when unit k of `text` stands for unit
   * start + k of the original (the word is the original's characters, at most case-changed).
   */
  align: Int32Array | null
  /** True for a never_split word: it is used as it is, WordPiece is not applied. */
  neverSplit: boolean
}

// ---------------------------------------------------------------------------------------------
// Character classes, computed once per code point.

const enum Kind {
  /** Part of a word; may be changed by lowercasing/stripping. */
  Word = 0,
  Punct = 1,
  Space = 2,
  Removed = 3,
  Chinese = 4,
}

const ASCII = new Uint8Array(128)
for (let c = 0; c < 128; c++) {
  ASCII[c] = isRemoved(c) ? Kind.Removed : isWhitespace(c) ? Kind.Space : isPunctuation(c) ? Kind.Punct : Kind.Word
}

const KIND_CACHE = new Map<number, Kind>()
function kindOf(cp: number): Kind {
  let k = KIND_CACHE.get(cp)
  if (k === undefined) {
    // Cleaning comes first, then CJK spacing. Punct here is the untransformed character's class:
    // with lowercasing or stripping on, punctuation is judged after them (see transformed()).
    k = isRemoved(cp) ? Kind.Removed : isWhitespace(cp) ? Kind.Space : isChineseChar(cp) ? Kind.Chinese : isPunctuation(cp) ? Kind.Punct : Kind.Word
    if (KIND_CACHE.size < 65536) KIND_CACHE.set(cp, k)
  }
  return k
}

/** A non-ASCII character after lowercasing/stripping: its text, and which of its code points are punctuation. */
interface Transformed {
  text: string
  /** Code points of `text` with their punctuation flag; null when none is punctuation. */
  parts: Array<{ ch: string; punct: boolean }> | null
}
const TRANSFORM_CACHES = [new Map<number, Transformed>(), new Map<number, Transformed>(), new Map<number, Transformed>(), new Map<number, Transformed>()]

function transformed(cp: number, ch: string, lowercase: boolean, strip: boolean): Transformed {
  const cache = TRANSFORM_CACHES[(lowercase ? 1 : 0) + (strip ? 2 : 0)]!
  let t = cache.get(cp)
  if (t === undefined) {
    const text = transformChar(ch, lowercase, strip)
    let parts: Transformed['parts'] = null
    for (const c of text) {
      if (isPunctuation(c.codePointAt(0)!)) {
        parts = Array.from(text, (x) => ({ ch: x, punct: isPunctuation(x.codePointAt(0)!) }))
        break
      }
    }
    t = { text, parts }
    if (cache.size < 65536) cache.set(cp, t)
  }
  return t
}

// ---------------------------------------------------------------------------------------------

/**
 * Splits text[from, to) into words. Offsets are in the whole `text`. Words are appended to `out`
 * (a new array by default) and it is returned.
 */
export function basicTokenize(text: string, options: BasicTokenizerOptions, from = 0, to = text.length, out: Word[] = []): Word[] {
  const { lowercase, stripAccents: strip, tokenizeChineseChars, neverSplit } = options
  const trackChunks = neverSplit.size > 0

  // The word being built.
  let wText = ''
  let wStart = -1
  let wEnd = -1
  let wAlign: number[] | null = null

  const flush = (): void => {
    if (wText.length > 0) out.push({ text: wText, start: wStart, end: wEnd, align: wAlign ? Int32Array.from(wAlign) : null, neverSplit: false })
    wText = ''
    wStart = -1
    wEnd = -1
    wAlign = null
  }

  /**
   * Appends `s`, which stands for the original text[s0, e0): unit by unit when `oneToOne` (an
   * ASCII run, or a character that kept its length), otherwise every unit for the whole range.
   */
  const append = (s: string, s0: number, e0: number, oneToOne: boolean): void => {
    if (s.length === 0) return
    if (wText.length === 0) {
      wStart = s0
      wText = s
      wEnd = e0
      wAlign = oneToOne ? null : unitPairs([], s, s0, e0, false)
      return
    }
    if (wAlign === null) {
      if (oneToOne && wEnd === s0) {
        wText += s
        wEnd = e0
        return
      }
      wAlign = unitPairs([], wText, wStart, wEnd, true)
    }
    unitPairs(wAlign, s, s0, e0, oneToOne)
    wText += s
    wEnd = e0
  }

  /** A word of its own (punctuation, a CJK ideograph): `s` stands for text[s0, e0). */
  const single = (s: string, s0: number, e0: number, oneToOne: boolean): void => {
    flush()
    append(s, s0, e0, oneToOne)
    flush()
  }

  // never_split: the current whitespace-delimited chunk, as cleaned but not transformed.
  let cFirstWord = out.length
  let cText = ''
  let cStart = -1
  let cEnd = -1
  let cAlign: number[] | null = null
  const chunkAdd = (s: string, s0: number, e0: number, oneToOne: boolean): void => {
    if (cText.length === 0) {
      cStart = s0
      cAlign = []
    }
    unitPairs(cAlign!, s, s0, e0, oneToOne)
    cText += s
    cEnd = e0
  }
  const chunkEnd = (): void => {
    flush()
    if (cText.length > 0 && neverSplit.has(cText)) {
      out.length = cFirstWord
      const plain = cEnd - cStart === cText.length && text.startsWith(cText, cStart)
      out.push({ text: cText, start: cStart, end: cEnd, align: plain ? null : Int32Array.from(cAlign!), neverSplit: true })
    }
    cFirstWord = out.length
    cText = ''
    cAlign = null
  }

  let i = from
  while (i < to) {
    const c = text.charCodeAt(i)
    if (c < 128) {
      const k = ASCII[c]!
      if (k === Kind.Word) {
        // A run of ASCII letters and digits (all other printable ASCII is punctuation).
        let j = i + 1
        while (j < to) {
          const d = text.charCodeAt(j)
          if (d >= 128 || ASCII[d] !== Kind.Word) break
          j++
        }
        const raw = text.slice(i, j)
        const low = lowercase ? raw.toLowerCase() : raw
        if (trackChunks) chunkAdd(low, i, j, true)
        append(low, i, j, true)
        i = j
      } else if (k === Kind.Punct) {
        if (trackChunks) chunkAdd(text[i]!, i, i + 1, true)
        single(text[i]!, i, i + 1, true)
        i++
      } else if (k === Kind.Space) {
        if (trackChunks) chunkEnd()
        else flush()
        i++
      } else {
        i++ // removed by cleaning
      }
      continue
    }

    // One non-ASCII code point at [i, i + w).
    let cp = c
    let w = 1
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < to) {
      const d = text.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        cp = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000
        w = 2
      }
    }
    const e = i + w
    let k = kindOf(cp)
    if (k === Kind.Chinese && !tokenizeChineseChars) k = Kind.Word
    if (k === Kind.Removed) {
      i = e
      continue
    }
    if (k === Kind.Space) {
      if (trackChunks) chunkEnd()
      else flush()
      i = e
      continue
    }
    const ch = w === 1 ? text[i]! : text.slice(i, e)
    if (trackChunks) {
      if (k === Kind.Chinese) chunkEnd() // CJK spacing: the ideograph is a chunk of its own
      const low = lowercase ? ch.toLowerCase() : ch
      chunkAdd(low, i, e, identityUnits(low, text, i, e))
    }
    const t = lowercase || strip ? transformed(cp, ch, lowercase, strip) : null
    if (k === Kind.Chinese) {
      // Ideographs are never punctuation, and stripping keeps one (F900-FAFF map to URO ones).
      const s = t ? t.text : ch
      single(s, i, e, identityUnits(s, text, i, e))
      if (trackChunks) chunkEnd()
    } else if (t === null) {
      if (k === Kind.Punct) single(ch, i, e, true)
      else append(ch, i, e, true)
    } else if (t.parts === null) {
      append(t.text, i, e, identityUnits(t.text, text, i, e))
    } else {
      for (const p of t.parts) {
        if (p.punct) single(p.ch, i, e, identityUnits(p.ch, text, i, e))
        else append(p.ch, i, e, identityUnits(p.ch, text, i, e))
      }
    }
    i = e
  }
  if (trackChunks) chunkEnd()
  else flush()
  return out
}

/**
 * True when `s`, standing for text[s0, e0), can keep the identity alignment: same length, and
 * either one unit or the very same characters (a case change of an astral character keeps its
 * surrogate pair whole; a different string of the same length might not).
 */
function identityUnits(s: string, text: string, s0: number, e0: number): boolean {
  const n = e0 - s0
  if (s.length !== n) return false
  if (n === 1) return true
  for (let k = 0; k < n; k++) {
    const u = s.charCodeAt(k)
    if (u >= 0xd800 && u <= 0xdfff && u !== text.charCodeAt(s0 + k)) return false
  }
  return true
}

/**
 * Appends to `pairs` the source range of each UTF-16 unit of `s`. With `identity`, unit k stands
 * for original unit s0 + k; otherwise every unit stands for the whole text[s0, e0).
 */
function unitPairs(pairs: number[], s: string, s0: number, e0: number, identity: boolean): number[] {
  for (let k = 0; k < s.length; k++) {
    if (identity) pairs.push(s0 + k, s0 + k + 1)
    else pairs.push(s0, e0)
  }
  return pairs
}
