/** Dictionary terms per label. */
import type { DB } from '../db'

export function listTerms(db: DB, projectId: number): { labelId: number; term: string }[] {
  return db
    .prepare('SELECT t.label_id AS labelId, t.term FROM dictionary_terms t JOIN labels l ON l.id = t.label_id WHERE l.project_id = ? ORDER BY t.label_id, t.id')
    .all(projectId) as { labelId: number; term: string }[]
}

export function replaceTerms(db: DB, labelId: number, terms: readonly string[]): void {
  db.prepare('DELETE FROM dictionary_terms WHERE label_id = ?').run(labelId)
  const ins = db.prepare('INSERT OR IGNORE INTO dictionary_terms (label_id, term) VALUES (?, ?)')
  for (const t of terms) ins.run(labelId, t)
}
