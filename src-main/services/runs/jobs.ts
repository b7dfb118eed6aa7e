/**
 * Evaluating a finished run's checkpoint on a split or a file, and predicting with it: each is
 * a one-off job in a trainer process, so tfjs stays out of the host.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { z } from 'zod'
import type { DB } from '../../store/db'
import * as repo from '../../store/repositories/runs'
import { writeDataFile } from '../../trainer/data-file'
import type { DocumentPredictionRecord, TrainerMessage } from '../../trainer/protocol'
import { AppError } from '../../../src-shared/ipc/errors'
import { RunConfig } from '../../../src-shared/domain/run-config'
import type { RunEvaluate, RunEvaluation, RunPredict, RunRobustness } from '../../../src-shared/domain/run'
import type { RobustnessRow } from '../../engine/infer/robustness'
import type { RunService } from '.'
import { readDocumentsFile } from './files'

export function checkpointDir(runs: RunService, db: DB, id: number, which: 'best' | 'last'): { dir: string; config: RunConfig; run: repo.Run } {
  const run = repo.getRun(db, id)
  if (!run) throw new AppError('NOT_FOUND', `There is no run with id ${id}.`)
  const dir = join(runs.runDir(id), which)
  const fallback = join(runs.runDir(id), 'last')
  const chosen = existsSync(join(dir, 'model.safetensors')) ? dir : which === 'best' && existsSync(join(fallback, 'model.safetensors')) ? fallback : undefined
  if (!chosen) throw new AppError('NOT_FOUND', `Run ${id} (${run.status}) has no saved model yet: it needs at least one checkpoint.`)
  return { dir: chosen, config: RunConfig.parse(run.config), run }
}

export async function evaluateRun(db: DB, runs: RunService, input: z.output<typeof RunEvaluate>): Promise<RunEvaluation[]> {
  const { dir, config, run } = checkpointDir(runs, db, input.id, input.checkpoint)
  let dataFile = runs.dataFile(input.id)
  let split: string | null = input.split ?? 'test'
  let label: repo.EvalSplit = split as repo.EvalSplit
  if (input.file) {
    const { documents } = await readDocumentsFile(input.file.path, input.file.format)
    if (documents.length === 0) throw new AppError('INVALID_FILE', `${input.file.path} holds no documents.`)
    mkdirSync(join(runs.runDir(input.id), 'eval'), { recursive: true })
    dataFile = join(runs.runDir(input.id), 'eval', `${Date.now()}.jsonl`)
    writeDataFile(dataFile, documents.map((d, i) => ({ id: i + 1, split: null, text: d.text, spans: d.spans })))
    split = null
    label = `file:${basename(input.file.path)}`
  } else if (!existsSync(dataFile)) {
    throw new AppError('NOT_FOUND', `Run ${input.id} has no data file (${dataFile}).`)
  }
  const messages = await runs.runJob({
    kind: 'evaluate',
    modelDir: dir,
    dataFile,
    split,
    modes: input.modes,
    maxLength: config.maxLength,
    ...(config.stride !== undefined ? { stride: config.stride } : {}),
    batchSize: config.evalBatchSize,
    labelAllSubtokens: config.labelAllSubtokens,
    backend: 'auto',
    withPredictions: false,
  })
  const out: RunEvaluation[] = []
  for (const m of messages) {
    if (m.type !== 'evaluation') continue
    const checkpoint = dir.endsWith('best') ? 'best' : 'last'
    const id = repo.insertEvaluation(db, { runId: input.id, split: label, step: run.bestStep ?? 0, checkpoint, mode: m.mode, result: m.evaluation, now: new Date().toISOString() })
    const e = repo.listEvaluations(db, input.id).find((x) => x.id === id)!
    out.push({ id, split: e.split, step: e.step, checkpoint: e.checkpoint, mode: e.mode, result: m.evaluation, createdAt: e.createdAt })
  }
  return out
}

/** Requests up to this size go to a session that keeps the model loaded (the Predict view's typing); bigger ones to a one-off job. */
const SESSION_TEXTS = 64
const SESSION_CHARACTERS = 200_000

export async function predictWithRun(db: DB, runs: RunService, input: z.output<typeof RunPredict>): Promise<{ items: { text: string; spans: { start: number; end: number; label: string; confidence: number }[] }[] }> {
  const { dir, config } = checkpointDir(runs, db, input.id, input.checkpoint)
  const job = {
    kind: 'predict' as const,
    modelDir: dir,
    maxLength: config.maxLength,
    ...(config.stride !== undefined ? { stride: config.stride } : {}),
    batchSize: config.evalBatchSize,
    labelAllSubtokens: config.labelAllSubtokens,
    backend: 'auto' as const,
  }
  const texts = input.texts.map((text, i) => ({ id: i, text }))
  let items: DocumentPredictionRecord[]
  if (texts.length <= SESSION_TEXTS && input.texts.reduce((n, t) => n + t.length, 0) <= SESSION_CHARACTERS) {
    items = await runs.sessions.predict(job, texts)
  } else {
    const messages: TrainerMessage[] = await runs.runJob({ ...job, texts })
    const predictions = messages.find((m) => m.type === 'predictions')
    if (!predictions || predictions.type !== 'predictions') throw new AppError('FAILED', 'The trainer sent no predictions.')
    items = predictions.items
  }
  const byId = new Map(items.map((i) => [Number(i.id), i.spans]))
  return { items: input.texts.map((text, i) => ({ text, spans: (byId.get(i) ?? []).map((s) => ({ start: s.start, end: s.end, label: s.label, confidence: s.confidence })) })) }
}

export async function robustnessOfRun(db: DB, runs: RunService, input: z.output<typeof RunRobustness>): Promise<RobustnessRow[]> {
  const { dir, config } = checkpointDir(runs, db, input.id, 'best')
  const dataFile = runs.dataFile(input.id)
  if (!existsSync(dataFile)) throw new AppError('NOT_FOUND', `Run ${input.id} has no data file (${dataFile}).`)
  const attacks = input.epsilons.flatMap((epsilon) => [{ method: 'fgm' as const, epsilon }, ...(input.pgd ? [{ method: 'pgd' as const, epsilon, steps: 3 }] : [])])
  const noise = input.noise > 0 ? [{ swap: input.noise, drop: input.noise, insert: input.noise }] : []
  const messages = await runs.runJob({
    kind: 'evaluate',
    modelDir: dir,
    dataFile,
    split: input.split,
    modes: ['default'],
    maxLength: config.maxLength,
    ...(config.stride !== undefined ? { stride: config.stride } : {}),
    batchSize: config.evalBatchSize,
    labelAllSubtokens: config.labelAllSubtokens,
    backend: 'auto',
    withPredictions: false,
    robustness: { attacks, noise, seed: input.seed },
  })
  const r = messages.find((m) => m.type === 'robustness')
  if (!r || r.type !== 'robustness') throw new AppError('FAILED', 'The trainer sent no robustness report.')
  return r.rows
}
