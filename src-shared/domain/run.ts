/**
 * Runs as the contract carries them: the run record, its metric series, its evaluations and
 * predictions, and live progress. The evaluation object is ner-eval's NerEvaluation (plain JSON).
 */
import { z } from 'zod'
import { ProjectId } from './project'
import type { NerEvaluation } from './ner-eval'

export const RUN_STATUSES = ['queued', 'running', 'paused', 'completed', 'failed', 'cancelled', 'interrupted'] as const
export const RunStatus = z.enum(RUN_STATUSES)
export type RunStatus = z.infer<typeof RunStatus>

export const RunId = z.number().int().positive()
const Json = z.record(z.string(), z.unknown())

export const RunSummary = z.strictObject({
  id: RunId,
  projectId: ProjectId,
  name: z.string(),
  status: RunStatus,
  config: Json,
  model: Json,
  datasetHash: z.string().nullable(),
  datasetSummary: Json.nullable(),
  backend: Json.nullable(),
  tags: z.array(z.string()),
  notes: z.string(),
  error: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  queuePosition: z.number().int().nullable(),
  trainableParams: z.number().int().nullable(),
  totalParams: z.number().int().nullable(),
  bestStep: z.number().int().nullable(),
  bestMetric: z.number().nullable(),
  checkpointDir: z.string().nullable(),
})
export type RunSummary = z.infer<typeof RunSummary>

export const NerEvaluationJson = z.custom<NerEvaluation>((v) => typeof v === 'object' && v !== null && 'f1' in v && 'report' in v, 'an evaluation object')

export const RunEvaluation = z.strictObject({
  id: z.number().int(),
  split: z.string(),
  step: z.number().int(),
  checkpoint: z.string(),
  mode: z.enum(['default', 'strict']),
  result: NerEvaluationJson,
  createdAt: z.string(),
})
export type RunEvaluation = z.infer<typeof RunEvaluation>

export const SeriesPoint = z.strictObject({ step: z.number(), epoch: z.number().nullable(), wallMs: z.number().nullable(), value: z.number().nullable() })
export const RunDetail = z.strictObject({
  run: RunSummary,
  evaluations: z.array(RunEvaluation),
  series: z.record(z.string(), z.array(SeriesPoint)),
  logs: z.array(z.strictObject({ seq: z.number().int(), at: z.string(), level: z.string(), message: z.string() })),
})
export type RunDetail = z.infer<typeof RunDetail>

export const BackendChoice = z.enum(['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'])

export const RunStart = z.strictObject({
  projectId: ProjectId,
  name: z.string().trim().max(200).optional(),
  /** The run config (see run-config.ts); validated by the service so errors name each field. */
  config: Json,
  backend: BackendChoice.optional(),
  tags: z.array(z.string().trim().min(1).max(50)).max(20).optional(),
  notes: z.string().max(10_000).optional(),
})

export const RunEvaluate = z.strictObject({
  id: RunId,
  /** A split of the run's own snapshot. */
  split: z.enum(['train', 'dev', 'test']).optional(),
  /** Or a file on this machine (CLI, desktop) in any import format. */
  file: z.strictObject({ path: z.string().min(1), format: z.string().optional() }).optional(),
  modes: z.array(z.enum(['default', 'strict'])).min(1).default(['default']),
  checkpoint: z.enum(['best', 'last']).default('best'),
})

export const RunPredict = z.strictObject({
  id: RunId,
  texts: z.array(z.string().max(1_000_000)).min(1).max(10_000),
  checkpoint: z.enum(['best', 'last']).default('best'),
})
export const PredictedSpanJson = z.strictObject({ start: z.number().int(), end: z.number().int(), label: z.string(), confidence: z.number() })
export const RunPredictResult = z.strictObject({ items: z.array(z.strictObject({ text: z.string(), spans: z.array(PredictedSpanJson) })) })

/** Live progress of a running run, as the trainer reports it. */
export const RunProgress = z.strictObject({
  runId: RunId,
  projectId: ProjectId,
  kind: z.enum(['step', 'eval', 'log', 'started']),
  step: z.number().int().optional(),
  totalSteps: z.number().int().optional(),
  epoch: z.number().optional(),
  loss: z.number().optional(),
  learningRate: z.number().optional(),
  tokensPerSecond: z.number().optional(),
  elapsedMs: z.number().optional(),
  etaMs: z.number().optional(),
  f1: z.number().optional(),
  isBest: z.boolean().optional(),
  level: z.string().optional(),
  message: z.string().optional(),
})
export type RunProgress = z.infer<typeof RunProgress>
export const RunChange = z.strictObject({ runId: RunId, projectId: ProjectId, status: RunStatus })
export type RunChange = z.infer<typeof RunChange>
