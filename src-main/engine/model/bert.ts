/**
 * BertModel in tfjs with transformers' numerics: word + position + token-type embeddings,
 * LayerNorm (eps from the config), post-LN encoder layers, exact erf GELU, an additive
 * attention mask for padding, and dropout. Parameters live in tf.Variables under
 * Hugging Face's names, with one layout change for speed: Linear weights are kept
 * [in, out] (transposed from PyTorch's [out, in]) and query/key/value are fused into one
 * `attention.self.qkv` projection. `toHuggingFace` / `fromHuggingFace` convert at the edges.
 */
import * as tf from '@tensorflow/tfjs'
import type { BertConfig } from './bert-config'
import { activation, dropout, gatherRows, layerNorm, linear, linearFrozenWeight } from '../ops/layers'
import { selfAttention } from '../ops/attention'
import { loraDelta, loraQkv, type LoraSettings } from '../peft/lora'
import { applyAdapter } from '../peft/adapters'

/** A model's trainable state: variables by internal name (see the module comment). */
export type ParamMap = Map<string, tf.Variable>

export interface BertModel {
  config: BertConfig
  params: ParamMap
  /** Set when the params hold LoRA updates (peft/lora.ts); adapters are found by their names. */
  lora?: LoraSettings
  /** Linear weights that do not train in the current run: their gradient is never computed. */
  frozenWeights?: ReadonlySet<string>
}

export interface BertInputs {
  /** int32 [batch, seq] */
  inputIds: tf.Tensor2D
  /** int32 or float32 [batch, seq]: 1 for real tokens, 0 for padding. */
  attentionMask: tf.Tensor2D
  /** int32 [batch, seq]; zeros when absent. */
  tokenTypeIds?: tf.Tensor2D
}

export interface ForwardOptions {
  /** Dropout is applied only when training and a seed is given. */
  training: boolean
  /** Base seed for this call's dropout masks (derive it from the run seed and the step). */
  seed?: number
  /** Keep every layer's output (HF's output_hidden_states). */
  hiddenStates?: boolean
  /** Added to the word embeddings before the sum (adversarial perturbations), [batch, seq, hidden]. */
  wordEmbeddingDelta?: tf.Tensor
  /** Receives the gathered word embeddings [batch, seq, hidden] (adversarial training needs their gradient). */
  wordEmbeddingHook?: (words: tf.Tensor) => tf.Tensor
  /**
   * Start from layer `layer` with `hidden` [batch*seq, hidden] as its input (the output of the
   * embeddings and layers below, computed earlier: see train/frozen-cache.ts) instead of from
   * the embeddings.
   */
  from?: { layer: number; hidden: tf.Tensor2D }
}

export interface BertOutput {
  /** [batch, seq, hidden] */
  lastHidden: tf.Tensor3D
  /** The embedding output followed by each layer's output, when asked. */
  hiddenStates?: tf.Tensor3D[]
}

export const layerPrefix = (i: number): string => `encoder.layer.${i}`

/** Internal parameter names and shapes of a BertModel (no pooler: token tasks do not use it). */
export function bertParamShapes(config: BertConfig): Map<string, number[]> {
  const H = config.hidden_size
  const I = config.intermediate_size
  const m = new Map<string, number[]>()
  m.set('embeddings.word_embeddings.weight', [config.vocab_size, H])
  m.set('embeddings.position_embeddings.weight', [config.max_position_embeddings, H])
  m.set('embeddings.token_type_embeddings.weight', [config.type_vocab_size, H])
  m.set('embeddings.LayerNorm.weight', [H])
  m.set('embeddings.LayerNorm.bias', [H])
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = layerPrefix(i)
    m.set(`${p}.attention.self.qkv.weight`, [H, 3 * H])
    m.set(`${p}.attention.self.qkv.bias`, [3 * H])
    m.set(`${p}.attention.output.dense.weight`, [H, H])
    m.set(`${p}.attention.output.dense.bias`, [H])
    m.set(`${p}.attention.output.LayerNorm.weight`, [H])
    m.set(`${p}.attention.output.LayerNorm.bias`, [H])
    m.set(`${p}.intermediate.dense.weight`, [H, I])
    m.set(`${p}.intermediate.dense.bias`, [I])
    m.set(`${p}.output.dense.weight`, [I, H])
    m.set(`${p}.output.dense.bias`, [H])
    m.set(`${p}.output.LayerNorm.weight`, [H])
    m.set(`${p}.output.LayerNorm.bias`, [H])
  }
  return m
}

