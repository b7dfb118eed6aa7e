/**
 * The Predict view's state: the project's runs that have a model, the chosen one, the text and
 * its predicted entities (on demand, or as you type for short texts), the confidence threshold
 * (remembered), and a file prediction with its progress and exports (a download in a browser,
 * a file the desktop app writes where you choose).
 */
import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import type { FileTagScheme, Format } from '@shared/domain/dataset'
import type { RunPredictFileResult, RunPredictProgress } from '@shared/domain/run'
import type { RunTableRow } from '@shared/domain/run-compare'
import { useApi } from '../api/client'
import { useRunTable } from '../runs/run-table-source'
import { defaultChoice, modelChoices } from '../predict/models'
import { defaultExportFormat, predictionFileName, predictsAsYouType, textProblem, type PredictedSpan } from '../predict/entities'

const THRESHOLD_KEY = 'tagtune.predict.threshold'
const AUTO_KEY = 'tagtune.predict.auto'
/** Pause in typing before a short text is predicted. */
export const TYPING_PAUSE_MS = 450

export interface TextPrediction {
  runId: number
  text: string
  spans: PredictedSpan[]
  ms: number
}

export type FilePhase = 'idle' | 'uploading' | 'predicting' | 'done' | 'failed'

function storedNumber(key: string, fallback: number): number {
  const v = Number(localStorage.getItem(key))
  return localStorage.getItem(key) !== null && Number.isFinite(v) ? v : fallback
}

