/**
 * The Compare view's state: which runs (2 to 8) against which baseline, in which seqeval mode;
 * the host's comparison of them (run.compare), each run's curves (run.get), and a page of the
 * documents where their predictions differ (run.disagreements) with its filters.
 */
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { RunDetail } from '@shared/domain/run'
import type { RunComparison, RunDisagreementsPage } from '@shared/domain/run-compare'
import type { SpanErrorKind } from '@shared/domain/compare'
import { ApiError, useApi } from '../api/client'

export interface DisagreementQuery {
  type: string
  kind: SpanErrorKind | ''
  offset: number
  limit: number
}

export const useCompareStore = defineStore('compare', () => {
  const api = useApi()
  const ids = ref<number[]>([])
  const baseline = ref<number | null>(null)
  const mode = ref<'default' | 'strict'>('default')
  const comparison = ref<RunComparison | null>(null)
  const details = ref<Record<number, RunDetail>>({})
  const disagreements = ref<RunDisagreementsPage | null>(null)
  const query = ref<DisagreementQuery>({ type: '', kind: '', offset: 0, limit: 10 })
  const loading = ref(false)
  const error = ref<string | null>(null)
  /** A run of the route that no longer exists (deleted): the view drops it from the comparison. */
  const missing = ref<number | null>(null)
  let seq = 0

  // A compared run that finishes, is renamed or retagged elsewhere: compare again.
  let timer: ReturnType<typeof setTimeout> | undefined
  api.on('run.onDidChange', (c) => {
    if (!ids.value.includes(c.runId) || c.deleted) return
    clearTimeout(timer)
    timer = setTimeout(() => void open(ids.value, baseline.value, mode.value).then(() => loadDisagreements()), 200)
  })

  /** Compare these runs (the route's), reloading what changed. */
  async function open(next: number[], base: number | null, m: 'default' | 'strict'): Promise<void> {
    const sameRuns = next.join(',') === ids.value.join(',')
    ids.value = next
    baseline.value = base
    mode.value = m
    if (!sameRuns) {
      disagreements.value = null
      query.value = { ...query.value, type: '', kind: '', offset: 0 }
    }
    if (next.length < 2) {
      comparison.value = null
      error.value = null
      return
    }
    const mine = ++seq
    loading.value = true
    try {
      const c = await api.invoke('run.compare', { ids: next, mode: m, ...(base !== null ? { baseline: base } : {}) })
      if (mine !== seq) return
      comparison.value = c
      error.value = null
      await Promise.all([loadDetails(next), sameRuns && disagreements.value ? Promise.resolve() : loadDisagreements()])
    } catch (err) {
      if (mine !== seq) return
      error.value = (err as Error).message
      const id = err instanceof ApiError && err.code === 'NOT_FOUND' ? (err.details as { id?: unknown } | undefined)?.id : undefined
      if (typeof id === 'number') missing.value = id
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  async function loadDetails(list: number[]): Promise<void> {
    const missing = list.filter((id) => !details.value[id] || details.value[id]!.run.status !== 'completed')
    const got = await Promise.all(missing.map((id) => api.invoke('run.get', { id, logLimit: 0 })))
    const next = { ...details.value }
    for (const d of got) next[d.run.id] = d
    details.value = next
  }

  async function loadDisagreements(q: Partial<DisagreementQuery> = {}): Promise<void> {
    query.value = { ...query.value, ...q }
    if (ids.value.length < 2) return
    const { type, kind, offset, limit } = query.value
    try {
      disagreements.value = await api.invoke('run.disagreements', { ids: ids.value, offset, limit, ...(type ? { type } : {}), ...(kind ? { kind } : {}) })
    } catch (err) {
      error.value = (err as Error).message
    }
  }

  /** Every matching document (up to 100), for the exported report. */
  async function allDisagreements(): Promise<RunDisagreementsPage | null> {
    if (ids.value.length < 2) return null
    const { type, kind } = query.value
    return api.invoke('run.disagreements', { ids: ids.value, offset: 0, limit: 100, ...(type ? { type } : {}), ...(kind ? { kind } : {}) })
  }

  return { ids, baseline, mode, comparison, details, disagreements, query, loading, error, missing, open, loadDisagreements, allDisagreements }
})
