import type { Migration } from './index'

/** Gazetteers: terms per label that pre-annotation proposes as suggestions. */
export const migration0003: Migration = {
  version: 3,
  name: 'create-dictionaries',
  up(db) {
    db.exec(`
      CREATE TABLE dictionary_terms (
        id        INTEGER PRIMARY KEY,
        label_id  INTEGER NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
        term      TEXT NOT NULL,
        UNIQUE (label_id, term)
      ) STRICT;
    `)
  },
}
