/**
 * A project's run table (run.table), kept current: reloaded shortly after any run of the
 * project changes (a burst of events loads once). Shared by the Runs and Predict stores.
 */
import { ref, type Ref } from 'vue'
import type { RunTableRow } from '@shared/domain/run-compare'
import { useApi } from '../api/client'

export function useRunTable(projectId: Ref<number | null>, afterLoad: (rows: RunTableRow[]) => void = () => {}) {
  const api = useApi()
  const rows = ref<RunTableRow[]>([])
  const loaded = ref(false)
  const error = ref<string | null>(null)

  let timer: ReturnType<typeof setTimeout> | undefined
  api.on('run.onDidChange', (c) => {
    if (c.projectId !== projectId.value) return
    clearTimeout(timer)
    timer = setTimeout(() => void load(), 120)
  })

  async function load(): Promise<void> {
    const id = projectId.value
    if (id === null) return
    try {
      const list = await api.invoke('run.table', { projectId: id })
      if (id !== projectId.value) return // another project was opened meanwhile
      rows.value = list
      loaded.value = true
      error.value = null
      afterLoad(list)
    } catch (err) {
      error.value = (err as Error).message
    }
  }

  return { rows, loaded, error, load }
}
