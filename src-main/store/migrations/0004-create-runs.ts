import type { Migration } from './index'

/**
 * Training runs and what they leave behind: metric series, evaluations, predictions, logs.
 *
 * The training data of a run is a content-addressed snapshot: `snapshots.hash` is the sha256 of
 * the data (documents, splits, texts, spans with label names, the label set, the project), and
 * `snapshot_documents` holds its documents once, however many runs train on the same data. Runs
 * point at a snapshot by hash, so a run can be reproduced and compared after annotations change.
 * Snapshot documents are keyed by the snapshot's integer id, not the 64-character hash, which
 * would otherwise be repeated in every row and both its indexes (~17 MB per 100k documents).
 *
 * JSON columns: runs.config / model / dataset_summary / backend / tags, snapshots.summary,
 * snapshot_documents.spans (`[[start, end, labelName], ...]`) and tokens (`[[start, end], ...]`),
 * run_evaluations.result, run_predictions.gold (`[[start, end, label], ...]`) and predicted
 * (`[[start, end, label, confidence], ...]`). run_predictions.document_id has no foreign key: the
 * document may be deleted later and the prediction keeps its text (for a 'file:' split it is the
 * document's index in the file). Metric values are REAL and nullable: SQLite stores
 * NaN (a diverged loss) as NULL, which reads back as NaN.
 */
export const migration0004: Migration = {
  version: 4,
  name: 'create-runs',
  up(db) {
    db.exec(`
      CREATE TABLE snapshots (
        id          INTEGER PRIMARY KEY,
        hash        TEXT NOT NULL UNIQUE,
        project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        summary     TEXT NOT NULL,
        created_at  TEXT NOT NULL
      ) STRICT;
      CREATE INDEX snapshots_project ON snapshots(project_id);

      CREATE TABLE snapshot_documents (
        snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
        seq         INTEGER NOT NULL,
        document_id INTEGER NOT NULL,
        split       TEXT NOT NULL CHECK (split IN ('train', 'dev', 'test', 'unassigned')),
        text        TEXT NOT NULL,
        spans       TEXT NOT NULL,
        tokens      TEXT,
        PRIMARY KEY (snapshot_id, seq)
      ) STRICT;
      CREATE INDEX snapshot_documents_split ON snapshot_documents(snapshot_id, split, seq);

      CREATE TABLE runs (
        id               INTEGER PRIMARY KEY,
        project_id       INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        name             TEXT NOT NULL,
        status           TEXT NOT NULL CHECK (status IN ('queued', 'running', 'paused', 'completed', 'failed', 'cancelled', 'interrupted')),
        config           TEXT NOT NULL,
        model            TEXT NOT NULL,
        dataset_hash     TEXT REFERENCES snapshots(hash),
        dataset_summary  TEXT,
        backend          TEXT,
        tags             TEXT NOT NULL DEFAULT '[]',
        notes            TEXT NOT NULL DEFAULT '',
        error            TEXT,
        created_at       TEXT NOT NULL,
        started_at       TEXT,
        ended_at         TEXT,
        queue_position   INTEGER,
        trainable_params INTEGER,
        total_params     INTEGER,
        best_step        INTEGER,
        best_metric      REAL,
        checkpoint_dir   TEXT
      ) STRICT;
      CREATE INDEX runs_project ON runs(project_id, id);
      CREATE INDEX runs_status ON runs(status, queue_position);
      CREATE INDEX runs_dataset_hash ON runs(dataset_hash);

      CREATE TABLE run_metrics (
        run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        name     TEXT NOT NULL,
        step     INTEGER NOT NULL,
        epoch    REAL NOT NULL,
        wall_ms  INTEGER NOT NULL,
        value    REAL,
        PRIMARY KEY (run_id, name, step)
      ) WITHOUT ROWID, STRICT;

      CREATE TABLE run_evaluations (
        id          INTEGER PRIMARY KEY,
        run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        split       TEXT NOT NULL CHECK (split IN ('train', 'dev', 'test') OR split GLOB 'file:?*'),
        step        INTEGER NOT NULL,
        checkpoint  TEXT NOT NULL CHECK (checkpoint IN ('best', 'last') OR checkpoint GLOB 'step-[0-9]*'),
        mode        TEXT NOT NULL CHECK (mode IN ('default', 'strict')),
        result      TEXT NOT NULL,
        created_at  TEXT NOT NULL
      ) STRICT;
      CREATE INDEX run_evaluations_run ON run_evaluations(run_id, split, id);

      CREATE TABLE run_predictions (
        run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        split       TEXT NOT NULL CHECK (split IN ('train', 'dev', 'test') OR split GLOB 'file:?*'),
        document_id INTEGER NOT NULL,
        text        TEXT NOT NULL,
        gold        TEXT NOT NULL,
        predicted   TEXT NOT NULL,
        errors      INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, split, document_id)
      ) STRICT;

      CREATE TABLE run_logs (
        run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        seq      INTEGER NOT NULL,
        at       TEXT NOT NULL,
        level    TEXT NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
        message  TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
      ) STRICT;
    `)
  },
}
