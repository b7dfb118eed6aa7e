/**
 * What a trainer process does with a job: train (then evaluate the best checkpoint on test and
 * predict dev and test), evaluate a checkpoint, or predict spans for texts. Progress goes out
 * through `send`; nothing here knows about the database or the window.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { initBackend } from '../engine/backend'
import { buildTagSet, encodeDocuments, tagSetFromId2Label, type NerDocument, type TagSet } from '../engine/data'
import { loadTokenClassifier } from '../engine/model/io'
import { loadBertTokenizer } from '../engine/tokenizer'
import { evaluateEncoded, trainTokenClassifier, TrainingError } from '../engine/train/loop'
import { hasResumeState, readResumeState } from '../engine/train/checkpoint'
import { predictDocuments } from '../engine/infer/predict'
import { evaluateRobustness } from '../engine/infer/robustness'
import { disposeParams } from '../engine/model/bert'
import { evaluateNer, type NerEvaluation } from '../../src-shared/domain/ner-eval'
import { readDataFile } from './data-file'
import { loadStartingModel } from './model-source'
import type { DataRecord, EvaluateJob, PredictJob, PretrainJob, TrainerMessage, TrainJob, TrainSummary } from './protocol'
import { pretrainMlm } from '../engine/train/pretrain'
import { dictionarySegmenter, discoverChineseWords } from '../engine/data/mlm'

export type Send = (m: TrainerMessage) => void

export interface Control {
  cancelled: boolean
  paused: boolean
  /** Resolves when not paused (or cancelled). */
  whilePaused(): Promise<void>
}

export function createControl(): Control & { setPaused(p: boolean): void } {
  let wake: (() => void) | undefined
  const c = {
    cancelled: false,
    paused: false,
    whilePaused(): Promise<void> {
      if (!c.paused || c.cancelled) return Promise.resolve()
      return new Promise<void>((r) => {
        wake = r
      })
    },
    setPaused(p: boolean): void {
      c.paused = p
      if (!p) {
        wake?.()
        wake = undefined
      }
    },
  }
  return c
}

const toDoc = (r: DataRecord): NerDocument => ({ id: r.id, text: r.text, spans: r.spans })
const MAX_ALIGNMENT_LISTED = 200

