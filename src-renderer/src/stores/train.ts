/**
 * The Train view's state for one project: the form (model, recipe knobs, name, tags, notes),
 * what the host says the run would see and cost (run.preview), the project's runs with the
 * queue, and the queue's actions. Kept in step with other windows through run events.
 */
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { InvokeInput } from '@shared/ipc/contract'
import type { RunPreview, RunSummary } from '@shared/domain/run'
import { useApi } from '../api/client'
import { configToDraft, defaultModelDraft, draftToConfig, modelToDraft, validateConfig, type ConfigDraft, type ModelDraft } from '../training/config-form'
import { PRESET_EXTRA_KEYS } from '../training/presets'

export type BackendChoice = NonNullable<InvokeInput<'run.start'>['backend']>

const LAST_MODEL = 'tagtune.lastModel'

/** Where a run in the queue is (from its step events). */
export interface QueueProgress {
  step: number
  totalSteps: number | null
  etaMs: number | null
}

export const useTrainStore = defineStore('train', () => {
  const api = useApi()
  const projectId = ref<number | null>(null)
  const runs = ref<RunSummary[]>([])
  const loaded = ref(false)
  const error = ref<string | null>(null)
  const progress = ref<Record<number, QueueProgress>>({})

  // The form. It outlives a visit to a run's page and a change of project.
  const model = ref<ModelDraft>(restoreModel())
  const draft = ref<ConfigDraft>(configToDraft({}))
  const backend = ref<BackendChoice>('auto')
  const name = ref('')
  const tags = ref('')
  const notes = ref('')
  const preset = ref<string>('full')

  const config = computed(() => draftToConfig(model.value, draft.value))
  const problems = computed(() => validateConfig(config.value))

  const preview = ref<RunPreview | null>(null)
  const previewing = ref(false)
  const previewError = ref<string | null>(null)
  let previewSeq = 0

  /** Running and paused runs first, then the queued ones in queue order. */
  const queue = computed(() => {
    const active = runs.value.filter((r) => r.status === 'running' || r.status === 'paused')
    const queued = runs.value.filter((r) => r.status === 'queued').sort((a, b) => (a.queuePosition ?? 0) - (b.queuePosition ?? 0) || a.id - b.id)
    return [...active, ...queued]
  })
  const finished = computed(() => runs.value.filter((r) => !['running', 'paused', 'queued'].includes(r.status)))

  let reloadTimer: ReturnType<typeof setTimeout> | undefined
  function scheduleLoad(): void {
    clearTimeout(reloadTimer)
    reloadTimer = setTimeout(() => void load(), 80)
  }

  api.on('run.onDidChange', (c) => {
    if (c.projectId === projectId.value) scheduleLoad()
    if (c.status !== 'running' && c.status !== 'paused') delete progress.value[c.runId]
  })
  api.on('run.onDidProgress', (p) => {
    if (p.projectId !== projectId.value) return
    if (p.kind === 'step' && p.step !== undefined) progress.value[p.runId] = { step: p.step, totalSteps: p.totalSteps ?? null, etaMs: p.etaMs ?? null }
    else if (p.kind === 'started' && p.totalSteps !== undefined) progress.value[p.runId] = { step: 0, totalSteps: p.totalSteps, etaMs: null }
  })

  function restoreModel(): ModelDraft {
    try {
      const saved = localStorage.getItem(LAST_MODEL)
      if (saved) return { ...defaultModelDraft(), ...(JSON.parse(saved) as Partial<ModelDraft>) }
    } catch {
      // a damaged entry: start empty
    }
    return defaultModelDraft()
  }

  async function load(): Promise<void> {
    if (projectId.value === null) return
    const id = projectId.value
    try {
      const list = await api.invoke('run.list', { projectId: id })
      if (id !== projectId.value) return
      runs.value = list
      loaded.value = true
      error.value = null
      // Where the runs training now are, for their progress bars (events keep it current afterwards).
      for (const r of list.filter((x) => (x.status === 'running' || x.status === 'paused') && !progress.value[x.id])) {
        const d = await api.invoke('run.get', { id: r.id, logLimit: 0 })
        if (d.live) progress.value[r.id] = { step: d.live.step, totalSteps: d.live.totalSteps, etaMs: d.live.etaMs }
      }
    } catch (err) {
      error.value = (err as Error).message
    }
  }

  async function open(id: number): Promise<void> {
    if (projectId.value !== id) {
      projectId.value = id
      runs.value = []
      loaded.value = false
      preview.value = null
    }
    await load()
  }

  /** Asks the host what the run would see and cost; a newer request wins over a slower older one. */
  async function refreshPreview(): Promise<void> {
    if (projectId.value === null) return
    const seq = ++previewSeq
    previewing.value = true
    try {
      const p = await api.invoke('run.preview', { projectId: projectId.value, config: config.value, backend: backend.value })
      if (seq !== previewSeq) return
      preview.value = p
      previewError.value = null
    } catch (err) {
      if (seq === previewSeq) previewError.value = (err as Error).message
    } finally {
      if (seq === previewSeq) previewing.value = false
    }
  }

  function applyPreset(id: string, values: Partial<Omit<ConfigDraft, 'extra'>>, extra: Record<string, unknown> = {}): void {
    const kept = Object.fromEntries(Object.entries(draft.value.extra).filter(([k]) => !(PRESET_EXTRA_KEYS as readonly string[]).includes(k)))
    draft.value = { ...draft.value, ...values, extra: { ...kept, ...extra } }
    preset.value = id
  }

  /** Replace the whole config (the JSON editor): the model and every knob, unknown fields passed on. */
  function setConfig(json: Record<string, unknown>): void {
    draft.value = configToDraft(json)
    if (json.model !== undefined) model.value = modelToDraft(json.model)
    preset.value = ''
  }

  /** Fill the form from an earlier run (its model and every knob). */
  function copyFrom(run: RunSummary): void {
    draft.value = configToDraft(run.config)
    model.value = modelToDraft(run.config.model)
    tags.value = run.tags.join(', ')
    preset.value = ''
  }

  async function start(): Promise<RunSummary> {
    const tagList = tags.value
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean)
    const run = await api.invoke('run.start', {
      projectId: projectId.value!,
      config: config.value,
      backend: backend.value,
      ...(name.value.trim() ? { name: name.value.trim() } : {}),
      ...(tagList.length ? { tags: tagList } : {}),
      ...(notes.value.trim() ? { notes: notes.value } : {}),
    })
    localStorage.setItem(LAST_MODEL, JSON.stringify(model.value))
    name.value = ''
    notes.value = ''
    await load()
    return run
  }

  async function act(fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn()
      error.value = null
    } catch (err) {
      error.value = (err as Error).message
    }
    await load()
  }

  const pause = (id: number): Promise<void> => act(() => api.invoke('run.pause', { id }))
  const resume = (id: number): Promise<void> => act(() => api.invoke('run.resume', { id }))
  const cancel = (id: number): Promise<void> => act(() => api.invoke('run.cancel', { id }))
  const remove = (id: number): Promise<void> => act(() => api.invoke('run.delete', { id }))

  /** Move a queued run one place up (-1) or down (+1) in the queue. */
  function move(id: number, by: -1 | 1): Promise<void> {
    const ids = queue.value.filter((r) => r.status === 'queued').map((r) => r.id)
    const i = ids.indexOf(id)
    const j = i + by
    if (i < 0 || j < 0 || j >= ids.length) return Promise.resolve()
    ;[ids[i], ids[j]] = [ids[j]!, ids[i]!]
    return act(() => api.invoke('run.reorder', { ids }))
  }

  return {
    projectId,
    runs,
    loaded,
    error,
    progress,
    queue,
    finished,
    model,
    draft,
    backend,
    name,
    tags,
    notes,
    preset,
    config,
    problems,
    preview,
    previewing,
    previewError,
    open,
    load,
    refreshPreview,
    applyPreset,
    setConfig,
    copyFrom,
    start,
    pause,
    resume,
    cancel,
    remove,
    move,
  }
})
