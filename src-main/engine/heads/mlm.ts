/**
 * BERT's masked-language-model head, as transformers' BertForMaskedLM (BertLMPredictionHead):
 * transform = Linear(H, H) -> hidden_act -> LayerNorm(layer_norm_eps); decoder = the word
 * embedding matrix, tied (logits = h · Eᵀ + cls.predictions.bias). No dropout in the head.
 *
 * The head runs only at the masked positions: the rows of the encoder output whose label is not
 * -100 are gathered first, so the [rows, vocab] logits cost ~15% of what they would for every
 * position. The tied decoder is one custom-gradient op whose forward and backward passes are
 * plain 2-D matMuls (the fast path on wasm; see ops/layers.ts): logits = h · transpose(E),
 * dh = dy · E, dE = transpose(dy) · h, dbias = column sums of dy.
 *
 * Parameters live in the model's ParamMap under Hugging Face's names, with the dense weight
 * stored [in, out] like the encoder's Linear weights.
 */
import * as tf from '@tensorflow/tfjs'
import type { BertConfig } from '../model/bert-config'
import { bertForward, type BertModel, type ParamMap } from '../model/bert'
import type { HostTensor } from '../model/convert'
import { transpose2d as transposeHost } from '../model/convert'
import { activation, columnSum, layerNorm, linear, transpose2d } from '../ops/layers'
import { variableFrom } from '../ops/variables'
import { batchInputs, type TensorBatch } from '../train/step'

export const MLM_DENSE_WEIGHT = 'cls.predictions.transform.dense.weight'
export const MLM_DENSE_BIAS = 'cls.predictions.transform.dense.bias'
export const MLM_LN_WEIGHT = 'cls.predictions.transform.LayerNorm.weight'
export const MLM_LN_BIAS = 'cls.predictions.transform.LayerNorm.bias'
export const MLM_BIAS = 'cls.predictions.bias'
/** The (tied) decoder weight of a BertForMaskedLM checkpoint: the word embeddings, not a parameter here. */
export const MLM_DECODER_WEIGHT = 'cls.predictions.decoder.weight'
const WORD_EMBEDDINGS = 'embeddings.word_embeddings.weight'

/** The head's parameter names and (internal) shapes. */
export function mlmHeadShapes(config: Pick<BertConfig, 'hidden_size' | 'vocab_size'>): Map<string, number[]> {
  const H = config.hidden_size
  return new Map([
    [MLM_DENSE_WEIGHT, [H, H]],
    [MLM_DENSE_BIAS, [H]],
    [MLM_LN_WEIGHT, [H]],
    [MLM_LN_BIAS, [H]],
    [MLM_BIAS, [config.vocab_size]],
  ])
}

export const MLM_HEAD_NAMES: readonly string[] = [MLM_DENSE_WEIGHT, MLM_DENSE_BIAS, MLM_LN_WEIGHT, MLM_LN_BIAS, MLM_BIAS]

export function hasMlmHead(params: ParamMap): boolean {
  return MLM_HEAD_NAMES.every((n) => params.has(n))
}

/** A fresh head added to `params` (replacing any), initialised as transformers' _init_weights: dense N(0, initializer_range), zero biases, LayerNorm 1/0. */
export function initMlmHead(params: ParamMap, config: BertConfig, seed: number): void {
  removeMlmHead(params)
  for (const [name, shape] of mlmHeadShapes(config)) {
    const value =
      name === MLM_DENSE_WEIGHT
        ? tf.tidy(() => tf.randomNormal(shape, 0, config.initializer_range, 'float32', seed * 7919 + 15485863))
        : name === MLM_LN_WEIGHT
          ? tf.ones(shape)
          : tf.zeros(shape)
    params.set(name, variableFrom(value))
  }
}

/** Disposes the head's variables and takes them out of `params` (e.g. before fine-tuning the encoder). */
export function removeMlmHead(params: ParamMap): void {
  for (const name of MLM_HEAD_NAMES) {
    params.get(name)?.dispose()
    params.delete(name)
  }
}

function param(params: ParamMap, name: string): tf.Variable {
  const p = params.get(name)
  if (!p) throw new Error(`the model has no parameter ${name}${name.startsWith('cls.') ? ' (call initMlmHead first)' : ''}`)
  return p
}

