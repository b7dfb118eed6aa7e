/**
 * Messages between the host and a trainer process (a forked Node process, or Electron's
 * utilityProcess). The host sends one job and then control messages; the trainer streams
 * progress and ends with exactly one 'done' or 'error'. Plain JSON-compatible objects.
 */
import type { BackendInfo } from '../../src-shared/ipc/contract'
import type { NerEvaluation } from '../../src-shared/domain/ner-eval'
import type { ModelSource, PretrainRunConfig, RunConfig } from '../../src-shared/domain/run-config'
import type { AlignmentIssue } from '../engine/data'
import type { PredictedSpan } from '../engine/data'
import type { StepProgress } from '../engine/train/loop'
import type { BackendPreference } from '../engine/backend'
import type { AttackConfig } from '../engine/adversarial/embedding-attack'
import type { NoiseRates } from '../engine/data/noise'
import type { RobustnessRow } from '../engine/infer/robustness'

/** One document of a data file (JSON Lines): what the snapshot holds, labels by name. */
export interface DataRecord {
  id: number | string
  split: string | null
  text: string
  spans: { start: number; end: number; label: string }[]
}

export interface TrainJob {
  kind: 'train'
  runDir: string
  /** JSON Lines of DataRecord. */
  dataFile: string
  /** Entity types, in the project's order (the tag set is built from them). */
  entityTypes: string[]
  config: RunConfig
  model: ModelSource
  backend: BackendPreference
  /** Continue from runDir/last when it holds a resumable checkpoint. */
  resume: boolean
}

export interface EvaluateJob {
  kind: 'evaluate'
  /** A model folder (a run's best or last checkpoint). */
  modelDir: string
  dataFile: string
  /** Split of the data file to evaluate, or null for every record. */
  split: string | null
  modes: ('default' | 'strict')[]
  maxLength: number
  /** Window overlap for long documents, as the run was trained (default: the engine's). */
  stride?: number
  batchSize: number
  labelAllSubtokens: boolean
  backend: BackendPreference
  /** Also send the predictions. */
  withPredictions: boolean
  /** Also measure F1 under embedding attacks and text noise. */
  robustness?: { attacks: AttackConfig[]; noise: NoiseRates[]; seed: number }
}

export interface PredictJob {
  kind: 'predict'
  modelDir: string
  /** The texts, inline (a few), or `textsFile` (JSON Lines of { id, text }) for a whole dataset. */
  texts?: { id: string | number; text: string }[]
  textsFile?: string
  /** Predict and send this many documents at a time, with a progress message after each (default: all at once). */
  chunkSize?: number
  /** Window overlap for long documents, as the run was trained (default: the engine's). */
  stride?: number
  /**
   * Keep the model loaded and answer PredictRequests (`predictions` with split
   * `request:<id>`, or `request-error`) until cancelled, instead of predicting `texts` once.
   */
  session?: boolean
  maxLength: number
  batchSize: number
  labelAllSubtokens: boolean
  backend: BackendPreference
}

export interface PretrainJob {
  kind: 'pretrain'
  /** JSON Lines of { text }. */
  textsFile: string
  config: PretrainRunConfig
  outDir: string
  backend: BackendPreference
}

/** Export a checkpoint in the tfjs format (float32, or int8 weights), and for int8 measure both on a split. */
export interface ExportJob {
  kind: 'export'
  /** The checkpoint folder (a run's best). */
  modelDir: string
  /** Where the files go (a staging folder the host moves into place). */
  outDir: string
  format: 'tfjs' | 'int8'
  /** Written into model.json's generatedBy. */
  generatedBy: string
  /** int8: evaluate the float and the int8 model on this split of the data file. */
  compare?: { dataFile: string; split: string; maxLength: number; stride?: number; batchSize: number; labelAllSubtokens: boolean }
  backend: BackendPreference
}

export type TrainerJob = TrainJob | EvaluateJob | PredictJob | PretrainJob | ExportJob

/** A request to a predict session (PredictJob.session): predict these texts with the loaded model. */
export interface PredictRequest {
  type: 'predict'
  requestId: number
  texts: { id: string | number; text: string }[]
}

export type TrainerRequest = { type: 'job'; job: TrainerJob } | { type: 'cancel' } | { type: 'pause' } | { type: 'resume' } | PredictRequest

export interface DocumentPredictionRecord {
  id: string | number
  spans: PredictedSpan[]
  /** The least confident word's tag probability (see leastWordConfidence). */
  confidence?: number
}

export interface TrainSummary {
  status: 'completed' | 'cancelled' | 'early-stopped'
  steps: number
  totalSteps: number
  bestStep: number | null
  bestMetric: number | null
  trainableParams: number
  totalParams: number
  elapsedMs: number
  bestDir?: string
  lastDir?: string
  dev: NerEvaluation | null
  test: { default: NerEvaluation; strict: NerEvaluation | null } | null
}

export type TrainerMessage =
  | { type: 'ready'; backend: BackendInfo; pid: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'started'; totalSteps: number; trainableParams: number; totalParams: number; alignmentIssues: number; alignment: AlignmentIssue[] }
  | { type: 'step'; progress: StepProgress }
  | { type: 'eval'; split: 'dev'; step: number; epoch: number; isBest: boolean; elapsedMs: number; evaluation: NerEvaluation }
  | { type: 'checkpoint'; kind: 'best' | 'last'; dir: string; step: number }
  | { type: 'paused'; step: number }
  | { type: 'resumed'; step: number }
  | { type: 'evaluation'; split: string; mode: 'default' | 'strict'; checkpoint: string; evaluation: NerEvaluation }
  | { type: 'predictions'; split: string; items: (DocumentPredictionRecord & { gold?: DataRecord['spans'] })[] }
  | { type: 'robustness'; split: string; rows: RobustnessRow[] }
  | { type: 'predict-progress'; done: number; total: number }
  | { type: 'request-error'; requestId: number; message: string }
  | { type: 'pretrain-step'; step: number; totalSteps: number; loss: number; etaMs: number; tokensPerSecond: number }
  | { type: 'pretrained'; outDir: string; steps: number; finalLoss: number; elapsedMs: number; status: 'completed' | 'cancelled' }
  | { type: 'exported'; files: { name: string; bytes: number }[]; weightBytes: number; floatWeightBytes: number; head: 'softmax' | 'crf'; adapters: { size: number } | null; quantizedTensors: number }
  | { type: 'quantization'; split: string; documents: number; float: NerEvaluation; int8: NerEvaluation; spanAgreement: number; identicalDocuments: number }
  | { type: 'done'; summary?: TrainSummary }
  | { type: 'error'; message: string; step?: number }
