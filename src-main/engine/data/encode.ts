/**
 * Annotated documents -> BERT inputs: token ids in windows of at most maxLength (with [CLS] and
 * [SEP]) and one label id per token. Pure.
 *
 * Labels (IGNORE_LABEL = -100 is left out of the loss):
 * - [CLS] and [SEP]: -100.
 * - labelAllSubtokens false (HF run_ner's default): the first token of each word gets the word's
 *   tag; the other pieces of the word get -100. Word tags are the scheme's tags over words
 *   (IOB2: B-X then I-X; IOBES: S-X for a one-word entity, else B-X, I-X..., E-X).
 * - labelAllSubtokens true: every token gets a tag, and the tags read as a valid sequence of
 *   the scheme over tokens: the entity's first token B-X (IOBES: S-X when the entity is a single
 *   token), its last token E-X in IOBES, the rest I-X; tokens outside entities O. So in IOB2 the
 *   first piece of each word carries the word's tag and the other pieces I-X; in IOBES the first
 *   piece of a one-word multi-piece entity is B-X and its last piece E-X (decode.ts reads the
 *   word back as S-X).
 * Spans are placed on words by alignment.ts: a span whose edge falls inside a token or a word
 * is trained as the whole words it touches and reported; overlapping and token-less spans are
 * reported and left out. EncodedDocument.alignment lists them.
 */
import type { BertTokenizer, Offset } from '../tokenizer'
import { alignDocument, type AlignedDocument, type AlignedSpan, type AlignmentIssue, type NerDocument, type NerSpan } from './alignment'
import { IGNORE_LABEL, tagId, type TagRole, type TagSet } from './labels'
import { planWindows } from './windows'

export type { AlignmentIssue, NerDocument, NerSpan } from './alignment'

export interface EncodeOptions {
  /** Tokens per window including [CLS] and [SEP]; at least 3. */
  maxLength: number
  /** Tokens shared by consecutive windows. Default round(maxLength / 4), at most maxLength - 3. */
  stride?: number
  /** Label every sub-token instead of only each word's first (see the module comment). Default false. */
  labelAllSubtokens?: boolean
}

export interface EncodedWindow {
  docId: string | number
  /** 0, 1, ... within the document. */
  windowIndex: number
  /** [CLS] tokens [SEP], `length` entries. */
  inputIds: Int32Array
  /** Tag id per position, IGNORE_LABEL (-100) where the loss ignores it. */
  labels: Int32Array
  /** Index of the window's first token (after [CLS]) in the document's token list. */
  tokenStart: number
  /** Positions including [CLS] and [SEP]. */
  length: number
  /** 1 where a token begins a word (as in the whole document; 0 for [CLS]/[SEP]). */
  wordStarts: Uint8Array
  /** Tokens in the whole document, so that merging can tell when a window is missing. */
  docTokenCount: number
}

export interface EncodedDocument {
  docId: string | number
  windows: EncodedWindow[]
  /** The document's spans that are not encoded exactly (see alignment.ts). */
  alignment: AlignmentIssue[]
  /** Tokens of the document, without [CLS]/[SEP]. */
  tokenCount: number
  /** [start, end) of each token in the text: what decodeSpans needs. */
  offsets: Offset[]
  /** 1 where a token begins a word, per document token. */
  wordStarts: Uint8Array
  /** Tag id per document token (IGNORE_LABEL for unlabelled pieces). */
  tokenLabels: Int32Array
  /** Gold tag per word: what seqeval compares with tokenTags' prediction. */
  wordTags: string[]
  /** The spans as encoded (whole words), in text order: what decoding the gold tags gives back. */
  spans: NerSpan[]
}

/** The stride used when none is given: a quarter of maxLength, leaving windows room to advance. */
export function defaultStride(maxLength: number): number {
  return Math.max(0, Math.min(Math.round(maxLength / 4), maxLength - 3))
}

/** Role of item `i` of an entity over items [start, end). */
function roleIn(i: number, start: number, end: number, scheme: TagSet['scheme']): TagRole {
  if (scheme === 'iob2') return i === start ? 'B' : 'I'
  if (end - start === 1) return 'S'
  return i === start ? 'B' : i === end - 1 ? 'E' : 'I'
}

