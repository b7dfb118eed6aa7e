/**
 * NER data augmentation on character-span documents (after Dai & Adel 2020, "An Analysis of
 * Simple Data Augmentation for Named Entity Recognition"): mention replacement, label-wise
 * token replacement, synonym replacement and shuffling within segments. Each operation takes a
 * document and a `random` source (seededRandom) and returns a new document whose spans are
 * recomputed on the new text, so they stay exact. Pure; no tokenizer.
 *
 * Definitions:
 * - A document is read as parts: the text outside spans (label 'O') and each span (its entity
 *   type), in text order.
 * - A word is a run of characters between whitespace; in CJK text (Han, kana, Bopomofo, CJK
 *   and full-width punctuation) every such character is a word of its own. Span edges also end
 *   words, so every word is entirely inside one span or entirely outside. Characters are read
 *   by code point: a surrogate pair (e.g. 𠮷) is never split.
 * - Whitespace between words is kept in place; operations only replace or reorder words (or,
 *   for mention replacement, a whole span). A span keeps covering its part: the words now in
 *   it and the whitespace between them (and any whitespace the original span had at its
 *   edges), except that a replaced mention's span is exactly the inserted mention.
 * - Words replaced or moved in CJK text may be Latin: where two words that were apart only
 *   because one was a CJK character would now touch with no CJK character at the junction
 *   ('Globex' for 北 and 'Inc' for 京 in 北京), token replacement, synonym replacement and
 *   shuffling put one space between them, so they stay two words (outside any span when the
 *   junction is a span edge).
 * - Collected mentions and words are unique, in first-seen order; a replacement is drawn
 *   uniformly among the candidates other than the current text (nothing happens when there is
 *   no other candidate).
 * - A document whose spans are not valid (outside the text, empty, overlapping, or cutting a
 *   surrogate pair) is returned unchanged by every operation and skipped by the collectors:
 *   there is no exact way to rewrite it.
 * - A rate of 0 returns an unchanged copy without drawing from `random`; output spans are
 *   sorted by start.
 */
import { seededRandom } from '../../../src-shared/domain/splits'
import type { NerDocument, NerSpan } from './alignment'
import { shuffleInPlace } from './batch'

/** The label of words outside every span in collectTokensByLabel. */
export const OUTSIDE_LABEL = 'O'

export interface AugmentConfig {
  /** Probability that each mention is replaced by another of its type. */
  mentionReplacement?: number
  /** Probability that each word is replaced by another word with the same label. */
  tokenReplacement?: number
  /** Probability that each word outside entities that has a synonym is replaced by one. */
  synonymReplacement?: number
  /** word -> synonyms, for synonymReplacement. */
  synonyms?: Record<string, string[]>
  /** Probability that the words of each segment (an entity, or the text between two) are shuffled. */
  shuffleWithinSegments?: number
  /** Augmented copies per document. Default 1. */
  copies?: number
}

interface Part {
  text: string
  /** Entity type, or null outside spans. */
  label: string | null
}

/** seps.length === words.length + 1: text = seps[0] + words[0] + seps[1] + ... + seps[n]. */
interface Words {
  seps: string[]
  words: string[]
}

const WHITESPACE = /^\s$/u
const CJK = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Bopomofo}\u3000-\u303f\uff00-\uffef]$/u

function isCjk(ch: string): boolean {
  return CJK.test(ch)
}

/** True when offset `pos` falls between the two halves of a surrogate pair. */
function splitsPair(text: string, pos: number): boolean {
  if (pos <= 0 || pos >= text.length) return false
  const hi = text.charCodeAt(pos - 1)
  const lo = text.charCodeAt(pos)
  return hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff
}

