/**
 * Character spans -> the words and tokens of the BERT tokenizer, and what does not fit.
 *
 * A word is a basic-tokenizer word (text between whitespace and punctuation, or one CJK
 * character): a first WordPiece token and the '##' continuation pieces after it. NER labels go
 * on words (HF run_ner labels the first sub-token of each word), so a span is encoded as the
 * whole words it touches. Every span is either encoded exactly or reported with a reason; none
 * is dropped silently:
 *
 * - 'no-tokens': the span covers no token (only whitespace or characters the tokenizer
 *   removes). Not encoded.
 * - 'overlap': the span shares a word with a span kept before it (nested or crossing spans
 *   have no flat tagging). Spans are taken by start, the longest first at the same start, then
 *   in the given order; the first one wins. Not encoded; `conflictsWith` names the kept span.
 * - 'partial-token': a span edge falls inside a token ('York' in the token 'NewYork', or a
 *   part of an [UNK] word). Encoded over the whole words of every token it touches, which is
 *   `encodedAs`.
 * - 'partial-word': the edges fall between tokens but inside a word ('Wash' of 'Wash ##ington').
 *   Encoded over the whole words, `encodedAs`.
 *
 * Leading or trailing whitespace inside a span is not an issue: the span is encoded as the
 * tokens it covers. Pure.
 */
import type { BertTokenizer, Encoding } from '../tokenizer'

export interface NerSpan {
  /** UTF-16 offsets into the document text, half-open. */
  start: number
  end: number
  label: string
}

export interface NerDocument {
  id: string | number
  text: string
  spans: readonly NerSpan[]
}

export type AlignmentReason = 'partial-token' | 'partial-word' | 'no-tokens' | 'overlap'

export interface AlignmentIssue {
  docId: string | number
  span: NerSpan
  /** The span's own text. */
  text: string
  reason: AlignmentReason
  /** The characters the span is trained as (whole words), or null when it is left out. */
  encodedAs: { start: number; end: number } | null
  /** For 'overlap': the kept span it collides with. */
  conflictsWith?: NerSpan
}

/** A kept span over words [wordStart, wordEnd) and tokens [tokenStart, tokenEnd). */
export interface AlignedSpan {
  span: NerSpan
  label: string
  wordStart: number
  wordEnd: number
  tokenStart: number
  tokenEnd: number
  /** The character range the words cover: what decoding gold tags gives back. */
  start: number
  end: number
}

export interface AlignedDocument {
  docId: string | number
  encoding: Encoding
  /** 1 where a token begins a word. */
  wordStarts: Uint8Array
  /** Index of the first token of each word, plus the token count at the end (length words + 1). */
  wordTokens: Int32Array
  /** Word index of each token. */
  tokenWord: Int32Array
  /** Kept spans, in text order, on disjoint words. */
  spans: AlignedSpan[]
  /** One entry per span not encoded exactly, in text order. */
  issues: AlignmentIssue[]
}

const WHITESPACE = /\s/u

/**
 * 1 where token k begins a word: k = 0, or the token does not start with the continuation
 * prefix, or whitespace separates it from the previous token (so a vocabulary entry that really
 * starts with '##' after a space is still a word). Continuation pieces share the previous
 * token's word even when removed characters (zero-width, controls) lie between them.
 */
export function findWordStarts(text: string, encoding: Encoding, prefix = '##'): Uint8Array {
  const n = encoding.tokens.length
  const out = new Uint8Array(n)
  for (let k = 0; k < n; k++) {
    if (k === 0 || !encoding.tokens[k]!.startsWith(prefix) || encoding.tokens[k]!.length === prefix.length) {
      out[k] = 1
      continue
    }
    const prevEnd = encoding.offsets[k - 1]![1]
    const start = encoding.offsets[k]![0]
    out[k] = start < prevEnd ? 0 : WHITESPACE.test(text.slice(prevEnd, start)) ? 1 : 0
  }
  return out
}

/** First token whose end is after `pos` (token ends never decrease). */
function firstTokenEndingAfter(offsets: Encoding['offsets'], pos: number): number {
  let lo = 0
  let hi = offsets.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (offsets[mid]![1] > pos) hi = mid
    else lo = mid + 1
  }
  return lo
}