export async function runTrainJob(job: TrainJob, send: Send, control: Control & { setPaused?(p: boolean): void }): Promise<TrainSummary> {
  const backend = await initBackend(job.backend)
  send({ type: 'ready', backend, pid: process.pid })
  const records = readDataFile(job.dataFile)
  const bySplit = (s: string): NerDocument[] => records.filter((r) => r.split === s).map(toDoc)
  const train = bySplit('train')
  const dev = bySplit('dev')
  const test = bySplit('test')
  const tagSet = buildTagSet(job.entityTypes, job.config.scheme)
  const lastDir = join(job.runDir, 'last')
  const resuming = job.resume && hasResumeState(lastDir)
  const config = job.config
  let starting
  if (resuming) {
    const { tokenizer } = loadBertTokenizer(lastDir)
    starting = { model: loadTokenClassifier(lastDir, { labels: [...tagSet.tags], peft: 'trainable' }).model, tokenizer, notes: [`Resuming from ${lastDir}`], description: 'resume' }
  } else {
    starting = loadStartingModel(job.model, [...tagSet.tags], config.seed)
  }
  for (const n of starting.notes) send({ type: 'log', level: 'info', message: n })
  send({ type: 'log', level: 'info', message: `Backend: ${backend.label}${backend.threads ? `, ${backend.threads} thread(s)` : ''}` })
  const { model, tokenizer } = starting
  let started = false
  const result = await trainTokenClassifier({
    model,
    tokenizer,
    tagSet,
    train,
    dev,
    config,
    outDir: job.runDir,
    resume: resuming ? readResumeState(lastDir) : undefined,
    callbacks: {
      onLog: (level, message) => send({ type: 'log', level, message }),
      onStep: async (progress) => {
        if (!started) started = true
        send({ type: 'step', progress })
        if (control.paused) {
          send({ type: 'paused', step: progress.step })
          await control.whilePaused()
          if (!control.cancelled) send({ type: 'resumed', step: progress.step })
        }
      },
      onEval: (e) => send({ type: 'eval', split: 'dev', step: e.step, epoch: e.epoch, isBest: e.isBest, elapsedMs: e.elapsedMs, evaluation: e.evaluation }),
      onCheckpoint: (kind, dir, step) => send({ type: 'checkpoint', kind, dir, step }),
      onStart: (info) =>
        send({
          type: 'started',
          totalSteps: info.totalSteps,
          trainableParams: info.trainableParams,
          totalParams: info.totalParams,
          alignmentIssues: info.alignment.length,
          alignment: info.alignment.slice(0, MAX_ALIGNMENT_LISTED),
        }),
      shouldStop: () => control.cancelled,
    },
  })

  let testEval: TrainSummary['test'] = null
  if (result.status !== 'cancelled') {
    // The final report uses the best checkpoint (the last one when there was no dev set).
    const finalDir = result.bestDir ?? result.lastDir
    const final = finalDir && existsSync(join(finalDir, 'model.safetensors')) ? loadTokenClassifier(finalDir).model : model
    const checkpoint = result.bestDir ? 'best' : 'last'
    const predictOpts = { maxLength: config.maxLength, stride: config.stride, batchSize: config.evalBatchSize, labelAllSubtokens: config.labelAllSubtokens }
    for (const [split, docs] of [['dev', dev], ['test', test]] as const) {
      if (docs.length === 0) continue
      const encoded = encodeDocuments(docs, tokenizer, tagSet, predictOpts).documents
      const { evaluation, predictions } = evaluateEncoded(final, tokenizer, tagSet, docs, encoded, { ...config, evalMode: 'default' })
      const strict = strictEvaluation(predictions, tagSet)
      send({ type: 'evaluation', split, mode: 'default', checkpoint, evaluation })
      if (strict) send({ type: 'evaluation', split, mode: 'strict', checkpoint, evaluation: strict })
      send({
        type: 'predictions',
        split,
        items: predictions.map((p) => ({ id: p.docId, spans: p.spans, gold: p.goldSpans })),
      })
      if (split === 'test') testEval = { default: evaluation, strict }
    }
    if (final !== model) disposeParams(final.params)
  }
  disposeParams(model.params)
  return {
    status: result.status,
    steps: result.steps,
    totalSteps: result.totalSteps,
    bestStep: result.bestStep,
    bestMetric: result.bestMetric,
    trainableParams: result.trainableParams,
    totalParams: result.totalParams,
    elapsedMs: result.elapsedMs,
    bestDir: result.bestDir,
    lastDir: result.lastDir,
    dev: result.bestEvaluation,
    test: testEval,
  }
}

/** Strict-mode evaluation of the same predictions (null when the tags are not strict-valid, which greedy IOB2 decoding can produce). */
function strictEvaluation(predictions: { goldWordTags: string[]; wordTags: string[] }[], tagSet: TagSet): NerEvaluation | null {
  const rows = predictions.filter((p) => p.goldWordTags.length > 0)
  try {
    return evaluateNer(rows.map((p) => p.goldWordTags), rows.map((p) => p.wordTags), { mode: 'strict', scheme: tagSet.scheme })
  } catch {
    return null
  }
}

