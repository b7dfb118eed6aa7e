/**
 * The annotation workspace's queue: which documents, in which order, narrowed by which filters,
 * with the project's progress. One per workspace (call it in the view's setup); the list rows
 * themselves load page by page in the VirtualList through `fetchRows`.
 */
import { computed, onScopeDispose, ref, watch, type Ref } from 'vue'
import type { AnnotationStatus, DatasetProgress, DocumentItem, DocumentPage, Split } from '@shared/domain/dataset'
import type { Project } from '@shared/domain/project'
import { useApi } from '../api/client'

export type QueueOrder = 'position' | 'random' | 'least-confident'

export function useQueue(project: Ref<Project | undefined>, suggestRunId: Ref<number | null>) {
  const api = useApi()
  const list = ref<DocumentPage>({ total: 0, items: [] })
  /** Changes whenever the list's content may have changed: the VirtualList then reloads its rows. */
  const listVersion = ref(0)
  const order = ref<QueueOrder>((localStorage.getItem('tagtune.queueOrder') as QueueOrder | null) ?? 'position')
  const seed = ref(Number(localStorage.getItem('tagtune.queueSeed') ?? 1))
  const statusFilter = ref<AnnotationStatus | ''>('')
  /** The queue can be narrowed to a split, to documents with a label, and to documents containing a text. */
  const splitFilter = ref<Split | ''>('')
  const labelFilter = ref<number | ''>('')
  const textFilter = ref('')
  /** Reviewing: the queue is narrowed to documents that are not to do. */
  const reviewing = computed(() => statusFilter.value !== '' && statusFilter.value !== 'todo')
  const filtered = computed(() => !!(statusFilter.value || splitFilter.value || labelFilter.value !== '' || textFilter.value.trim()))
  const countText = computed(() => {
    const n = list.value.total
    return `${n.toLocaleString()} document${n === 1 ? '' : 's'}${filtered.value ? (n === 1 ? ' matches' : ' match') : ''}`
  })
  function clearFilters(): void {
    statusFilter.value = splitFilter.value = textFilter.value = ''
    labelFilter.value = ''
  }
  const stats = ref<DatasetProgress | null>(null)
  const progress = computed(() => (stats.value ? { done: stats.value.status.done, total: Object.values(stats.value.documents).reduce((a, b) => a + b, 0) } : null))

  function listQuery(offset: number, limit: number) {
    return {
      projectId: project.value!.id,
      offset,
      limit,
      order: order.value === 'least-confident' && suggestRunId.value === null ? ('position' as const) : order.value,
      seed: seed.value,
      ...(suggestRunId.value !== null ? { runId: suggestRunId.value } : {}),
      ...(statusFilter.value ? { status: statusFilter.value } : {}),
      ...(splitFilter.value ? { split: splitFilter.value } : {}),
      ...(labelFilter.value !== '' ? { labelId: labelFilter.value } : {}),
      ...(textFilter.value.trim() ? { text: textFilter.value.trim() } : {}),
    }
  }

  let progressDue = false
  async function fetchRows(offset: number, limit: number): Promise<DocumentItem[]> {
    if (!project.value) return []
    const items = (await api.invoke('document.list', listQuery(offset, limit))).items
    // The progress figures scan every document: ask for them once the first rows are on screen.
    if (progressDue) {
      progressDue = false
      void loadProgress()
    }
    return items
  }

  /** The list's size and first document (and, after the rows, the progress); returns this request's page. */
  let listRequest = 0
  async function loadList(): Promise<DocumentPage | undefined> {
    if (!project.value) return undefined
    // Filters change faster than a slow query answers: only the latest request's answer is shown.
    const mine = ++listRequest
    const page = await api.invoke('document.list', listQuery(0, 1))
    if (mine !== listRequest) return page
    list.value = page
    progressDue = true
    listVersion.value++
    return page
  }

  async function loadProgress(): Promise<void> {
    if (!project.value) return
    stats.value = await api.invoke('dataset.progress', { projectId: project.value.id })
  }

  /** Saves change statuses in the list and the progress: refresh them, but not on every keystroke. */
  let refreshTimer: ReturnType<typeof setTimeout> | undefined
  function refreshSoon(): void {
    clearTimeout(refreshTimer)
    refreshTimer = setTimeout(() => void loadList(), 1500)
  }

  /**
   * Where "go on" leads from `current` in a shuffled, least-confident or narrowed queue: the first
   * document still to do in it; when the queue is narrowed to another status (reviewing done or
   * skipped documents), the one after `current` in the queue.
   */
  async function nextInQueue(current: number | undefined): Promise<number | undefined> {
    if (!project.value) return undefined
    if (reviewing.value) {
      // The next one in the queue's order, even if this one has just left the queue (done -> skipped).
      if (current === undefined) return undefined
      return (await api.invoke('document.list', { ...listQuery(0, 1), after: current })).items[0]?.id
    }
    const page = await api.invoke('document.list', { ...listQuery(0, 2), status: 'todo' })
    return page.items.find((d) => d.id !== current)?.id
  }

  watch([order, seed], () => {
    localStorage.setItem('tagtune.queueOrder', order.value)
    localStorage.setItem('tagtune.queueSeed', String(seed.value))
    void loadList()
  })
  watch([statusFilter, splitFilter, labelFilter], () => void loadList())
  let textTimer: ReturnType<typeof setTimeout> | undefined
  watch(textFilter, () => {
    clearTimeout(textTimer)
    textTimer = setTimeout(() => void loadList(), 250)
  })
  // Filters belong to a project's queue (label ids differ between projects).
  watch(
    () => project.value?.id,
    (id, old) => {
      if (old !== undefined && id !== old) clearFilters()
    },
  )
  onScopeDispose(() => {
    clearTimeout(textTimer)
    clearTimeout(refreshTimer)
  })

  return { list, listVersion, order, seed, statusFilter, splitFilter, labelFilter, textFilter, filtered, reviewing, countText, clearFilters, stats, progress, fetchRows, loadList, refreshSoon, nextInQueue }
}

export type Queue = ReturnType<typeof useQueue>
