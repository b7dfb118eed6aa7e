/** The raw counts behind dataset statistics, each one SQL query over the shown annotations. */
import type { DB } from '../db'
import { SHOWN_ANNOTATION } from './documents'
import type { AnnotationStatus, Split } from '../../../src-shared/domain/dataset'

export function countsBySplit(db: DB, projectId: number): { split: Split; documents: number; characters: number; tokens: number; empty: number }[] {
  return db
    .prepare(
      `SELECT d.split AS split, count(*) AS documents, sum(length(d.text)) AS characters, sum(d.token_count) AS tokens,
              sum(CASE WHEN COALESCE(a.span_count, 0) = 0 THEN 1 ELSE 0 END) AS empty
       FROM documents d ${SHOWN_ANNOTATION} WHERE d.project_id = ? GROUP BY d.split`,
    )
    .all(projectId) as never
}

export function countsByStatus(db: DB, projectId: number): { status: AnnotationStatus | null; n: number }[] {
  return db.prepare(`SELECT a.status AS status, count(*) AS n FROM documents d ${SHOWN_ANNOTATION} WHERE d.project_id = ? GROUP BY a.status`).all(projectId) as never
}

export function entitiesByLabelAndSplit(db: DB, projectId: number): { split: Split; labelId: number; n: number }[] {
  return db
    .prepare(
      `SELECT d.split AS split, j.value ->> 2 AS labelId, count(*) AS n
       FROM documents d ${SHOWN_ANNOTATION}, json_each(a.spans) j WHERE d.project_id = ? GROUP BY d.split, labelId`,
    )
    .all(projectId) as never
}

export function spanLengths(db: DB, projectId: number): { length: number; n: number }[] {
  return db
    .prepare(
      `SELECT (j.value ->> 1) - (j.value ->> 0) AS length, count(*) AS n
       FROM documents d ${SHOWN_ANNOTATION}, json_each(a.spans) j WHERE d.project_id = ? GROUP BY length ORDER BY length`,
    )
    .all(projectId) as never
}

/** For each document with entities, the distinct label ids in it ("3,7"). */
export function labelSetsPerDocument(db: DB, projectId: number): IterableIterator<{ labels: string }> {
  return db
    .prepare(
      `SELECT group_concat(DISTINCT j.value ->> 2) AS labels
       FROM documents d ${SHOWN_ANNOTATION}, json_each(a.spans) j WHERE d.project_id = ? GROUP BY d.id`,
    )
    .iterate(projectId) as never
}

export function donePerSplit(db: DB, projectId: number): { split: Split; n: number }[] {
  return db
    .prepare(`SELECT d.split AS split, count(*) AS n FROM documents d ${SHOWN_ANNOTATION} WHERE d.project_id = ? AND a.status = 'done' GROUP BY d.split`)
    .all(projectId) as never
}

export function byAnnotator(db: DB, projectId: number): { annotator: string; status: AnnotationStatus; n: number }[] {
  return db
    .prepare(
      `SELECT a.annotator AS annotator, a.status AS status, count(*) AS n FROM documents d JOIN annotations a ON a.document_id = d.id
       WHERE d.project_id = ? GROUP BY a.annotator, a.status ORDER BY a.annotator`,
    )
    .all(projectId) as never
}

export function documentsPerSplit(db: DB, projectId: number): { split: Split; n: number }[] {
  return db.prepare('SELECT split, count(*) AS n FROM documents WHERE project_id = ? GROUP BY split').all(projectId) as never
}