/** Document-level token labels and word tags from aligned spans. */
function labelTokens(aligned: AlignedDocument, tagSet: TagSet, labelAll: boolean): { tokenLabels: Int32Array; wordTags: string[] } {
  const n = aligned.encoding.tokens.length
  const words = aligned.wordTokens.length - 1
  const tokenLabels = new Int32Array(n)
  for (let k = 0; k < n; k++) tokenLabels[k] = labelAll || aligned.wordStarts[k] ? tagSet.outside : IGNORE_LABEL
  const wordTags = new Array<string>(words).fill('O')
  const ids = (s: AlignedSpan) => ({
    B: tagId(tagSet, 'B', s.label),
    I: tagId(tagSet, 'I', s.label),
    E: tagSet.scheme === 'iobes' ? tagId(tagSet, 'E', s.label) : -1,
    S: tagSet.scheme === 'iobes' ? tagId(tagSet, 'S', s.label) : -1,
  })
  for (const s of aligned.spans) {
    const id = ids(s)
    for (let w = s.wordStart; w < s.wordEnd; w++) {
      const role = roleIn(w, s.wordStart, s.wordEnd, tagSet.scheme)
      wordTags[w] = `${role}-${s.label}`
      if (!labelAll) tokenLabels[aligned.wordTokens[w]!] = id[role as 'B' | 'I' | 'E' | 'S']
    }
    if (labelAll) for (let k = s.tokenStart; k < s.tokenEnd; k++) tokenLabels[k] = id[roleIn(k, s.tokenStart, s.tokenEnd, tagSet.scheme) as 'B' | 'I' | 'E' | 'S']
  }
  return { tokenLabels, wordTags }
}

/**
 * Encodes one document: tokenizes, places spans on words (alignment.ts), labels tokens, and
 * cuts windows of at most maxLength - 2 tokens (windows.ts) between [CLS] and [SEP].
 * A document without tokens gives one window [CLS] [SEP]. Throws when a span's label has no
 * tags in `tagSet` or the options are out of range.
 */
export function encodeDocument(doc: NerDocument, tokenizer: BertTokenizer, tagSet: TagSet, options: EncodeOptions): EncodedDocument {
  const { maxLength } = options
  if (!(Number.isInteger(maxLength) && maxLength >= 3)) throw new RangeError(`maxLength ${maxLength} must be an integer of at least 3 ([CLS], one token, [SEP])`)
  const stride = options.stride ?? defaultStride(maxLength)
  const labelAll = options.labelAllSubtokens ?? false
  for (const s of doc.spans) {
    if (!tagSet.index.has(`B-${s.label}`)) throw new RangeError(`document ${JSON.stringify(doc.id)}: label ${JSON.stringify(s.label)} is not in the tag set (types: ${tagSet.types.join(', ') || 'none'})`)
  }
  const aligned = alignDocument(doc, tokenizer)
  const { tokenLabels, wordTags } = labelTokens(aligned, tagSet, labelAll)
  const { ids, offsets } = aligned.encoding
  const n = ids.length
  const windows: EncodedWindow[] = planWindows(n, maxLength - 2, stride, aligned.wordStarts).map(([start, end], windowIndex) => {
    const length = end - start + 2
    const inputIds = new Int32Array(length)
    const labels = new Int32Array(length)
    const wordStarts = new Uint8Array(length)
    inputIds[0] = tokenizer.cls.id
    labels[0] = IGNORE_LABEL
    for (let k = start; k < end; k++) {
      inputIds[k - start + 1] = ids[k]!
      labels[k - start + 1] = tokenLabels[k]!
      wordStarts[k - start + 1] = aligned.wordStarts[k]!
    }
    inputIds[length - 1] = tokenizer.sep.id
    labels[length - 1] = IGNORE_LABEL
    return { docId: doc.id, windowIndex, inputIds, labels, tokenStart: start, length, wordStarts, docTokenCount: n }
  })
  return {
    docId: doc.id,
    windows,
    alignment: aligned.issues,
    tokenCount: n,
    offsets,
    wordStarts: aligned.wordStarts,
    tokenLabels,
    wordTags,
    spans: aligned.spans.map((s) => ({ start: s.start, end: s.end, label: s.label })),
  }
}

/** encodeDocument over a dataset: the documents, all their windows in order, and all issues. */
export function encodeDocuments(
  docs: Iterable<NerDocument>,
  tokenizer: BertTokenizer,
  tagSet: TagSet,
  options: EncodeOptions,
): { documents: EncodedDocument[]; windows: EncodedWindow[]; alignment: AlignmentIssue[] } {
  const documents: EncodedDocument[] = []
  const windows: EncodedWindow[] = []
  const alignment: AlignmentIssue[] = []
  for (const doc of docs) {
    const d = encodeDocument(doc, tokenizer, tagSet, options)
    documents.push(d)
    for (const w of d.windows) windows.push(w)
    for (const a of d.alignment) alignment.push(a)
  }
  return { documents, windows, alignment }
}
