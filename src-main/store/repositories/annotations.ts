/** Annotations with optimistic versions: a save names the version it started from. */
import { cached, type DB } from '../db'
import type { AnnotationRecord } from '../../../src-shared/domain/annotation'
import type { AnnotationStatus, Split, SpanTuple } from '../../../src-shared/domain/dataset'

interface AnnotationRow {
  id: number
  document_id: number
  annotator: string
  status: AnnotationStatus
  spans: string
  version: number
  updated_at: string
}

function rowToAnnotation(r: AnnotationRow): AnnotationRecord {
  return { id: r.id, documentId: r.document_id, annotator: r.annotator, status: r.status, spans: JSON.parse(r.spans) as SpanTuple[], version: r.version, updatedAt: r.updated_at }
}

export interface DocumentRow {
  id: number
  project_id: number
  position: number
  text: string
  split: Split
}

export function getDocumentRow(db: DB, id: number): DocumentRow | undefined {
  return cached(db, 'SELECT id, project_id, position, text, split FROM documents WHERE id = ?').get(id) as DocumentRow | undefined
}

export function neighbours(db: DB, projectId: number, position: number): { previousId: number | null; nextId: number | null } {
  const prev = cached(db, 'SELECT id FROM documents WHERE project_id = ? AND position < ? ORDER BY position DESC LIMIT 1').get(projectId, position) as { id: number } | undefined
  const next = cached(db, 'SELECT id FROM documents WHERE project_id = ? AND position > ? ORDER BY position LIMIT 1').get(projectId, position) as { id: number } | undefined
  return { previousId: prev?.id ?? null, nextId: next?.id ?? null }
}

export function listAnnotations(db: DB, documentId: number): AnnotationRecord[] {
  return (cached(db, 'SELECT * FROM annotations WHERE document_id = ? ORDER BY updated_at DESC, id DESC').all(documentId) as AnnotationRow[]).map(rowToAnnotation)
}

export function getAnnotation(db: DB, documentId: number, annotator: string): AnnotationRecord | undefined {
  const r = cached(db, 'SELECT * FROM annotations WHERE document_id = ? AND annotator = ?').get(documentId, annotator) as AnnotationRow | undefined
  return r ? rowToAnnotation(r) : undefined
}

/**
 * Write `spans`/`status` if the stored version is still `expectedVersion` (0 and no row: insert).
 * Returns the new record, or undefined when someone saved in between.
 */
export function saveAnnotation(
  db: DB,
  a: { documentId: number; annotator: string; status: AnnotationStatus; spans: SpanTuple[]; expectedVersion: number; now: string },
): AnnotationRecord | undefined {
  const spans = JSON.stringify(a.spans)
  const updated = cached(
    db,
    'UPDATE annotations SET spans = ?, span_count = ?, status = ?, version = version + 1, updated_at = ? WHERE document_id = ? AND annotator = ? AND version = ?',
  ).run(spans, a.spans.length, a.status, a.now, a.documentId, a.annotator, a.expectedVersion)
  if (updated.changes === 0) {
    if (a.expectedVersion !== 0 || getAnnotation(db, a.documentId, a.annotator)) return undefined
    cached(db, 'INSERT INTO annotations (document_id, annotator, status, spans, span_count, version, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?)').run(
      a.documentId,
      a.annotator,
      a.status,
      spans,
      a.spans.length,
      a.now,
    )
  }
  return getAnnotation(db, a.documentId, a.annotator)
}

/** Every non-skipped annotation of documents that at least two annotators worked on, in document order. */
export function sharedAnnotations(db: DB, projectId: number): { documentId: number; position: number; annotator: string; spans: string }[] {
  return db
    .prepare(
      `SELECT d.id AS documentId, d.position, a.annotator, a.spans FROM documents d JOIN annotations a ON a.document_id = d.id
       WHERE d.project_id = ? AND a.status != 'skipped'
         AND d.id IN (SELECT document_id FROM annotations WHERE status != 'skipped' GROUP BY document_id HAVING count(*) >= 2)
       ORDER BY d.position, a.annotator`,
    )
    .all(projectId) as never
}
