import type { Migration } from './index'

/**
 * A finished run's predictions over a project's documents, kept as suggestions for the
 * annotators: spans ([[start, end, label name, confidence], ...], UTF-16 offsets like every
 * span in the store) and the document's confidence (the least confident word), which orders
 * the queue "least confident first". Label names, not ids: the run knows names, and a label
 * renamed or removed since simply stops matching. Rows go with their run or document.
 */
export const migration0006: Migration = {
  version: 6,
  name: 'create-model-suggestions',
  up(db) {
    db.exec(`
      CREATE TABLE model_suggestions (
        run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        confidence  REAL NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
        spans       TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        PRIMARY KEY (run_id, document_id)
      ) STRICT;
      CREATE INDEX model_suggestions_by_confidence ON model_suggestions (run_id, confidence);
      CREATE INDEX model_suggestions_by_document ON model_suggestions (document_id);
    `)
  },
}
