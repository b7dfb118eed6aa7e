/**
 * Domain-adaptive pretraining: continue (or start) masked-language-model training of a BERT
 * encoder on unlabeled text, then save it as a Hugging Face BertForMaskedLM folder that
 * fine-tuning starts from (loadTokenClassifier reads its encoder and ignores the cls.* head).
 *
 * Structure as the fine-tuning loop (loop.ts): texts tokenized once into sequences of at most
 * maxLength tokens; each epoch a fresh mask (seed + epoch) and a fresh seeded, length-bucketed
 * batch order; AdamW with decoupled weight decay, linear warmup then linear decay, global-norm
 * clipping; a non-finite loss or gradient norm stops the run with a TrainingError; shouldStop
 * is asked between steps. The model's variables are updated in place: on return they hold the
 * pretrained weights, with the MLM head left in `model.params` (removeMlmHead drops it).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { makeBatches, type EncodedWindow } from '../data'
import { buildMlmExamples, maskExamples, type ChineseSegmenter, type MaskedExample, type MlmExample } from '../data/mlm'
import { hasMlmHead, initMlmHead, MLM_BIAS, MLM_HEAD_NAMES, mlmHeadFromHuggingFace, mlmHeadToHuggingFace, mlmLoss, mlmLossAndGradients } from '../heads/mlm'
import { bertParamShapes, countParams, type BertModel } from '../model/bert'
import type { BertConfig } from '../model/bert-config'
import { bertToHuggingFace } from '../model/convert'
import { MODEL_FILES } from '../model/folder'
import { readParams, tokenizerConfigJson } from '../model/io'
import { parseSafetensors, writeSafetensors } from '../model/safetensors'
import { variableFrom } from '../ops/variables'
import { AdamW, clipByGlobalNorm } from '../optim/adamw'
import { learningRate, warmupSteps, type Schedule } from '../optim/schedule'
import type { BertTokenizer } from '../tokenizer'
import { TrainingError, type LogLevel } from './loop'
import { disposeGrads, type TensorBatch } from './step'

export interface PretrainConfig {
  /** Passes over the texts (fractions allowed); ignored when maxSteps > 0. */
  epochs: number
  /** Optimizer steps; 0 = epochs decide. */
  maxSteps: number
  batchSize: number
  learningRate: number
  warmupRatio: number
  weightDecay: number
  /** Sequence length with [CLS] and [SEP]. */
  maxLength: number
  seed: number
  /** Mask whole words (see data/mlm.ts for what a Chinese word is here). */
  wholeWordMasking: boolean
  /** Default 0.15. */
  maskProbability?: number
  /** Global gradient-norm clipping; default 1, 0 = off. */
  maxGradNorm?: number
  /** Overrides the config's hidden and attention dropout during pretraining (the saved config keeps the model's). */
  dropout?: number | null
  /** Joins CJK runs into words for whole-word masking; without it Chinese is masked per character. */
  chineseSegmenter?: ChineseSegmenter
  /** Pack consecutive short texts into full sequences (see buildMlmExamples). Default false. */
  pack?: boolean
  /**
   * The tokens the output softmax runs over: 'all' the vocabulary (BERT's MLM, the default), or
   * 'corpus' only the tokens that occur in the texts, a shortlist that makes the output layer
   * vocab/shortlist times cheaper (about 2x faster steps for bert-base-chinese's 21 128 tokens on
   * a corpus using ~2 500 of them; the encoder is trained the same way). Tokens outside the
   * corpus then get no output training; at the end their cls.predictions.bias is set to the
   * lowest bias of a corpus token minus ln(vocab), so that together they weigh less than the
   * rarest seen token (their zero count says as much) and the saved head stays usable over the
   * whole vocabulary.
   */
  outputVocabulary?: 'all' | 'corpus'
}

export interface PretrainProgress {
  step: number
  totalSteps: number
  epoch: number
  loss: number
  learningRate: number
  gradNorm: number
  /** Masked (predicted) tokens in this step's batch. */
  maskedTokens: number
  tokensPerSecond: number
  tokensSeen: number
  elapsedMs: number
  etaMs: number
}

export interface PretrainCallbacks {
  onStart?(info: { totalSteps: number; sequences: number; tokens: number; trainableParams: number }): void
  onStep?(p: PretrainProgress): void | Promise<void>
  onLog?(level: LogLevel, message: string): void
  /** Asked between steps; true ends the run (status 'cancelled'); the folder is still written. */
  shouldStop?(): boolean
}

export interface PretrainInput {
  /** The encoder to train (a TokenClassifier works: its classifier is left alone). An MLM head is added when it has none. */
  model: BertModel
  tokenizer: BertTokenizer
  texts: readonly string[]
  config: PretrainConfig
  /** Where the BertForMaskedLM folder is written at the end; nothing is written without it. */
  outDir?: string
  callbacks?: PretrainCallbacks
}

