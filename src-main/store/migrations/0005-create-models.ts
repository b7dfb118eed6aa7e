import type { Migration } from './index'

/**
 * The model library: pretrained models imported from a folder or downloaded from a hub.
 *
 * Every library model lives in `<data dir>/models/<id>/<folder>/`: its files copied there
 * (`storage` 'copy'), or links to the files of a folder elsewhere ('link'; the original folder
 * is never written to or deleted). `folder` is a readable name (bert-base-cased), so that runs
 * started from the model show it, not a number.
 *
 * JSON columns: `source` (where the model came from: `{kind: 'local', path, mode}`, `{kind:
 * 'upload', folder}` or `{kind: 'hub', endpoint, repo, revision, commit}`; never a token), `info`
 * (what the folder held when imported: architecture, sizes, parameter count, vocabulary, casing,
 * language hint, files) and `notes` (what the import did worth telling, e.g. a do_lower_case it
 * wrote). Fine-tuned models are not rows here: they are the runs' best checkpoints.
 */
export const migration0005: Migration = {
  version: 5,
  name: 'create-models',
  up(db) {
    db.exec(`
      CREATE TABLE models (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL,
        folder      TEXT NOT NULL CHECK (folder <> '' AND folder NOT IN ('.', '..') AND folder NOT GLOB '*[/\\]*'),
        source_kind TEXT NOT NULL CHECK (source_kind IN ('local', 'upload', 'hub')),
        source      TEXT NOT NULL,
        storage     TEXT NOT NULL CHECK (storage IN ('copy', 'link')),
        info        TEXT NOT NULL,
        notes       TEXT NOT NULL DEFAULT '[]',
        size_bytes  INTEGER NOT NULL CHECK (size_bytes >= 0),
        created_at  TEXT NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX models_name ON models(name COLLATE NOCASE);
    `)
  },
}
