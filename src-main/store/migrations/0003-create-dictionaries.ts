import type { Migration } from './index'

/**
 * Annotation guidelines (Markdown) per project. Gazetteers: terms per label that pre-annotation proposes as suggestions; and bulk edits
 * ("label all occurrences in the dataset"), kept with what they changed so they can be undone.
 */
export const migration0003: Migration = {
  version: 3,
  name: 'create-dictionaries-and-bulk-edits',
  up(db) {
    db.exec(`
      ALTER TABLE projects ADD COLUMN guidelines TEXT NOT NULL DEFAULT '';

      CREATE TABLE dictionary_terms (
        id        INTEGER PRIMARY KEY,
        label_id  INTEGER NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
        term      TEXT NOT NULL,
        UNIQUE (label_id, term)
      ) STRICT;

      CREATE TABLE bulk_edits (
        id          INTEGER PRIMARY KEY,
        project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        annotator   TEXT NOT NULL,
        description TEXT NOT NULL,
        changes     TEXT NOT NULL,
        undone_at   TEXT,
        created_at  TEXT NOT NULL
      ) STRICT;
    `)
  },
}