/** The document as parts, or null when its spans cannot be rewritten exactly. */
function parseDocument(doc: NerDocument): Part[] | null {
  const { text } = doc
  const spans = [...doc.spans].sort((a, b) => a.start - b.start || a.end - b.end)
  const parts: Part[] = []
  let at = 0
  for (const s of spans) {
    if (!Number.isInteger(s.start) || !Number.isInteger(s.end) || s.start < at || s.end <= s.start || s.end > text.length) return null
    if (splitsPair(text, s.start) || splitsPair(text, s.end)) return null
    if (s.start > at) parts.push({ text: text.slice(at, s.start), label: null })
    parts.push({ text: text.slice(s.start, s.end), label: s.label })
    at = s.end
  }
  if (at < text.length) parts.push({ text: text.slice(at), label: null })
  return parts
}

/** Words and the whitespace around them (see the module comment). */
function splitWords(text: string): Words {
  const seps: string[] = []
  const words: string[] = []
  let sep = ''
  let word = ''
  const flush = (): void => {
    if (word) {
      seps.push(sep)
      words.push(word)
      sep = ''
      word = ''
    }
  }
  for (const ch of text) {
    if (WHITESPACE.test(ch)) {
      flush()
      sep += ch
    } else if (isCjk(ch)) {
      flush()
      seps.push(sep)
      words.push(ch)
      sep = ''
    } else {
      word += ch
    }
  }
  flush()
  seps.push(sep)
  return { seps, words }
}

function joinWords({ seps, words }: Words): string {
  let out = seps[0]!
  for (let i = 0; i < words.length; i++) out += words[i]! + seps[i + 1]!
  return out
}

function firstChar(s: string): string {
  const c = s.codePointAt(0)
  return c === undefined ? '' : String.fromCodePoint(c)
}

function lastChar(s: string): string {
  if (s.length === 0) return ''
  const lo = s.charCodeAt(s.length - 1)
  return lo >= 0xdc00 && lo <= 0xdfff && s.length >= 2 ? s.slice(-2) : s.slice(-1)
}

/** Two characters that would read as one word when adjacent: neither whitespace nor CJK. */
function fuses(left: string, right: string): boolean {
  return left !== '' && right !== '' && !WHITESPACE.test(left) && !WHITESPACE.test(right) && !isCjk(left) && !isCjk(right)
}

/** Puts a space where an empty separator now joins two words that would fuse. */
function keepWordsApart(w: Words): Words {
  for (let i = 1; i < w.words.length; i++) {
    if (w.seps[i] === '' && fuses(lastChar(w.words[i - 1]!), firstChar(w.words[i]!))) w.seps[i] = ' '
  }
  return w
}

/**
 * `after` has one part per part of `before`: where two parts met without whitespace and did
 * not fuse, but now do, a space (outside spans) goes between them.
 */
function keepPartsApart(before: readonly Part[], after: readonly Part[]): Part[] {
  const out: Part[] = []
  after.forEach((p, k) => {
    if (k > 0 && fuses(lastChar(after[k - 1]!.text), firstChar(p.text)) && !fuses(lastChar(before[k - 1]!.text), firstChar(before[k]!.text))) {
      out.push({ text: ' ', label: null })
    }
    out.push(p)
  })
  return out
}

/** Copies the document with its parts as text and spans (the entity parts, in order). */
function buildDocument(doc: NerDocument, parts: readonly Part[]): NerDocument {
  let text = ''
  const spans: NerSpan[] = []
  for (const p of parts) {
    if (p.label !== null && p.text.length > 0) spans.push({ start: text.length, end: text.length + p.text.length, label: p.label })
    text += p.text
  }
  return { ...doc, text, spans }
}

function unchanged(doc: NerDocument): NerDocument {
  return { ...doc, spans: doc.spans.map((s) => ({ start: s.start, end: s.end, label: s.label })) }
}

function checkRate(rate: number, name: string): void {
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`${name} must be a probability in [0, 1], got ${rate}`)
}

const indexCache = new WeakMap<readonly string[], { length: number; index: Map<string, number> }>()