const newRequestId = (): string => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`

export const usePredictStore = defineStore('predict', () => {
  const api = useApi()
  const projectId = ref<number | null>(null)
  const { rows, loaded, error: loadError, load: loadRuns } = useRunTable(projectId, () => (runId.value = defaultChoice(choices.value, runId.value)))
  const runId = ref<number | null>(null)

  const text = ref('')
  const result = ref<TextPrediction | null>(null)
  const predicting = ref(false)
  const error = ref<string | null>(null)
  const auto = ref(localStorage.getItem(AUTO_KEY) !== 'off')
  const threshold = ref(Math.min(1, Math.max(0, storedNumber(THRESHOLD_KEY, 0))))

  const choices = computed(() => modelChoices(rows.value))
  const chosen = computed(() => choices.value.find((c) => c.id === runId.value) ?? null)
  /** The result no longer matches the text or the model (shown dimmed until predicted again). */
  const stale = computed(() => result.value !== null && (result.value.text !== text.value || result.value.runId !== runId.value))

  watch(threshold, (t) => localStorage.setItem(THRESHOLD_KEY, String(t)))
  watch(auto, (a) => localStorage.setItem(AUTO_KEY, a ? 'on' : 'off'))

  async function open(id: number, wantedRun: number | null): Promise<void> {
    if (projectId.value !== id) {
      projectId.value = id
      rows.value = []
      loaded.value = false
      result.value = null
      resetFile()
    }
    if (wantedRun !== null) runId.value = wantedRun
    await loadRuns()
  }

  // ---- text ---------------------------------------------------------------------------------

  let seq = 0
  let again = false
  let typingTimer: ReturnType<typeof setTimeout> | undefined

  /** Predicts the text now (one request at a time; a newer text waits for the one in flight). */
  async function predict(): Promise<void> {
    clearTimeout(typingTimer)
    const problem = textProblem(text.value)
    if (runId.value === null || problem) {
      error.value = runId.value === null ? 'Choose a model first.' : problem
      return
    }
    if (predicting.value) {
      again = true
      return
    }
    const asked = { runId: runId.value, text: text.value }
    const mine = ++seq
    predicting.value = true
    error.value = null
    const t0 = performance.now()
    try {
      const r = await api.invoke('run.predict', { id: asked.runId, texts: [asked.text] })
      if (mine === seq) result.value = { runId: asked.runId, text: asked.text, spans: r.items[0]?.spans ?? [], ms: performance.now() - t0 }
    } catch (err) {
      if (mine === seq) error.value = (err as Error).message
    } finally {
      predicting.value = false
    }
    if (again) {
      again = false
      if (stale.value && predictsAsYouType(text.value)) void predict()
    }
  }

  /** After a change of text or model: predict once typing pauses, if the text is short enough. */
  function changed(): void {
    clearTimeout(typingTimer)
    if (!auto.value || !predictsAsYouType(text.value) || runId.value === null) return
    typingTimer = setTimeout(() => void predict(), TYPING_PAUSE_MS)
  }

  function setText(t: string): void {
    text.value = t
    changed()
  }

  function choose(id: number): void {
    runId.value = id
    changed()
  }

  // ---- file ---------------------------------------------------------------------------------

  const file = ref<File | null>(null)
  const fileFormat = ref<Format | 'auto'>('auto')
  const filePhase = ref<FilePhase>('idle')
  const uploadFraction = ref(0)
  const fileProgress = ref<RunPredictProgress | null>(null)
  const fileResult = ref<RunPredictFileResult | null>(null)
  const fileError = ref<string | null>(null)
  const exportFormat = ref<Format>('doccano')
  const exportScheme = ref<FileTagScheme>('iob2')
  /** Export only the entities at or above the threshold. */
  const exportAboveThreshold = ref(false)
  const exportMessage = ref<string | null>(null)
  const exporting = ref(false)
  let requestId: string | null = null

  api.on('run.onDidPredictProgress', (p) => {
    if (requestId !== null && p.requestId === requestId) fileProgress.value = p
  })

  function resetFile(): void {
    filePhase.value = 'idle'
    fileProgress.value = null
    fileResult.value = null
    fileError.value = null
    exportMessage.value = null
  }

  function chooseFile(f: File | null): void {
    file.value = f
    resetFile()
  }

  async function predictFile(): Promise<void> {
    if (!file.value || runId.value === null || filePhase.value === 'uploading' || filePhase.value === 'predicting') return
    resetFile()
    const id = newRequestId()
    requestId = id
    try {
      filePhase.value = 'uploading'
      uploadFraction.value = 0
      const ref_ = await api.fileRef(file.value, (sent, total) => (uploadFraction.value = total ? sent / total : 0))
      filePhase.value = 'predicting'
      const r = await api.invoke('run.predictFile', { id: runId.value, file: ref_, format: fileFormat.value, requestId: id })
      if (requestId !== id) return
      fileResult.value = r
      exportFormat.value = defaultExportFormat(r.format)
      filePhase.value = 'done'
    } catch (err) {
      if (requestId !== id) return
      fileError.value = (err as Error).message
      filePhase.value = 'failed'
    }
  }

  async function cancelFile(): Promise<void> {
    if (requestId === null || filePhase.value !== 'predicting') return
    try {
      await api.invoke('run.cancelPredictFile', { requestId })
    } catch (err) {
      fileError.value = (err as Error).message
    }
  }

  /** A browser downloads the predictions; the desktop app asks where to save them and writes them there. */
  async function exportFile(): Promise<void> {
    const r = fileResult.value
    if (!r) return
    exportMessage.value = null
    const format = exportFormat.value
    const name = predictionFileName(r.file, format)
    const minConfidence = exportAboveThreshold.value ? threshold.value : 0
    if (api.exportUrl) {
      if (format === 'brat') {
        exportMessage.value = 'brat predictions are a folder of files: export them from the desktop app or with `tagtune predict --format brat`.'
        return
      }
      // The export URL carries the connection's token; predictions are served beside it.
      const url = new URL(api.exportUrl({ resultId: r.resultId, format, ...(format === 'conll' ? { scheme: exportScheme.value } : {}), minConfidence }))
      url.pathname = url.pathname.replace(/\/api\/export$/, '/api/predictions')
      const a = document.createElement('a')
      a.href = url.href
      a.download = name
      a.click()
      exportMessage.value = `Downloading ${name}…`
      return
    }
    exporting.value = true
    try {
      const { path } = await api.invoke('app.chooseSavePath', { defaultName: name, folder: format === 'brat' })
      if (!path) return
      const w = await api.invoke('run.exportPredictions', { resultId: r.resultId, format, ...(format === 'conll' ? { scheme: exportScheme.value } : {}), minConfidence, path })
      exportMessage.value = `Saved ${w.entities} entities in ${w.documents} documents to ${path}.`
    } catch (err) {
      exportMessage.value = (err as Error).message
    } finally {
      exporting.value = false
    }
  }

  return {
    projectId,
    rows,
    loaded,
    loadError,
    runId,
    choices,
    chosen,
    text,
    result,
    predicting,
    error,
    auto,
    threshold,
    stale,
    open,
    loadRuns,
    predict,
    setText,
    choose,
    changed,
    file,
    fileFormat,
    filePhase,
    uploadFraction,
    fileProgress,
    fileResult,
    fileError,
    exportFormat,
    exportScheme,
    exportAboveThreshold,
    exportMessage,
    exporting,
    chooseFile,
    predictFile,
    cancelFile,
    exportFile,
  }
})
