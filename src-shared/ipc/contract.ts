/**
 * The one contract between the renderer and the host: every invoke channel with its input and
 * output schema, and every event with its payload schema. Main, the WebSocket host, the CLI
 * and the renderer all import this map; adding a channel is one entry here plus one handler.
 */
import { z } from 'zod'
import { RobustnessRowJson, RunRobustness } from '../domain/run'
import { PredictionExport, PredictionExportResult, RunPredictFile, RunPredictFileResult, RunPredictProgress } from '../domain/run'
import { Project, ProjectCreate, ProjectId, ProjectUpdate } from '../domain/project'
import {
  DatasetProgress,
  DatasetStats,
  DocumentFilter,
  DocumentPage,
  ExportOptions,
  ExportResult,
  ImportOptions,
  ImportProgress,
  ImportReport,
  Split,
  SplitOptions,
} from '../domain/dataset'
import {
  RunChange,
  RunDetail,
  RunEvaluate,
  RunEvaluation,
  RunId,
  RunPredict,
  RunPredictionsInput,
  RunPredictionsPage,
  RunPredictResult,
  RunPreview,
  RunPreviewInput,
  RunProgress,
  RunReorder,
  RunStart,
  RunSummary,
  RunUpdate,
  SystemSample,
} from '../domain/run'
import { RunCompareInput, RunComparison, RunDisagreementsInput, RunDisagreementsPage, RunTableInput, RunTableRow } from '../domain/run-compare'
import { ServedModel, ServingStart, ServingStartResult } from '../domain/serving'
import { DocumentSuggestions, SuggestionSource, SuggestionsPredictInput, SuggestionsPredictResult, SuggestionsProgress } from '../domain/suggestions'
import { RunExportInput, RunExportResult } from '../domain/export'
import { ModelChange, ModelDownload, ModelDownloadProgress, ModelId, ModelImport, ModelImportResult, ModelSummary } from '../domain/model-library'
import { AgreementReport, AnnotationChange, AnnotationRecord, AnnotationSave, Dictionary, DictionarySet, DocumentDetail, LabelAllInput, LabelAllResult, UndoBulkResult } from '../domain/annotation'

export const BackendInfo = z.strictObject({
  /** tfjs backend name: 'tensorflow' (tfjs-node or tfjs-node-gpu), 'wasm' or 'cpu'. */
  name: z.string(),
  /** 'GPU: <card>' or 'CPU'. */
  device: z.string(),
  /** What the status bar shows, e.g. "tensorflow GPU: NVIDIA RTX A5000" or "wasm (CPU)". */
  label: z.string(),
  threads: z.number().int().positive().optional(),
  /** Why a preferred backend was passed over, e.g. "tfjs-node-gpu: not installed". */
  notes: z.array(z.string()),
})
export type BackendInfo = z.infer<typeof BackendInfo>

export const AppInfo = z.strictObject({
  name: z.literal('Tagtune'),
  version: z.string(),
  dataDir: z.string(),
  databasePath: z.string(),
  schemaVersion: z.number().int(),
  /** 'electron' for the desktop window, 'server' for the browser host. */
  host: z.enum(['electron', 'server', 'cli']),
  runtime: z.string(),
  backend: BackendInfo,
  /** In server mode with per-user tokens: who this connection is; their edits carry this name. */
  user: z.string().nullable(),
})
export type AppInfo = z.infer<typeof AppInfo>

const Empty = z.strictObject({})
const ById = z.strictObject({ id: ProjectId })