/** Parameters initialised as transformers' _init_weights does; `seed` makes it repeatable. */
export function initBertParams(config: BertConfig, seed: number): ParamMap {
  const params: ParamMap = new Map()
  let n = 0
  for (const [name, shape] of bertParamShapes(config)) {
    const value = tf.tidy(() => {
      if (name.endsWith('LayerNorm.weight')) return tf.ones(shape)
      if (name.endsWith('.bias')) return tf.zeros(shape)
      let t = tf.randomNormal(shape, 0, config.initializer_range, 'float32', seed * 7919 + n)
      if (name === 'embeddings.word_embeddings.weight' && config.pad_token_id !== null && config.pad_token_id < config.vocab_size) {
        // nn.Embedding(padding_idx): the padding row starts at zero.
        const mask = tf.oneHot([config.pad_token_id], config.vocab_size).reshape([config.vocab_size, 1])
        t = tf.mul(t, tf.sub(1, mask))
      }
      return t
    })
    // Unnamed: tfjs variable names are global, and several models may coexist.
    params.set(name, tf.variable(value, true))
    value.dispose()
    n++
  }
  return params
}

function param(params: ParamMap, name: string): tf.Variable {
  const p = params.get(name)
  if (!p) throw new Error(`the model has no parameter ${name}`)
  return p
}

/** A per-call-site dropout seed derived from the call's base seed. */
function siteSeed(base: number | undefined, site: number): number | undefined {
  return base === undefined ? undefined : (base * 131 + site) % 2147483647
}

/** The additive mask: 0 where attended, a very negative number where padded. [batch, 1, 1, seq] */
export function attentionBias(mask: tf.Tensor2D): tf.Tensor4D {
  const [b, s] = mask.shape
  return tf.mul(tf.sub(1, tf.cast(mask, 'float32')), -1e9).reshape([b, 1, 1, s])
}

export function bertEmbeddings(model: BertModel, inputs: BertInputs, options: ForwardOptions): tf.Tensor2D {
  const { params, config } = model
  const [B, S] = inputs.inputIds.shape
  if (S > config.max_position_embeddings) {
    throw new Error(`sequence length ${S} is longer than the model's ${config.max_position_embeddings} positions`)
  }
  const H = config.hidden_size
  const ids = inputs.inputIds.reshape([B * S])
  let words: tf.Tensor = gatherRows(param(params, 'embeddings.word_embeddings.weight'), ids)
  if (options.wordEmbeddingHook) words = options.wordEmbeddingHook(words.reshape([B, S, H])).reshape([B * S, H])
  if (options.wordEmbeddingDelta) words = tf.add(words, options.wordEmbeddingDelta.reshape([B * S, H]))
  const positions = param(params, 'embeddings.position_embeddings.weight').slice([0, 0], [S, H])
  const typeTable = param(params, 'embeddings.token_type_embeddings.weight')
  const types = inputs.tokenTypeIds
    ? gatherRows(typeTable, inputs.tokenTypeIds.reshape([B * S]))
    : typeTable.slice([0, 0], [1, H])
  let x = tf.add(tf.add(words.reshape([B, S, H]), positions), types.reshape(inputs.tokenTypeIds ? [B, S, H] : [1, 1, H]))
  x = layerNorm(x, param(params, 'embeddings.LayerNorm.weight') as tf.Tensor1D, param(params, 'embeddings.LayerNorm.bias') as tf.Tensor1D, config.layer_norm_eps)
  x = options.training ? dropout(x, config.hidden_dropout_prob, siteSeed(options.seed, 1)) : x
  return x.reshape([B * S, H])
}