export interface PretrainResult {
  status: 'completed' | 'cancelled'
  steps: number
  totalSteps: number
  /** The last step's loss (NaN when no step ran). */
  finalLoss: number
  /** Every step's loss. */
  losses: number[]
  sequences: number
  elapsedMs: number
  outDir?: string
}

const now = (): number => performance.now()

/** Ids never masked and never drawn as random replacements. */
export function mlmSpecialIds(tokenizer: BertTokenizer): Set<number> {
  const ids = new Set([tokenizer.cls.id, tokenizer.sep.id, tokenizer.pad.id, tokenizer.unk.id])
  if (tokenizer.mask) ids.add(tokenizer.mask.id)
  return ids
}

function maskedWindows(examples: readonly MlmExample[], tokenizer: BertTokenizer, vocabSize: number, config: PretrainConfig, seed: number): EncodedWindow[] {
  if (!tokenizer.mask) throw new TrainingError(`the vocabulary has no mask token (${tokenizer.options.maskToken}); MLM pretraining needs one`)
  const masked: MaskedExample[] = maskExamples(examples, {
    clsId: tokenizer.cls.id,
    sepId: tokenizer.sep.id,
    maskId: tokenizer.mask.id,
    vocabSize,
    specialIds: mlmSpecialIds(tokenizer),
    probability: config.maskProbability,
    wholeWord: config.wholeWordMasking,
    seed,
  })
  return masked.map((m, i) => ({
    docId: i,
    windowIndex: 0,
    inputIds: m.inputIds,
    labels: m.labels,
    tokenStart: 0,
    length: m.length,
    wordStarts: new Uint8Array(m.length),
    docTokenCount: m.length - 2,
  }))
}

/** A seed for epoch `epoch`'s masks, apart from the batch-order stream (which uses seed + epoch directly). */
const maskSeed = (seed: number, epoch: number): number => (Math.imul(seed + epoch, 0x9e3779b1) ^ 0x5bd1e995) >>> 0

/**
 * Mean MLM loss of `model` over `texts` with a fixed mask (seed), in eval mode (no dropout): a
 * held-out measure for pretraining. Weighted by masked tokens. Frees everything it allocates.
 */
export function evaluateMlm(
  model: BertModel,
  tokenizer: BertTokenizer,
  texts: readonly string[],
  config: Pick<PretrainConfig, 'maxLength' | 'seed' | 'wholeWordMasking' | 'maskProbability' | 'chineseSegmenter' | 'pack'> & { batchSize?: number },
): { loss: number; maskedTokens: number } {
  if (!hasMlmHead(model.params)) throw new Error('the model has no MLM head (call initMlmHead first)')
  const examples = buildMlmExamples(texts, tokenizer, { maxLength: config.maxLength, chineseSegmenter: config.chineseSegmenter, pack: config.pack })
  const full: PretrainConfig = { epochs: 1, maxSteps: 0, batchSize: config.batchSize ?? 32, learningRate: 0, warmupRatio: 0, weightDecay: 0, ...config }
  const windows = maskedWindows(examples, tokenizer, model.config.vocab_size, full, maskSeed(config.seed, 0))
  const batches = makeBatches(windows, { batchSize: full.batchSize, seed: config.seed, shuffle: false, bucketByLength: true, padId: tokenizer.pad.id })
  let sum = 0
  let count = 0
  for (const b of batches) {
    let m = 0
    for (const l of b.labels) if (l >= 0) m++
    if (m === 0) continue
    const t = tf.tidy(() => mlmLoss(model, b, { training: false }))
    sum += t.dataSync()[0]! * m
    count += m
    t.dispose()
  }
  return { loss: count === 0 ? NaN : sum / count, maskedTokens: count }
}

/** The distinct non-special token ids of the examples, ascending. */
export function corpusVocabulary(examples: readonly MlmExample[], specialIds: ReadonlySet<number>): Int32Array {
  const seen = new Set<number>()
  for (const e of examples) for (const id of e.ids) if (!specialIds.has(id)) seen.add(id)
  return Int32Array.from([...seen].sort((a, b) => a - b))
}

/** Bias of the tokens outside `candidates`: the lowest candidate bias minus ln(vocab) (see outputVocabulary). */
function lowerUnseenBias(model: BertModel, candidates: Int32Array): void {
  const bias = model.params.get(MLM_BIAS)!
  const values = bias.dataSync() as Float32Array
  const out = new Float32Array(values)
  const inCorpus = new Uint8Array(values.length)
  let lowest = Infinity
  for (const id of candidates) {
    inCorpus[id] = 1
    lowest = Math.min(lowest, values[id]!)
  }
  const floor = lowest - Math.log(values.length)
  for (let i = 0; i < out.length; i++) if (!inCorpus[i]) out[i] = floor
  tf.tidy(() => bias.assign(tf.tensor1d(out)))
}

