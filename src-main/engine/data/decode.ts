/**
 * Model output -> entities: window predictions merged into one row per document token, a tag
 * per word, and character spans with a confidence. Pure.
 *
 * Words are read as encode.ts labels them:
 * - labelAllSubtokens false: a word's tag is the argmax of its first token (the only one
 *   trained), as HF's run_ner evaluates. Its confidence is that tag's probability.
 * - labelAllSubtokens true: IOB2 reads the first token's argmax too. IOBES reads the word's
 *   start from its first token and its end from its last: the word begins an entity when the
 *   first token is B-X/S-X, and ends it when the first token is E-X/S-X or the last token is
 *   E-X/S-X of the same type (so B-X I-X E-X over one word is S-X). The confidence is the mean,
 *   over the word's tokens, of each token's argmax probability.
 * Entities are then read from the word tags exactly as seqeval's default mode does (an I-X after
 * O or another type starts an entity, a B-X without E-X still ends at its last word), and mapped
 * to [start of the first word's first token, end of the last word's last token). A span's
 * confidence is the mean of its words' confidences.
 */
import { getEntities } from '../../../src-shared/domain/seqeval'
import type { Offset } from '../tokenizer'
import type { EncodedWindow } from './encode'
import type { TagSet } from './labels'

/** Softmax over each row of `numTags` logits, in a new array (rows are independent). */
export function softmaxRows(logits: Float32Array, numTags: number): Float32Array {
  if (!(numTags >= 1) || logits.length % numTags !== 0) throw new RangeError(`${logits.length} logits are not rows of ${numTags}`)
  const out = new Float32Array(logits.length)
  for (let r = 0; r < logits.length; r += numTags) {
    let max = -Infinity
    for (let j = 0; j < numTags; j++) max = Math.max(max, logits[r + j]!)
    let sum = 0
    for (let j = 0; j < numTags; j++) sum += out[r + j] = Math.exp(logits[r + j]! - max)
    for (let j = 0; j < numTags; j++) out[r + j] = out[r + j]! / sum
  }
  return out
}

/**
 * One row of `numTags` probabilities per document token from the windows of ONE document
 * (any order). `perWindowProbs[i]` belongs to `windows[i]` and holds at least
 * windows[i].length rows, row 0 being [CLS] (rows past the window's [SEP], padding, are
 * ignored). A token in several windows takes the row of the window in which it is farthest from
 * the window's edge (its distance to the nearer of the window's first and last token); on a tie
 * the earlier window. Throws when the windows belong to different documents or leave a token
 * uncovered.
 */
export function mergeWindowPredictions(windows: readonly EncodedWindow[], perWindowProbs: readonly Float32Array[], numTags: number): Float32Array {
  if (windows.length !== perWindowProbs.length) throw new RangeError(`${windows.length} windows but ${perWindowProbs.length} prediction arrays`)
  if (windows.length === 0) return new Float32Array(0)
  const { docId, docTokenCount: tokenCount } = windows[0]!
  for (const [i, w] of windows.entries()) {
    if (w.docId !== docId) throw new RangeError(`windows of documents ${JSON.stringify(docId)} and ${JSON.stringify(w.docId)} given together: merge one document at a time (or use mergeByDocument)`)
    if (w.docTokenCount !== tokenCount || w.tokenStart + w.length - 2 > tokenCount) throw new RangeError(`window ${w.windowIndex} of document ${JSON.stringify(docId)} does not fit a document of ${tokenCount} tokens`)
    if (perWindowProbs[i]!.length < w.length * numTags) throw new RangeError(`window ${w.windowIndex} of document ${JSON.stringify(docId)} has ${w.length} positions but ${perWindowProbs[i]!.length} probabilities (${numTags} per position expected)`)
  }
  const order = windows.map((_, i) => i).sort((a, b) => windows[a]!.tokenStart - windows[b]!.tokenStart || windows[a]!.windowIndex - windows[b]!.windowIndex)
  const best = new Int32Array(tokenCount).fill(-1)
  const out = new Float32Array(tokenCount * numTags)
  for (const i of order) {
    const w = windows[i]!
    const probs = perWindowProbs[i]!
    const n = w.length - 2
    for (let p = 0; p < n; p++) {
      const t = w.tokenStart + p
      const dist = Math.min(p, n - 1 - p)
      if (dist <= best[t]!) continue
      best[t] = dist
      out.set(probs.subarray((p + 1) * numTags, (p + 2) * numTags), t * numTags)
    }
  }
  const missing = best.indexOf(-1)
  if (missing >= 0) throw new RangeError(`token ${missing} of document ${JSON.stringify(docId)} is in none of the windows given`)
  return out
}

/** mergeWindowPredictions for windows of many documents, grouped by docId (first-seen order). */
export function mergeByDocument(windows: readonly EncodedWindow[], perWindowProbs: readonly Float32Array[], numTags: number): Map<string | number, Float32Array> {
  if (windows.length !== perWindowProbs.length) throw new RangeError(`${windows.length} windows but ${perWindowProbs.length} prediction arrays`)
  const groups = new Map<string | number, { windows: EncodedWindow[]; probs: Float32Array[] }>()
  windows.forEach((w, i) => {
    let g = groups.get(w.docId)
    if (!g) groups.set(w.docId, (g = { windows: [], probs: [] }))
    g.windows.push(w)
    g.probs.push(perWindowProbs[i]!)
  })
  const out = new Map<string | number, Float32Array>()
  for (const [id, g] of groups) out.set(id, mergeWindowPredictions(g.windows, g.probs, numTags))
  return out
}

