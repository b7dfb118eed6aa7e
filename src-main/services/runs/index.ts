/**
 * Training runs: snapshot the data, queue the run, start a trainer process for it, persist
 * every message it sends (metrics, evaluations, predictions, logs) and broadcast progress.
 * One run trains at a time; the others wait in order, and the order can change. A run pauses
 * after its current step and resumes; a run cut off by a restart resumes from its last
 * checkpoint. A trainer that crashes marks its run failed with the reason; the host keeps going.
 */
import { createPredictSessions } from './predict-sessions'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { DB } from '../../store/db'
import * as repo from '../../store/repositories/runs'
import { createRunStore } from './store'
import { readSnapshot } from './snapshot'
import { writeDataFile } from '../../trainer/data-file'
import { forkTrainer, trainerOutput, type SpawnTrainer, type TrainerHandle } from './trainer-process'
import type { DataRecord, TrainerJob, TrainerMessage, TrainJob, TrainSummary } from '../../trainer/protocol'
import { parseRunConfig, type ModelSource, type RunConfig } from '../../../src-shared/domain/run-config'
import type { RunChange, RunDetail, RunEvaluation, RunLive, RunPredictionsPage, RunProgress, RunSummary, SystemSample } from '../../../src-shared/domain/run'
import { AppError } from '../../../src-shared/ipc/errors'
import type { BackendPreference } from '../../engine/backend'
import type { ProjectService } from '../projects'
import { createSystemSampler } from './system'

export interface RunServiceOptions {
  dataDir: string
  projects: Pick<ProjectService, 'get'>
  spawnTrainer?: SpawnTrainer
  backend?: BackendPreference
  emitChange(c: RunChange): void
  emitProgress(p: RunProgress): void
  now?: () => string
  /**
   * Train the runs a previous session left queued (rebuilt from their job file) as soon as the
   * service starts. The desktop app and `tagtune serve` do; a CLI command only trains what it starts.
   */
  resumeQueue?: boolean
}

export interface StartInput {
  projectId: number
  name?: string
  config: Record<string, unknown>
  backend?: BackendPreference
  tags?: string[]
  notes?: string
}

const METRIC_FLUSH_MS = 1000
const FINISHED: readonly repo.RunStatus[] = ['completed', 'failed', 'cancelled', 'interrupted']

interface ActiveRun {
  handle: TrainerHandle
  finished: Promise<void>
  /** Write the metric points not stored yet. */
  flush(): void
  live: Omit<RunLive, 'pid'>
}

/** Run records as the contract carries them (NaN best metrics are null). */
export function toSummary(run: repo.Run): RunSummary {
  return {
    ...run,
    config: run.config as Record<string, unknown>,
    model: run.model as Record<string, unknown>,
    datasetSummary: run.datasetSummary as unknown as Record<string, unknown> | null,
    backend: run.backend as unknown as Record<string, unknown> | null,
    bestMetric: run.bestMetric !== null && Number.isFinite(run.bestMetric) ? run.bestMetric : null,
  }
}

const finite = (x: number | null | undefined): number | null => (x === null || x === undefined || !Number.isFinite(x) ? null : x)

