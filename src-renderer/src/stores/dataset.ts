/** The Dataset view's state for one project: statistics, the document page, imports in flight. */
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { DatasetStats, DocumentPage, ImportOptions, ImportProgress, ImportReport, Split, SplitOptions, AnnotationStatus, FileRef } from '@shared/domain/dataset'
import { useApi, ApiError } from '../api/client'

export interface DocumentFilters {
  split?: Split | undefined
  status?: AnnotationStatus | undefined
  labelId?: number | undefined
  text?: string | undefined
}

export const PAGE_SIZE = 25

export const useDatasetStore = defineStore('dataset', () => {
  const api = useApi()
  const projectId = ref<number | null>(null)
  const stats = ref<DatasetStats | null>(null)
  const page = ref<DocumentPage>({ total: 0, items: [] })
  const offset = ref(0)
  const filters = ref<DocumentFilters>({})
  const error = ref<string | null>(null)
  const progress = ref<ImportProgress | null>(null)

  api.on('dataset.onDidChange', (e) => {
    if (e.projectId === projectId.value) void refresh()
  })
  api.on('project.onDidChange', (e) => {
    if (e.projectId === projectId.value && e.kind === 'updated') void loadStats()
  })
  api.on('dataset.onDidImportProgress', (p) => {
    if (p.projectId === projectId.value) progress.value = p
  })

  async function loadStats(): Promise<void> {
    if (projectId.value === null) return
    try {
      stats.value = await api.invoke('dataset.stats', { projectId: projectId.value })
      error.value = null
    } catch (err) {
      error.value = (err as Error).message
    }
  }

  async function loadDocuments(): Promise<void> {
    if (projectId.value === null) return
    const f = filters.value
    try {
      page.value = await api.invoke('document.list', {
        projectId: projectId.value,
        offset: offset.value,
        limit: PAGE_SIZE,
        ...(f.split ? { split: f.split } : {}),
        ...(f.status ? { status: f.status } : {}),
        ...(f.labelId ? { labelId: f.labelId } : {}),
        ...(f.text ? { text: f.text } : {}),
      })
    } catch (err) {
      error.value = (err as Error).message
    }
  }

  async function refresh(): Promise<void> {
    await Promise.all([loadStats(), loadDocuments()])
  }

  async function open(id: number): Promise<void> {
    if (projectId.value !== id) {
      projectId.value = id
      stats.value = null
      page.value = { total: 0, items: [] }
      offset.value = 0
      filters.value = {}
    }
    await refresh()
  }

  function setFilters(f: DocumentFilters): void {
    filters.value = f
    offset.value = 0
    void loadDocuments()
  }

  function setOffset(o: number): void {
    offset.value = Math.max(0, o)
    void loadDocuments()
  }

  /** Upload (browser) or locate (desktop) the files; returns references the host can read. */
  async function prepareFiles(files: File[], onProgress: (fraction: number) => void): Promise<FileRef[]> {
    const total = files.reduce((n, f) => n + f.size, 0) || 1
    let done = 0
    const refs: FileRef[] = []
    for (const f of files) {
      refs.push(await api.fileRef(f, (sent) => onProgress((done + sent) / total)))
      done += f.size
      onProgress(done / total)
    }
    return refs
  }

  /** Check (dryRun) or import; an import refused for problems answers its report too. */
  async function importFiles(options: ImportOptions): Promise<{ report: ImportReport; refused: boolean }> {
    progress.value = null
    try {
      return { report: await api.invoke('dataset.import', options), refused: false }
    } catch (err) {
      if (err instanceof ApiError && err.code === 'INVALID_FILE' && err.details && typeof err.details === 'object') {
        return { report: err.details as ImportReport, refused: true }
      }
      throw err
    }
  }

  async function split(options: Omit<SplitOptions, 'projectId'>): Promise<number> {
    const r = await api.invoke('dataset.split', { projectId: projectId.value!, ...options })
    await refresh()
    return r.changed
  }

  async function moveDocuments(ids: number[], to: Split): Promise<void> {
    await api.invoke('document.setSplit', { projectId: projectId.value!, documentIds: ids, split: to })
    await refresh()
  }

  return { projectId, stats, page, offset, filters, error, progress, open, refresh, loadStats, setFilters, setOffset, prepareFiles, importFiles, split, moveDocuments }
})