/** h[M, H] · E[V, H]ᵀ + b[V] with plain-matMul gradients (see the module comment). */
const tiedDecoder = tf.customGrad((h, e, b, save) => {
  const x = h as tf.Tensor2D
  const emb = e as tf.Tensor2D
  ;(save as tf.GradSaveFunc)([x, emb])
  return {
    value: tf.add(tf.matMul(x, transpose2d(emb)), b as tf.Tensor1D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, se] = saved as [tf.Tensor2D, tf.Tensor2D]
      const d = dy as tf.Tensor2D
      return [tf.matMul(d, se), tf.matMul(transpose2d(d), sx), columnSum(d)]
    },
  }
}) as (h: tf.Tensor2D, e: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D

/**
 * The head on encoder outputs h [M, hidden] -> logits [M, vocab], or [M, candidates.length]
 * when `candidates` (vocabulary ids) restricts the output layer to those tokens.
 */
export function mlmHeadLogits(model: BertModel, h: tf.Tensor2D, candidates?: Int32Array): tf.Tensor2D {
  const { params, config } = model
  let x = linear(h, param(params, MLM_DENSE_WEIGHT) as tf.Tensor2D, param(params, MLM_DENSE_BIAS) as tf.Tensor1D)
  x = activation(config.hidden_act)(x)
  x = layerNorm(x, param(params, MLM_LN_WEIGHT) as tf.Tensor1D, param(params, MLM_LN_BIAS) as tf.Tensor1D, config.layer_norm_eps)
  let e: tf.Tensor2D = param(params, WORD_EMBEDDINGS) as tf.Tensor2D
  let b: tf.Tensor1D = param(params, MLM_BIAS) as tf.Tensor1D
  if (candidates) {
    const ids = tf.tensor1d(candidates, 'int32')
    e = tf.gather(e, ids)
    b = tf.gather(b, ids)
  }
  return tiedDecoder(x as tf.Tensor2D, e, b)
}

/** Flat positions (row * seqLength + column) whose label is not -100, and their labels. */
export function maskedPositions(labels: Int32Array): { positions: Int32Array; targets: Int32Array } {
  let m = 0
  for (let i = 0; i < labels.length; i++) if (labels[i]! >= 0) m++
  const positions = new Int32Array(m)
  const targets = new Int32Array(m)
  let k = 0
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! < 0) continue
    positions[k] = i
    targets[k++] = labels[i]!
  }
  return { positions, targets }
}

export interface MlmLossOptions {
  /** Base seed of the dropout masks. */
  seed?: number
  /** Dropout on (the encoder's; the head has none). Default: when a seed is given. */
  training?: boolean
  /**
   * Score only these vocabulary ids (distinct; every label among them): the softmax runs over
   * this shortlist instead of the whole vocabulary, e.g. the tokens that occur in the corpus.
   * The loss is then the cross-entropy of the model restricted to those outputs (the other
   * tokens' logits are neither computed nor trained), and the output layer costs
   * candidates/vocab of the full one. Default: the whole vocabulary.
   */
  candidates?: Int32Array
}

/** Logits [positions, vocab] at the given flat positions of a batch. Call inside tf.tidy or a gradient function. */
export function mlmLogitsAt(model: BertModel, batch: Omit<TensorBatch, 'labels'>, positions: Int32Array, options: MlmLossOptions = {}): tf.Tensor2D {
  const training = options.training ?? options.seed !== undefined
  const { lastHidden } = bertForward(model, batchInputs(batch), { training, seed: options.seed })
  const H = model.config.hidden_size
  const rows = tf.gather(lastHidden.reshape([batch.batchSize * batch.seqLength, H]) as tf.Tensor2D, tf.tensor1d(positions, 'int32'))
  return mlmHeadLogits(model, rows, options.candidates)
}

/** Labels as indices into `candidates` (throws when one is missing). */
function candidateIndices(targets: Int32Array, candidates: Int32Array): Int32Array {
  const index = new Map<number, number>()
  candidates.forEach((id, i) => index.set(id, i))
  return targets.map((t) => {
    const i = index.get(t)
    if (i === undefined) throw new Error(`the label ${t} is not among the MLM output candidates`)
    return i
  })
}

/**
 * Mean cross-entropy over the masked positions (labels != -100) of a batch: a scalar. With no
 * masked position it is 0 (still connected to the parameters, so gradients are zeros). Call
 * inside tf.tidy or a gradient function.
 */
