/**
 * Training runs: snapshot the data, queue the run, start a trainer process for it, persist
 * every message it sends (metrics, evaluations, predictions, logs) and broadcast progress.
 * One run trains at a time; the others wait in order. A trainer that crashes marks its run
 * failed with the reason; the host keeps going.
 */
import { mkdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { DB } from '../../store/db'
import * as repo from '../../store/repositories/runs'
import { createRunStore } from './store'
import { readSnapshot } from './snapshot'
import { writeDataFile } from '../../trainer/data-file'
import { forkTrainer, trainerOutput, type SpawnTrainer, type TrainerHandle } from './trainer-process'
import type { DataRecord, TrainerJob, TrainerMessage, TrainSummary } from '../../trainer/protocol'
import { parseRunConfig, type ModelSource, type RunConfig } from '../../../src-shared/domain/run-config'
import type { RunChange, RunDetail, RunEvaluation, RunProgress, RunSummary } from '../../../src-shared/domain/run'
import { AppError } from '../../../src-shared/ipc/errors'
import type { BackendPreference } from '../../engine/backend'
import type { ProjectService } from '../projects'

export interface RunServiceOptions {
  dataDir: string
  projects: Pick<ProjectService, 'get'>
  spawnTrainer?: SpawnTrainer
  backend?: BackendPreference
  emitChange(c: RunChange): void
  emitProgress(p: RunProgress): void
  now?: () => string
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
  const runsDir = join(options.dataDir, 'runs')
  const active = new Map<number, { handle: TrainerHandle; finished: Promise<void> }>()
  const waiters = new Map<number, (() => void)[]>()
  let closing = false

  const runDir = (id: number): string => join(runsDir, String(id))
  const dataFile = (id: number): string => join(runDir(id), 'data.jsonl')

  store.recover()

  function changed(run: repo.Run): void {
    options.emitChange({ runId: run.id, projectId: run.projectId, status: run.status })
    if (['completed', 'failed', 'cancelled', 'interrupted'].includes(run.status)) {
      for (const w of waiters.get(run.id) ?? []) w()
      waiters.delete(run.id)
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
    mkdirSync(runDir(run.id), { recursive: true })
    const records: DataRecord[] = []
    for (const d of readSnapshot(db, snapshot.hash)) records.push({ id: d.id, split: d.split === 'unassigned' ? null : d.split, text: d.text, spans: d.spans })
    writeDataFile(dataFile(run.id), records)
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
    pendingJobs.set(run.id, job)
    changed(store.get(run.id))
    pump()
    return toSummary(store.get(run.id))
  }

  const pendingJobs = new Map<number, TrainerJob>()

  /** Starts the next queued run when nothing is training. */
  function pump(): void {
    if (closing || active.size > 0) return
    const next = repo.queuedRuns(db).find((r) => pendingJobs.has(r.id))
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
        log('error', `Could not record a trainer message (${m.type}): ${(err as Error).message}`)
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
    active.set(run.id, { handle, finished })
  }

  return {
    start,
    list: (projectId: number): RunSummary[] => {
      options.projects.get(projectId)
      return store.list(projectId).map(toSummary)
    },
    get(id: number, logLimit = 200): RunDetail {
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
      }
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
      if (['completed', 'failed', 'cancelled', 'interrupted'].includes(run.status)) return Promise.resolve(toSummary(run))
      return new Promise((r) => {
        const list = waiters.get(id) ?? []
        list.push(() => r(toSummary(store.get(id))))
        waiters.set(id, list)
      })
    },
    /** Runs a one-off evaluate or predict job in a trainer process and collects its messages. */
    async runJob(job: TrainerJob): Promise<TrainerMessage[]> {
      const handle = spawn()
      const messages: TrainerMessage[] = []
      handle.onMessage((m) => void messages.push(m))
      handle.send({ type: 'job', job })
      const exit = await handle.exited
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
    /** Stops every trainer; their runs are marked interrupted when the store is next opened. */
    close(): void {
      closing = true
      for (const a of active.values()) a.handle.kill('SIGTERM')
    },
    /** Deletes a finished run and its folder. */
    delete(id: number): void {
      if (active.has(id)) throw new AppError('CONFLICT', `Run ${id} is training; cancel it first.`)
      store.delete(id)
      pendingJobs.delete(id)
      rmSync(runDir(id), { recursive: true, force: true })
    },
  }
}

export type RunService = ReturnType<typeof createRunService>