/** One post-LN encoder layer over x [batch*seq, hidden]. */
export function bertLayer(model: BertModel, i: number, x: tf.Tensor2D, bias: tf.Tensor4D, B: number, S: number, options: ForwardOptions): tf.Tensor2D {
  const { params, config } = model
  const NH = config.num_attention_heads
  const p = layerPrefix(i)
  const w = (n: string): tf.Tensor2D => param(params, `${p}.${n}.weight`) as tf.Tensor2D
  const b = (n: string): tf.Tensor1D => param(params, `${p}.${n}.bias`) as tf.Tensor1D
  const train = options.training
  const seed = (k: number): number | undefined => siteSeed(options.seed, 100 + i * 10 + k)

  // LoRA updates (peft/lora.ts) and adapters (peft/adapters.ts) are no-ops unless the params hold them.
  const lora = model.lora
  const dense = (input: tf.Tensor, n: string): tf.Tensor =>
    model.frozenWeights?.has(`${p}.${n}.weight`) ? linearFrozenWeight(input, w(n), b(n)) : linear(input, w(n), b(n))
  const loraSeed = (k: number): number | undefined => (train ? seed(k) : undefined)
  const withLora = (y: tf.Tensor, site: string, input: tf.Tensor2D, k: number): tf.Tensor => {
    const d = loraDelta(params, `${p}.${site}`, input, lora, loraSeed(k))
    return d ? tf.add(y, d) : y
  }
  let qkv = dense(x, 'attention.self.qkv') as tf.Tensor2D
  qkv = loraQkv(params, p, x, qkv, lora, loraSeed(4))
  const context = selfAttention(qkv, bias, { batch: B, seq: S, heads: NH }, train ? config.attention_probs_dropout_prob : 0, seed(1))
  let attn = withLora(dense(context, 'attention.output.dense'), 'attention.output.dense', context, 7)
  if (train) attn = dropout(attn, config.hidden_dropout_prob, seed(2))
  attn = applyAdapter(params, `${p}.attention.output`, attn)
  const h1 = layerNorm(tf.add(attn, x), param(params, `${p}.attention.output.LayerNorm.weight`) as tf.Tensor1D, param(params, `${p}.attention.output.LayerNorm.bias`) as tf.Tensor1D, config.layer_norm_eps) as tf.Tensor2D

  const act = activation(config.hidden_act)
  const inter = act(withLora(dense(h1, 'intermediate.dense'), 'intermediate.dense', h1, 8)) as tf.Tensor2D
  let out = withLora(dense(inter, 'output.dense'), 'output.dense', inter, 9)
  if (train) out = dropout(out, config.hidden_dropout_prob, seed(3))
  out = applyAdapter(params, `${p}.output`, out)
  return layerNorm(tf.add(out, h1), param(params, `${p}.output.LayerNorm.weight`) as tf.Tensor1D, param(params, `${p}.output.LayerNorm.bias`) as tf.Tensor1D, config.layer_norm_eps) as tf.Tensor2D
}

/** The encoder's forward pass. Call inside tf.tidy (or a gradient function). */
export function bertForward(model: BertModel, inputs: BertInputs, options: ForwardOptions): BertOutput {
  const [B, S] = inputs.inputIds.shape
  const H = model.config.hidden_size
  const bias = attentionBias(inputs.attentionMask)
  const from = options.from
  if (from && (from.hidden.shape[0] !== B * S || from.hidden.shape[1] !== H)) throw new Error(`the cached hidden states are [${from.hidden.shape}], the batch needs [${B * S}, ${H}]`)
  let x = from ? from.hidden : bertEmbeddings(model, inputs, options)
  const hidden: tf.Tensor3D[] | undefined = options.hiddenStates && !from ? [x.reshape([B, S, H])] : undefined
  for (let i = from?.layer ?? 0; i < model.config.num_hidden_layers; i++) {
    x = bertLayer(model, i, x, bias, B, S, options)
    hidden?.push(x.reshape([B, S, H]))
  }
  return { lastHidden: x.reshape([B, S, H]), hiddenStates: hidden }
}

/** The embeddings and layers [0, layers) in eval mode: [batch*seq, hidden]. Call inside tf.tidy. */
export function bertPrefix(model: BertModel, inputs: BertInputs, layers: number): tf.Tensor2D {
  const [B, S] = inputs.inputIds.shape
  const bias = attentionBias(inputs.attentionMask)
  let x = bertEmbeddings(model, inputs, { training: false })
  for (let i = 0; i < layers; i++) x = bertLayer(model, i, x, bias, B, S, { training: false })
  return x
}

export function countParams(params: ParamMap, names?: Iterable<string>): number {
  let n = 0
  for (const name of names ?? params.keys()) n += params.get(name)?.size ?? 0
  return n
}

export function disposeParams(params: ParamMap): void {
  for (const v of params.values()) v.dispose()
  params.clear()
}