export function mlmLoss(model: BertModel, batch: TensorBatch, options: MlmLossOptions = {}): tf.Scalar {
  if (!batch.labels) throw new Error('an MLM batch needs labels')
  const { positions, targets } = maskedPositions(batch.labels)
  const empty = positions.length === 0
  const logits = mlmLogitsAt(model, batch, empty ? Int32Array.of(0) : positions, options)
  const V = options.candidates ? options.candidates.length : model.config.vocab_size
  const classes = empty ? Int32Array.of(0) : options.candidates ? candidateIndices(targets, options.candidates) : targets
  const logp = tf.logSoftmax(logits)
  const picked = tf.sum(tf.mul(tf.oneHot(tf.tensor1d(classes, 'int32'), V), logp))
  return (empty ? tf.mul(tf.neg(picked), 0) : tf.div(tf.neg(picked), positions.length)) as tf.Scalar
}

export interface MlmGradientResult {
  loss: number
  /** Gradients by parameter name; the caller owns (and disposes) them. */
  grads: Map<string, tf.Tensor>
  /** Masked positions in the batch. */
  maskedTokens: number
}

/** Loss and gradients of `trainable` on one MLM batch; nothing else stays allocated. */
export function mlmLossAndGradients(
  model: BertModel,
  batch: TensorBatch,
  trainable: readonly string[],
  options: { seed: number; scale?: number; candidates?: Int32Array },
): MlmGradientResult {
  const vars = trainable.map((n) => param(model.params, n))
  const scale = options.scale ?? 1
  const { value, grads } = tf.tidy(() =>
    tf.variableGrads(() => {
      const loss = mlmLoss(model, batch, { seed: options.seed, training: true, candidates: options.candidates })
      return (scale === 1 ? loss : tf.mul(loss, scale)) as tf.Scalar
    }, vars),
  )
  const loss = value.dataSync()[0]! / scale
  value.dispose()
  const out = new Map<string, tf.Tensor>()
  for (let i = 0; i < trainable.length; i++) {
    const g = grads[vars[i]!.name]
    if (g) out.set(trainable[i]!, g)
  }
  let maskedTokens = 0
  for (const l of batch.labels!) if (l >= 0) maskedTokens++
  return { loss, grads: out, maskedTokens }
}

/**
 * The head's tensors as BertForMaskedLM saves them: the dense weight transposed back to
 * [out, in]; the tied decoder weight left out (transformers ties it to the word embeddings on
 * load), unless `withDecoder` asks for a copy of the embeddings under its name.
 */
export function mlmHeadToHuggingFace(params: Map<string, HostTensor>, withDecoder = false): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>()
  const get = (name: string): HostTensor => {
    const t = params.get(name)
    if (!t) throw new Error(`the model has no parameter ${name}`)
    return t
  }
  out.set(MLM_DENSE_WEIGHT, transposeHost(get(MLM_DENSE_WEIGHT)))
  for (const name of [MLM_DENSE_BIAS, MLM_LN_WEIGHT, MLM_LN_BIAS, MLM_BIAS]) out.set(name, get(name))
  if (withDecoder) out.set(MLM_DECODER_WEIGHT, get(WORD_EMBEDDINGS))
  return out
}

/**
 * The head from a checkpoint's tensors (BertForMaskedLM / BertForPreTraining names; old
 * gamma/beta LayerNorm names and a separate cls.predictions.decoder.bias accepted), in the
 * engine's layout; undefined when the checkpoint has no complete head of the right shape.
 */
export function mlmHeadFromHuggingFace(tensors: Map<string, HostTensor>, config: Pick<BertConfig, 'hidden_size' | 'vocab_size'>): Map<string, HostTensor> | undefined {
  const pick = (...names: string[]): HostTensor | undefined => names.map((n) => tensors.get(n)).find((t) => t !== undefined)
  const found = new Map<string, HostTensor | undefined>([
    [MLM_DENSE_WEIGHT, pick(MLM_DENSE_WEIGHT)],
    [MLM_DENSE_BIAS, pick(MLM_DENSE_BIAS)],
    [MLM_LN_WEIGHT, pick(MLM_LN_WEIGHT, 'cls.predictions.transform.LayerNorm.gamma')],
    [MLM_LN_BIAS, pick(MLM_LN_BIAS, 'cls.predictions.transform.LayerNorm.beta')],
    [MLM_BIAS, pick(MLM_BIAS, 'cls.predictions.decoder.bias')],
  ])
  const shapes = mlmHeadShapes(config)
  const out = new Map<string, HostTensor>()
  for (const [name, t] of found) {
    if (!t) return undefined
    const shape = shapes.get(name)!
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) return undefined
    out.set(name, name === MLM_DENSE_WEIGHT ? transposeHost(t) : t)
  }
  return out
}