export async function pretrainMlm(input: PretrainInput): Promise<PretrainResult> {
  const { tokenizer, config } = input
  const cb = input.callbacks ?? {}
  const log = (level: LogLevel, message: string): void => cb.onLog?.(level, message)
  const started = now()
  const elapsed = (): number => now() - started

  const base = input.model
  if (config.maxLength > base.config.max_position_embeddings) {
    throw new TrainingError(`maxLength ${config.maxLength} is longer than the model's ${base.config.max_position_embeddings} positions`)
  }
  if (tokenizer.vocab.size > base.config.vocab_size) {
    throw new TrainingError(`the tokenizer has ${tokenizer.vocab.size} tokens but the model only ${base.config.vocab_size} embeddings`)
  }
  if (!(config.batchSize >= 1)) throw new TrainingError(`batchSize ${config.batchSize} must be at least 1`)
  // Dropout override for training only: a view of the model with its own config, same variables.
  const trainConfig: BertConfig =
    config.dropout === undefined || config.dropout === null ? base.config : { ...base.config, hidden_dropout_prob: config.dropout, attention_probs_dropout_prob: config.dropout }
  const model: BertModel = { config: trainConfig, params: base.params }
  if (!hasMlmHead(model.params)) {
    initMlmHead(model.params, base.config, config.seed)
    log('info', 'New MLM head (cls.predictions.*) initialised; the decoder is tied to the word embeddings.')
  }

  const examples = buildMlmExamples(input.texts, tokenizer, { maxLength: config.maxLength, chineseSegmenter: config.chineseSegmenter, pack: config.pack })
  if (examples.length === 0) throw new TrainingError('there is no text to pretrain on')
  let tokens = 0
  for (const e of examples) tokens += e.ids.length

  const candidates = config.outputVocabulary === 'corpus' ? corpusVocabulary(examples, mlmSpecialIds(tokenizer)) : undefined
  if (candidates) log('info', `The output softmax runs over the ${candidates.length} tokens of the corpus (of ${base.config.vocab_size}).`)

  const trainable = [...bertParamShapes(base.config).keys(), ...MLM_HEAD_NAMES]
  const trainableParams = countParams(model.params, trainable)
  const batchesPerEpoch = Math.ceil(examples.length / config.batchSize)
  const totalSteps = config.maxSteps > 0 ? config.maxSteps : Math.max(1, Math.ceil(config.epochs * batchesPerEpoch))
  const schedule: Schedule = { kind: 'linear', peak: config.learningRate, totalSteps, warmupSteps: warmupSteps(totalSteps, config.warmupRatio) }
  const maxGradNorm = config.maxGradNorm ?? 1
  log(
    'info',
    `MLM pretraining on ${input.texts.length} texts: ${examples.length} sequences, ${tokens.toLocaleString('en-US')} tokens; ${totalSteps} steps of ${config.batchSize}; ` +
      `${config.wholeWordMasking ? `whole-word masking${config.chineseSegmenter ? ' (Chinese words by dictionary)' : ''}` : 'token masking'} at ${((config.maskProbability ?? 0.15) * 100).toFixed(0)}%; ${trainableParams.toLocaleString('en-US')} parameters trained.`,
  )
  cb.onStart?.({ totalSteps, sequences: examples.length, tokens, trainableParams })

  const optimizer = new AdamW({ weightDecay: config.weightDecay })
  const memoryAtStart = tf.memory().numTensors
  const losses: number[] = []
  let step = 0
  let epoch = 0
  let tokensSeen = 0
  let status: PretrainResult['status'] = 'completed'
  try {
    outer: while (step < totalSteps) {
      const windows = maskedWindows(examples, tokenizer, base.config.vocab_size, config, maskSeed(config.seed, epoch))
      const batches = makeBatches(windows, { batchSize: config.batchSize, seed: config.seed + epoch, shuffle: true, bucketByLength: true, padId: tokenizer.pad.id })
      for (let b = 0; b < batches.length && step < totalSteps; b++) {
        if (cb.shouldStop?.()) {
          status = 'cancelled'
          break outer
        }
        const stepStart = now()
        const batch: TensorBatch = batches[b]!
        const seed = (config.seed * 1_000_003 + step * 7919) % 2147483647
        const r = mlmLossAndGradients(model, batch, trainable, { seed, candidates })
        if (!Number.isFinite(r.loss)) {
          disposeGrads(r.grads)
          throw new TrainingError(`the MLM loss became ${r.loss} at step ${step + 1}; lower the learning rate or check the data`, step + 1)
        }
        const clipped = clipByGlobalNorm(r.grads, maxGradNorm)
        if (!Number.isFinite(clipped.norm)) {
          disposeGrads(clipped.grads)
          throw new TrainingError(`the gradient norm became ${clipped.norm} at step ${step + 1}; lower the learning rate or check the data`, step + 1)
        }
        const lr = learningRate(schedule, step)
        optimizer.apply(model.params, clipped.grads, lr)
        disposeGrads(clipped.grads)
        step++
        losses.push(r.loss)
        let batchTokens = 0
        for (const w of batches[b]!.windows) batchTokens += w.length
        tokensSeen += batchTokens
        const spent = elapsed()
        await cb.onStep?.({
          step,
          totalSteps,
          epoch: epoch + (b + 1) / batches.length,
          loss: r.loss,
          learningRate: lr,
          gradNorm: clipped.norm,
          maskedTokens: r.maskedTokens,
          tokensPerSecond: batchTokens / ((now() - stepStart) / 1000),
          tokensSeen,
          elapsedMs: spent,
          etaMs: (spent / step) * (totalSteps - step),
        })
        await new Promise((resolve) => setImmediate(resolve))
      }
      epoch++
    }
    const leaked = tf.memory().numTensors - memoryAtStart - optimizer.tensorCount()
    if (leaked > 0) log('warn', `${leaked} tensors were not released during pretraining`)
  } finally {
    optimizer.dispose()
  }
  if (candidates) lowerUnseenBias(model, candidates)
  if (input.outDir) {
    saveMaskedLm(base, input.outDir, { tokenizer, metadata: { step: String(step), task: 'mlm-pretraining' } })
    log('info', `Saved the pretrained model (BertForMaskedLM) to ${input.outDir}.`)
  }
  return { status, steps: step, totalSteps, finalLoss: losses.at(-1) ?? NaN, losses, sequences: examples.length, elapsedMs: elapsed(), outDir: input.outDir }
}

