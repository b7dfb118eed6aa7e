/**
 * The run a window is looking at: its record, curves, evaluations and log, kept live from
 * run.onDidProgress (steps, evaluations, log lines) and run.onDidChange (status); the system
 * panel's samples while the page is open; and a page of its test predictions.
 */
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { RunDetail, RunPredictionsPage, RunProgress, SystemSample } from '@shared/domain/run'
import { useApi } from '../api/client'
import { addProgress, curvesFromSeries, emptyCurves, type Curves } from '../training/curves'

export interface LogLine {
  key: string
  at: string
  level: string
  message: string
}

const MAX_LOG = 500
const MAX_SAMPLES = 60
const SAMPLE_MS = 3000
/** Charts redraw at most this often, however fast the steps come. */
const REDRAW_MS = 250

export const useRunStore = defineStore('run', () => {
  const api = useApi()
  const runId = ref<number | null>(null)
  const detail = shallowRef<RunDetail | null>(null)
  const error = ref<string | null>(null)
  const curves = shallowRef<Curves>(emptyCurves())
  /** Bumped when the curves changed (throttled): what the charts watch. */
  const version = ref(0)
  const live = ref<{ step: number; totalSteps: number | null; epoch: number | null; elapsedMs: number | null; etaMs: number | null } | null>(null)
  const logs = ref<LogLine[]>([])
  const samples = ref<SystemSample[]>([])
  const samplingError = ref<string | null>(null)
  const predictions = ref<RunPredictionsPage | null>(null)
  const predictionQuery = ref({ split: 'test' as 'dev' | 'test', offset: 0, limit: 10, onlyErrors: false })

  let buffer: RunProgress[] | null = null
  let logKey = 0
  let redraw: ReturnType<typeof setTimeout> | undefined
  let sampler: ReturnType<typeof setInterval> | undefined

  const run = computed(() => detail.value?.run ?? null)
  const isActive = computed(() => run.value !== null && ['running', 'paused', 'queued'].includes(run.value.status))
  const latestSample = computed(() => samples.value[samples.value.length - 1] ?? null)

  function touch(): void {
    if (redraw) return
    redraw = setTimeout(() => {
      redraw = undefined
      version.value++
    }, REDRAW_MS)
  }

  function apply(p: RunProgress, replay: boolean): void {
    if (p.kind === 'log') {
      logs.value.push({ key: `e${logKey++}`, at: new Date().toISOString(), level: p.level ?? 'info', message: p.message ?? '' })
      if (logs.value.length > MAX_LOG) logs.value.splice(0, logs.value.length - MAX_LOG)
      return
    }
    if (p.kind === 'started') {
      live.value = { step: live.value?.step ?? 0, totalSteps: p.totalSteps ?? null, epoch: live.value?.epoch ?? null, elapsedMs: live.value?.elapsedMs ?? null, etaMs: null }
      // The record now has the backend and the parameter counts.
      if (!replay) void reload()
      return
    }
    // While replaying what came during the first load, skip what the stored series already has.
    const c = curves.value
    const last = p.kind === 'eval' ? c.devF1[c.devF1.length - 1]?.[0] : c.loss[c.loss.length - 1]?.[0]
    if (replay && p.step !== undefined && last !== undefined && p.step <= last) return
    if (addProgress(c, p)) touch()
    if (p.kind === 'step' && p.step !== undefined) {
      live.value = { step: p.step, totalSteps: p.totalSteps ?? live.value?.totalSteps ?? null, epoch: p.epoch ?? null, elapsedMs: p.elapsedMs ?? null, etaMs: p.etaMs ?? null }
    }
  }

  api.on('run.onDidProgress', (p) => {
    if (p.runId !== runId.value) return
    if (buffer) buffer.push(p)
    else apply(p, false)
  })
  api.on('run.onDidChange', (c) => {
    if (c.runId !== runId.value) return
    if (c.deleted) {
      error.value = 'This run was deleted.'
      return
    }
    void reload()
  })

  /** The run's record and evaluations again (a status change); curves and log stay as they are live. */
  async function reload(): Promise<void> {
    const id = runId.value
    if (id === null) return
    try {
      const d = await api.invoke('run.get', { id, logLimit: 0 })
      if (id !== runId.value) return
      detail.value = { ...d, series: {}, logs: [] }
      if (d.live) live.value = { ...d.live }
      if (d.run.status === 'completed' && !predictions.value) void loadPredictions()
    } catch (err) {
      error.value = (err as Error).message
    }
  }

  async function open(id: number): Promise<void> {
    runId.value = id
    detail.value = null
    error.value = null
    curves.value = emptyCurves()
    live.value = null
    logs.value = []
    predictions.value = null
    predictionQuery.value = { split: 'test', offset: 0, limit: 10, onlyErrors: false }
    buffer = []
    try {
      const d = await api.invoke('run.get', { id, logLimit: 300 })
      if (id !== runId.value) return
      detail.value = d
      curves.value = curvesFromSeries(d.series)
      live.value = d.live ? { ...d.live } : null
      logs.value = d.logs.map((l) => ({ key: `s${l.seq}`, at: l.at, level: l.level, message: l.message }))
      const pending = buffer
      buffer = null
      for (const p of pending) apply(p, true)
      version.value++
      if (d.run.status === 'completed') void loadPredictions()
    } catch (err) {
      buffer = null
      error.value = (err as Error).message
    }
  }

  function close(): void {
    runId.value = null
    stopSampling()
  }

  async function sample(): Promise<void> {
    try {
      const s = await api.invoke('run.system', runId.value !== null ? { runId: runId.value } : {})
      samples.value = [...samples.value.slice(-(MAX_SAMPLES - 1)), s]
      samplingError.value = null
    } catch (err) {
      samplingError.value = (err as Error).message
    }
  }

  /** Sample the system every few seconds while the run's page is open. */
  function startSampling(): void {
    stopSampling()
    void sample()
    sampler = setInterval(() => void sample(), SAMPLE_MS)
  }

  function stopSampling(): void {
    if (sampler) clearInterval(sampler)
    sampler = undefined
  }

  async function loadPredictions(q: Partial<typeof predictionQuery.value> = {}): Promise<void> {
    if (runId.value === null) return
    predictionQuery.value = { ...predictionQuery.value, ...q }
    try {
      predictions.value = await api.invoke('run.predictions', { id: runId.value, ...predictionQuery.value })
    } catch (err) {
      error.value = (err as Error).message
    }
  }

  async function act(fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn()
      error.value = null
    } catch (err) {
      error.value = (err as Error).message
    }
    await reload()
  }

  return {
    runId,
    detail,
    run,
    error,
    curves,
    version,
    live,
    logs,
    samples,
    latestSample,
    samplingError,
    isActive,
    predictions,
    predictionQuery,
    open,
    close,
    reload,
    startSampling,
    stopSampling,
    loadPredictions,
    pause: () => act(() => api.invoke('run.pause', { id: runId.value! })),
    resume: () => act(() => api.invoke('run.resume', { id: runId.value! })),
    cancel: () => act(() => api.invoke('run.cancel', { id: runId.value! })),
  }
})
