/**
 * Runs as the contract carries them: the run record, its metric series, its evaluations and
 * predictions, and live progress. The evaluation object is ner-eval's NerEvaluation (plain JSON).
 */
import { z } from 'zod'
import { ProjectId } from './project'
import { FileRef, FileTagScheme, Format, Split } from './dataset'
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

/** Where a training run is now, while its trainer process lives (null otherwise). */
export const RunLive = z.strictObject({
  step: z.number().int(),
  /** Known once the trainer has encoded the data (its 'started' message). */
  totalSteps: z.number().int().nullable(),
  epoch: z.number().nullable(),
  elapsedMs: z.number().nullable(),
  etaMs: z.number().nullable(),
  pid: z.number().int().nullable(),
})
export type RunLive = z.infer<typeof RunLive>

export const RunDetail = z.strictObject({
  run: RunSummary,
  evaluations: z.array(RunEvaluation),
  series: z.record(z.string(), z.array(SeriesPoint)),
  logs: z.array(z.strictObject({ seq: z.number().int(), at: z.string(), level: z.string(), message: z.string() })),
  live: RunLive.nullable(),
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
export const RunChange = z.strictObject({
  runId: RunId,
  projectId: ProjectId,
  status: RunStatus,
  /** The run was deleted (a queued run removed from the queue, or a finished run). */
  deleted: z.boolean().optional(),
})
export type RunChange = z.infer<typeof RunChange>

// ---------------------------------------------------------------------------------------------
// Before a run: what it will train on, and what it will cost

export const RunPreviewInput = z.strictObject({
  projectId: ProjectId,
  /** The run config as the Train view holds it; validated by the host, problems listed in the answer. */
  config: Json,
  backend: BackendChoice.optional(),
})

const CountPerSplit = z.record(Split, z.number())

/** Characters of context on each side of a span that does not align (fewer at the ends of the text). */
export const ALIGNMENT_CONTEXT = 30

/** A span that does not align with the tokenizer (engine/data/alignment.ts), with a little context. */
export const AlignmentIssueJson = z.strictObject({
  split: z.string(),
  documentId: z.number().int(),
  start: z.number().int(),
  end: z.number().int(),
  label: z.string(),
  text: z.string(),
  reason: z.enum(['partial-token', 'partial-word', 'no-tokens', 'overlap']),
  /** The characters it is trained as, or null when it is left out. */
  encodedAs: z.strictObject({ start: z.number().int(), end: z.number().int() }).nullable(),
  trainedAs: z.string().nullable(),
  before: z.string(),
  after: z.string(),
})
export type AlignmentIssueJson = z.infer<typeof AlignmentIssueJson>

export const RunPreview = z.strictObject({
  /** Problems of the config, as "field: message" (empty when it is valid). */
  problems: z.array(z.string()),
  /** The documents a run would snapshot now: only documents marked done, per split. */
  data: z.strictObject({
    labels: z.array(z.string()),
    documents: CountPerSplit,
    entities: z.record(Split, z.record(z.string(), z.number())),
    /** Documents of the project not marked done (left out of the run). */
    notDone: z.number().int(),
    /** Spans whose label no longer exists (left out). */
    droppedSpans: z.number().int(),
  }),
  /** The model as read from its folder (or the from-scratch shape); `error` when it cannot be read. */
  model: z.strictObject({
    description: z.string(),
    error: z.string().nullable(),
    vocabSize: z.number().int().nullable(),
    hiddenSize: z.number().int().nullable(),
    numLayers: z.number().int().nullable(),
    numHeads: z.number().int().nullable(),
    intermediateSize: z.number().int().nullable(),
    maxPositions: z.number().int().nullable(),
    lowercase: z.boolean().nullable(),
    /** Parameters with the token-classification head for this project's tags. */
    params: z.number().int().nullable(),
  }),
  /** Windows and tokens the model sees per split (after the tokenizer), null without a model or a valid config. */
  windows: z
    .strictObject({
      documents: CountPerSplit,
      windows: CountPerSplit,
      tokens: CountPerSplit,
      longestWindow: z.number().int(),
    })
    .nullable(),
  /** Spans that do not align with the tokenizer, in train, dev and test; null without a model. */
  alignment: z
    .strictObject({
      total: z.number().int(),
      bySplit: z.record(z.string(), z.number().int()),
      byReason: z.record(z.string(), z.number().int()),
      /** The first ones (at most 200), in document order. */
      issues: z.array(AlignmentIssueJson),
    })
    .nullable(),
  estimate: z
    .strictObject({
      stepsPerEpoch: z.number().int(),
      totalSteps: z.number().int(),
      epochs: z.number(),
      memoryBytes: z.number(),
      memoryParts: z.strictObject({ weights: z.number(), gradientsAndOptimizer: z.number(), activations: z.number(), runtime: z.number() }),
      memoryBasis: z.string(),
      secondsPerEpoch: z.number(),
      /** One evaluation on dev (forward passes only). */
      evalSeconds: z.number(),
      totalSeconds: z.number(),
      tokensPerSecond: z.number(),
      /** How the speed was estimated, in words (measured run, scaled run, or a stated rough figure). */
      timeBasis: z.string(),
      /** The completed run whose measured speed was used, when one was. */
      basisRunId: RunId.nullable(),
      device: z.string(),
    })
    .nullable(),
})
export type RunPreview = z.infer<typeof RunPreview>

// ---------------------------------------------------------------------------------------------
// Queue, predictions, system

export const RunReorder = z.strictObject({
  /** Queued runs in the order they should train; queued runs left out keep their order after these. */
  ids: z.array(RunId).min(1).max(1000),
})

export const RunPredictionsInput = z.strictObject({
  id: RunId,
  split: z.enum(['dev', 'test']).default('test'),
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(200).default(20),
  onlyErrors: z.boolean().default(false),
})
const SpanJson = z.strictObject({ start: z.number().int(), end: z.number().int(), label: z.string() })
export const RunPredictionsPage = z.strictObject({
  total: z.number().int(),
  items: z.array(
    z.strictObject({
      documentId: z.number().int(),
      text: z.string(),
      gold: z.array(SpanJson),
      predicted: z.array(SpanJson.extend({ confidence: z.number() })),
      errors: z.number().int(),
    }),
  ),
})
export type RunPredictionsPage = z.infer<typeof RunPredictionsPage>

export const GpuDevice = z.strictObject({
  index: z.number().int(),
  name: z.string(),
  utilizationPercent: z.number().nullable(),
  memoryUsedBytes: z.number().nullable(),
  memoryTotalBytes: z.number().nullable(),
})

/** One sample of the machine, the host process and the training process, for the system panel. */
export const SystemSample = z.strictObject({
  at: z.string(),
  cpuCount: z.number().int(),
  /** Whole machine, 0-100 (all cores), over the time since the previous sample; null on the first. */
  cpuPercent: z.number().nullable(),
  memoryTotalBytes: z.number(),
  memoryUsedBytes: z.number(),
  host: z.strictObject({ pid: z.number().int(), cpuPercent: z.number().nullable(), rssBytes: z.number() }),
  /** The training process, while a run trains. cpuPercent is of all cores (0-100). */
  trainer: z
    .strictObject({ runId: RunId, pid: z.number().int(), cpuPercent: z.number().nullable(), rssBytes: z.number().nullable(), gpuMemoryBytes: z.number().nullable() })
    .nullable(),
  gpu: z.strictObject({
    /** nvidia-smi answered. */
    available: z.boolean(),
    /** Why there is no GPU reading ("nvidia-smi not found"). */
    reason: z.string().nullable(),
    devices: z.array(GpuDevice),
  }),
})
export type SystemSample = z.infer<typeof SystemSample>

// ---------------------------------------------------------------------------------------------
// What the user edits on a run

export const RunUpdate = z.strictObject({
  id: RunId,
  name: z.string().trim().min(1, 'the run name is empty').max(200).optional(),
  /** The whole tag list (replaces the old one); each tag trimmed, duplicates dropped. */
  tags: z.array(z.string().trim().min(1, 'a tag is empty').max(50)).max(20).optional(),
  notes: z.string().max(10_000).optional(),
})

/** How much F1 drops under embedding attacks (FGM/PGD at each epsilon) and character noise. */
export const RunRobustness = z.strictObject({
  id: RunId,
  split: z.enum(['train', 'dev', 'test']).default('test'),
  epsilons: z.array(z.number().positive().max(100)).max(10).default([0.5, 1]),
  pgd: z.boolean().default(true),
  /** Per-character probability of each kind of noise (swap, drop, insert); 0 skips the noise test. */
  noise: z.number().min(0).max(0.5).default(0.05),
  seed: z.number().int().min(0).default(1),
})
export const RobustnessRowJson = z.strictObject({
  kind: z.enum(['clean', 'fgm', 'pgd', 'noise']),
  setting: z.string(),
  f1: z.number(),
  precision: z.number(),
  recall: z.number(),
  delta: z.number(),
})

// ---------------------------------------------------------------------------------------------
// Predicting a whole file with a run's model, then exporting the predictions in any format

/** The predictions of one file, kept by the host for a day so they can be exported in several formats. */
export const PredictionResultId = z.string().regex(/^[a-f0-9]{32}$/, 'not a prediction result id')

export const RunPredictFile = z.strictObject({
  id: RunId,
  /** A path on the machine running Tagtune (desktop app, CLI) or an upload (browser). */
  file: FileRef,
  /** Any import format; detected from the content when 'auto'. Spans already in the file are ignored. */
  format: z.union([Format, z.literal('auto')]).default('auto'),
  checkpoint: z.enum(['best', 'last']).default('best'),
  /** Chosen by the caller and echoed in run.onDidPredictProgress, so a window follows its own request. */
  requestId: z.string().min(1).max(100).optional(),
})

const PredictedDocumentJson = z.strictObject({ text: z.string(), spans: z.array(PredictedSpanJson) })

export const RunPredictFileResult = z.strictObject({
  resultId: PredictionResultId,
  runId: RunId,
  /** The file's name (not its path). */
  file: z.string(),
  format: Format,
  documents: z.number().int(),
  entities: z.number().int(),
  perLabel: z.record(z.string(), z.number().int()),
  /** Entities per tenth of confidence: [0, 0.1), [0.1, 0.2), ... [0.9, 1]. */
  confidenceHistogram: z.array(z.number().int()).length(10),
  /** The first documents (long ones cut, with their spans), to show. */
  preview: z.array(PredictedDocumentJson),
  seconds: z.number(),
})
export type RunPredictFileResult = z.infer<typeof RunPredictFileResult>

export const PredictionExport = z.strictObject({
  resultId: PredictionResultId,
  format: Format,
  /** CoNLL: the tag scheme to write (default IOB2). */
  scheme: FileTagScheme.optional(),
  /** Leave out entities less confident than this. */
  minConfidence: z.number().min(0).max(1).default(0),
  /** A file (a folder for brat) on the machine running Tagtune: desktop app and CLI only; browsers download. */
  path: z.string().min(1),
})
export type PredictionExport = z.input<typeof PredictionExport>

export const PredictionExportResult = z.strictObject({
  files: z.array(z.string()),
  format: Format,
  documents: z.number().int(),
  entities: z.number().int(),
})

/** Progress of a file prediction (run.predictFile). */
export const RunPredictProgress = z.strictObject({
  runId: RunId,
  requestId: z.string().nullable(),
  file: z.string(),
  phase: z.enum(['reading', 'predicting', 'done', 'failed']),
  /** Documents predicted so far, of `total` (0 while reading). */
  documents: z.number().int(),
  total: z.number().int(),
})
export type RunPredictProgress = z.infer<typeof RunPredictProgress>
