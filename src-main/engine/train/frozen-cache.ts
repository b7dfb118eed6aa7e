/**
 * Reusing the frozen part's outputs across epochs. When the embeddings and the bottom k layers
 * do not train and nothing random happens in them (dropout 0, no augmentation, no adversarial
 * perturbation of the embeddings), layer k's input for a window is the same in every epoch:
 * it is computed once (in the first epoch, as its batches come), kept per window in ordinary
 * memory, and later batches start at layer k from it. Padding rows are zeros: attention gives
 * padded keys a weight of exactly 0, so real tokens never see them.
 */
import * as tf from '@tensorflow/tfjs'
import type { Batch, EncodedWindow } from '../data'
import { bertPrefix, layerPrefix, type BertModel } from '../model/bert'
import { collate } from '../data'
import { batchInputs } from './step'

/**
 * How many bottom layers sit entirely in the frozen part: the embeddings and every parameter
 * of layers [0, k) do not train. 0 when the embeddings train (or nothing is frozen).
 */
export function frozenPrefixLayers(model: BertModel, trainable: readonly string[]): number {
  const training = new Set(trainable)
  const names = [...model.params.keys()]
  const frozen = (prefix: string): boolean => names.filter((n) => n.startsWith(prefix)).every((n) => !training.has(n))
  if (!frozen('embeddings.')) return 0
  let k = 0
  while (k < model.config.num_hidden_layers && frozen(`${layerPrefix(k)}.`)) k++
  return k
}

/** Why the frozen outputs can or cannot be reused, in words for the run log. */
export function frozenCacheBlocker(o: { layers: number; dropout: number; augmentation: boolean; adversarial: boolean }): string | null {
  if (o.layers === 0) return 'no encoder layer is frozen together with the embeddings'
  if (o.dropout > 0) return `dropout is ${o.dropout} (the frozen layers' outputs change from step to step)`
  if (o.augmentation) return 'augmentation changes the text every epoch'
  if (o.adversarial) return 'adversarial training perturbs the embeddings'
  return null
}

export interface FrozenCacheStats {
  windows: number
  bytes: number
  hits: number
  misses: number
}

export class FrozenOutputCache {
  private readonly rows = new WeakMap<EncodedWindow, Float32Array>()
  private readonly stats: FrozenCacheStats = { windows: 0, bytes: 0, hits: 0, misses: 0 }

  /** `maxBytes` bounds the memory: windows beyond it are computed every time. */
  constructor(
    private readonly model: BertModel,
    readonly layers: number,
    private readonly padId: number,
    private readonly maxBytes: number,
  ) {}

  /** Layer `layers`' input for the batch [batch*seq, hidden] (the caller disposes it). */
  hiddenFor(batch: Batch): tf.Tensor2D {
    const H = this.model.config.hidden_size
    const missing = batch.windows.filter((w) => !this.rows.has(w))
    const computed = new Map<EncodedWindow, Float32Array>()
    if (missing.length) {
      this.stats.misses += missing.length
      const sub = missing.length === batch.windows.length ? batch : collate(missing, this.padId)
      const t = tf.tidy(() => bertPrefix(this.model, batchInputs(sub), this.layers))
      const data = t.dataSync() as Float32Array
      t.dispose()
      missing.forEach((w, r) => {
        const rowData = data.slice(r * sub.seqLength * H, (r * sub.seqLength + w.length) * H)
        computed.set(w, rowData)
        if (this.stats.bytes + rowData.byteLength <= this.maxBytes) {
          this.rows.set(w, rowData)
          this.stats.windows++
          this.stats.bytes += rowData.byteLength
        }
      })
    }
    this.stats.hits += batch.windows.length - missing.length
    const out = new Float32Array(batch.batchSize * batch.seqLength * H)
    batch.windows.forEach((w, r) => out.set((this.rows.get(w) ?? computed.get(w))!, r * batch.seqLength * H))
    return tf.tensor2d(out, [batch.batchSize * batch.seqLength, H])
  }

  get summary(): FrozenCacheStats {
    return { ...this.stats }
  }
}
