/**
 * The model library as rows (see migration 5), and the runs whose best checkpoints join the
 * library. JSON columns are parsed into typed objects; the store does not look at the files.
 */
import type { DB } from '../db'
import type { ModelInfo, ModelSource } from '../../../src-shared/domain/model-library'

export type LibrarySource = Extract<ModelSource, { kind: 'local' | 'upload' | 'hub' | 'pretrain' }>
export type Storage = 'copy' | 'link'

export interface LibraryModel {
  id: number
  name: string
  /** The model's folder inside `<data dir>/models/<id>/`: a readable name, no separators. */
  folder: string
  source: LibrarySource
  storage: Storage
  info: ModelInfo
  notes: string[]
  sizeBytes: number
  createdAt: string
}

export type NewLibraryModel = Omit<LibraryModel, 'id'>

interface ModelRow {
  id: number
  name: string
  folder: string
  source_kind: string
  source: string
  storage: Storage
  info: string
  notes: string
  size_bytes: number
  created_at: string
}

function rowToModel(r: ModelRow): LibraryModel {
  return {
    id: r.id,
    name: r.name,
    folder: r.folder,
    source: JSON.parse(r.source) as LibrarySource,
    storage: r.storage,
    info: JSON.parse(r.info) as ModelInfo,
    notes: JSON.parse(r.notes) as string[],
    sizeBytes: r.size_bytes,
    createdAt: r.created_at,
  }
}

export function insertModel(db: DB, m: NewLibraryModel): number {
  const r = db
    .prepare('INSERT INTO models (name, folder, source_kind, source, storage, info, notes, size_bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .run(m.name, m.folder, m.source.kind, JSON.stringify(m.source), m.storage, JSON.stringify(m.info), JSON.stringify(m.notes), m.sizeBytes, m.createdAt)
  return Number(r.lastInsertRowid)
}

export function getModel(db: DB, id: number): LibraryModel | undefined {
  const r = db.prepare('SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined
  return r ? rowToModel(r) : undefined
}

/** Newest first. */
export function listModels(db: DB): LibraryModel[] {
  return (db.prepare('SELECT * FROM models ORDER BY id DESC').all() as ModelRow[]).map(rowToModel)
}

/** Case-insensitive, as the unique index. */
export function findModelByName(db: DB, name: string): LibraryModel | undefined {
  const r = db.prepare('SELECT * FROM models WHERE name = ? COLLATE NOCASE').get(name) as ModelRow | undefined
  return r ? rowToModel(r) : undefined
}

/** The deleted row, or undefined when there was none. */
export function deleteModel(db: DB, id: number): LibraryModel | undefined {
  const m = getModel(db, id)
  if (!m) return undefined
  db.prepare('DELETE FROM models WHERE id = ?').run(id)
  return m
}

/** A run that may have left a best checkpoint: every run that is not waiting or training. */
export interface RunCheckpointRow {
  runId: number
  projectId: number
  projectName: string
  runName: string
  status: string
  bestMetric: number | null
  /** The run's folder (its checkpoints are `best/` and `last/` in it), when the run recorded one. */
  checkpointDir: string | null
  /** The run config's model (a folder path, or a scratch description). */
  model: unknown
  endedAt: string | null
  createdAt: string
}

interface RunCheckpointDbRow {
  id: number
  project_id: number
  project_name: string
  name: string
  status: string
  best_metric: number | null
  checkpoint_dir: string | null
  config: string
  ended_at: string | null
  created_at: string
}

const RUN_CHECKPOINT_SELECT = `SELECT r.id, r.project_id, p.name AS project_name, r.name, r.status, r.best_metric, r.checkpoint_dir, r.config, r.ended_at, r.created_at
  FROM runs r JOIN projects p ON p.id = r.project_id
 WHERE r.status IN ('completed', 'failed', 'cancelled', 'interrupted')`

function rowToRunCheckpoint(r: RunCheckpointDbRow): RunCheckpointRow {
  return {
    runId: r.id,
    projectId: r.project_id,
    projectName: r.project_name,
    runName: r.name,
    status: r.status,
    bestMetric: r.best_metric,
    checkpointDir: r.checkpoint_dir,
    model: (JSON.parse(r.config) as { model?: unknown }).model ?? null,
    endedAt: r.ended_at,
    createdAt: r.created_at,
  }
}

/** Finished runs (completed, failed, cancelled, interrupted), newest first; whether each left a best checkpoint is for the caller to look. */
export function listRunCheckpoints(db: DB): RunCheckpointRow[] {
  return (db.prepare(`${RUN_CHECKPOINT_SELECT} ORDER BY r.id DESC`).all() as RunCheckpointDbRow[]).map(rowToRunCheckpoint)
}

/** One finished run, or undefined when it does not exist or is still waiting or training. */
export function getRunCheckpoint(db: DB, runId: number): RunCheckpointRow | undefined {
  const r = db.prepare(`${RUN_CHECKPOINT_SELECT} AND r.id = ?`).get(runId) as RunCheckpointDbRow | undefined
  return r ? rowToRunCheckpoint(r) : undefined
}

/** Runs waiting or training whose config starts from `folder` (a model must not vanish under them). */
export function activeRunsUsingModel(db: DB, folders: readonly string[]): { id: number; status: string }[] {
  const rows = db.prepare("SELECT id, status, config FROM runs WHERE status IN ('queued', 'running', 'paused')").all() as { id: number; status: string; config: string }[]
  return rows
    .filter((r) => {
      const model = (JSON.parse(r.config) as { model?: unknown }).model
      return typeof model === 'string' && folders.some((f) => model === f || model.replace(/[/\\]+$/, '') === f)
    })
    .map((r) => ({ id: r.id, status: r.status }))
}