/** Position of `item` in `list` (first occurrence), -1 when absent; cached per array. */
function indexOf(list: readonly string[], item: string): number {
  let cached = indexCache.get(list)
  if (!cached || cached.length !== list.length) {
    const index = new Map<string, number>()
    list.forEach((w, i) => {
      if (!index.has(w)) index.set(w, i)
    })
    cached = { length: list.length, index }
    indexCache.set(list, cached)
  }
  const i = cached.index.get(item)
  if (i !== undefined && list[i] === item) return i
  // The array was changed in place since it was indexed: look again and re-index next time.
  if (i !== undefined) indexCache.delete(list)
  return i === undefined ? -1 : list.indexOf(item)
}

/** A uniform draw among the entries other than `current`; undefined when there is none. */
function pickOther(list: readonly string[] | undefined, current: string, random: () => number): string | undefined {
  if (!list || list.length === 0) return undefined
  const c = indexOf(list, current)
  if (c < 0) return list[Math.floor(random() * list.length)]
  if (list.length === 1) return undefined
  const k = Math.floor(random() * (list.length - 1))
  return list[k >= c ? k + 1 : k]
}

function addUnique(map: Map<string, string[]>, seen: Map<string, Set<string>>, key: string, value: string): void {
  let set = seen.get(key)
  if (!set) {
    set = new Set()
    seen.set(key, set)
    map.set(key, [])
  }
  if (set.has(value)) return
  set.add(value)
  map.get(key)!.push(value)
}

/** Entity type -> its mentions' texts (trimmed of whitespace, unique, first seen first). */
export function collectMentions(docs: readonly NerDocument[]): Map<string, string[]> {
  const out = new Map<string, string[]>()
  const seen = new Map<string, Set<string>>()
  for (const doc of docs) {
    const parts = parseDocument(doc)
    if (!parts) continue
    for (const p of parts) {
      if (p.label === null) continue
      const mention = p.text.trim()
      if (mention) addUnique(out, seen, p.label, mention)
    }
  }
  return out
}

/** Label ('O' outside spans, else the entity type) -> the words with it (unique, first seen first). */
export function collectTokensByLabel(docs: readonly NerDocument[]): Map<string, string[]> {
  const out = new Map<string, string[]>()
  const seen = new Map<string, Set<string>>()
  for (const doc of docs) {
    const parts = parseDocument(doc)
    if (!parts) continue
    for (const p of parts) {
      for (const w of splitWords(p.text).words) addUnique(out, seen, p.label ?? OUTSIDE_LABEL, w)
    }
  }
  return out
}

/**
 * Each mention is replaced, with probability `rate`, by another mention of the same type from
 * `mentionsByType` (collectMentions of the training set). The new span is exactly the inserted
 * mention; whitespace the old span had at its edges stays in the text, outside the span.
 */
export function mentionReplacement(doc: NerDocument, mentionsByType: ReadonlyMap<string, readonly string[]>, rate: number, random: () => number): NerDocument {
  checkRate(rate, 'mentionReplacement rate')
  const parts = rate > 0 ? parseDocument(doc) : null
  if (!parts) return unchanged(doc)
  const out: Part[] = []
  for (const p of parts) {
    if (p.label === null || !(random() < rate)) {
      out.push(p)
      continue
    }
    const core = p.text.trim()
    const mention = pickOther(mentionsByType.get(p.label), core, random)
    if (mention === undefined || mention.length === 0) {
      out.push(p)
      continue
    }
    const lead = p.text.slice(0, p.text.length - p.text.trimStart().length)
    const trail = p.text.slice(p.text.trimEnd().length)
    if (lead) out.push({ text: lead, label: null })
    out.push({ text: mention, label: p.label })
    if (trail) out.push({ text: trail, label: null })
  }
  return buildDocument(doc, out)
}

/**
 * Each word is replaced, with probability `rate`, by another word with the same label ('O'
 * outside spans, else the span's type) from `tokensByLabel` (collectTokensByLabel of the
 * training set). Spans grow or shrink with their words.
 */
