/**
 * A run's predictions over a project's documents, kept as suggestions (see migration 6):
 * replaced a chunk at a time as the trainer sends them, read per document, summarised per run.
 */
import { cached, type DB } from '../db'

/** [start, end, label name, confidence]. */
export type SuggestedSpan = [number, number, string, number]

export interface ModelSuggestionRow {
  runId: number
  documentId: number
  confidence: number
  spans: SuggestedSpan[]
  createdAt: string
}

/** Stores (or replaces) the suggestions of these documents, in one transaction; documents deleted meanwhile are skipped. */
export function putSuggestions(db: DB, runId: number, rows: readonly { documentId: number; confidence: number; spans: SuggestedSpan[] }[], now: string): number {
  const ins = cached(
    db,
    `INSERT INTO model_suggestions (run_id, document_id, confidence, spans, created_at)
     SELECT ?, id, ?, ?, ? FROM documents WHERE id = ?
     ON CONFLICT (run_id, document_id) DO UPDATE SET confidence = excluded.confidence, spans = excluded.spans, created_at = excluded.created_at`,
  )
  let n = 0
  db.transaction(() => {
    for (const r of rows) n += ins.run(runId, Math.min(1, Math.max(0, r.confidence)), JSON.stringify(r.spans), now, r.documentId).changes
  })()
  return n
}

export function getSuggestions(db: DB, runId: number, documentId: number): ModelSuggestionRow | undefined {
  const row = cached(db, 'SELECT run_id, document_id, confidence, spans, created_at FROM model_suggestions WHERE run_id = ? AND document_id = ?').get(runId, documentId) as
    | { run_id: number; document_id: number; confidence: number; spans: string; created_at: string }
    | undefined
  return row && { runId: row.run_id, documentId: row.document_id, confidence: row.confidence, spans: JSON.parse(row.spans) as SuggestedSpan[], createdAt: row.created_at }
}

export interface SuggestionSummary {
  runId: number
  documents: number
  /** Documents whose least confident word is under 0.5. */
  uncertain: number
  meanConfidence: number
  createdAt: string
}

/** Per run of the project: how many of its documents have suggestions, and when they were made. */
export function summarizeSuggestions(db: DB, projectId: number): SuggestionSummary[] {
  return cached(
    db,
    `SELECT s.run_id AS runId, count(*) AS documents, sum(s.confidence < 0.5) AS uncertain, avg(s.confidence) AS meanConfidence, max(s.created_at) AS createdAt
       FROM model_suggestions s JOIN documents d ON d.id = s.document_id
      WHERE d.project_id = ? GROUP BY s.run_id ORDER BY s.run_id`,
  ).all(projectId) as SuggestionSummary[]
}

export function deleteSuggestions(db: DB, runId: number): number {
  return cached(db, 'DELETE FROM model_suggestions WHERE run_id = ?').run(runId).changes
}
