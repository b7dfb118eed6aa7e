/**
 * The Runs view's state for one project: every run with its table row (run.table), the filter,
 * the sort, the columns the user chose (kept in localStorage), the selection to compare, and
 * in-place edits of tags and notes (run.update). Follows other windows through run events.
 */
import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import type { RunTableRow } from '@shared/domain/run-compare'
import { useApi } from '../api/client'
import { useRunTable } from '../runs/run-table-source'
import { COLUMN_KEYS, filterRows, sortRows, visibleColumns, type RunFilter, type SortState } from '../runs/table'

const COLUMNS_KEY = 'tagtune.runs.columns'
const SORT_KEY = 'tagtune.runs.sort'
export const MAX_COMPARE = 8

function restore<T>(key: string, check: (v: unknown) => v is T): T | null {
  try {
    const v = JSON.parse(localStorage.getItem(key) ?? 'null') as unknown
    return check(v) ? v : null
  } catch {
    return null
  }
}

export const useRunsStore = defineStore('runs', () => {
  const api = useApi()
  const projectId = ref<number | null>(null)
  const { rows, loaded, error, load } = useRunTable(projectId, (list) => {
    const ids = new Set(list.map((r) => r.run.id))
    selected.value = selected.value.filter((x) => ids.has(x))
  })
  const filter = ref<RunFilter>({ text: '', status: '', tag: '' })
  const sort = ref<SortState>(restore(SORT_KEY, (v): v is SortState => typeof v === 'object' && v !== null && 'key' in v && 'dir' in v) ?? { key: 'run', dir: 'desc' })
  const columnKeys = ref<string[] | null>(restore(COLUMNS_KEY, (v): v is string[] => Array.isArray(v) && v.every((k) => typeof k === 'string')))
  const selected = ref<number[]>([])

  const columns = computed(() => visibleColumns(columnKeys.value))
  const shown = computed(() => sortRows(filterRows(rows.value, filter.value), sort.value))

  watch(columnKeys, (keys) => (keys ? localStorage.setItem(COLUMNS_KEY, JSON.stringify(keys)) : localStorage.removeItem(COLUMNS_KEY)), { deep: true })
  watch(sort, (s) => localStorage.setItem(SORT_KEY, JSON.stringify(s)), { deep: true })

  async function open(id: number): Promise<void> {
    if (projectId.value !== id) {
      projectId.value = id
      rows.value = []
      loaded.value = false
      selected.value = []
      filter.value = { ...filter.value, tag: '' }
    }
    await load()
  }

  function toggleColumn(key: string): void {
    const current = columns.value.map((c) => c.key)
    const next = current.includes(key) ? current.filter((k) => k !== key) : COLUMN_KEYS.filter((k) => k === key || current.includes(k))
    columnKeys.value = next
  }

  function resetColumns(): void {
    columnKeys.value = null
  }

  function setSort(key: string): void {
    sort.value = sort.value.key === key ? { key, dir: sort.value.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: key === 'run' || key === 'started' ? 'desc' : 'asc' }
  }

  function toggleSelected(id: number): void {
    selected.value = selected.value.includes(id) ? selected.value.filter((x) => x !== id) : [...selected.value, id]
  }

  /** Saves the edit and puts the answer in its row (the change event reloads the rest). */
  async function update(id: number, patch: { tags?: string[]; notes?: string; name?: string }): Promise<void> {
    try {
      const run = await api.invoke('run.update', { id, ...patch })
      rows.value = rows.value.map((r) => (r.run.id === id ? { ...r, run } : r))
      error.value = null
    } catch (err) {
      error.value = (err as Error).message
    }
  }

  return { projectId, rows, loaded, error, filter, sort, columns, columnKeys, shown, selected, open, load, toggleColumn, resetColumns, setSort, toggleSelected, update }
})
