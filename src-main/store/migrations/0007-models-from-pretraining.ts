import type { Migration } from './index'

/**
 * Library models may also come from `tagtune pretrain` (source_kind 'pretrain', source `{kind:
 * 'pretrain', projectId, projectName, texts, steps, finalLoss}`): the result of masked-language-
 * model training on a project's text, moved into the library. SQLite cannot change a CHECK
 * constraint in place, so the table is rebuilt with its rows.
 */
export const migration0007: Migration = {
  version: 7,
  name: 'models-from-pretraining',
  up(db) {
    db.exec(`
      CREATE TABLE models_new (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL,
        folder      TEXT NOT NULL CHECK (folder <> '' AND folder NOT IN ('.', '..') AND folder NOT GLOB '*[/\\]*'),
        source_kind TEXT NOT NULL CHECK (source_kind IN ('local', 'upload', 'hub', 'pretrain')),
        source      TEXT NOT NULL,
        storage     TEXT NOT NULL CHECK (storage IN ('copy', 'link')),
        info        TEXT NOT NULL,
        notes       TEXT NOT NULL DEFAULT '[]',
        size_bytes  INTEGER NOT NULL CHECK (size_bytes >= 0),
        created_at  TEXT NOT NULL
      ) STRICT;
      INSERT INTO models_new (id, name, folder, source_kind, source, storage, info, notes, size_bytes, created_at)
        SELECT id, name, folder, source_kind, source, storage, info, notes, size_bytes, created_at FROM models;
      DROP TABLE models;
      ALTER TABLE models_new RENAME TO models;
      CREATE UNIQUE INDEX models_name ON models(name COLLATE NOCASE);
    `)
  },
}
