/** Undo/redo over whole annotation states. Pure: the store decides when to push and save. */
import type { AnnotationStatus, SpanTuple } from '@shared/domain/dataset'

export interface EditState {
  spans: SpanTuple[]
  status: AnnotationStatus
}

export interface History {
  past: EditState[]
  present: EditState
  future: EditState[]
}

export const HISTORY_LIMIT = 500

export function startHistory(present: EditState): History {
  return { past: [], present, future: [] }
}

export function push(h: History, next: EditState): History {
  return { past: [...h.past, h.present].slice(-HISTORY_LIMIT), present: next, future: [] }
}

export function undo(h: History): History {
  if (h.past.length === 0) return h
  return { past: h.past.slice(0, -1), present: h.past[h.past.length - 1]!, future: [h.present, ...h.future] }
}

export function redo(h: History): History {
  if (h.future.length === 0) return h
  return { past: [...h.past, h.present], present: h.future[0]!, future: h.future.slice(1) }
}
