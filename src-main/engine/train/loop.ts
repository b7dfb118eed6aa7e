/**
 * The fine-tuning loop: seeded, length-bucketed batches; AdamW with decoupled weight decay;
 * warmup then linear/cosine/constant decay; global-norm clipping; gradient accumulation;
 * evaluation on dev every N steps or each epoch with seqeval's entity F1; early stopping with
 * patience; best and last checkpoints; resume from the last one; cancellation between steps.
 * It knows nothing of where documents come from or where progress goes: callers pass
 * documents in and receive callbacks. The model ends with the last step's weights; the best
 * ones are in outDir/best.
 */
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { evaluateNer, type NerEvaluation } from '../../../src-shared/domain/ner-eval'
import type { RunConfig } from '../../../src-shared/domain/run-config'
import { countTokens, encodeDocuments, makeBatches, type AlignmentIssue, type EncodedDocument, type EncodedWindow, type NerDocument, type TagSet } from '../data'
import { augmentDocuments } from '../data/augment'
import { classWeights } from './class-weights'
import { adversarialLossAndGradients } from '../adversarial/embedding-attack'
import { frozenLinearWeights, preparePeft } from '../peft'
import { addCrfHead } from '../heads/crf-head'
import type { TokenClassifier } from '../heads/token-classification'
import { countParams } from '../model/bert'
import { AdamW, clipByGlobalNorm, type OptimizerState } from '../optim/adamw'
import { learningRate, warmupSteps, type Schedule } from '../optim/schedule'
import type { BertTokenizer } from '../tokenizer'
import { predictEncoded, type DocumentPrediction } from '../infer/predict'
import { saveCheckpoint, type TrainerState } from './checkpoint'
import { accumulate, disposeGrads, lossAndGradients } from './step'
import { FrozenOutputCache, frozenCacheBlocker, frozenPrefixLayers } from './frozen-cache'

/** Memory the frozen-output cache may hold (windows × tokens × hidden × 4 bytes). */
const FROZEN_CACHE_BYTES = 2 * 2 ** 30

export class TrainingError extends Error {
  constructor(
    message: string,
    readonly step?: number,
  ) {
    super(message)
    this.name = 'TrainingError'
  }
}

export interface StepProgress {
  step: number
  totalSteps: number
  /** Fractional epoch (1.5 = half-way through the second epoch). */
  epoch: number
  loss: number
  learningRate: number
  gradNorm: number
  tokensPerSecond: number
  examplesSeen: number
  tokensSeen: number
  elapsedMs: number
  etaMs: number
}

export interface EvalProgress {
  step: number
  epoch: number
  evaluation: NerEvaluation
  isBest: boolean
  elapsedMs: number
}

export type LogLevel = 'info' | 'warn' | 'error'

export interface TrainCallbacks {
  /** Once the data is encoded, before the first step. */
  onStart?(info: { totalSteps: number; trainableParams: number; totalParams: number; alignment: AlignmentIssue[] }): void
  onStep?(p: StepProgress): void | Promise<void>
  onEval?(e: EvalProgress): void | Promise<void>
  onLog?(level: LogLevel, message: string): void
  onCheckpoint?(kind: 'best' | 'last', dir: string, step: number): void
  /** Asked between steps; true stops the run (status 'cancelled') after saving the last checkpoint. */
  shouldStop?(): boolean
}

export interface TrainInput {
  model: TokenClassifier
  tokenizer: BertTokenizer
  tagSet: TagSet
  train: readonly NerDocument[]
  dev: readonly NerDocument[]
  config: RunConfig
  /** Checkpoints go to outDir/best and outDir/last. Without it nothing is written. */
  outDir?: string
  /** Parameter names to train; default all. Frozen ones get no gradient and no update. */
  trainable?: readonly string[]
  resume?: { optimizer: OptimizerState; state: TrainerState }
  callbacks?: TrainCallbacks
}

export interface TrainResult {
  status: 'completed' | 'cancelled' | 'early-stopped'
  steps: number
  totalSteps: number
  bestStep: number | null
  bestMetric: number | null
  bestEvaluation: NerEvaluation | null
  lastEvaluation: NerEvaluation | null
  trainableParams: number
  totalParams: number
  alignment: AlignmentIssue[]
  elapsedMs: number
  bestDir?: string
  lastDir?: string
}

const now = (): number => performance.now()