interface Candidate {
  span: NerSpan
  order: number
  tokenStart: number
  tokenEnd: number
  wordStart: number
  wordEnd: number
  reason: 'partial-token' | 'partial-word' | null
}

/**
 * Tokenizes `doc.text` and places its spans on words. Throws a RangeError for a span outside
 * the text or empty (the store never holds one). Labels are not checked here.
 */
export function alignDocument(doc: NerDocument, tokenizer: BertTokenizer): AlignedDocument {
  const { text } = doc
  const encoding = tokenizer.encode(text)
  const { offsets } = encoding
  const n = offsets.length
  const wordStarts = findWordStarts(text, encoding, tokenizer.options.continuingSubwordPrefix)
  const tokenWord = new Int32Array(n)
  const firsts: number[] = []
  for (let k = 0; k < n; k++) {
    if (wordStarts[k]) firsts.push(k)
    tokenWord[k] = firsts.length - 1
  }
  firsts.push(n)
  const wordTokens = Int32Array.from(firsts)
  const wordCharEnd = (w: number): number => {
    let end = 0
    for (let k = wordTokens[w]!; k < wordTokens[w + 1]!; k++) end = Math.max(end, offsets[k]![1])
    return end
  }

  const issues: AlignmentIssue[] = []
  const issue = (span: NerSpan, reason: AlignmentReason, encodedAs: AlignmentIssue['encodedAs'], conflictsWith?: NerSpan): AlignmentIssue => {
    const out: AlignmentIssue = { docId: doc.id, span, text: text.slice(span.start, span.end), reason, encodedAs }
    if (conflictsWith) out.conflictsWith = conflictsWith
    return out
  }

  const candidates: Candidate[] = []
  doc.spans.forEach((span, order) => {
    if (!(Number.isInteger(span.start) && Number.isInteger(span.end) && span.start >= 0 && span.end <= text.length && span.start < span.end)) {
      throw new RangeError(`document ${JSON.stringify(doc.id)}: span [${span.start}, ${span.end}) ${span.label} is empty or outside the text (length ${text.length})`)
    }
    const t0 = firstTokenEndingAfter(offsets, span.start)
    let t1 = t0
    while (t1 < n && offsets[t1]![0] < span.end) t1++
    if (t1 === t0) {
      issues.push(issue(span, 'no-tokens', null))
      return
    }
    let reason: Candidate['reason'] = null
    for (let k = t0; k < t1; k++) {
      if (offsets[k]![0] < span.start || offsets[k]![1] > span.end) reason = 'partial-token'
    }
    if (reason === null && (!wordStarts[t0] || (t1 < n && !wordStarts[t1]))) reason = 'partial-word'
    candidates.push({ span, order, tokenStart: t0, tokenEnd: t1, wordStart: tokenWord[t0]!, wordEnd: tokenWord[t1 - 1]! + 1, reason })
  })

  candidates.sort((a, b) => a.span.start - b.span.start || b.span.end - a.span.end || a.order - b.order)
  const spans: AlignedSpan[] = []
  for (const c of candidates) {
    const last = spans[spans.length - 1]
    if (last && c.wordStart < last.wordEnd) {
      issues.push(issue(c.span, 'overlap', null, last.span))
      continue
    }
    const tokenStart = wordTokens[c.wordStart]!
    const tokenEnd = wordTokens[c.wordEnd]!
    const start = offsets[tokenStart]![0]
    const end = wordCharEnd(c.wordEnd - 1)
    spans.push({ span: c.span, label: c.span.label, wordStart: c.wordStart, wordEnd: c.wordEnd, tokenStart, tokenEnd, start, end })
    if (c.reason) issues.push(issue(c.span, c.reason, { start, end }))
  }
  issues.sort((a, b) => a.span.start - b.span.start || b.span.end - a.span.end)
  return { docId: doc.id, encoding, wordStarts, wordTokens, tokenWord, spans, issues }
}

/**
 * Every AlignmentIssue of a dataset, in document order: what the UI shows before training
 * ("these spans do not align with the tokenizer"). Tokenizes each document once and builds no
 * windows or labels.
 */
export function checkAlignment(docs: Iterable<NerDocument>, tokenizer: BertTokenizer): AlignmentIssue[] {
  const out: AlignmentIssue[] = []
  for (const doc of docs) out.push(...alignDocument(doc, tokenizer).issues)
  return out
}
