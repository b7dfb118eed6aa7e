import type { Migration } from './index'

export const migration0001: Migration = {
  version: 1,
  name: 'create-projects',
  up(db) {
    db.exec(`
      CREATE TABLE projects (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL COLLATE NOCASE UNIQUE,
        description TEXT NOT NULL DEFAULT '',
        task_type   TEXT NOT NULL CHECK (task_type IN ('ner', 'text-classification')),
        tag_scheme  TEXT NOT NULL CHECK (tag_scheme IN ('iob2', 'iobes', 'iob1', 'bmes')),
        version     INTEGER NOT NULL DEFAULT 0,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
      ) STRICT;

      CREATE TABLE labels (
        id          INTEGER PRIMARY KEY,
        project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        name        TEXT NOT NULL,
        color       TEXT NOT NULL,
        shortcut    TEXT,
        description TEXT NOT NULL DEFAULT '',
        position    INTEGER NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX labels_project_name ON labels(project_id, name COLLATE NOCASE);
      CREATE UNIQUE INDEX labels_project_shortcut ON labels(project_id, shortcut) WHERE shortcut IS NOT NULL;
      CREATE INDEX labels_project_position ON labels(project_id, position);
    `)
  },
}
