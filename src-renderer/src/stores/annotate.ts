/**
 * The open document in the annotation workspace: its spans with undo/redo, the selection, and
 * saving. Every edit is saved within a second with the version it started from; if someone
 * saved in between, the conflict is shown with both versions and nothing is overwritten.
 */
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { AnnotationRecord, DocumentDetail } from '@shared/domain/annotation'
import type { AnnotationStatus, SpanTuple } from '@shared/domain/dataset'
import { sortSpans } from '@shared/domain/spans'
import { ApiError, useApi } from '../api/client'
import { push, redo as redoHistory, startHistory, undo as undoHistory, type EditState, type History } from '../annotate/history'

/** A pause this long saves; during a burst of edits a save still starts at least every MAX_WAIT_MS. */
export const SAVE_DELAY_MS = 300
export const MAX_WAIT_MS = 600
const ANNOTATOR_KEY = 'tagtune.annotator'

export type SaveState = 'saved' | 'unsaved' | 'saving' | 'conflict' | 'error'

export const useAnnotateStore = defineStore('annotate', () => {
  const api = useApi()
  const annotator = ref(localStorage.getItem(ANNOTATOR_KEY) ?? '')
  const doc = ref<DocumentDetail | null>(null)
  // Shallow: past states are never mutated, and deep proxies over thousands of span tuples are slow.
  const history = shallowRef<History>(startHistory({ spans: [], status: 'todo' }))
  /** Version of this annotator's annotation on the server (0: none yet). */
  const version = ref(0)
  const saveState = ref<SaveState>('saved')
  const saveError = ref<string | null>(null)
  const conflict = ref<AnnotationRecord | null>(null)
  const changedElsewhere = ref(false)
  const selection = ref<{ start: number; end: number } | null>(null)
  const selectedSpan = ref<number | null>(null)
  let timer: ReturnType<typeof setTimeout> | undefined
  let inFlight: Promise<void> | undefined
  let again = false

  const spans = computed(() => history.value.present.spans)
  const status = computed(() => history.value.present.status)
  const canUndo = computed(() => history.value.past.length > 0)
  const canRedo = computed(() => history.value.future.length > 0)

  function setAnnotator(name: string): void {
    annotator.value = name.trim()
    localStorage.setItem(ANNOTATOR_KEY, annotator.value)
  }

  // A save that failed because the connection dropped is retried as soon as it is back.
  let wasDown = false
  api.onState((state) => {
    if (state !== 'open') wasDown = true
    else if (wasDown) {
      wasDown = false
      if (saveState.value !== 'saved' && saveState.value !== 'conflict') {
        saveState.value = 'unsaved'
        void save()
      }
    }
  })

  /** Highest version announced for the open document while our own save was in flight. */
  let announced = 0

  api.on('annotation.onDidChange', (c) => {
    if (!doc.value || c.documentId !== doc.value.id || c.annotator !== annotator.value) return
    // Our own save is announced before its answer arrives: decide once the answer is in.
    if (inFlight) {
      announced = Math.max(announced, c.version)
      return
    }
    followRemote(c.version)
  })

  function followRemote(remoteVersion: number): void {
    if (!doc.value || remoteVersion <= version.value) return
    if (saveState.value === 'saved') void open(doc.value.id)
    else changedElsewhere.value = true
  }

  /** The state to start from: this annotator's own work, else the document's shown annotation. */
  function startingPoint(d: DocumentDetail): { state: EditState; version: number } {
    const mine = d.annotations.find((a) => a.annotator === annotator.value)
    if (mine) return { state: { spans: mine.spans, status: mine.status }, version: mine.version }
    const base = d.annotations.find((a) => a.status === 'done') ?? d.annotations[0]
    return { state: { spans: base?.spans ?? [], status: base?.status ?? 'todo' }, version: 0 }
  }

  async function open(id: number): Promise<void> {
    await flush()
    const d = await api.invoke('document.get', { id })
    const start = startingPoint(d)
    doc.value = d
    history.value = startHistory(start.state)
    version.value = start.version
    saveState.value = 'saved'
    saveError.value = null
    conflict.value = null
    changedElsewhere.value = false
    selection.value = null
    selectedSpan.value = null
  }

  let dirtySince: number | undefined

  function schedule(): void {
    saveState.value = 'unsaved'
    dirtySince ??= Date.now()
    clearTimeout(timer)
    const wait = Math.max(0, Math.min(SAVE_DELAY_MS, dirtySince + MAX_WAIT_MS - Date.now()))
    timer = setTimeout(() => void save(), wait)
  }

  async function save(): Promise<void> {
    clearTimeout(timer)
    if (!doc.value || saveState.value === 'conflict') return
    if (inFlight) {
      again = true
      return inFlight
    }
    const present = history.value.present
    dirtySince = undefined
    saveState.value = 'saving'
    inFlight = (async () => {
      try {
        const r = await api.invoke('annotation.save', { documentId: doc.value!.id, annotator: annotator.value, spans: present.spans, status: present.status, expectedVersion: version.value })
        version.value = r.version
        saveError.value = null
        saveState.value = history.value.present === present ? 'saved' : 'unsaved'
      } catch (err) {
        const current = err instanceof ApiError && err.code === 'CONFLICT' ? (err.details as { current?: AnnotationRecord }).current : undefined
        if (current && sameState(current, present)) {
          // Our own earlier save arrived although its answer was lost (the connection dropped): nothing to choose.
          version.value = current.version
          saveError.value = null
          saveState.value = history.value.present === present ? 'saved' : 'unsaved'
        } else if (err instanceof ApiError && err.code === 'CONFLICT') {
          conflict.value = current ?? null
          saveState.value = 'conflict'
        } else {
          saveError.value = (err as Error).message
          saveState.value = 'error'
        }
      } finally {
        inFlight = undefined
      }
    })()
    await inFlight
    if (announced > version.value) followRemote(announced)
    announced = 0
    const after = saveState.value as SaveState
    if (again || after === 'unsaved') {
      again = false
      if (after !== 'conflict' && after !== 'error') await save()
    }
  }

  function sameState(a: { spans: SpanTuple[]; status: AnnotationStatus }, b: EditState): boolean {
    return a.status === b.status && JSON.stringify(a.spans) === JSON.stringify(b.spans)
  }

  /** Save now if anything is pending (before leaving the document). */
  async function flush(): Promise<void> {
    if (saveState.value === 'unsaved' || inFlight) await save()
  }

  function edit(next: EditState): void {
    if (!doc.value) return
    const status: AnnotationStatus = next.status === 'todo' ? 'in-progress' : next.status
    history.value = push(history.value, { spans: sortSpans(next.spans), status })
    schedule()
  }

  function setSpans(list: SpanTuple[]): void {
    edit({ spans: list, status: status.value })
  }

  function setStatus(s: AnnotationStatus): void {
    history.value = push(history.value, { spans: spans.value, status: s })
    schedule()
  }

  function undo(): void {
    if (!canUndo.value) return
    history.value = undoHistory(history.value)
    selectedSpan.value = null
    schedule()
  }

  function redo(): void {
    if (!canRedo.value) return
    history.value = redoHistory(history.value)
    selectedSpan.value = null
    schedule()
  }

  /** Resolve a conflict: keep this window's version (saved over theirs), or take theirs. */
  async function resolve(choice: 'mine' | 'theirs'): Promise<void> {
    const theirs = conflict.value
    if (!theirs) return
    conflict.value = null
    version.value = theirs.version
    if (choice === 'theirs') {
      history.value = push(history.value, { spans: theirs.spans, status: theirs.status })
      saveState.value = 'saved'
    } else {
      saveState.value = 'unsaved'
      await save()
    }
    changedElsewhere.value = false
  }

  return {
    annotator, doc, history, version, saveState, saveError, conflict, changedElsewhere, selection, selectedSpan,
    spans, status, canUndo, canRedo,
    setAnnotator, open, save, flush, edit, setSpans, setStatus, undo, redo, resolve,
  }
})