export async function runEvaluateJob(job: EvaluateJob, send: Send): Promise<void> {
  const backend = await initBackend(job.backend)
  send({ type: 'ready', backend, pid: process.pid })
  const { tokenizer } = loadBertTokenizer(job.modelDir)
  const { model } = loadTokenClassifier(job.modelDir)
  const tagSet = tagSetFromId2Label(model.labels)
  const docs = readDataFile(job.dataFile).filter((r) => job.split === null || r.split === job.split).map(toDoc)
  if (docs.length === 0) throw new TrainingError(job.split ? `there are no documents in the ${job.split} split` : 'there are no documents to evaluate')
  const opts = { maxLength: job.maxLength, batchSize: job.batchSize, labelAllSubtokens: job.labelAllSubtokens }
  const encoded = encodeDocuments(docs, tokenizer, tagSet, opts).documents
  const { evaluation, predictions } = evaluateEncoded(model, tokenizer, tagSet, docs, encoded, { ...opts, evalBatchSize: job.batchSize, evalMode: 'default' })
  const split = job.split ?? 'all'
  for (const mode of job.modes) {
    const e = mode === 'default' ? evaluation : strictEvaluation(predictions, tagSet)
    if (!e) {
      send({ type: 'log', level: 'warn', message: 'Strict mode cannot read these tags (the predictions hold I- tags that start entities); only the default mode is reported.' })
      continue
    }
    send({ type: 'evaluation', split, mode, checkpoint: job.modelDir, evaluation: e })
  }
  if (job.robustness) {
    const rows = evaluateRobustness(model, tokenizer, tagSet, docs, { ...opts, attacks: job.robustness.attacks, noise: job.robustness.noise, seed: job.robustness.seed })
    send({ type: 'robustness', split, rows })
  }
  if (job.withPredictions) {
    send({ type: 'predictions', split, items: predictions.map((p) => ({ id: p.docId, spans: p.spans, gold: p.goldSpans })) })
  }
  disposeParams(model.params)
}

export async function runPredictJob(job: PredictJob, send: Send): Promise<void> {
  const backend = await initBackend(job.backend)
  send({ type: 'ready', backend, pid: process.pid })
  const { tokenizer } = loadBertTokenizer(job.modelDir)
  const { model } = loadTokenClassifier(job.modelDir)
  const tagSet = tagSetFromId2Label(model.labels)
  const docs = job.texts.map((t) => ({ id: t.id, text: t.text, spans: [] }))
  const predictions = predictDocuments(model, tokenizer, tagSet, docs, { maxLength: job.maxLength, batchSize: job.batchSize, labelAllSubtokens: job.labelAllSubtokens })
  send({ type: 'predictions', split: 'input', items: predictions.map((p) => ({ id: p.docId, spans: p.spans })) })
  disposeParams(model.params)
}

export async function runPretrainJob(job: PretrainJob, send: Send, control: Control): Promise<void> {
  const backend = await initBackend(job.backend)
  send({ type: 'ready', backend, pid: process.pid })
  const texts = readFileSync(job.textsFile, 'utf8').split('\n').filter((l) => l.trim()).map((l) => (JSON.parse(l) as { text: string }).text)
  if (texts.length === 0) throw new TrainingError('there is no text to pretrain on')
  const c = job.config
  const starting = loadStartingModel(c.model, ['O'], c.seed)
  for (const n of starting.notes) send({ type: 'log', level: 'info', message: n })
  // The classification head plays no part in masked language modelling.
  for (const name of ['classifier.weight', 'classifier.bias']) {
    starting.model.params.get(name)?.dispose()
    starting.model.params.delete(name)
  }
  const wordList = c.wholeWordMasking ? (c.words && c.words.length > 0 ? c.words : discoverChineseWords(texts)) : []
  const result = await pretrainMlm({
    model: starting.model,
    tokenizer: starting.tokenizer,
    texts,
    outDir: job.outDir,
    config: {
      epochs: c.epochs,
      maxSteps: c.maxSteps,
      batchSize: c.batchSize,
      learningRate: c.learningRate,
      warmupRatio: c.warmupRatio,
      weightDecay: c.weightDecay,
      maxLength: c.maxLength,
      seed: c.seed,
      wholeWordMasking: c.wholeWordMasking,
      maskProbability: c.maskProbability,
      ...(wordList.length > 0 ? { chineseSegmenter: dictionarySegmenter(wordList) } : {}),
    },
    callbacks: {
      onLog: (level, message) => send({ type: 'log', level, message }),
      onStep: (p) => send({ type: 'pretrain-step', step: p.step, totalSteps: p.totalSteps, loss: p.loss, etaMs: p.etaMs, tokensPerSecond: p.tokensPerSecond }),
      shouldStop: () => control.cancelled,
    },
  })
  send({ type: 'pretrained', outDir: job.outDir, steps: result.steps, finalLoss: result.finalLoss, elapsedMs: result.elapsedMs, status: result.status })
  disposeParams(starting.model.params)
}