export function labelWiseTokenReplacement(doc: NerDocument, tokensByLabel: ReadonlyMap<string, readonly string[]>, rate: number, random: () => number): NerDocument {
  checkRate(rate, 'tokenReplacement rate')
  const parts = rate > 0 ? parseDocument(doc) : null
  if (!parts) return unchanged(doc)
  const out = parts.map((p): Part => {
    const w = splitWords(p.text)
    const candidates = tokensByLabel.get(p.label ?? OUTSIDE_LABEL)
    w.words = w.words.map((word) => {
      if (!(random() < rate)) return word
      const other = pickOther(candidates, word, random)
      return other === undefined || other.length === 0 ? word : other
    })
    return { text: joinWords(keepWordsApart(w)), label: p.label }
  })
  return buildDocument(doc, keepPartsApart(parts, out))
}

/** Longest dictionary key in code points, per dictionary. */
const keyLengthCache = new WeakMap<ReadonlyMap<string, readonly string[]>, number>()

function longestKey(synonyms: ReadonlyMap<string, readonly string[]>): number {
  let n = keyLengthCache.get(synonyms)
  if (n === undefined) {
    n = 1
    for (const k of synonyms.keys()) n = Math.max(n, [...k].length)
    keyLengthCache.set(synonyms, n)
  }
  return n
}

function recase(synonym: string, word: string): string {
  const first = String.fromCodePoint(word.codePointAt(0)!)
  if (first === first.toLowerCase()) return synonym
  if ([...word].length > 1 && word === word.toUpperCase()) return synonym.toUpperCase()
  const s = String.fromCodePoint(synonym.codePointAt(0)!)
  return s.toUpperCase() + synonym.slice(s.length)
}

/** The synonyms of `word` other than itself: by exact key, else by its lowercase (recased). */
function synonymsOf(word: string, synonyms: ReadonlyMap<string, readonly string[]>): string[] {
  const clean = (list: readonly string[], key: string, recased: boolean): string[] =>
    list
      .filter((s) => s.trim().length > 0 && s !== key)
      .map((s) => (recased ? recase(s, word) : s))
      .filter((s) => s !== word)
  const exact = synonyms.get(word)
  if (exact) return clean(exact, word, false)
  const lower = word.toLowerCase()
  const byLower = lower !== word ? synonyms.get(lower) : undefined
  return byLower ? clean(byLower, lower, true) : []
}

/**
 * Each word outside entities that has a synonym in `synonyms` (a user dictionary; looked up by
 * the exact word, else its lowercase, keeping an initial capital or all-caps) is replaced, with
 * probability `rate`, by one of them, drawn uniformly. In CJK text, where words are single
 * characters, dictionary keys of several characters are matched longest first over runs of
 * adjacent CJK characters. Spans only move.
 */
export function synonymReplacement(doc: NerDocument, synonyms: ReadonlyMap<string, readonly string[]>, rate: number, random: () => number): NerDocument {
  checkRate(rate, 'synonymReplacement rate')
  const parts = rate > 0 && synonyms.size > 0 ? parseDocument(doc) : null
  if (!parts) return unchanged(doc)
  const maxKey = longestKey(synonyms)
  const out = parts.map((p): Part => {
    if (p.label !== null) return p
    const { seps, words } = splitWords(p.text)
    for (let i = 0; i < words.length; i++) {
      // Merge the longest run of adjacent CJK characters that is a dictionary key.
      if (maxKey > 1 && isCjk(words[i]!)) {
        let run = 1
        while (run < maxKey && i + run < words.length && seps[i + run] === '' && isCjk(words[i + run]!)) run++
        for (let len = run; len > 1; len--) {
          const key = words.slice(i, i + len).join('')
          if (synonyms.has(key)) {
            words.splice(i, len, key)
            seps.splice(i + 1, len - 1)
            break
          }
        }
      }
      const options = synonymsOf(words[i]!, synonyms)
      if (options.length === 0 || !(random() < rate)) continue
      words[i] = options[Math.floor(random() * options.length)]!
    }
    return { text: joinWords(keepWordsApart({ seps, words })), label: p.label }
  })
  return buildDocument(doc, keepPartsApart(parts, out))
}

