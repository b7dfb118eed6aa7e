/**
 * Windows -> padded batches, shuffled with a seed and (optionally) grouped by length so that
 * little of each batch is padding. Pure and deterministic: the same windows, options and seed
 * give identical batches. For a new order each epoch pass seed + epoch.
 */
import { seededRandom } from '../../../src-shared/domain/splits'
import type { EncodedWindow } from './encode'
import { IGNORE_LABEL } from './labels'

export interface BatchOptions {
  /** Windows per batch; the last batch may have fewer. */
  batchSize: number
  seed: number
  /** Shuffle the windows (and, with bucketing, the order of the batches). */
  shuffle: boolean
  /**
   * Sort windows by length within chunks of `bucketBatches` batches' worth of windows (after
   * the shuffle) before cutting batches, so windows of similar length share a batch.
   */
  bucketByLength: boolean
  /** Token id of padding positions (tokenizer.pad.id). */
  padId: number
  /** Batches per length-sorting chunk. Default 50: enough to group lengths, little enough to stay random. */
  bucketBatches?: number
  /**
   * Pad seqLength up to a multiple of this (default 1: to the longest window). Fewer distinct
   * shapes can help backends that compile per shape; keep it a divisor of maxLength.
   */
  padToMultipleOf?: number
}

export interface Batch {
  /** Flat row-major [batchSize * seqLength]. */
  inputIds: Int32Array
  /** 1 for real positions (including [CLS]/[SEP]), 0 for padding. */
  attentionMask: Int32Array
  /** All 0: one sequence per window. */
  tokenTypeIds: Int32Array
  /** Window labels, IGNORE_LABEL (-100) on padding. */
  labels: Int32Array
  /** Rows in this batch. */
  batchSize: number
  /** The longest window in this batch (rounded up to padToMultipleOf): batches are padded only to their own longest. */
  seqLength: number
  /** The windows of the rows, in row order. */
  windows: EncodedWindow[]
}

/** Fisher-Yates shuffle of `items` in place, drawing from `random` (values in [0, 1)). */
export function shuffleInPlace<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = items[i]!
    items[i] = items[j]!
    items[j] = t
  }
  return items
}

/** Pads `windows` into one batch. */
export function collate(windows: readonly EncodedWindow[], padId: number, padToMultipleOf = 1): Batch {
  let longest = 0
  for (const w of windows) longest = Math.max(longest, w.length)
  const seqLength = Math.ceil(longest / padToMultipleOf) * padToMultipleOf
  const rows = windows.length
  const inputIds = new Int32Array(rows * seqLength).fill(padId)
  const attentionMask = new Int32Array(rows * seqLength)
  const tokenTypeIds = new Int32Array(rows * seqLength)
  const labels = new Int32Array(rows * seqLength).fill(IGNORE_LABEL)
  windows.forEach((w, r) => {
    const at = r * seqLength
    inputIds.set(w.inputIds.subarray(0, w.length), at)
    labels.set(w.labels.subarray(0, w.length), at)
    attentionMask.fill(1, at, at + w.length)
  })
  return { inputIds, attentionMask, tokenTypeIds, labels, batchSize: rows, seqLength, windows: [...windows] }
}

/**
 * One epoch of batches: every window exactly once. Without shuffling, windows keep their order
 * (sorted by length, longest first, within each chunk when bucketing). With shuffling, a seeded
 * shuffle of the windows, then, when bucketing, a length sort within each chunk of
 * batchSize * bucketBatches windows, batches cut in that order, and a seeded shuffle of the
 * batch order (so long and short batches alternate at random).
 */
export function makeBatches(windows: readonly EncodedWindow[], options: BatchOptions): Batch[] {
  const { batchSize, seed, shuffle, bucketByLength, padId } = options
  const bucketBatches = options.bucketBatches ?? 50
  const multiple = options.padToMultipleOf ?? 1
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`batchSize ${batchSize} is not a positive integer`)
  if (!(Number.isInteger(bucketBatches) && bucketBatches >= 1)) throw new RangeError(`bucketBatches ${bucketBatches} is not a positive integer`)
  if (!(Number.isInteger(multiple) && multiple >= 1)) throw new RangeError(`padToMultipleOf ${multiple} is not a positive integer`)
  const random = seededRandom(seed)
  const order = windows.map((_, i) => i)
  if (shuffle) shuffleInPlace(order, random)
  if (bucketByLength) {
    const chunk = batchSize * bucketBatches
    for (let c = 0; c < order.length; c += chunk) {
      // Array.prototype.sort is stable: equal lengths keep their shuffled order.
      const part = order.slice(c, c + chunk).sort((a, b) => windows[b]!.length - windows[a]!.length)
      for (let k = 0; k < part.length; k++) order[c + k] = part[k]!
    }
  }
  const groups: number[][] = []
  for (let b = 0; b < order.length; b += batchSize) groups.push(order.slice(b, b + batchSize))
  if (shuffle && bucketByLength) shuffleInPlace(groups, random)
  return groups.map((g) => collate(g.map((i) => windows[i]!), padId, multiple))
}

/** Real (not padding) positions in a batch, [CLS] and [SEP] included. */
export function countTokens(batch: Batch): number {
  let n = 0
  for (const w of batch.windows) n += w.length
  return n
}

/** The fraction of all positions of `batches` that are padding (0 when there are none). */
export function paddingWaste(batches: readonly Batch[]): number {
  let real = 0
  let total = 0
  for (const b of batches) {
    real += countTokens(b)
    total += b.batchSize * b.seqLength
  }
  return total === 0 ? 0 : 1 - real / total
}

/**
 * A batch's model output [batchSize * seqLength * numTags] (probabilities or logits) cut into
 * one array per window, [window.length * numTags], in row order: what mergeWindowPredictions
 * takes, with batch.windows.
 */
export function splitBatchOutput(batch: Batch, output: Float32Array, numTags: number): Float32Array[] {
  const row = batch.seqLength * numTags
  if (output.length !== batch.batchSize * row) throw new RangeError(`output has ${output.length} values; the batch needs ${batch.batchSize} x ${batch.seqLength} x ${numTags} = ${batch.batchSize * row}`)
  return batch.windows.map((w, r) => output.slice(r * row, r * row + w.length * numTags))
}
