/**
 * What a trainer process does with a job: train (then evaluate the best checkpoint on test and
 * predict dev and test), evaluate a checkpoint, or predict spans for texts. Progress goes out
 * through `send`; nothing here knows about the database or the window.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { initComputeBackend } from '../engine/backend'
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
import { loadTfjsTokenClassifier, writeTfjsExport } from '../engine/model/tfjs-format'
import type { ExportJob, PredictRequest } from './protocol'

export type Send = (m: TrainerMessage) => void

export interface Control {
  cancelled: boolean
  paused: boolean
  /** Resolves when not paused (or cancelled). */
  whilePaused(): Promise<void>
  /** A predict session's next request, or null once cancelled. */
  nextRequest(): Promise<PredictRequest | null>
}

export function createControl(): Control & { setPaused(p: boolean): void; pushRequest(r: PredictRequest): void; cancel(): void } {
  let wake: (() => void) | undefined
  const queue: PredictRequest[] = []
  let waiting: ((r: PredictRequest | null) => void) | undefined
  const c = {
    cancelled: false,
    paused: false,
    nextRequest(): Promise<PredictRequest | null> {
      if (c.cancelled) return Promise.resolve(null)
      const r = queue.shift()
      if (r) return Promise.resolve(r)
      return new Promise<PredictRequest | null>((resolve) => (waiting = resolve))
    },
    pushRequest(r: PredictRequest): void {
      if (waiting) {
        const w = waiting
        waiting = undefined
        w(r)
      } else queue.push(r)
    },
    cancel(): void {
      c.cancelled = true
      c.setPaused(false)
      waiting?.(null)
      waiting = undefined
    },
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
  const backend = await initComputeBackend(job.backend, { matmulThreads: process.env.TAGTUNE_MATMUL_THREADS !== '0' })
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
  const backend = await initComputeBackend(job.backend, { matmulThreads: process.env.TAGTUNE_MATMUL_THREADS !== '0' })
  send({ type: 'ready', backend, pid: process.pid })
  const { tokenizer } = loadBertTokenizer(job.modelDir)
  const { model } = loadTokenClassifier(job.modelDir)
  const tagSet = tagSetFromId2Label(model.labels)
  const docs = readDataFile(job.dataFile).filter((r) => job.split === null || r.split === job.split).map(toDoc)
  if (docs.length === 0) throw new TrainingError(job.split ? `there are no documents in the ${job.split} split` : 'there are no documents to evaluate')
  const opts = { maxLength: job.maxLength, stride: job.stride, batchSize: job.batchSize, labelAllSubtokens: job.labelAllSubtokens }
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

export async function runPredictJob(job: PredictJob, send: Send, control?: Control): Promise<void> {
  const backend = await initComputeBackend(job.backend, { matmulThreads: process.env.TAGTUNE_MATMUL_THREADS !== '0' })
  send({ type: 'ready', backend, pid: process.pid })
  const { tokenizer } = loadBertTokenizer(job.modelDir)
  const { model } = loadTokenClassifier(job.modelDir)
  const tagSet = tagSetFromId2Label(model.labels)
  if (job.session && control) {
    try {
      const options = { maxLength: job.maxLength, ...(job.stride !== undefined ? { stride: job.stride } : {}), batchSize: job.batchSize, labelAllSubtokens: job.labelAllSubtokens }
      for (let r = await control.nextRequest(); r; r = await control.nextRequest()) {
        try {
          const docs = r.texts.map((t) => ({ id: t.id, text: t.text, spans: [] }))
          const predictions = predictDocuments(model, tokenizer, tagSet, docs, options)
          send({ type: 'predictions', split: `request:${r.requestId}`, items: predictions.map((p) => ({ id: p.docId, spans: p.spans, confidence: p.confidence })) })
        } catch (err) {
          send({ type: 'request-error', requestId: r.requestId, message: (err as Error).message || String(err) })
        }
      }
    } finally {
      disposeParams(model.params)
    }
    return
  }
  const texts = job.textsFile ? readTextsFile(job.textsFile) : (job.texts ?? [])
  const chunk = Math.max(1, job.chunkSize ?? texts.length)
  try {
    for (let from = 0; from < texts.length || from === 0; from += chunk) {
      // Let a cancel message in between chunks.
      if (from > 0) await new Promise((r) => setImmediate(r))
      if (control?.cancelled) break
      const docs = texts.slice(from, from + chunk).map((t) => ({ id: t.id, text: t.text, spans: [] }))
      const predictions = predictDocuments(model, tokenizer, tagSet, docs, { maxLength: job.maxLength, ...(job.stride !== undefined ? { stride: job.stride } : {}), batchSize: job.batchSize, labelAllSubtokens: job.labelAllSubtokens })
      send({ type: 'predictions', split: 'input', items: predictions.map((p) => ({ id: p.docId, spans: p.spans, confidence: p.confidence })) })
      if (job.chunkSize) send({ type: 'predict-progress', done: Math.min(texts.length, from + chunk), total: texts.length })
      if (texts.length === 0) break
    }
  } finally {
    disposeParams(model.params)
  }
}

/** JSON Lines of { id, text }; a broken line names its number. */
function readTextsFile(path: string): { id: string | number; text: string }[] {
  const out: { id: string | number; text: string }[] = []
  for (const [i, line] of readFileSync(path, 'utf8').split('\n').entries()) {
    if (!line.trim()) continue
    const r = JSON.parse(line) as { id?: unknown; text?: unknown }
    if ((typeof r.id !== 'number' && typeof r.id !== 'string') || typeof r.text !== 'string') throw new TrainingError(`${path} line ${i + 1}: expected { id, text }`)
    out.push({ id: r.id, text: r.text })
  }
  return out
}

export async function runPretrainJob(job: PretrainJob, send: Send, control: Control): Promise<void> {
  const backend = await initComputeBackend(job.backend, { matmulThreads: process.env.TAGTUNE_MATMUL_THREADS !== '0' })
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

/** Writes a checkpoint's tfjs export; for int8, evaluates the float and the int8 model on the same split. */
export async function runExportJob(job: ExportJob, send: Send): Promise<void> {
  const backend = await initComputeBackend(job.backend, { matmulThreads: process.env.TAGTUNE_MATMUL_THREADS !== '0' })
  send({ type: 'ready', backend, pid: process.pid })
  const written = writeTfjsExport(job.modelDir, job.outDir, { quantize: job.format === 'int8', generatedBy: job.generatedBy })
  send({ type: 'exported', files: written.files, weightBytes: written.weightBytes, floatWeightBytes: written.floatWeightBytes, head: written.head, adapters: written.adapters, quantizedTensors: written.quantizedTensors })
  const c = job.compare
  if (!c) return
  const docs = readDataFile(c.dataFile).filter((r) => r.split === c.split).map(toDoc)
  if (docs.length === 0) throw new TrainingError(`there are no documents in the ${c.split} split to compare the int8 model with the float one`)
  const { tokenizer } = loadBertTokenizer(job.modelDir)
  const float = loadTokenClassifier(job.modelDir).model
  const int8 = loadTfjsTokenClassifier(job.outDir).model
  try {
    const tagSet = tagSetFromId2Label(float.labels)
    const opts = { maxLength: c.maxLength, stride: c.stride, batchSize: c.batchSize, labelAllSubtokens: c.labelAllSubtokens }
    const encoded = encodeDocuments(docs, tokenizer, tagSet, opts).documents
    const evalOpts = { ...opts, evalBatchSize: c.batchSize, evalMode: 'default' as const }
    const a = evaluateEncoded(float, tokenizer, tagSet, docs, encoded, evalOpts)
    const b = evaluateEncoded(int8, tokenizer, tagSet, docs, encoded, evalOpts)
    // How often the two models predict the very same spans (start, end, type).
    const key = (s: { start: number; end: number; label: string }): string => `${s.start}:${s.end}:${s.label}`
    let matched = 0
    let total = 0
    let identical = 0
    a.predictions.forEach((p, i) => {
      const mine = new Set(p.spans.map(key))
      const theirs = b.predictions[i]!.spans.map(key)
      matched += theirs.filter((k) => mine.has(k)).length
      total += mine.size + theirs.length
      if (mine.size === theirs.length && theirs.every((k) => mine.has(k))) identical++
    })
    send({ type: 'quantization', split: c.split, documents: docs.length, float: a.evaluation, int8: b.evaluation, spanAgreement: total === 0 ? 1 : (2 * matched) / total, identicalDocuments: identical })
  } finally {
    disposeParams(float.params)
    disposeParams(int8.params)
  }
}
