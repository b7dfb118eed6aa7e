import type { Migration } from './index'

/**
 * Documents and their annotations. An annotation is one annotator's spans on one document,
 * stored as a JSON array `[[start, end, labelId], ...]` (UTF-16 offsets, half-open, sorted),
 * with a status and a version for optimistic concurrency: one row update per save.
 * Imports stream into import_staging first and are copied into documents in one transaction.
 */
export const migration0002: Migration = {
  version: 2,
  name: 'create-documents',
  up(db) {
    db.exec(`
      ALTER TABLE projects ADD COLUMN allow_nested INTEGER NOT NULL DEFAULT 0 CHECK (allow_nested IN (0, 1));

      CREATE TABLE imports (
        id          INTEGER PRIMARY KEY,
        project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        files       TEXT NOT NULL,
        format      TEXT NOT NULL,
        encoding    TEXT NOT NULL,
        options     TEXT NOT NULL,
        report      TEXT NOT NULL,
        documents   INTEGER NOT NULL,
        spans       INTEGER NOT NULL,
        created_at  TEXT NOT NULL
      ) STRICT;

      CREATE TABLE documents (
        id          INTEGER PRIMARY KEY,
        project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        position    INTEGER NOT NULL,
        text        TEXT NOT NULL,
        split       TEXT NOT NULL CHECK (split IN ('train', 'dev', 'test', 'unassigned')),
        token_count INTEGER NOT NULL,
        tokens      TEXT,
        meta        TEXT NOT NULL DEFAULT '{}',
        import_id   INTEGER REFERENCES imports(id) ON DELETE SET NULL,
        created_at  TEXT NOT NULL
      ) STRICT;
      CREATE INDEX documents_project_position ON documents(project_id, position);
      CREATE INDEX documents_project_split ON documents(project_id, split);

      CREATE TABLE annotations (
        id          INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        annotator   TEXT NOT NULL,
        status      TEXT NOT NULL CHECK (status IN ('todo', 'in-progress', 'done', 'skipped')),
        spans       TEXT NOT NULL DEFAULT '[]',
        span_count  INTEGER NOT NULL DEFAULT 0,
        version     INTEGER NOT NULL DEFAULT 0,
        updated_at  TEXT NOT NULL,
        UNIQUE (document_id, annotator)
      ) STRICT;
      CREATE INDEX annotations_document ON annotations(document_id);

      CREATE TABLE import_staging (
        token TEXT NOT NULL,
        seq   INTEGER NOT NULL,
        doc   TEXT NOT NULL,
        PRIMARY KEY (token, seq)
      ) STRICT;
    `)
  },
}
