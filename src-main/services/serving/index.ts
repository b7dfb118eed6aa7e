/**
 * The app's model servers: one server process per served run (tfjs stays out of the host),
 * started and stopped from the app, listed with their URL and what they have answered. A
 * server that dies is shown as failed with the reason; the host stops every server on close.
 */
import type { z } from 'zod'
import type { DB } from '../../store/db'
import { AppError } from '../../../src-shared/ipc/errors'
import type { ServedModel, ServingStart, ServingStartResult } from '../../../src-shared/domain/serving'
import type { BackendPreference } from '../../engine/backend'
import type { ServeJob } from '../../serve/protocol'
import type { ServeStats } from '../../serve/http-server'
import { forkModelServer, type ServerProcess } from './process'
import { runModelSpec } from './run-model'

export type SpawnModelServer = (job: ServeJob) => ServerProcess

export interface ServingServiceOptions {
  db: DB
  runDir(id: number): string
  spawn?: SpawnModelServer
  /** The host's backend preference, used when a start does not name one. */
  backend?: BackendPreference
  now?: () => string
}

interface Served {
  runId: number
  runName: string
  host: string
  port: number | null
  url: string | null
  state: ServedModel['state']
  tokenRequired: boolean
  process: ServerProcess
  startedAt: string
  backend: string | null
  labels: string[]
  error: string | null
  stats: ServeStats | null
  stopping: boolean
}

export function createServingService(options: ServingServiceOptions) {
  const spawn = options.spawn ?? ((job: ServeJob) => forkModelServer(job))
  const now = options.now ?? (() => new Date().toISOString())
  const served = new Map<number, Served>()
  let closed = false

  const view = (s: Served): ServedModel => ({
    runId: s.runId,
    runName: s.runName,
    state: s.state,
    url: s.url,
    host: s.host,
    port: s.port,
    tokenRequired: s.tokenRequired,
    pid: s.process.pid ?? null,
    startedAt: s.startedAt,
    backend: s.backend,
    labels: s.labels,
    requests: s.stats?.requests ?? 0,
    texts: s.stats?.texts ?? 0,
    batches: s.stats?.batches ?? 0,
    errors: s.stats?.errors ?? 0,
    error: s.error,
  })

  async function start(input: z.output<typeof ServingStart>): Promise<ServingStartResult> {
    if (closed) throw new AppError('UNAVAILABLE', 'Tagtune is shutting down.')
    const existing = served.get(input.runId)
    if (existing && existing.state !== 'failed') {
      throw new AppError('CONFLICT', `Run ${input.runId} is already served${existing.url ? ` at ${existing.url}` : ''}: stop it first.`)
    }
    const spec = runModelSpec(options.db, options.runDir, input.runId)
    const limits = {
      ...(input.maxBatchTexts !== undefined ? { maxBatchTexts: input.maxBatchTexts } : {}),
      ...(input.batchWindowMs !== undefined ? { batchWindowMs: input.batchWindowMs } : {}),
      ...(input.maxBodyBytes !== undefined ? { maxBodyBytes: input.maxBodyBytes } : {}),
      ...(input.maxTexts !== undefined ? { maxTexts: input.maxTexts } : {}),
      ...(input.maxTextChars !== undefined ? { maxTextChars: input.maxTextChars } : {}),
    }
    const proc = spawn({ model: spec, backend: input.backend ?? options.backend ?? 'auto', hostname: input.host, port: input.port, ...(input.token ? { token: input.token } : {}), limits })
    const entry: Served = {
      runId: input.runId,
      runName: spec.name,
      host: input.host,
      port: input.port || null,
      url: null,
      state: 'starting',
      tokenRequired: input.token !== undefined,
      process: proc,
      startedAt: now(),
      backend: null,
      labels: [],
      error: null,
      stats: null,
      stopping: false,
    }
    served.set(input.runId, entry)
    void proc.exited.then(({ code, signal }) => {
      if (served.get(input.runId) !== entry || entry.stopping || entry.state !== 'running') return
      entry.state = 'failed'
      const last = proc.output().slice(-3).join(' | ')
      entry.error = `The model server stopped unexpectedly (${signal ?? `exit code ${code}`})${last ? `: ${last}` : ''}.`
    })
    let info
    try {
      info = await proc.listening
    } catch (err) {
      if (served.get(input.runId) === entry) served.delete(input.runId)
      void proc.stop(1000)
      const message = (err as Error).message
      throw new AppError(/already in use/.test(message) ? 'CONFLICT' : 'FAILED', `Could not serve run ${input.runId}: ${message}`)
    }
    if (entry.stopping || closed) throw new AppError('FAILED', `Serving run ${input.runId} was stopped while it started.`)
    Object.assign(entry, { state: 'running', url: info.url, port: info.port, tokenRequired: info.token !== null, backend: info.backend, labels: info.labels })
    return { ...view(entry), token: info.token }
  }

  async function stop(runId: number): Promise<{ runId: number }> {
    const entry = served.get(runId)
    if (!entry) throw new AppError('NOT_FOUND', `Run ${runId} is not being served.`)
    entry.stopping = true
    served.delete(runId)
    await entry.process.stop()
    return { runId }
  }

  async function status(): Promise<ServedModel[]> {
    const entries = [...served.values()].sort((a, b) => a.runId - b.runId)
    await Promise.all(
      entries
        .filter((e) => e.state === 'running')
        .map(async (e) => {
          try {
            e.stats = await e.process.stats(1500)
          } catch {
            // Busy with a long batch: the last numbers stand.
          }
        }),
    )
    return entries.map(view)
  }

  return {
    start,
    stop,
    status,
    /** Stops every server (the host is closing); they finish what is in flight first. */
    close(): Promise<void> {
      closed = true
      const all = [...served.values()]
      served.clear()
      return Promise.all(
        all.map((e) => {
          e.stopping = true
          return e.process.stop()
        }),
      ).then(() => {})
    },
  }
}

export type ServingService = ReturnType<typeof createServingService>
