/** Bulk edits, kept with each document's state before them so they can be undone. */
import type { DB } from '../db'
import type { AnnotationStatus, SpanTuple } from '../../../src-shared/domain/dataset'

export interface BulkChange {
  documentId: number
  /** The annotation before the edit, or null when the annotator had none. */
  before: { spans: SpanTuple[]; status: AnnotationStatus } | null
  afterVersion: number
}

export function insertBulkEdit(db: DB, e: { projectId: number; annotator: string; description: string; changes: BulkChange[]; now: string }): number {
  return Number(
    db.prepare('INSERT INTO bulk_edits (project_id, annotator, description, changes, created_at) VALUES (?, ?, ?, ?, ?)').run(e.projectId, e.annotator, e.description, JSON.stringify(e.changes), e.now)
      .lastInsertRowid,
  )
}

export function getBulkEdit(db: DB, id: number): { id: number; projectId: number; annotator: string; changes: BulkChange[]; undoneAt: string | null } | undefined {
  const r = db.prepare('SELECT id, project_id, annotator, changes, undone_at FROM bulk_edits WHERE id = ?').get(id) as
    | { id: number; project_id: number; annotator: string; changes: string; undone_at: string | null }
    | undefined
  return r ? { id: r.id, projectId: r.project_id, annotator: r.annotator, changes: JSON.parse(r.changes) as BulkChange[], undoneAt: r.undone_at } : undefined
}

export function markUndone(db: DB, id: number, now: string): void {
  db.prepare('UPDATE bulk_edits SET undone_at = ? WHERE id = ?').run(now, id)
}

/** Documents of the project whose text contains `text`. */
export function documentsContaining(db: DB, projectId: number, text: string): { id: number; position: number; text: string }[] {
  return db.prepare('SELECT id, position, text FROM documents WHERE project_id = ? AND instr(text, ?) > 0 ORDER BY position').all(projectId, text) as never
}