/** Dev evaluation: predictions for the encoded dev documents and seqeval's report on their words. */
export function evaluateEncoded(
  model: TokenClassifier,
  tokenizer: BertTokenizer,
  tagSet: TagSet,
  docs: readonly NerDocument[],
  encoded: readonly EncodedDocument[],
  config: Pick<RunConfig, 'maxLength' | 'stride' | 'evalBatchSize' | 'labelAllSubtokens' | 'evalMode'>,
): { evaluation: NerEvaluation; predictions: DocumentPrediction[] } {
  const predictions = predictEncoded(model, tokenizer, tagSet, new Map(docs.map((d) => [d.id, d.text])), encoded, {
    maxLength: config.maxLength,
    stride: config.stride,
    batchSize: config.evalBatchSize,
    labelAllSubtokens: config.labelAllSubtokens,
  })
  const withWords = predictions.filter((p) => p.goldWordTags.length > 0)
  if (withWords.length === 0) throw new TrainingError('the evaluation documents hold no words')
  const evaluation = evaluateNer(
    withWords.map((p) => p.goldWordTags),
    withWords.map((p) => p.wordTags),
    { mode: config.evalMode, scheme: tagSet.scheme },
  )
  return { evaluation, predictions }
}

export async function trainTokenClassifier(input: TrainInput): Promise<TrainResult> {
  const { model, tokenizer, tagSet, config } = input
  const cb = input.callbacks ?? {}
  const log = (level: LogLevel, message: string): void => cb.onLog?.(level, message)
  const started = now()
  const priorMs = input.resume?.state.elapsedMs ?? 0
  const elapsed = (): number => priorMs + (now() - started)

  if (config.dropout !== null) {
    model.config = { ...model.config, hidden_dropout_prob: config.dropout, attention_probs_dropout_prob: config.dropout }
  }
  const maxPositions = model.config.max_position_embeddings
  if (config.maxLength > maxPositions) {
    throw new TrainingError(`maxLength ${config.maxLength} is longer than the model's ${maxPositions} positions`)
  }
  const encodeOptions = { maxLength: config.maxLength, stride: config.stride, labelAllSubtokens: config.labelAllSubtokens }
  const train = encodeDocuments(input.train, tokenizer, tagSet, encodeOptions)
  // With augmentation, each epoch trains on the originals plus fresh augmented copies (seed + epoch).
  const epochWindows = (epoch: number): EncodedWindow[] =>
    config.augmentation ? encodeDocuments(augmentDocuments(input.train, config.augmentation, config.seed + epoch), tokenizer, tagSet, encodeOptions).windows : train.windows
  const firstEpochWindows = epochWindows(0)
  const dev = encodeDocuments(input.dev, tokenizer, tagSet, encodeOptions)
  const alignment = [...train.alignment, ...dev.alignment]
  if (alignment.length > 0) log('warn', `${alignment.length} span(s) do not align with the tokenizer's tokens; they are trained as the whole words they touch or left out (see the alignment report).`)
  if (train.windows.length === 0) throw new TrainingError('there are no training documents (only documents marked done in the train split are used)')

  if (config.head === 'crf') addCrfHead(model, tagSet)
  const trainable = [...(input.trainable ?? preparePeft(model, config.peft, config.seed))]
  // Frozen linear weights skip their gradient matMul in the backward pass.
  model.frozenWeights = frozenLinearWeights(model.params.keys(), trainable)
  const trainableParams = countParams(model.params, trainable)
  const totalParams = countParams(model.params)

  // The frozen bottom of the model gives the same output every epoch when nothing random happens in it: compute it once per window.
  const frozenCache = ((): FrozenOutputCache | null => {
    if (config.peft?.method !== 'freeze' || !config.peft.cacheOutputs) return null
    const layers = frozenPrefixLayers(model, trainable)
    const blocker = frozenCacheBlocker({
      layers,
      dropout: Math.max(model.config.hidden_dropout_prob, model.config.attention_probs_dropout_prob),
      augmentation: config.augmentation !== null,
      adversarial: config.adversarial !== null,
    })
    if (blocker) {
      log('info', `The frozen layers' outputs are recomputed every step: ${blocker}.`)
      return null
    }
    log('info', `The embeddings and ${layers} frozen layer(s) are computed once per window and reused in later epochs (up to ${Math.round(FROZEN_CACHE_BYTES / 2 ** 20)} MB).`)
    return new FrozenOutputCache(model, layers, tokenizer.pad.id, FROZEN_CACHE_BYTES)
  })()

  const accumulation = config.gradientAccumulation
  const batchesPerEpoch = Math.ceil(firstEpochWindows.length / config.batchSize)
  const weights = config.classWeights ? classWeights(config.classWeights, tagSet, train.windows) : undefined
  const lossOptions = { labelSmoothing: config.labelSmoothing, ...(weights ? { classWeights: weights } : {}) }
  if (weights) log('info', `Class weights: ${tagSet.tags.map((t, i) => `${t} ${weights[i]!.toFixed(2)}`).join(', ')}`)
  if (config.augmentation) log('info', `Augmentation: ${firstEpochWindows.length} windows per epoch (${train.windows.length} original).`)
  const stepsPerEpoch = Math.max(1, Math.ceil(batchesPerEpoch / accumulation))
  const totalSteps = config.maxSteps > 0 ? config.maxSteps : Math.max(1, Math.ceil(config.epochs * stepsPerEpoch))
  const schedule: Schedule = { kind: config.schedule, peak: config.learningRate, totalSteps, warmupSteps: warmupSteps(totalSteps, config.warmupRatio) }
  log('info', `${input.train.length} training documents (${train.windows.length} windows), ${input.dev.length} dev documents; ${totalSteps} steps of ${config.batchSize * accumulation} windows; ${trainableParams.toLocaleString('en-US')} of ${totalParams.toLocaleString('en-US')} parameters trained.`)

  cb.onStart?.({ totalSteps, trainableParams, totalParams, alignment })
  const optimizer = new AdamW({ weightDecay: config.weightDecay })
  const state: TrainerState = input.resume
    ? { ...input.resume.state }
    : { step: 0, epoch: 0, batchInEpoch: 0, examplesSeen: 0, tokensSeen: 0, bestMetric: null, bestStep: null, evalsWithoutImprovement: 0, elapsedMs: 0, seed: config.seed }
  if (input.resume) {
    optimizer.restore(input.resume.optimizer)
    log('info', `Resuming at step ${state.step} (epoch ${state.epoch + 1}, batch ${state.batchInEpoch}).`)
  }

  const bestDir = input.outDir ? join(input.outDir, 'best') : undefined
  const lastDir = input.outDir ? join(input.outDir, 'last') : undefined
  let bestEvaluation: NerEvaluation | null = null
  let lastEvaluation: NerEvaluation | null = null
  let status: TrainResult['status'] = 'completed'

  const saveLast = (): void => {
    if (!lastDir) return
    state.elapsedMs = elapsed()
    saveCheckpoint(lastDir, model, tokenizer, { optimizer: optimizer.state(), state })
    cb.onCheckpoint?.('last', lastDir, state.step)
  }

  const evaluate = async (): Promise<boolean> => {
    if (dev.documents.length === 0) return false
    const { evaluation } = evaluateEncoded(model, tokenizer, tagSet, input.dev, dev.documents, config)
    lastEvaluation = evaluation
    const f1 = evaluation.f1
    const minDelta = config.earlyStopping?.minDelta ?? 0
    const isBest = state.bestMetric === null || f1 > state.bestMetric + minDelta
    if (isBest) {
      state.bestMetric = f1
      state.bestStep = state.step
      state.evalsWithoutImprovement = 0
      bestEvaluation = evaluation
      if (bestDir) {
        saveCheckpoint(bestDir, model, tokenizer, { metadata: { step: String(state.step) } })
        cb.onCheckpoint?.('best', bestDir, state.step)
      }
    } else {
      state.evalsWithoutImprovement++
    }
    await cb.onEval?.({ step: state.step, epoch: state.step / stepsPerEpoch, evaluation, isBest, elapsedMs: elapsed() })
    log('info', `step ${state.step}: dev F1 ${(f1 * 100).toFixed(2)} (P ${(evaluation.precision * 100).toFixed(2)}, R ${(evaluation.recall * 100).toFixed(2)})${isBest ? ' (best)' : ''}`)
    saveLast()
    const patience = config.earlyStopping?.patience
    return patience !== undefined && state.evalsWithoutImprovement >= patience
  }

  const memoryAtStart = tf.memory().numTensors
  let stop = false
  outer: while (state.step < totalSteps) {
    const batches = makeBatches(state.epoch === 0 ? firstEpochWindows : epochWindows(state.epoch), {
      batchSize: config.batchSize,
      seed: config.seed + state.epoch,
      shuffle: true,
      bucketByLength: config.bucketByLength,
      padId: tokenizer.pad.id,
    })
    while (state.batchInEpoch < batches.length && state.step < totalSteps) {
      if (cb.shouldStop?.()) {
        status = 'cancelled'
        stop = true
        break outer
      }
      const stepStart = now()
      const group = batches.slice(state.batchInEpoch, state.batchInEpoch + accumulation)
      const grads = new Map<string, tf.Tensor>()
      let loss = 0
      let tokens = 0
      let examples = 0
      group.forEach((batch, k) => {
        const seed = (config.seed * 1_000_003 + (state.step * accumulation + k) * 7919) % 2147483647
        const r = config.adversarial
          ? adversarialLossAndGradients(model, batch, trainable, { seed, scale: 1 / group.length, loss: lossOptions, attack: config.adversarial })
          : lossAndGradients(model, batch, trainable, { seed, scale: 1 / group.length, loss: lossOptions, ...(frozenCache ? { frozen: frozenCache } : {}) })
        loss += r.loss / group.length
        accumulate(grads, r.grads)
        tokens += countTokens(batch)
        examples += batch.batchSize
      })
      if (!Number.isFinite(loss)) {
        disposeGrads(grads)
        throw new TrainingError(`the loss became ${loss} at step ${state.step + 1}; lower the learning rate or check the data`, state.step + 1)
      }
      const clipped = clipByGlobalNorm(grads, config.maxGradNorm)
      if (!Number.isFinite(clipped.norm)) {
        disposeGrads(clipped.grads)
        throw new TrainingError(`the gradient norm became ${clipped.norm} at step ${state.step + 1}; lower the learning rate or check the data`, state.step + 1)
      }
      const lr = learningRate(schedule, state.step)
      optimizer.apply(model.params, clipped.grads, lr)
      disposeGrads(clipped.grads)
      state.step++
      state.batchInEpoch += group.length
      state.examplesSeen += examples
      state.tokensSeen += tokens
      const stepMs = now() - stepStart
      const spent = elapsed()
      await cb.onStep?.({
        step: state.step,
        totalSteps,
        epoch: state.epoch + state.batchInEpoch / batches.length,
        loss,
        learningRate: lr,
        gradNorm: clipped.norm,
        tokensPerSecond: tokens / (stepMs / 1000),
        examplesSeen: state.examplesSeen,
        tokensSeen: state.tokensSeen,
        elapsedMs: spent,
        etaMs: (spent / state.step) * (totalSteps - state.step),
      })
      const epochEnds = state.batchInEpoch >= batches.length
      const due = config.evalEvery === 'epoch' ? epochEnds : state.step % config.evalEvery === 0
      if (due || state.step === totalSteps) {
        if (await evaluate()) {
          status = 'early-stopped'
          log('info', `Early stopping: no better dev F1 in ${config.earlyStopping!.patience} evaluation(s).`)
          stop = true
          break outer
        }
      }
      // Let messages (cancel, pause) in between steps.
      await new Promise((r) => setImmediate(r))
    }
    if (state.batchInEpoch >= batches.length) {
      state.epoch++
      state.batchInEpoch = 0
    }
  }
  if (!stop && dev.documents.length > 0 && lastEvaluation === null) await evaluate()
  saveLast()
  const leaked = tf.memory().numTensors - memoryAtStart - optimizer.tensorCount()
  if (leaked > 0) log('warn', `${leaked} tensors were not released during training`)
  optimizer.dispose()
  model.frozenWeights = undefined
  if (frozenCache) {
    const c = frozenCache.summary
    log('info', `Frozen-output cache: ${c.windows} windows (${(c.bytes / 2 ** 20).toFixed(1)} MB), ${c.hits} reused, ${c.misses} computed.`)
  }
  return {
    status,
    steps: state.step,
    totalSteps,
    bestStep: state.bestStep,
    bestMetric: state.bestMetric,
    bestEvaluation,
    lastEvaluation,
    trainableParams,
    totalParams,
    alignment,
    elapsedMs: elapsed(),
    bestDir: bestDir && state.bestStep !== null ? bestDir : undefined,
    lastDir,
  }
}