/**
 * Segments are the spans and the stretches of text between them. The words of each segment
 * with two or more words are shuffled with probability `rate`; whitespace stays in place, so
 * each entity keeps its type and its span covers the shuffled words (same length, unless two
 * non-CJK words of CJK text end up touching and get a space between them).
 */
export function shuffleWithinSegments(doc: NerDocument, rate: number, random: () => number): NerDocument {
  checkRate(rate, 'shuffleWithinSegments rate')
  const parts = rate > 0 ? parseDocument(doc) : null
  if (!parts) return unchanged(doc)
  const out = parts.map((p): Part => {
    const w = splitWords(p.text)
    if (w.words.length < 2 || !(random() < rate)) return p
    shuffleInPlace(w.words, random)
    return { text: joinWords(keepWordsApart(w)), label: p.label }
  })
  return buildDocument(doc, keepPartsApart(parts, out))
}

/** A seed per (seed, document index, copy), so a document's copies do not depend on the others. */
function mixSeed(seed: number, doc: number, copy: number): number {
  let h = (seed >>> 0) ^ 0x9e3779b9
  h = Math.imul(h ^ (doc + 1), 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h ^ (copy + 1), 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** The id of augmented copy `copy` (1, 2, ...) of document `id`. */
export function augmentedId(id: string | number, copy: number): string {
  return `${id}#aug${copy}`
}

/**
 * The documents followed each by `copies` augmented copies ([d1, d1#aug1, ..., d2, ...]).
 * Each copy applies, in this order and with its own seeded stream: mention replacement, label-
 * wise token replacement, synonym replacement, shuffling within segments (an operation whose
 * rate is 0 or absent is skipped). Mentions and words are collected from `docs` themselves.
 * Copies get ids augmentedId(id, k), so they never merge with their original. The originals
 * are returned as given. Same documents, config and seed: same output; all rates 0: copies
 * equal to their originals (but for the id). For new copies each epoch pass seed + epoch.
 */
export function augmentDocuments(docs: readonly NerDocument[], config: AugmentConfig, seed: number): NerDocument[] {
  const copies = config.copies ?? 1
  if (!Number.isInteger(copies) || copies < 0) throw new RangeError(`copies must be a non-negative integer, got ${copies}`)
  const mention = config.mentionReplacement ?? 0
  const token = config.tokenReplacement ?? 0
  const synonym = config.synonymReplacement ?? 0
  const shuffle = config.shuffleWithinSegments ?? 0
  checkRate(mention, 'mentionReplacement rate')
  checkRate(token, 'tokenReplacement rate')
  checkRate(synonym, 'synonymReplacement rate')
  checkRate(shuffle, 'shuffleWithinSegments rate')
  const mentions = mention > 0 ? collectMentions(docs) : new Map<string, string[]>()
  const tokens = token > 0 ? collectTokensByLabel(docs) : new Map<string, string[]>()
  const synonyms = new Map<string, string[]>(Object.entries(config.synonyms ?? {}))
  const out: NerDocument[] = []
  docs.forEach((doc, i) => {
    out.push(doc)
    for (let c = 1; c <= copies; c++) {
      const random = seededRandom(mixSeed(seed, i, c))
      let d = unchanged(doc)
      if (mention > 0) d = mentionReplacement(d, mentions, mention, random)
      if (token > 0) d = labelWiseTokenReplacement(d, tokens, token, random)
      if (synonym > 0) d = synonymReplacement(d, synonyms, synonym, random)
      if (shuffle > 0) d = shuffleWithinSegments(d, shuffle, random)
      out.push({ ...d, id: augmentedId(doc.id, c) })
    }
  })
  return out
}