function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`
  writeFileSync(tmp, data)
  renameSync(tmp, path)
}

export interface SaveMaskedLmOptions {
  tokenizer: BertTokenizer
  metadata?: Record<string, string>
  /** Also write cls.predictions.decoder.weight (a copy of the word embeddings); transformers ties it anyway. Default false. */
  withDecoder?: boolean
}

/**
 * Writes `model` (encoder plus MLM head) as transformers' BertForMaskedLM saves it: config.json
 * (architectures ['BertForMaskedLM'], no labels), model.safetensors (bert.* encoder and
 * cls.predictions.* head, PyTorch layout, the tied decoder left out), vocab.txt and
 * tokenizer_config.json. Files are replaced atomically.
 */
export function saveMaskedLm(model: BertModel, dir: string, options: SaveMaskedLmOptions): void {
  if (!hasMlmHead(model.params)) throw new Error('the model has no MLM head to save')
  mkdirSync(dir, { recursive: true })
  const { id2label: _i, label2id: _l, ...rest } = model.config
  const config = { ...rest, architectures: ['BertForMaskedLM'], model_type: 'bert', torch_dtype: 'float32' }
  writeAtomic(join(dir, MODEL_FILES.config), `${JSON.stringify(config, null, 2)}\n`)
  const host = readParams(model.params, [...bertParamShapes(model.config).keys(), ...MLM_HEAD_NAMES])
  const tensors = bertToHuggingFace(host, model.config, 'bert.')
  for (const [name, t] of mlmHeadToHuggingFace(host, options.withDecoder)) tensors.set(name, t)
  writeAtomic(join(dir, MODEL_FILES.safetensors), writeSafetensors(tensors, { format: 'pt', ...options.metadata }))
  const vocab = options.tokenizer.vocab.idToToken.map((t, i) => t ?? `[unused_id_${i}]`)
  writeAtomic(join(dir, MODEL_FILES.vocabTxt), `${vocab.join('\n')}\n`)
  writeAtomic(join(dir, 'tokenizer_config.json'), `${JSON.stringify(tokenizerConfigJson(options.tokenizer.options), null, 2)}\n`)
}

/**
 * Adds the MLM head stored in a model folder (BertForMaskedLM or BertForPreTraining checkpoints,
 * e.g. bert-base-chinese) to `model.params`, so continued pretraining starts from the trained
 * head rather than a new one. Returns false (and changes nothing) when the folder has none.
 */
export function loadMlmHead(dir: string, model: BertModel): boolean {
  const path = join(dir, MODEL_FILES.safetensors)
  const tensors = parseSafetensors(new Uint8Array(readFileSync(path)), path, { skipUnsupported: true })
  const head = mlmHeadFromHuggingFace(tensors, model.config)
  if (!head) return false
  for (const [name, t] of head) {
    model.params.get(name)?.dispose()
    model.params.set(name, variableFrom(tf.tensor(t.data, t.shape, 'float32')))
  }
  return true
}
