/**
 * One optimisation step and one inference pass over a padded batch. Everything tfjs allocates
 * here is released before returning (the trainer checks tf.memory() stays flat).
 */
import * as tf from '@tensorflow/tfjs'
import { classifierForward, tokenCrossEntropy, type LossOptions, type TokenClassifier } from '../heads/token-classification'
import type { BertInputs } from '../model/bert'
import { crfTokenLoss } from '../heads/crf'
import { crfParamsOf, crfProbabilities } from '../heads/crf-head'
import type { Batch } from '../data'
import type { FrozenOutputCache } from './frozen-cache'

/** A padded batch as flat row-major arrays [batchSize × seqLength]. */
export interface TensorBatch {
  inputIds: Int32Array
  attentionMask: Int32Array
  tokenTypeIds?: Int32Array
  /** -100 where ignored. */
  labels?: Int32Array
  batchSize: number
  seqLength: number
  /** The windows of the rows (Batch has them; the frozen-output cache needs them). */
  windows?: Batch['windows']
}

export function batchInputs(b: TensorBatch): BertInputs {
  const shape: [number, number] = [b.batchSize, b.seqLength]
  return {
    inputIds: tf.tensor2d(b.inputIds, shape, 'int32'),
    attentionMask: tf.tensor2d(b.attentionMask, shape, 'int32'),
    tokenTypeIds: b.tokenTypeIds ? tf.tensor2d(b.tokenTypeIds, shape, 'int32') : undefined,
  }
}

export interface GradientResult {
  loss: number
  /** Gradients by parameter name; the caller owns (and disposes) them. */
  grads: Map<string, tf.Tensor>
}

/**
 * Loss and gradients of the trainable parameters on one batch. `scale` multiplies the loss
 * before differentiation (1/accumulation steps, so accumulated gradients average).
 */
export function lossAndGradients(
  model: TokenClassifier,
  batch: TensorBatch,
  trainable: readonly string[],
  options: { seed: number; loss?: LossOptions; scale?: number; frozen?: FrozenOutputCache },
): GradientResult {
  if (!batch.labels) throw new Error('a training batch needs labels')
  const vars = trainable.map((n) => {
    const v = model.params.get(n)
    if (!v) throw new Error(`no parameter named ${n}`)
    return v
  })
  const scale = options.scale ?? 1
  const { value, grads } = tf.tidy(() => {
    const inputs = batchInputs(batch)
    const labels = tf.tensor2d(batch.labels!, [batch.batchSize, batch.seqLength], 'int32')
    const from = options.frozen && batch.windows ? { layer: options.frozen.layers, hidden: options.frozen.hiddenFor(batch as Batch) } : undefined
    return tf.variableGrads(() => {
      const { logits } = classifierForward(model, inputs, { training: true, seed: options.seed, ...(from ? { from } : {}) })
      // A CRF head trains on its own likelihood (label smoothing and class weights do not apply to it).
      const loss = model.crf ? crfTokenLoss(logits, labels, crfParamsOf(model), model.crf) : tokenCrossEntropy(logits, labels, options.loss)
      return (scale === 1 ? loss : tf.mul(loss, scale)) as tf.Scalar
    }, vars)
  })
  const loss = value.dataSync()[0]! / scale
  value.dispose()
  const out = new Map<string, tf.Tensor>()
  for (let i = 0; i < trainable.length; i++) {
    const g = grads[vars[i]!.name]
    if (g) out.set(trainable[i]!, g)
  }
  return { loss, grads: out }
}

/** Tag probabilities [batchSize × seqLength × numTags], row-major, in eval mode. */
export function predictBatch(model: TokenClassifier, batch: TensorBatch & { windows?: readonly { length: number; wordStarts: Uint8Array }[] }): Float32Array {
  const [logits, probs] = tf.tidy(() => {
    const { logits: l } = classifierForward(model, batchInputs(batch), { training: false })
    return [l, tf.softmax(l)]
  })
  const data = probs.dataSync() as Float32Array
  const logitData = model.crf ? (logits.dataSync() as Float32Array) : undefined
  probs.dispose()
  logits.dispose()
  if (!model.crf || !logitData) return data
  // The CRF decodes each window's words (their first tokens) with Viterbi.
  if (!batch.windows) throw new Error('a CRF model needs the batch windows to know where words start')
  const select = new Uint8Array(batch.batchSize * batch.seqLength)
  batch.windows.forEach((w, r) => {
    for (let i = 0; i < w.length; i++) if (w.wordStarts[i]) select[r * batch.seqLength + i] = 1
  })
  return crfProbabilities(logitData, data, batch.batchSize, batch.seqLength, select, model as TokenClassifier & { crf: NonNullable<TokenClassifier['crf']> })
}

/** Adds `more` into `into` (for gradient accumulation); disposes `more`. */
export function accumulate(into: Map<string, tf.Tensor>, more: Map<string, tf.Tensor>): void {
  for (const [name, g] of more) {
    const prev = into.get(name)
    if (prev) {
      into.set(name, tf.add(prev, g))
      prev.dispose()
      g.dispose()
    } else into.set(name, g)
  }
}

export function disposeGrads(grads: Map<string, tf.Tensor>): void {
  for (const g of grads.values()) g.dispose()
  grads.clear()
}