export const invokes = {
  'app.info': { input: Empty, output: AppInfo },
  /** Desktop app only: a native "save as" dialog. Answers UNAVAILABLE in a browser (which downloads). */
  'app.chooseSavePath': {
    input: z.strictObject({ defaultName: z.string().min(1).max(255), folder: z.boolean().default(false) }),
    output: z.strictObject({ path: z.string().nullable() }),
  },
  'project.list': { input: Empty, output: z.array(Project) },
  'project.get': { input: ById, output: Project },
  'project.create': { input: ProjectCreate, output: Project },
  'project.update': { input: ProjectUpdate, output: Project },
  'project.delete': { input: ById, output: z.strictObject({ id: ProjectId }) },
  /** A ready-made project: a few hundred WNUT-17 sentences (CC-BY-4.0), split 80/10/10. */
  'project.createSample': { input: Empty, output: Project },
  'dataset.import': { input: ImportOptions, output: ImportReport },
  'dataset.export': { input: ExportOptions, output: ExportResult },
  'dataset.stats': { input: z.strictObject({ projectId: ProjectId }), output: DatasetStats },
  /** The cheap part of the statistics, for progress bars. */
  'dataset.progress': { input: z.strictObject({ projectId: ProjectId }), output: DatasetProgress },
  'dataset.split': { input: SplitOptions, output: z.strictObject({ documents: z.record(Split, z.number()), changed: z.number() }) },
  'document.list': { input: DocumentFilter, output: DocumentPage },
  'document.setSplit': {
    input: z.strictObject({ projectId: ProjectId, documentIds: z.array(z.number().int().positive()).min(1).max(100_000), split: Split }),
    output: z.strictObject({ moved: z.number() }),
  },
  /** Delete documents (with their annotations) in one transaction: all of them or, if one is missing, none. */
  'document.delete': {
    input: z.strictObject({ projectId: ProjectId, documentIds: z.array(z.number().int().positive()).min(1).max(100_000) }),
    output: z.strictObject({ deleted: z.number() }),
  },
  /** A document with every annotator's annotation of it, and its neighbours in the project. */
  'document.get': { input: z.strictObject({ id: z.number().int().positive() }), output: DocumentDetail },
  'annotation.save': { input: AnnotationSave, output: AnnotationRecord },
  /** Label every occurrence of a text in the whole dataset for one annotator: previewed (dryRun), then applied, and undoable. */
  'annotation.labelAll': { input: LabelAllInput, output: LabelAllResult },
  /** Span-level F1 between annotators, per pair and label, and the documents they disagree on. */
  'annotation.agreement': { input: z.strictObject({ projectId: ProjectId }), output: AgreementReport },
  'annotation.undoBulk': { input: z.strictObject({ id: z.number().int().positive() }), output: UndoBulkResult },
  /** Dictionary (gazetteer) terms per label, for pre-annotation suggestions. */
  'dictionary.get': { input: z.strictObject({ projectId: ProjectId }), output: Dictionary },
  'dictionary.set': { input: DictionarySet, output: Dictionary },
  /** A finished run's model predicts the project's documents; its spans become suggestions in Annotate. Progress: suggestions.onDidProgress. */
  'suggestions.predict': { input: SuggestionsPredictInput, output: SuggestionsPredictResult },
  /** Stops a suggestions.predict at its next chunk; what was predicted stays. */
  'suggestions.cancel': { input: z.strictObject({ runId: z.number().int().positive() }), output: z.strictObject({ cancelled: z.boolean() }) },
  /** The stored model suggestions of one document (null when the run has not predicted it). */
  'suggestions.get': { input: z.strictObject({ runId: z.number().int().positive(), documentId: z.number().int().positive() }), output: DocumentSuggestions.nullable() },
  /** The project's runs as suggestion sources: whether each has a model and stored suggestions. */
  'suggestions.sources': { input: z.strictObject({ projectId: ProjectId }), output: z.array(SuggestionSource) },
  /** Snapshot the project's done documents and train on them (queued behind a running run). */
  'run.start': { input: RunStart, output: RunSummary },
  'run.list': { input: z.strictObject({ projectId: ProjectId }), output: z.array(RunSummary) },
  'run.get': { input: z.strictObject({ id: RunId, logLimit: z.number().int().min(0).max(10_000).default(200) }), output: RunDetail },
  'run.cancel': { input: z.strictObject({ id: RunId }), output: RunSummary },
  'run.evaluate': { input: RunEvaluate, output: z.array(RunEvaluation) },
  'run.predict': { input: RunPredict, output: RunPredictResult },
  /** Predict every document of a file (a path, or an upload from a browser; any import format) with a run's model; progress in run.onDidPredictProgress. The predictions are kept a day for export. */
  'run.predictFile': { input: RunPredictFile, output: RunPredictFileResult },
  /** Write the predictions of run.predictFile to a path in any format (desktop app and CLI; browsers download GET /api/predictions). */
  'run.exportPredictions': { input: PredictionExport, output: PredictionExportResult },
  /** Stop a run.predictFile (by its requestId) at its next chunk; it then fails with "cancelled". */
  'run.cancelPredictFile': { input: z.strictObject({ requestId: z.string().min(1).max(100) }), output: z.strictObject({ cancelled: z.boolean() }) },
  /** Entity F1 of a run's best model under FGM/PGD embedding attacks and character noise, beside the clean F1. */
  'run.robustness': { input: RunRobustness, output: z.array(RobustnessRowJson) },
  /** What a run with this config would train on (done documents per split, windows, spans that do not align) and an estimate of its memory and time; stores nothing. */
  'run.preview': { input: RunPreviewInput, output: RunPreview },
  /** Pause a running run after its current step (its trainer process stays, holding its memory). */
  'run.pause': { input: z.strictObject({ id: RunId }), output: RunSummary },
  /** Resume a paused run, or queue an interrupted one to continue from its last checkpoint. */
  'run.resume': { input: z.strictObject({ id: RunId }), output: RunSummary },
  /** Put queued runs in this order; answers the whole queue (every project) in its new order. */
  'run.reorder': { input: RunReorder, output: z.array(RunSummary) },
  /** Delete a run that is not training (a queued run leaves the queue), with its logs, metrics and checkpoints. */
  'run.delete': { input: z.strictObject({ id: RunId }), output: z.strictObject({ id: RunId }) },
  /** A page of a finished run's stored predictions on dev or test: gold and predicted spans per document. */
  'run.predictions': { input: RunPredictionsInput, output: RunPredictionsPage },
  /** CPU and memory of the machine, the host and the training process, and the GPUs (nvidia-smi), sampled now. */
  'run.system': { input: z.strictObject({ runId: RunId.optional() }), output: SystemSample },
  /** Rename a run, replace its tags or its notes (the other fields stay). */
  'run.update': { input: RunUpdate, output: RunSummary },
  /** The project's runs with recipe, model, snapshot, test scores, duration and backend: the Runs table. */
  'run.table': { input: RunTableInput, output: z.array(RunTableRow) },
  /** 2 to 8 runs against a baseline: config diff, per-type scores in a seqeval mode, paired bootstrap of each run vs the baseline, snapshots, repeats. */
  'run.compare': { input: RunCompareInput, output: RunComparison },
  /** A page of the documents where the runs' predictions differ, with gold, each run's spans and errors; filterable by type and error kind. */
  'run.disagreements': { input: RunDisagreementsInput, output: RunDisagreementsPage },
  /** The model library: imported and downloaded pretrained models, then every finished run's best model. */
  'model.list': { input: Empty, output: z.array(ModelSummary) },
  'model.get': { input: z.strictObject({ id: ModelId }), output: ModelSummary },
  /** Check a Hugging Face folder and copy or link it into the library (by path: desktop app and CLI only; a browser uploads the folder). */
  'model.import': { input: ModelImport, output: ModelImportResult },
  /** Download a model from a Hugging Face compatible hub into the library (resumes an interrupted download). */
  'model.download': { input: ModelDownload, output: ModelImportResult },
  /** Remove a library model: its copy is deleted, a linked folder is left alone. Run models are deleted with their run. */
  'model.delete': { input: z.strictObject({ id: ModelId }), output: z.strictObject({ id: ModelId }) },
  /** Export a run's best model: a Hugging Face folder, tfjs weights, or int8 tfjs weights with their F1 against the float model. A path only from the desktop app and the CLI; without one the folder goes under the data dir's exports/. */
  'run.export': { input: RunExportInput, output: RunExportResult },
  /** Serve a run's best model over HTTP (POST /v1/ner) from a server process of its own; answers its URL and token. */
  'serving.start': { input: ServingStart, output: ServingStartResult },
  /** Stop serving a run: requests in flight are answered first. */
  'serving.stop': { input: z.strictObject({ runId: RunId }), output: z.strictObject({ runId: RunId }) },
  /** The served models with their URL, whether a token is required, and the requests they answered. */
  'serving.status': { input: Empty, output: z.array(ServedModel) },
} as const

