/**
 * Prediction over whole documents: encode (windows for long documents), run the model batch by
 * batch, merge the windows' probabilities back per document, and read word tags (for seqeval)
 * and character spans with a confidence (for people).
 */
import type { TokenClassifier } from '../heads/token-classification'
import type { BertTokenizer } from '../tokenizer'
import {
  decodeSpans,
  leastWordConfidence,
  encodeDocuments,
  makeBatches,
  mergeByDocument,
  splitBatchOutput,
  tokenTags,
  type Batch,
  type EncodedDocument,
  type NerDocument,
  type PredictedSpan,
  type TagSet,
} from '../data'
import { predictBatch } from '../train/step'

export interface PredictOptions {
  maxLength: number
  stride?: number
  batchSize: number
  labelAllSubtokens: boolean
  /** How a batch becomes tag probabilities (default: the model's plain forward pass). */
  predict?: (batch: Batch) => Float32Array
  /** Called after each batch with the documents' windows done so far. */
  onProgress?: (done: number, total: number) => void
}

export interface DocumentPrediction {
  docId: string | number
  spans: PredictedSpan[]
  /** Predicted tag per word. */
  wordTags: string[]
  /** Gold tag per word (from the document's spans as encoded). */
  goldWordTags: string[]
  /** Gold spans as encoded (whole words). */
  goldSpans: EncodedDocument['spans']
  /** The least confident word's tag probability (1 without words): low means worth a human look. */
  confidence: number
}

export function predictEncoded(
  model: TokenClassifier,
  tokenizer: BertTokenizer,
  tagSet: TagSet,
  texts: ReadonlyMap<string | number, string>,
  documents: readonly EncodedDocument[],
  options: PredictOptions,
): DocumentPrediction[] {
  const windows = documents.flatMap((d) => d.windows)
  const numTags = tagSet.tags.length
  // Sorted by length (no shuffle): batches padded as little as possible.
  const batches = makeBatches(windows, { batchSize: options.batchSize, seed: 0, shuffle: false, bucketByLength: true, padId: tokenizer.pad.id, bucketBatches: 1_000_000 })
  const perWindow = new Map<object, Float32Array>()
  let done = 0
  for (const batch of batches) {
    const probs = options.predict ? options.predict(batch) : predictBatch(model, batch)
    splitBatchOutput(batch, probs, numTags).forEach((p, r) => perWindow.set(batch.windows[r]!, p))
    done += batch.windows.length
    options.onProgress?.(done, windows.length)
  }
  const merged = mergeByDocument(windows, windows.map((w) => perWindow.get(w)!), numTags)
  return documents.map((d) => {
    const probs = merged.get(d.docId) ?? new Float32Array(0)
    const read = { wordStarts: d.wordStarts, labelAllSubtokens: options.labelAllSubtokens }
    return {
      docId: d.docId,
      spans: d.tokenCount === 0 ? [] : decodeSpans(texts.get(d.docId) ?? '', d.offsets, probs, tagSet, read),
      wordTags: d.tokenCount === 0 ? [] : tokenTags(probs, tagSet, read),
      goldWordTags: d.wordTags,
      goldSpans: d.spans,
      confidence: d.tokenCount === 0 ? 1 : leastWordConfidence(probs, tagSet, read),
    }
  })
}

/** Predicts spans (and word tags) for documents; their own spans are the gold side. */
export function predictDocuments(model: TokenClassifier, tokenizer: BertTokenizer, tagSet: TagSet, docs: readonly NerDocument[], options: PredictOptions): DocumentPrediction[] {
  const { documents } = encodeDocuments(docs, tokenizer, tagSet, { maxLength: options.maxLength, stride: options.stride, labelAllSubtokens: options.labelAllSubtokens })
  return predictEncoded(model, tokenizer, tagSet, new Map(docs.map((d) => [d.id, d.text])), documents, options)
}