export interface WordReadOptions {
  /** 1 where a token begins a word, one entry per document token (EncodedDocument.wordStarts). */
  wordStarts: Uint8Array
  /** As the model was trained (EncodeOptions.labelAllSubtokens). Default false. */
  labelAllSubtokens?: boolean
}

export interface DecodeOptions extends WordReadOptions {
  /** Argmax per word, read as seqeval's default mode does. The only mode for now. */
  mode?: 'greedy'
}

export interface PredictedSpan {
  start: number
  end: number
  label: string
  /** Mean over the span's words of the chosen tag's probability (see the module comment). */
  confidence: number
}

interface WordReading {
  tags: string[]
  confidence: Float64Array
  /** First token of each word, plus the token count. */
  wordTokens: number[]
}

function argmaxRow(probs: Float32Array, row: number, numTags: number): number {
  const base = row * numTags
  let best = 0
  for (let j = 1; j < numTags; j++) if (probs[base + j]! > probs[base + best]!) best = j
  return best
}

function readWords(probs: Float32Array, tagSet: TagSet, options: WordReadOptions): WordReading {
  const { wordStarts } = options
  const labelAll = options.labelAllSubtokens ?? false
  const numTags = tagSet.tags.length
  const n = wordStarts.length
  if (probs.length !== n * numTags) throw new RangeError(`${probs.length} probabilities for ${n} tokens of ${numTags} tags (expected ${n * numTags})`)
  const wordTokens: number[] = []
  for (let k = 0; k < n; k++) if (k === 0 || wordStarts[k]) wordTokens.push(k)
  const words = wordTokens.length
  wordTokens.push(n)
  const tags = new Array<string>(words)
  const confidence = new Float64Array(words)
  const { roles, tagTypes } = tagSet
  for (let w = 0; w < words; w++) {
    const a = wordTokens[w]!
    const b = wordTokens[w + 1]!
    const first = argmaxRow(probs, a, numTags)
    if (!labelAll) {
      tags[w] = tagSet.tags[first]!
      confidence[w] = probs[a * numTags + first]!
      continue
    }
    let sum = 0
    for (let k = a; k < b; k++) sum += probs[k * numTags + argmaxRow(probs, k, numTags)]!
    confidence[w] = sum / (b - a)
    const r1 = roles[first]!
    if (tagSet.scheme === 'iob2' || b - a === 1 || r1 === 'O') {
      tags[w] = tagSet.tags[first]!
      continue
    }
    const type = tagTypes[first]!
    const last = argmaxRow(probs, b - 1, numTags)
    const begins = r1 === 'B' || r1 === 'S'
    const ends = r1 === 'E' || r1 === 'S' || ((roles[last] === 'E' || roles[last] === 'S') && tagTypes[last] === type)
    tags[w] = `${begins ? (ends ? 'S' : 'B') : ends ? 'E' : 'I'}-${type}`
  }
  return { tags, confidence, wordTokens }
}

/**
 * The predicted tag of each word (one entry per word, not per sub-token), from document token
 * probabilities [tokenCount * numTags]: with EncodedDocument.wordTags as the gold side, this is
 * the input seqeval scores, as HF's run_ner does with label_all_tokens=false.
 */
export function tokenTags(probs: Float32Array, tagSet: TagSet, options: WordReadOptions): string[] {
  return readWords(probs, tagSet, options).tags
}

/**
 * How sure the model is of a document: the lowest confidence of any word's predicted tag (an
 * "O" it hesitates on counts as much as an entity), 1 for a document without words. The
 * "least confident first" queue order sorts by it.
 */
export function leastWordConfidence(probs: Float32Array, tagSet: TagSet, options: WordReadOptions): number {
  const { confidence } = readWords(probs, tagSet, options)
  let least = 1
  for (const c of confidence) if (c < least) least = c
  return least
}

/**
 * Character spans of the entities in document token probabilities [tokenCount * numTags]
 * (mergeWindowPredictions' result; one-hot rows for gold tags), in text order. `offsets` are
 * the document's token offsets (EncodedDocument.offsets).
 */
export function decodeSpans(text: string, offsets: readonly Offset[], probs: Float32Array, tagSet: TagSet, options: DecodeOptions): PredictedSpan[] {
  if ((options.mode ?? 'greedy') !== 'greedy') throw new RangeError(`unknown decoding mode ${JSON.stringify(options.mode)}`)
  if (offsets.length !== options.wordStarts.length) throw new RangeError(`${offsets.length} token offsets but ${options.wordStarts.length} wordStarts`)
  for (const [k, [s, e]] of offsets.entries()) {
    if (!(s >= 0 && s <= e && e <= text.length)) throw new RangeError(`token ${k} has offsets [${s}, ${e}) outside the text (length ${text.length})`)
  }
  const { tags, confidence, wordTokens } = readWords(probs, tagSet, options)
  const out: PredictedSpan[] = []
  for (const [label, w0, w1] of getEntities(tags)) {
    let end = 0
    for (let k = wordTokens[w1]!; k < wordTokens[w1 + 1]!; k++) end = Math.max(end, offsets[k]![1])
    let sum = 0
    for (let w = w0; w <= w1; w++) sum += confidence[w]!
    out.push({ start: offsets[wordTokens[w0]!]![0], end, label, confidence: sum / (w1 - w0 + 1) })
  }
  return out.sort((a, b) => a.start - b.start)
}
