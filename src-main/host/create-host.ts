/**
 * The host: services bound to one store, behind the contract. Electron main, `tagtune serve`
 * and the CLI build the same host; only the transport in front of it differs. Plain Node.
 */
import { mkdirSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { invokes, isInvokeChannel, type AppInfo, type BackendInfo, type EventName, type EventPayload, type Invokes, type InvokeChannel, type InvokeOutput } from '../../src-shared/ipc/contract'
import { AppError, describeIssues, issuesToDetails, type Result } from '../../src-shared/ipc/errors'
import { openDatabase, schemaVersion, type DB } from '../store/db'
import { createProjectService } from '../services/projects'
import { createDatasetService } from '../services/datasets'
import { createUploadService, type UploadService } from '../services/uploads'
import { createSampleProject } from '../services/sample'
import { createAnnotationService } from '../services/annotations'
import { createDictionaryService } from '../services/dictionaries'
import { clearStaleStaging } from '../store/repositories/documents'
import { initBackend, type BackendPreference } from '../engine/backend'
import { createRunService } from '../services/runs'
import { evaluateRun, predictWithRun, robustnessOfRun } from '../services/runs/jobs'
import { previewRun } from '../services/runs/preview'
import { createPredictFileService, type PredictFileService } from '../services/runs/predict-file'
import { compareRuns, runDisagreements, runTable } from '../services/runs/compare'
import { createSuggestionService } from '../services/runs/suggestions'
import { createExportService } from '../services/export'
import type { SpawnTrainer } from '../services/runs/trainer-process'
import { createModelService, type ModelService } from '../services/models'
import { createServingService, type SpawnModelServer } from '../services/serving'
import { APP_VERSION } from './version'

export interface HostOptions {
  dataDir: string
  kind: AppInfo['host']
  /** See OpenDatabaseOptions.nativeBinding. */
  nativeBinding?: string
  backend?: BackendPreference
  runtime?: string
  /** Folder with the bundled resources (the sample dataset). */
  resourcesDir?: string
  /** Start detecting the compute backend right away (loading tfjs takes a moment), so the first window does not wait for it. */
  warmBackend?: boolean
  /** How trainer processes start (Electron passes utilityProcess); default: a forked Node process. */
  spawnTrainer?: SpawnTrainer
  /** How model-server processes start (serving.start); default: a forked Node process. */
  spawnModelServer?: SpawnModelServer
  /** Native dialogs, when there is a desktop window (Electron). */
  dialogs?: { savePath(defaultName: string, folder: boolean): Promise<string | null> }
}

/**
 * Who is calling: `local` callers (the desktop window, the CLI) may name paths on this machine;
 * remote ones (browsers over the WebSocket) upload and download instead.
 */
export interface CallContext {
  local: boolean
  /** The signed-in user of a server connection with a per-user token. */
  user?: string
}

export type HostEventListener = <E extends EventName>(event: E, payload: EventPayload<E>) => void

export interface Host {
  readonly dataDir: string
  readonly databasePath: string
  /** Validate `input` against the channel's schema, run the handler, answer a Result. Never throws. */
  invoke(channel: string, input: unknown, context?: CallContext): Promise<Result<unknown>>
  /** Typed convenience for in-process callers (CLI, tests): throws AppError on failure. */
  call<C extends InvokeChannel>(channel: C, input: z.input<Invokes[C]['input']>): Promise<InvokeOutput<C>>
  onEvent(listener: HostEventListener): () => void
  readonly uploads: UploadService
  /** The export stream behind browser downloads. */
  readonly datasets: ReturnType<typeof createDatasetService>
  /** Training runs (the CLI waits on them). */
  readonly runs: ReturnType<typeof createRunService>
  /** The model library (the CLI follows its downloads). */
  readonly models: ModelService
  /** File predictions kept for export (behind browser downloads). */
  readonly predictions: PredictFileService
  readonly db: DB
  close(): void
}

type Handlers = {
  [C in InvokeChannel]: (input: z.output<Invokes[C]['input']>, context: CallContext) => InvokeOutput<C> | Promise<InvokeOutput<C>>
}

export const DATABASE_FILE = 'tagtune.db'

export function createHost(options: HostOptions): Host {
  mkdirSync(options.dataDir, { recursive: true })
  const databasePath = join(options.dataDir, DATABASE_FILE)
  const db: DB = openDatabase(databasePath, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {})
  const listeners = new Set<HostEventListener>()
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>): void => {
    for (const l of listeners) {
      try {
        l(event, payload)
      } catch (err) {
        console.error(`tagtune: event listener for ${event} failed:`, err)
      }
    }
  }

  let backend: Promise<BackendInfo> | undefined
  // What training and prediction will compute on: the trainer adds a thread for large matMuls on wasm with two cores (initComputeBackend).
  const backendInfo = (): Promise<BackendInfo> =>
    (backend ??= initBackend(options.backend ?? 'auto').then((info) =>
      info.name === 'wasm' && process.env.TAGTUNE_MATMUL_THREADS !== '0' && availableParallelism() >= 2 ? { ...info, threads: 2 } : info,
    ))
  if (options.warmBackend) setImmediate(() => void backendInfo().catch(() => {}))

  clearStaleStaging(db, new Date(Date.now() - 24 * 3600 * 1000))
  const projects = createProjectService(db, (change) => emit('project.onDidChange', change))
  const uploads = createUploadService(options.dataDir)
  const dictionaries = createDictionaryService(db, projects)
  const annotations = createAnnotationService(db, projects, (c) => emit('annotation.onDidChange', c))
  const datasets = createDatasetService(db, projects, uploads, {
    progress: (p) => emit('dataset.onDidImportProgress', p),
    changed: (projectId) => emit('dataset.onDidChange', { projectId }),
  })

  const runs = createRunService(db, {
    dataDir: options.dataDir,
    projects,
    backend: options.backend,
    ...(options.spawnTrainer ? { spawnTrainer: options.spawnTrainer } : {}),
    emitChange: (c) => emit('run.onDidChange', c),
    emitProgress: (p) => emit('run.onDidProgress', p),
    resumeQueue: options.kind !== 'cli',
  })
  const models = createModelService(db, {
    dataDir: options.dataDir,
    uploads,
    emitChange: (c) => emit('model.onDidChange', c),
    emitProgress: (p) => emit('model.onDidDownloadProgress', p),
  })
  const serving = createServingService({ db, runDir: runs.runDir, backend: options.backend, ...(options.spawnModelServer ? { spawn: options.spawnModelServer } : {}) })
  const predictions = createPredictFileService({ db, runs, uploads, dataDir: options.dataDir, emitProgress: (p) => emit('run.onDidPredictProgress', p) })
  const suggestions = createSuggestionService(db, runs, (p) => emit('suggestions.onDidProgress', p))
  const modelExports = createExportService(db, runs, { dataDir: options.dataDir, projects, version: APP_VERSION, ...(options.backend ? { backend: options.backend } : {}) })

  const handlers: Handlers = {
    'app.info': async (_input, ctx) => ({
      name: 'Tagtune',
      version: APP_VERSION,
      dataDir: options.dataDir,
      databasePath,
      schemaVersion: schemaVersion(db),
      host: options.kind,
      runtime: options.runtime ?? `Node ${process.versions.node}`,
      backend: await backendInfo(),
      user: ctx.user ?? null,
    }),
    'app.chooseSavePath': async ({ defaultName, folder }, ctx) => {
      if (!options.dialogs || !ctx.local) throw new AppError('UNAVAILABLE', 'There is no desktop window to show a dialog in; download the file instead.')
      return { path: await options.dialogs.savePath(defaultName, folder) }
    },
    'project.list': () => projects.list(),
    'project.get': ({ id }) => projects.get(id),
    'project.create': (input) => projects.create(input),
    'project.update': (input) => projects.update(input),
    'project.delete': ({ id }) => projects.delete(id),
    'project.createSample': () => createSampleProject(projects, datasets, options.resourcesDir),
    'dataset.import': (input, ctx) => datasets.import(input, ctx.local),
    'dataset.export': (input, ctx) => datasets.export(input, ctx.local),
    'dataset.stats': ({ projectId }) => datasets.stats(projectId),
    'dataset.progress': ({ projectId }) => datasets.progress(projectId),
    'dataset.split': (input) => datasets.split(input),
    'document.list': (input) => datasets.list(input),
    'document.setSplit': ({ projectId, documentIds, split }) => datasets.setSplit(projectId, documentIds, split),
    'document.delete': ({ projectId, documentIds }) => datasets.deleteDocuments(projectId, documentIds),
    'document.get': ({ id }) => annotations.getDocument(id),
    'annotation.save': (input, ctx) => annotations.save({ ...input, annotator: asUser(ctx, input.annotator) }),
    'annotation.labelAll': (input, ctx) => annotations.labelAll({ ...input, annotator: asUser(ctx, input.annotator) }),
    'annotation.undoBulk': ({ id }) => annotations.undoBulk(id),
    'annotation.agreement': ({ projectId }) => annotations.agreement(projectId),
    'dictionary.get': ({ projectId }) => dictionaries.get(projectId),
    'dictionary.set': ({ projectId, labelId, terms }) => dictionaries.set(projectId, labelId, terms),
    'suggestions.predict': (input) => suggestions.predict(input),
    'suggestions.cancel': ({ runId }) => ({ cancelled: suggestions.cancel(runId) }),
    'suggestions.get': ({ runId, documentId }) => suggestions.get(runId, documentId),
    'suggestions.sources': ({ projectId }) => (projects.get(projectId), suggestions.sources(projectId)),
    'run.start': (input) => runs.start(input),
    'run.list': ({ projectId }) => runs.list(projectId),
    'run.get': ({ id, logLimit }) => runs.get(id, logLimit),
    'run.cancel': ({ id }) => runs.cancel(id),
    'run.evaluate': (input, ctx) => {
      if (input.file && !ctx.local) throw new AppError('FORBIDDEN', 'Only the desktop app and the CLI can evaluate on a file by its path.')
      return evaluateRun(db, runs, input)
    },
    'run.predict': (input) => predictWithRun(db, runs, input),
    'run.predictFile': (input, ctx) => predictions.predict(input, ctx.local),
    'run.exportPredictions': (input, ctx) => predictions.export(input, ctx.local),
    'run.cancelPredictFile': ({ requestId }) => ({ cancelled: predictions.cancel(requestId) }),
    'run.robustness': (input) => robustnessOfRun(db, runs, input),
    'run.preview': async ({ projectId, config, backend: choice }) => {
      const progress = datasets.progress(projectId)
      // The device the run would train on: the chosen backend, or what the host detected.
      let device: 'gpu' | 'cpu' = choice === 'tensorflow-gpu' ? 'gpu' : 'cpu'
      let backendName: string | null = choice === 'tensorflow-gpu' ? 'tensorflow' : choice && choice !== 'auto' ? choice : null
      if (!choice || choice === 'auto') {
        const info = await backendInfo().catch(() => null)
        if (info) {
          device = info.device.startsWith('GPU') ? 'gpu' : 'cpu'
          backendName = info.name
        }
      }
      return previewRun(db, { projectId, config }, { progress, device, backendName })
    },
    'run.pause': ({ id }) => runs.pause(id),
    'run.resume': ({ id }) => runs.resume(id),
    'run.reorder': ({ ids }) => runs.reorder(ids),
    'run.delete': ({ id }) => {
      runs.delete(id)
      return { id }
    },
    'run.predictions': ({ id, split, offset, limit, onlyErrors }) => runs.predictions(id, split, { offset, limit, onlyErrors }),
    'run.system': ({ runId }) => runs.system(runId),
    'run.update': ({ id, ...patch }) => runs.update(id, patch),
    'run.table': ({ projectId }) => {
      projects.get(projectId)
      return runTable(db, projectId)
    },
    'run.compare': (input) => compareRuns(db, input),
    'run.disagreements': (input) => runDisagreements(db, input),
    'model.list': () => models.list(),
    'model.get': ({ id }) => models.get(id),
    'model.import': (input, ctx) => models.import(input, ctx.local),
    'model.download': (input) => models.download(input),
    'model.delete': ({ id }) => models.delete(id),
    'run.export': (input, ctx) => modelExports.exportRun(input, ctx.local),
    'serving.start': (input) => serving.start(input),
    'serving.stop': ({ runId }) => serving.stop(runId),
    'serving.status': () => serving.status(),
  }

  let closed = false

  async function invoke(channel: string, input: unknown, context: CallContext = { local: true }): Promise<Result<unknown>> {
    if (closed) return fail(new AppError('UNAVAILABLE', 'Tagtune is shutting down.'))
    if (!isInvokeChannel(channel)) return fail(new AppError('UNKNOWN_CHANNEL', `There is no channel named "${String(channel)}".`))
    const spec = invokes[channel]
    const parsed = spec.input.safeParse(input ?? {})
    if (!parsed.success) {
      const details = issuesToDetails(parsed.error.issues)
      return fail(new AppError('INVALID_INPUT', `Invalid input for ${channel}: ${describeIssues(details)}`, details))
    }
    try {
      const handler = handlers[channel] as (i: unknown, c: CallContext) => unknown
      const value = await handler(parsed.data, context)
      return { ok: true, value: spec.output.parse(value) }
    } catch (err) {
      return fail(toAppError(err))
    }
  }

  return {
    dataDir: options.dataDir,
    databasePath,
    invoke,
    async call(channel, input) {
      const r = await invoke(channel, input)
      if (!r.ok) throw new AppError(r.error.code, r.error.message, r.error.details)
      return r.value as never
    },
    onEvent(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    uploads,
    datasets,
    runs,
    models,
    predictions,
    db,
    close() {
      if (closed) return
      closed = true
      void serving.close()
      runs.close()
      listeners.clear()
      db.close()
    },
  }
}

/** A signed-in user edits under their own name only. */
function asUser(ctx: CallContext, annotator: string): string {
  if (ctx.user !== undefined && annotator !== ctx.user) {
    throw new AppError('FORBIDDEN', `You are signed in as "${ctx.user}": edits are saved under that name, not "${annotator}".`)
  }
  return annotator
}

function fail(err: AppError): Result<never> {
  return { ok: false, error: err.toShape() }
}

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err
  if (err instanceof z.ZodError) {
    const details = issuesToDetails(err.issues)
    return new AppError('INTERNAL', `Tagtune produced an answer that breaks its own contract: ${describeIssues(details)}`, details)
  }
  const code = (err as { code?: unknown })?.code
  if (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT')) {
    return new AppError('CONFLICT', `The change conflicts with existing data (${(err as Error).message}).`)
  }
  if (typeof code === 'string' && code === 'SQLITE_BUSY') {
    return new AppError('UNAVAILABLE', 'The database is busy; try again in a moment.')
  }
  console.error('tagtune: unexpected error', err)
  return new AppError('INTERNAL', err instanceof Error ? err.message : String(err))
}