export function createRunService(db: DB, options: RunServiceOptions) {
  const store = createRunStore(db, options.now)
  const now = options.now ?? (() => new Date().toISOString())
  const spawn = options.spawnTrainer ?? (() => forkTrainer())
  const sessions = createPredictSessions(spawn)
  const runsDir = join(options.dataDir, 'runs')
  const active = new Map<number, ActiveRun>()
  const waiters = new Map<number, ((s: RunSummary) => void)[]>()
  const sampler = createSystemSampler()
  let closing = false

  const runDir = (id: number): string => join(runsDir, String(id))
  const dataFile = (id: number): string => join(runDir(id), 'data.jsonl')
  /** The trainer job of a run, kept so that the run can start after a restart or resume. */
  const jobFile = (id: number): string => join(runDir(id), 'job.json')

  store.recover()
  // A paused run's trainer did not outlive the previous session either.
  for (const r of repo.runsWithStatus(db, 'paused')) {
    repo.updateRunStatus(db, r.id, 'interrupted', { now: now(), from: ['paused'], error: 'Tagtune stopped while this run was paused.' })
  }

  function settle(id: number, summary: RunSummary): void {
    for (const w of waiters.get(id) ?? []) w(summary)
    waiters.delete(id)
  }

  function changed(run: repo.Run): void {
    options.emitChange({ runId: run.id, projectId: run.projectId, status: run.status })
    if (FINISHED.includes(run.status)) settle(run.id, toSummary(run))
  }

  function log(run: { id: number; projectId: number }, level: repo.LogLevel, message: string): void {
    if (!message) return
    repo.appendLog(db, run.id, { at: now(), level, message })
    options.emitProgress({ runId: run.id, projectId: run.projectId, kind: 'log', level, message })
  }

  function writeRunData(run: repo.Run): void {
    mkdirSync(runDir(run.id), { recursive: true })
    const records: DataRecord[] = []
    for (const d of readSnapshot(db, run.datasetHash!)) records.push({ id: d.id, split: d.split === 'unassigned' ? null : d.split, text: d.text, spans: d.spans })
    writeDataFile(dataFile(run.id), records)
  }

  /** The run's job as it was queued (job.json), or rebuilt from the run record for runs queued before job files existed. */
  function storedJob(run: repo.Run): TrainJob | null {
    try {
      const job = JSON.parse(readFileSync(jobFile(run.id), 'utf8')) as TrainerJob
      if (job.kind === 'train') return job
    } catch {
      // rebuilt below
    }
    const parsed = parseRunConfig(run.config)
    if (!parsed.ok || !parsed.config.model || !run.datasetSummary) return null
    return {
      kind: 'train',
      runDir: runDir(run.id),
      dataFile: dataFile(run.id),
      entityTypes: run.datasetSummary.labels,
      config: parsed.config,
      model: parsed.config.model,
      backend: options.backend ?? 'auto',
      resume: false,
    }
  }

  /** Takes a queued run of a previous session into this one's queue; false (and the run failed) when it cannot be. */
  function adopt(run: repo.Run): boolean {
    const job = storedJob(run)
    if (job && run.datasetHash) {
      if (!existsSync(job.dataFile)) writeRunData(run)
      pendingJobs.set(run.id, job)
      return true
    }
    repo.updateRunStatus(db, run.id, 'failed', { now: now(), from: ['queued'], error: 'This queued run could not be restored after a restart (its job file is missing).' })
    changed(store.get(run.id))
    return false
  }

  /** The step of the run's resumable checkpoint (runs/<id>/last), or null when there is none. */
  function checkpointStep(id: number): number | null {
    try {
      const last = join(runDir(id), 'last')
      if (!existsSync(join(last, 'optimizer.safetensors'))) return null
      const step = (JSON.parse(readFileSync(join(last, 'trainer_state.json'), 'utf8')) as { step?: unknown }).step
      return typeof step === 'number' && Number.isInteger(step) ? step : null
    } catch {
      return null
    }
  }

  function start(input: StartInput): RunSummary {
    const project = options.projects.get(input.projectId)
    const parsed = parseRunConfig(input.config)
    if (!parsed.ok) {
      throw new AppError('INVALID_INPUT', `The run config is not valid:\n${parsed.problems.map((p) => `  ${p}`).join('\n')}`, { problems: parsed.problems })
    }
    const config = parsed.config
    if (!config.model) throw new AppError('INVALID_INPUT', 'The run config needs a "model": a model folder, or { "scratch": { "vocab": ... } }.', { field: 'model' })
    const model: repo.RunModel =
      typeof config.model === 'string'
        ? { kind: 'folder', path: resolve(config.model), name: config.model.split(/[\\/]/).filter(Boolean).pop() ?? config.model }
        : { kind: 'scratch', ...config.model.scratch, vocab: resolve(config.model.scratch.vocab) }
    const normalized: RunConfig = { ...config, model: typeof config.model === 'string' ? resolve(config.model) : { scratch: { ...config.model.scratch, vocab: resolve(config.model.scratch.vocab) } } }
    const { run, snapshot } = store.create({
      projectId: project.id,
      name: input.name?.trim() || `${model.kind === 'folder' ? model.name : 'scratch'} · ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`,
      config: normalized as unknown as repo.RunConfigJson,
      model,
      tags: input.tags,
      notes: input.notes,
    })
    const trainDocs = snapshot.summary.documents.train ?? 0
    if (trainDocs === 0) {
      repo.updateRunStatus(db, run.id, 'failed', { now: now(), error: 'There are no done documents in the train split: mark documents done (and split the dataset) before training.' })
      const failed = store.get(run.id)
      changed(failed)
      return toSummary(failed)
    }
    writeRunData(run)
    repo.setRunParams(db, run.id, { checkpointDir: runDir(run.id) })
    const job: TrainerJob = {
      kind: 'train',
      runDir: runDir(run.id),
      dataFile: dataFile(run.id),
      entityTypes: project.labels.map((l) => l.name),
      config: normalized,
      model: normalized.model as ModelSource,
      backend: input.backend ?? options.backend ?? 'auto',
      resume: false,
    }
    writeFileSync(jobFile(run.id), `${JSON.stringify(job, null, 2)}\n`)
    pendingJobs.set(run.id, job)
    changed(store.get(run.id))
    pump()
    return toSummary(store.get(run.id))
  }

  const pendingJobs = new Map<number, TrainerJob>()

  /** Starts the next queued run when nothing is training. */
  function pump(): void {
    if (closing || active.size > 0) return
    let next: repo.Run | undefined
    for (const r of repo.queuedRuns(db)) {
      if (pendingJobs.has(r.id) || (options.resumeQueue && adopt(r))) {
        next = r
        break
      }
    }
    if (!next) return
    const job = pendingJobs.get(next.id)!
    pendingJobs.delete(next.id)
    launch(next, job)
  }

  function launch(run: repo.Run, job: TrainerJob): void {
    repo.updateRunStatus(db, run.id, 'running', { now: now(), from: ['queued'] })
    changed(store.get(run.id))
    let handle: TrainerHandle
    try {
      handle = spawn()
    } catch (err) {
      repo.updateRunStatus(db, run.id, 'failed', { now: now(), error: `The trainer could not start: ${(err as Error).message}` })
      changed(store.get(run.id))
      pump()
      return
    }
    const records = new Map<string, DataRecord>()
    let metrics: repo.MetricPoint[] = []
    let lastFlush = Date.now()
    let outcome: { status: repo.RunStatus; error?: string } | undefined
    let lastError: string | undefined
    const flush = (): void => {
      if (metrics.length > 0) repo.appendMetrics(db, run.id, metrics)
      metrics = []
      lastFlush = Date.now()
    }
    const live: ActiveRun['live'] = { step: checkpointStep(run.id) ?? 0, totalSteps: null, epoch: null, elapsedMs: null, etaMs: null }
    const log = (level: repo.LogLevel, message: string): void => {
      if (!message) return
      repo.appendLog(db, run.id, { at: now(), level, message })
      options.emitProgress({ runId: run.id, projectId: run.projectId, kind: 'log', level, message })
    }
    const textOf = (id: string | number): string => {
      if (records.size === 0) {
        for (const d of readSnapshot(db, run.datasetHash!)) records.set(String(d.id), { id: d.id, split: d.split, text: d.text, spans: d.spans })
      }
      return records.get(String(id))?.text ?? ''
    }

    const onMessage = (m: TrainerMessage): void => {
      // Messages still in flight when the host closes (and its database with it) are dropped:
      // the run is marked interrupted when the store is next opened.
      if (closing) return
      try {
        switch (m.type) {
          case 'ready':
            repo.setRunParams(db, run.id, { backend: { name: m.backend.name, device: m.backend.device, label: m.backend.label, threads: m.backend.threads ?? null } })
            break
          case 'log':
            log(m.level, m.message)
            break
          case 'started':
            repo.setRunParams(db, run.id, { trainableParams: m.trainableParams, totalParams: m.totalParams })
            if (m.alignmentIssues > 0) {
              const shown = m.alignment.slice(0, 20).map((a) => `  document ${a.docId}: "${a.text}" (${a.span.label}) ${a.reason}${a.encodedAs ? `, trained as [${a.encodedAs.start}, ${a.encodedAs.end})` : ', left out'}`)
              log('warn', `${m.alignmentIssues} span(s) do not align with the tokenizer:\n${shown.join('\n')}${m.alignmentIssues > 20 ? `\n  … and ${m.alignmentIssues - 20} more` : ''}`)
            }
            live.totalSteps = m.totalSteps
            options.emitProgress({ runId: run.id, projectId: run.projectId, kind: 'started', totalSteps: m.totalSteps })
            break
          case 'step': {
            const p = m.progress
            const base = { step: p.step, epoch: p.epoch, wallMs: p.elapsedMs }
            metrics.push(
              { ...base, name: 'train/loss', value: p.loss },
              { ...base, name: 'train/learning_rate', value: p.learningRate },
              { ...base, name: 'train/grad_norm', value: p.gradNorm },
              { ...base, name: 'train/tokens_per_second', value: p.tokensPerSecond },
              { ...base, name: 'train/examples_seen', value: p.examplesSeen },
            )
            if (Date.now() - lastFlush >= METRIC_FLUSH_MS) flush()
            Object.assign(live, { step: p.step, totalSteps: p.totalSteps, epoch: p.epoch, elapsedMs: p.elapsedMs, etaMs: finite(p.etaMs) })
            options.emitProgress({ runId: run.id, projectId: run.projectId, kind: 'step', step: p.step, totalSteps: p.totalSteps, epoch: p.epoch, loss: finite(p.loss) ?? undefined, learningRate: p.learningRate, tokensPerSecond: finite(p.tokensPerSecond) ?? undefined, elapsedMs: p.elapsedMs, etaMs: finite(p.etaMs) ?? undefined })
            break
          }
          case 'eval': {
            const base = { step: m.step, epoch: m.epoch, wallMs: m.elapsedMs }
            const e = m.evaluation
            metrics.push({ ...base, name: 'dev/f1', value: e.f1 }, { ...base, name: 'dev/precision', value: e.precision }, { ...base, name: 'dev/recall', value: e.recall }, { ...base, name: 'dev/accuracy', value: e.accuracy })
            flush()
            repo.insertEvaluation(db, { runId: run.id, split: 'dev', step: m.step, checkpoint: `step-${m.step}`, mode: 'default', result: e, now: now() })
            if (m.isBest) repo.setBest(db, run.id, m.step, e.f1)
            options.emitProgress({ runId: run.id, projectId: run.projectId, kind: 'eval', step: m.step, epoch: m.epoch, f1: e.f1, isBest: m.isBest })
            break
          }
          case 'evaluation': {
            const best = store.get(run.id).bestStep
            repo.insertEvaluation(db, { runId: run.id, split: m.split as repo.EvalSplit, step: best ?? 0, checkpoint: m.checkpoint === 'last' ? 'last' : 'best', mode: m.mode, result: m.evaluation, now: now() })
            break
          }
          case 'predictions':
            repo.savePredictions(
              db,
              run.id,
              m.split as repo.EvalSplit,
              m.items.map((i) => ({ documentId: Number(i.id), text: textOf(i.id), gold: i.gold ?? [], predicted: i.spans })),
            )
            break
          case 'paused':
            flush()
            if (repo.updateRunStatus(db, run.id, 'paused', { now: now(), from: ['running'] })) {
              log('info', `Paused after step ${m.step}.`)
              changed(store.get(run.id))
            }
            break
          case 'resumed':
            if (repo.updateRunStatus(db, run.id, 'running', { now: now(), from: ['paused'] })) {
              log('info', `Resumed at step ${m.step}.`)
              changed(store.get(run.id))
            }
            break
          case 'done': {
            flush()
            const s = m.summary as TrainSummary | undefined
            if (s?.status === 'early-stopped') log('info', `Stopped early at step ${s.steps} of ${s.totalSteps}.`)
            outcome = { status: s?.status === 'cancelled' ? 'cancelled' : 'completed' }
            break
          }
          case 'error':
            flush()
            lastError = m.message
            log('error', m.message)
            outcome = { status: 'failed', error: m.message }
            break
          default:
            break
        }
      } catch (err) {
        try {
          log('error', `Could not record a trainer message (${m.type}): ${(err as Error).message}`)
        } catch {
          // The store itself is failing: nothing more can be recorded for this run.
        }
      }
    }
    handle.onMessage(onMessage)
    handle.send({ type: 'job', job })
    const finished = handle.exited.then((exit) => {
      active.delete(run.id)
      // The host is closing (its database may be closed already): the next start marks the run interrupted.
      if (closing) return
      flush()
      if (!outcome) {
        const how = exit.signal ? `was killed (${exit.signal})` : `exited with code ${exit.code}`
        const tail = trainerOutput(handle).slice(-8)
        const reason = closing
          ? 'Tagtune stopped while this run was training.'
          : `The trainer process ${how}${exit.code === 134 || /heap|memory/i.test(tail.join(' ')) ? ' (out of memory?)' : ''}.${lastError ? ` Last error: ${lastError}` : ''}`
        outcome = { status: closing ? 'interrupted' : 'failed', error: reason }
        log('error', `${reason}${tail.length ? `\n${tail.join('\n')}` : ''}`)
      }
      repo.updateRunStatus(db, run.id, outcome.status, { now: now(), error: outcome.error ?? null })
      changed(store.get(run.id))
      pump()
    })
    active.set(run.id, { handle, finished, flush, live })
  }

  function pause(id: number): RunSummary {
    const run = store.get(id)
    if (run.status === 'paused') return toSummary(run)
    const a = active.get(id)
    if (run.status !== 'running' || !a) throw new AppError('CONFLICT', `Run ${id} is ${run.status}; only a running run can be paused.`)
    a.handle.send({ type: 'pause' })
    log(run, 'info', 'Pausing after the current step…')
    return toSummary(run)
  }

  function resume(id: number): RunSummary {
    const run = store.get(id)
    if (run.status === 'paused') {
      const a = active.get(id)
      if (!a) throw new AppError('CONFLICT', `Run ${id} is paused but its trainer is gone.`)
      a.handle.send({ type: 'resume' })
      return toSummary(run)
    }
    if (run.status === 'running' || run.status === 'queued') return toSummary(run)
    if (run.status !== 'interrupted') {
      throw new AppError('CONFLICT', `Run ${id} is ${run.status}; only a paused or an interrupted run can be resumed.`)
    }
    const job = storedJob(run)
    if (!job || !run.datasetHash) throw new AppError('CONFLICT', `Run ${id} cannot be resumed: its job file (${jobFile(id)}) is missing.`)
    if (!existsSync(job.dataFile)) writeRunData(run)
    const step = checkpointStep(id)
    // Points logged after the checkpoint are trained again: forget them so the curves do not fork.
    repo.truncateMetrics(db, id, step ?? 0)
    const resumed: TrainJob = { ...job, resume: true }
    writeFileSync(jobFile(id), `${JSON.stringify(resumed, null, 2)}\n`)
    if (!repo.updateRunStatus(db, id, 'queued', { now: now(), from: ['interrupted'] })) return toSummary(store.get(id))
    log(run, 'info', step !== null ? `Queued to resume from the checkpoint at step ${step}.` : 'No checkpoint was saved before the interruption: the run is queued to train again from the start.')
    pendingJobs.set(id, resumed)
    changed(store.get(id))
    pump()
    return toSummary(store.get(id))
  }

  function reorder(ids: readonly number[]): RunSummary[] {
    const queued = repo.queuedRuns(db)
    const isQueued = new Set(queued.map((r) => r.id))
    const order = [...new Set(ids.filter((id) => isQueued.has(id)))]
    for (const r of queued) if (!order.includes(r.id)) order.push(r.id)
    repo.setQueueOrder(db, order)
    const after = repo.queuedRuns(db)
    for (const r of after) options.emitChange({ runId: r.id, projectId: r.projectId, status: r.status })
    return after.map(toSummary)
  }

  function remove(id: number): void {
    if (active.has(id)) throw new AppError('CONFLICT', `Run ${id} is training; cancel it first.`)
    const run = store.delete(id)
    pendingJobs.delete(id)
    rmSync(runDir(id), { recursive: true, force: true })
    options.emitChange({ runId: id, projectId: run.projectId, status: run.status, deleted: true })
    settle(id, toSummary({ ...run, status: 'cancelled', error: 'The run was deleted.' }))
    pump()
  }

  if (options.resumeQueue) setImmediate(() => pump())

  return {
    start,
    list: (projectId: number): RunSummary[] => {
      options.projects.get(projectId)
      return store.list(projectId).map(toSummary)
    },
    get(id: number, logLimit = 200): RunDetail {
      const a = active.get(id)
      a?.flush()
      const run = store.get(id)
      const series: RunDetail['series'] = {}
      for (const [name, points] of Object.entries(repo.metricSeries(db, id))) {
        series[name] = points.map((p) => ({ step: p.step, epoch: finite(p.epoch), wallMs: finite(p.wallMs), value: finite(p.value) }))
      }
      return {
        run: toSummary(run),
        evaluations: repo.listEvaluations(db, id).map((e) => ({ id: e.id, split: e.split, step: e.step, checkpoint: e.checkpoint, mode: e.mode, result: e.result as RunEvaluation['result'], createdAt: e.createdAt })),
        series,
        logs: logLimit > 0 ? repo.listLogs(db, id, { limit: logLimit }) : [],
        live: a ? { ...a.live, pid: a.handle.pid ?? null } : null,
      }
    },
    pause,
    resume,
    reorder,
    /** What the user edits on a run: its name, tags (the whole list) and notes; other windows hear of it. */
    update(id: number, patch: { name?: string | undefined; tags?: string[] | undefined; notes?: string | undefined }): RunSummary {
      store.get(id)
      repo.updateRunInfo(db, id, {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.tags !== undefined ? { tags: [...new Set(patch.tags)] } : {}),
        ...(patch.notes !== undefined ? { notes: patch.notes } : {}),
      })
      const after = store.get(id)
      options.emitChange({ runId: id, projectId: after.projectId, status: after.status })
      return toSummary(after)
    },
    /** Every queued run, of every project, in the order they will train. */
    queue: (): RunSummary[] => repo.queuedRuns(db).map(toSummary),
    /** A page of the run's stored predictions on a split. */
    predictions(id: number, split: 'dev' | 'test', page: { offset: number; limit: number; onlyErrors: boolean }): RunPredictionsPage {
      store.get(id)
      return repo.listPredictions(db, id, split, page)
    },
    /** The machine, the host and the trainer of `runId` (or of the run training now). */
    system(runId?: number): Promise<SystemSample> {
      const id = runId !== undefined && active.has(runId) ? runId : [...active.keys()][0]
      const pid = id !== undefined ? active.get(id)?.handle.pid : undefined
      return sampler.sample(id !== undefined && pid !== undefined ? { runId: id, pid } : null)
    },
    cancel(id: number): RunSummary {
      const run = store.get(id)
      if (run.status === 'queued') {
        pendingJobs.delete(id)
        repo.updateRunStatus(db, id, 'cancelled', { now: now(), from: ['queued'] })
        changed(store.get(id))
      } else if (run.status === 'running' || run.status === 'paused') {
        const a = active.get(id)
        if (a) {
          a.handle.send({ type: 'cancel' })
          // A trainer stuck inside a long step still stops: kill it after a grace period.
          const timer = setTimeout(() => a.handle.kill('SIGKILL'), 60_000)
          timer.unref()
          void a.finished.then(() => clearTimeout(timer))
        }
      } else {
        throw new AppError('CONFLICT', `Run ${id} is ${run.status}; only queued or running runs can be cancelled.`)
      }
      return toSummary(store.get(id))
    },
    /** Resolves when the run has finished (completed, failed, cancelled or interrupted). */
    waitFor(id: number): Promise<RunSummary> {
      const run = store.get(id)
      if (FINISHED.includes(run.status)) return Promise.resolve(toSummary(run))
      return new Promise((r) => {
        const list = waiters.get(id) ?? []
        list.push(r)
        waiters.set(id, list)
      })
    },
    /**
     * Runs a one-off evaluate or predict job in a trainer process and collects its messages
     * (those `keep` accepts, default all). Aborting `signal` asks the job to stop at its next chunk.
     */
    async runJob(job: TrainerJob, onMessage?: (m: TrainerMessage) => void, options: { signal?: AbortSignal; keep?: (m: TrainerMessage) => boolean } = {}): Promise<TrainerMessage[]> {
      const handle = spawn()
      const messages: TrainerMessage[] = []
      handle.onMessage((m) => {
        if (!options.keep || options.keep(m)) messages.push(m)
        onMessage?.(m)
      })
      handle.send({ type: 'job', job })
      const abort = (): void => handle.send({ type: 'cancel' })
      options.signal?.addEventListener('abort', abort, { once: true })
      const exit = await handle.exited
      options.signal?.removeEventListener('abort', abort)
      const error = messages.find((m) => m.type === 'error')
      if (error && error.type === 'error') throw new AppError('FAILED', error.message)
      if (!messages.some((m) => m.type === 'done')) {
        throw new AppError('FAILED', `The trainer process ${exit.signal ? `was killed (${exit.signal})` : `exited with code ${exit.code}`} before finishing. ${trainerOutput(handle).slice(-5).join(' ')}`)
      }
      return messages
    },
    runDir,
    dataFile,
    /** The process id of a run's trainer while it trains. */
    activePid: (id: number): number | undefined => active.get(id)?.handle.pid,
    /** Interactive prediction with a model kept loaded (see predict-sessions.ts). */
    sessions,
    /** Stops every trainer; their runs are marked interrupted when the store is next opened. */
    close(): void {
      closing = true
      sessions.close()
      for (const a of active.values()) a.handle.kill('SIGTERM')
    },
    /** Deletes a run that is not training (a queued one leaves the queue) and its folder. */
    delete: remove,
  }
}

export type RunService = ReturnType<typeof createRunService>
