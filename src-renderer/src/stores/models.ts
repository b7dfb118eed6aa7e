/**
 * The model library: the list (kept in step with imports, downloads and finished runs in any
 * window), importing a folder (by path in the desktop app, uploaded from a browser), downloading
 * from a hub with its progress, and deleting.
 */
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { LIBRARY_FILE_NAMES, type ImportMode, type ModelDownload, type ModelDownloadProgress, type ModelImportResult, type ModelSummary } from '@shared/domain/model-library'
import { useApi } from '../api/client'
import { useListed } from './listed'

export const useModelsStore = defineStore('models', () => {
  const api = useApi()
  const { items: models, loaded, loading, loadError, load } = useListed(() => api.invoke('model.list', {}))
  /** The latest progress of a download started from this window. */
  const download = ref<ModelDownloadProgress | null>(null)
  let downloadingRepo: string | null = null
  /** Paths on the host can be named only from the desktop app; a browser uploads the folder. */
  const canUsePaths = computed(() => api.transport === 'electron')

  /** Library models first, then run models; a model that cannot be used right now is not offered for training. */
  const usable = computed(() => models.value.filter((m) => m.problem === null && m.info !== null))

  api.on('model.onDidChange', () => void load())
  // A finished (or deleted) run adds or removes its best model.
  api.on('run.onDidChange', (c) => {
    if (loaded.value && c.status !== 'queued' && c.status !== 'running' && c.status !== 'paused') void load()
  })
  api.on('model.onDidDownloadProgress', (p) => {
    if (p.repo === downloadingRepo) download.value = p
  })

  async function importPath(path: string, mode: ImportMode, name?: string): Promise<ModelImportResult> {
    const r = await api.invoke('model.import', { path, mode, ...(name ? { name } : {}) })
    await load()
    return r
  }

  /**
   * Uploads the model's files of a folder the user picked (input webkitdirectory) and imports
   * them; the folder's other files are only named, so that e.g. a pytorch_model.bin gets its
   * own message.
   */
  async function importUpload(files: File[], name: string | undefined, onProgress: (fraction: number) => void): Promise<ModelImportResult> {
    const rel = (f: File): string[] => (f.webkitRelativePath || f.name).split('/')
    const folder = rel(files[0]!)[0] && rel(files[0]!).length > 1 ? rel(files[0]!)[0]! : 'model'
    // The folder's own files (not those of subfolders).
    const top = files.filter((f) => rel(f).length <= 2)
    const wanted = top.filter((f) => LIBRARY_FILE_NAMES.includes(f.name))
    const other = top.filter((f) => !LIBRARY_FILE_NAMES.includes(f.name)).map((f) => f.name)
    if (wanted.length === 0) throw new Error(`${folder} holds none of the files of a Hugging Face model (config.json, model.safetensors, vocab.txt or tokenizer.json).`)
    const total = wanted.reduce((n, f) => n + f.size, 0) || 1
    let done = 0
    const uploaded: { name: string; uploadId: string }[] = []
    for (const f of wanted) {
      const ref = await api.fileRef(f, (sent) => onProgress((done + sent) / total))
      if (!('uploadId' in ref)) throw new Error('This window cannot upload files.')
      uploaded.push({ name: f.name, uploadId: ref.uploadId })
      done += f.size
      onProgress(done / total)
    }
    const r = await api.invoke('model.import', { upload: { folder, files: uploaded, otherFiles: other.slice(0, 10_000) }, ...(name ? { name } : {}) })
    await load()
    return r
  }

  async function downloadModel(input: ModelDownload): Promise<ModelImportResult> {
    downloadingRepo = input.repo
    download.value = null
    try {
      const r = await api.invoke('model.download', input)
      await load()
      return r
    } finally {
      downloadingRepo = null
    }
  }

  async function remove(id: string): Promise<void> {
    await api.invoke('model.delete', { id })
    await load()
  }

  return { models, usable, loaded, loading, loadError, download, canUsePaths, load, importPath, importUpload, downloadModel, remove }
})