export const ProjectChange = z.strictObject({
  kind: z.enum(['created', 'updated', 'deleted']),
  projectId: ProjectId,
})
export type ProjectChange = z.infer<typeof ProjectChange>

export const events = {
  'project.onDidChange': ProjectChange,
  /** Documents of a project were added, moved or removed. */
  'dataset.onDidChange': z.strictObject({ projectId: ProjectId }),
  'dataset.onDidImportProgress': ImportProgress,
  /** Someone saved an annotation: other windows showing the document reload or warn. */
  'annotation.onDidChange': AnnotationChange,
  /** A run was created, started, finished, failed or cancelled. */
  'run.onDidChange': RunChange,
  /** A training step, evaluation or log line of a running run. */
  'run.onDidProgress': RunProgress,
  /** A model was added to or removed from the library. */
  'model.onDidChange': ModelChange,
  /** Files and bytes of a running model download. */
  'model.onDidDownloadProgress': ModelDownloadProgress,
  /** How far a file prediction (run.predictFile) has got. */
  'run.onDidPredictProgress': RunPredictProgress,
  'suggestions.onDidProgress': SuggestionsProgress,
} as const

export type Invokes = typeof invokes
export type InvokeChannel = keyof Invokes
export type InvokeInput<C extends InvokeChannel> = z.input<Invokes[C]['input']>
export type InvokeOutput<C extends InvokeChannel> = z.infer<Invokes[C]['output']>

export type Events = typeof events
export type EventName = keyof Events
export type EventPayload<E extends EventName> = z.infer<Events[E]>

export function isInvokeChannel(name: unknown): name is InvokeChannel {
  return typeof name === 'string' && Object.hasOwn(invokes, name)
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name)
}
