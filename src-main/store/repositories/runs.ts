/**
 * Training runs as rows: the run itself, its metric series, evaluations, predictions and log,
 * and the content-addressed training data snapshots runs point at (see migration 4).
 * JSON columns are parsed into typed objects; metric values that SQLite stored as NULL (NaN) read back as NaN.
 */
import { cached, type DB } from '../db'
import { SHOWN_ANNOTATION } from './documents'
import type { PerSplit, Split } from '../../../src-shared/domain/dataset'

// ---------------------------------------------------------------------------------------------
// Types

export const RUN_STATUSES = ['queued', 'running', 'paused', 'completed', 'failed', 'cancelled', 'interrupted'] as const
export type RunStatus = (typeof RUN_STATUSES)[number]
/** Statuses a run does not leave by itself: it has an end time. */
export const FINISHED_RUN_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'cancelled', 'interrupted']

/** The run configuration exactly as given (src-shared/domain/run-config's RunConfig); stored as is, not validated here. */
export type RunConfigJson = Record<string, unknown>

/** The model a run starts from: a model folder on disk, or a BERT built from scratch (its shape in the other fields). */
export type RunModel = { kind: 'folder'; path: string; name: string } | ({ kind: 'scratch' } & Record<string, unknown>)

/** The compute backend the run trained on: the host's BackendInfo (name, device, label, threads, ...) as given. */
export interface RunBackend {
  name: string
  device: string
  label?: string
  threads?: number | null
}

/** What a snapshot holds: per split, documents, tokens and entities per label name. */
export interface SnapshotSummary {
  /** The project's label names when the snapshot was taken, in the project's order. */
  labels: string[]
  documents: PerSplit
  tokens: PerSplit
  /** Entities per split and label name; every label is present, with 0 when it has none. */
  entities: Record<Split, Record<string, number>>
  /** Spans whose label no longer exists in the project: left out of the snapshot. */
  droppedSpans: number
}

export interface Run {
  id: number
  projectId: number
  name: string
  status: RunStatus
  config: RunConfigJson
  model: RunModel
  /** The training data snapshot, once taken. */
  datasetHash: string | null
  datasetSummary: SnapshotSummary | null
  backend: RunBackend | null
  tags: string[]
  notes: string
  error: string | null
  createdAt: string
  startedAt: string | null
  endedAt: string | null
  /** Place in the (machine-wide) training queue while queued, else null. */
  queuePosition: number | null
  trainableParams: number | null
  totalParams: number | null
  bestStep: number | null
  bestMetric: number | null
  checkpointDir: string | null
}

/** A split a model is evaluated or predicts on: a project split, or an external file (`file:<name>`). */
export type EvalSplit = 'train' | 'dev' | 'test' | `file:${string}`
export type CheckpointRef = 'best' | 'last' | `step-${number}`
export type EvalMode = 'default' | 'strict'
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface MetricPoint {
  name: string
  step: number
  epoch: number
  /** Milliseconds since the run started; rounded to an integer when stored. */
  wallMs: number
  /** NaN and ±Infinity are kept (NaN is stored as NULL). */
  value: number
}

export interface SeriesPoint {
  step: number
  epoch: number
  wallMs: number
  value: number
}

export interface Evaluation {
  id: number
  runId: number
  split: EvalSplit
  step: number
  checkpoint: CheckpointRef
  mode: EvalMode
  /** The full evaluation object as the evaluator produced it. */
  result: unknown
  createdAt: string
}

export interface Span {
  start: number
  end: number
  label: string
}

export interface PredictedSpan extends Span {
  confidence: number
}

export interface Prediction {
  documentId: number
  text: string
  gold: Span[]
  predicted: PredictedSpan[]
}

export interface StoredPrediction extends Prediction {
  /** Spans not shared by gold and predicted (false positives + false negatives, label included). */
  errors: number
}

export interface LogEntry {
  seq: number
  at: string
  level: LogLevel
  message: string
}

export interface SnapshotInfo {
  hash: string
  projectId: number
  summary: SnapshotSummary
  createdAt: string
}

/** A document as frozen in a snapshot. Split 'unassigned' flags a document that is in no split. */
export interface SnapshotDocument {
  id: number
  split: Split
  text: string
  spans: Span[]
  /** Token offsets `[start, end)` when the document came with its own tokens (CoNLL), else null. */
  tokens: [number, number][] | null
}

// ---------------------------------------------------------------------------------------------
// Runs

interface RunRow {
  id: number
  project_id: number
  name: string
  status: RunStatus
  config: string
  model: string
  dataset_hash: string | null
  dataset_summary: string | null
  backend: string | null
  tags: string
  notes: string
  error: string | null
  created_at: string
  started_at: string | null
  ended_at: string | null
  queue_position: number | null
  trainable_params: number | null
  total_params: number | null
  best_step: number | null
  best_metric: number | null
  checkpoint_dir: string | null
}

function rowToRun(r: RunRow): Run {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    status: r.status,
    config: JSON.parse(r.config) as RunConfigJson,
    model: JSON.parse(r.model) as RunModel,
    datasetHash: r.dataset_hash,
    datasetSummary: r.dataset_summary === null ? null : (JSON.parse(r.dataset_summary) as SnapshotSummary),
    backend: r.backend === null ? null : (JSON.parse(r.backend) as RunBackend),
    tags: JSON.parse(r.tags) as string[],
    notes: r.notes,
    error: r.error,
    createdAt: r.created_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    queuePosition: r.queue_position,
    trainableParams: r.trainable_params,
    totalParams: r.total_params,
    bestStep: r.best_step,
    bestMetric: r.best_metric,
    checkpointDir: r.checkpoint_dir,
  }
}

const NEXT_QUEUE_POSITION = "(SELECT COALESCE(MAX(queue_position) + 1, 0) FROM runs WHERE status = 'queued')"

export interface NewRun {
  projectId: number
  name: string
  /** Default 'queued': the run goes to the end of the queue unless `queuePosition` is given. */
  status?: RunStatus
  config: RunConfigJson
  model: RunModel
  datasetHash?: string | null
  datasetSummary?: SnapshotSummary | null
  backend?: RunBackend | null
  tags?: string[]
  notes?: string
  queuePosition?: number | null
  now: string
}

export function insertRun(db: DB, r: NewRun): number {
  const status = r.status ?? 'queued'
  return Number(
    cached(
      db,
      `INSERT INTO runs (project_id, name, status, config, model, dataset_hash, dataset_summary, backend, tags, notes, created_at, queue_position)
       VALUES (@projectId, @name, @status, @config, @model, @datasetHash, @datasetSummary, @backend, @tags, @notes, @now,
               CASE WHEN @status = 'queued' THEN COALESCE(@queuePosition, ${NEXT_QUEUE_POSITION}) ELSE @queuePosition END)`,
    ).run({
      projectId: r.projectId,
      name: r.name,
      status,
      config: JSON.stringify(r.config),
      model: JSON.stringify(r.model),
      datasetHash: r.datasetHash ?? null,
      datasetSummary: r.datasetSummary ? JSON.stringify(r.datasetSummary) : null,
      backend: r.backend ? JSON.stringify(r.backend) : null,
      tags: JSON.stringify(r.tags ?? []),
      notes: r.notes ?? '',
      now: r.now,
      queuePosition: r.queuePosition ?? null,
    }).lastInsertRowid,
  )
}

export function getRun(db: DB, id: number): Run | undefined {
  const r = cached(db, 'SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined
  return r ? rowToRun(r) : undefined
}

/** The project's runs, newest first. */
export function listRuns(db: DB, projectId: number): Run[] {
  return (cached(db, 'SELECT * FROM runs WHERE project_id = ? ORDER BY id DESC').all(projectId) as RunRow[]).map(rowToRun)
}

/** Every queued run of every project, in queue order. */
export function queuedRuns(db: DB): Run[] {
  return (cached(db, "SELECT * FROM runs WHERE status = 'queued' ORDER BY queue_position, id").all() as RunRow[]).map(rowToRun)
}

/** Runs with a given status, any project (e.g. the running one). */
export function runsWithStatus(db: DB, status: RunStatus): Run[] {
  return (cached(db, 'SELECT * FROM runs WHERE status = ? ORDER BY queue_position, id').all(status) as RunRow[]).map(rowToRun)
}

/** Put the queued runs in this order (positions 0, 1, ...); ids that are not queued are ignored. Returns how many moved. */
export function setQueueOrder(db: DB, ids: readonly number[]): number {
  const stmt = cached(db, "UPDATE runs SET queue_position = ? WHERE id = ? AND status = 'queued'")
  return db.transaction(() => ids.reduce((n, id, i) => n + stmt.run(i, id).changes, 0))()
}

/**
 * Move a run to `status`. 'running' sets started_at the first time; a finished status
 * (completed, failed, cancelled, interrupted) sets ended_at; 'queued' puts it at the end of the
 * queue; any other status leaves the queue. `error` is stored as given (cleared when absent).
 * With `from`, only a run currently in one of those statuses changes: returns false otherwise.
 */
export function updateRunStatus(db: DB, id: number, status: RunStatus, o: { now: string; error?: string | null; from?: readonly RunStatus[] }): boolean {
  return (
    cached(
      db,
      `UPDATE runs SET
         status = @status,
         started_at = CASE WHEN @status = 'running' THEN COALESCE(started_at, @now) ELSE started_at END,
         ended_at = CASE WHEN @status IN ('completed', 'failed', 'cancelled', 'interrupted') THEN @now ELSE NULL END,
         error = @error,
         queue_position = CASE WHEN @status = 'queued' THEN COALESCE(queue_position, ${NEXT_QUEUE_POSITION}) ELSE NULL END
       WHERE id = @id AND (@from IS NULL OR status IN (SELECT value FROM json_each(@from)))`,
    ).run({ id, status, now: o.now, error: o.error ?? null, from: o.from ? JSON.stringify(o.from) : null }).changes === 1
  )
}

/** At host start: a run still 'running' was cut off by the previous process. Returns how many. */
export function markInterrupted(db: DB, now: string, message = 'Tagtune stopped while this run was training.'): number {
  return cached(db, "UPDATE runs SET status = 'interrupted', ended_at = ?, error = COALESCE(error, ?), queue_position = NULL WHERE status = 'running'").run(now, message).changes
}

/** Point the run at its training data snapshot. */
export function setRunDataset(db: DB, id: number, hash: string, summary: SnapshotSummary): boolean {
  return cached(db, 'UPDATE runs SET dataset_hash = ?, dataset_summary = ? WHERE id = ?').run(hash, JSON.stringify(summary), id).changes === 1
}

/** What the trainer learns once the model is built; fields left out are kept. */
export function setRunParams(db: DB, id: number, p: { trainableParams?: number; totalParams?: number; backend?: RunBackend; checkpointDir?: string }): boolean {
  return (
    cached(
      db,
      `UPDATE runs SET trainable_params = COALESCE(?, trainable_params), total_params = COALESCE(?, total_params),
         backend = COALESCE(?, backend), checkpoint_dir = COALESCE(?, checkpoint_dir) WHERE id = ?`,
    ).run(p.trainableParams ?? null, p.totalParams ?? null, p.backend ? JSON.stringify(p.backend) : null, p.checkpointDir ?? null, id).changes === 1
  )
}

/** What the user edits: name, tags, notes; fields left out are kept. */
export function updateRunInfo(db: DB, id: number, p: { name?: string; tags?: string[]; notes?: string }): boolean {
  return (
    cached(db, 'UPDATE runs SET name = COALESCE(?, name), tags = COALESCE(?, tags), notes = COALESCE(?, notes) WHERE id = ?').run(
      p.name ?? null,
      p.tags ? JSON.stringify(p.tags) : null,
      p.notes ?? null,
      id,
    ).changes === 1
  )
}

export function setBest(db: DB, id: number, step: number, metric: number): boolean {
  return cached(db, 'UPDATE runs SET best_step = ?, best_metric = ? WHERE id = ?').run(step, metric, id).changes === 1
}

/**
 * Delete a run with its metrics, evaluations, predictions and log, and its snapshot when no
 * other run uses it. Returns the deleted run (its checkpoint folder is the caller's to remove).
 */
export function deleteRun(db: DB, id: number): Run | undefined {
  return db.transaction(() => {
    const run = getRun(db, id)
    if (!run) return undefined
    cached(db, 'DELETE FROM runs WHERE id = ?').run(id)
    if (run.datasetHash) deleteSnapshotIfUnused(db, run.datasetHash)
    return run
  })()
}

// ---------------------------------------------------------------------------------------------
// Metrics

/**
 * Append metric points in one transaction. The same (run, name, step) again replaces the point:
 * a run resumed from a checkpoint logs its steps again.
 */
export function appendMetrics(db: DB, runId: number, rows: readonly MetricPoint[]): void {
  if (rows.length === 0) return
  const stmt = cached(db, 'INSERT OR REPLACE INTO run_metrics (run_id, name, step, epoch, wall_ms, value) VALUES (?, ?, ?, ?, ?, ?)')
  db.transaction(() => {
    for (const r of rows) stmt.run(runId, r.name, r.step, r.epoch, Math.round(r.wallMs), Number.isNaN(r.value) ? null : r.value)
  })()
}

/** Forget points after `step` (resuming from an earlier checkpoint). Returns how many went. */
export function truncateMetrics(db: DB, runId: number, afterStep: number): number {
  return cached(db, 'DELETE FROM run_metrics WHERE run_id = ? AND step > ?').run(runId, afterStep).changes
}

/** Series by metric name, each in step order; all of the run's metrics, or only `names`. */
export function metricSeries(db: DB, runId: number, names?: readonly string[]): Record<string, SeriesPoint[]> {
  const rows = (
    names
      ? cached(db, 'SELECT name, step, epoch, wall_ms, value FROM run_metrics WHERE run_id = ? AND name IN (SELECT value FROM json_each(?)) ORDER BY name, step').all(
          runId,
          JSON.stringify(names),
        )
      : cached(db, 'SELECT name, step, epoch, wall_ms, value FROM run_metrics WHERE run_id = ? ORDER BY name, step').all(runId)
  ) as { name: string; step: number; epoch: number; wall_ms: number; value: number | null }[]
  const out: Record<string, SeriesPoint[]> = {}
  for (const n of names ?? []) out[n] = []
  for (const r of rows) (out[r.name] ??= []).push({ step: r.step, epoch: r.epoch, wallMs: r.wall_ms, value: r.value ?? Number.NaN })
  return out
}

// ---------------------------------------------------------------------------------------------
// Evaluations

interface EvaluationRow {
  id: number
  run_id: number
  split: EvalSplit
  step: number
  checkpoint: CheckpointRef
  mode: EvalMode
  result: string
  created_at: string
}

function rowToEvaluation(r: EvaluationRow): Evaluation {
  return { id: r.id, runId: r.run_id, split: r.split, step: r.step, checkpoint: r.checkpoint, mode: r.mode, result: JSON.parse(r.result) as unknown, createdAt: r.created_at }
}

export function insertEvaluation(db: DB, e: { runId: number; split: EvalSplit; step: number; checkpoint: CheckpointRef; mode: EvalMode; result: unknown; now: string }): number {
  return Number(
    cached(db, 'INSERT INTO run_evaluations (run_id, split, step, checkpoint, mode, result, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      e.runId,
      e.split,
      e.step,
      e.checkpoint,
      e.mode,
      JSON.stringify(e.result),
      e.now,
    ).lastInsertRowid,
  )
}

/** The run's evaluations (of one split when given), oldest first. */
export function listEvaluations(db: DB, runId: number, split?: EvalSplit): Evaluation[] {
  const rows = split
    ? cached(db, 'SELECT * FROM run_evaluations WHERE run_id = ? AND split = ? ORDER BY id').all(runId, split)
    : cached(db, 'SELECT * FROM run_evaluations WHERE run_id = ? ORDER BY id').all(runId)
  return (rows as EvaluationRow[]).map(rowToEvaluation)
}

// ---------------------------------------------------------------------------------------------
// Predictions

const spanKey = (s: Span): string => `${s.start}:${s.end}:${s.label}`

function countErrors(gold: readonly Span[], predicted: readonly Span[]): number {
  const g = new Set(gold.map(spanKey))
  const p = new Set(predicted.map(spanKey))
  let n = 0
  for (const k of g) if (!p.has(k)) n++
  for (const k of p) if (!g.has(k)) n++
  return n
}

/** Store predictions for one split; a document predicted again replaces its row. One transaction. */
export function savePredictions(db: DB, runId: number, split: EvalSplit, rows: readonly Prediction[]): void {
  const stmt = cached(db, 'INSERT OR REPLACE INTO run_predictions (run_id, split, document_id, text, gold, predicted, errors) VALUES (?, ?, ?, ?, ?, ?, ?)')
  db.transaction(() => {
    for (const r of rows) {
      stmt.run(
        runId,
        split,
        r.documentId,
        r.text,
        JSON.stringify(r.gold.map((s) => [s.start, s.end, s.label])),
        JSON.stringify(r.predicted.map((s) => [s.start, s.end, s.label, s.confidence])),
        countErrors(r.gold, r.predicted),
      )
    }
  })()
}

/** Forget a split's predictions (before predicting it again with another checkpoint). */
export function clearPredictions(db: DB, runId: number, split: EvalSplit): number {
  return cached(db, 'DELETE FROM run_predictions WHERE run_id = ? AND split = ?').run(runId, split).changes
}

/** A page of a split's predictions in document id order; `onlyErrors` keeps documents where gold and predicted differ. */
export function listPredictions(
  db: DB,
  runId: number,
  split: EvalSplit,
  page: { offset?: number; limit?: number; onlyErrors?: boolean } = {},
): { total: number; items: StoredPrediction[] } {
  const minErrors = page.onlyErrors ? 1 : 0
  const total = (cached(db, 'SELECT count(*) AS n FROM run_predictions WHERE run_id = ? AND split = ? AND errors >= ?').get(runId, split, minErrors) as { n: number }).n
  const rows = cached(
    db,
    'SELECT document_id, text, gold, predicted, errors FROM run_predictions WHERE run_id = ? AND split = ? AND errors >= ? ORDER BY document_id LIMIT ? OFFSET ?',
  ).all(runId, split, minErrors, page.limit ?? 50, page.offset ?? 0) as { document_id: number; text: string; gold: string; predicted: string; errors: number }[]
  return {
    total,
    items: rows.map((r) => ({
      documentId: r.document_id,
      text: r.text,
      gold: (JSON.parse(r.gold) as [number, number, string][]).map(([start, end, label]) => ({ start, end, label })),
      predicted: (JSON.parse(r.predicted) as [number, number, string, number][]).map(([start, end, label, confidence]) => ({ start, end, label, confidence })),
      errors: r.errors,
    })),
  }
}

// ---------------------------------------------------------------------------------------------
// Log

/** Append log lines in one transaction; they get the next sequence numbers. Returns the last one's. */
export function appendLogs(db: DB, runId: number, entries: readonly { at: string; level: LogLevel; message: string }[]): number {
  const next = cached(db, 'SELECT COALESCE(MAX(seq) + 1, 0) AS seq FROM run_logs WHERE run_id = ?')
  const stmt = cached(db, 'INSERT INTO run_logs (run_id, seq, at, level, message) VALUES (?, ?, ?, ?, ?)')
  return db.transaction(() => {
    let seq = (next.get(runId) as { seq: number }).seq
    for (const e of entries) stmt.run(runId, seq++, e.at, e.level, e.message)
    return seq - 1
  })()
}

export function appendLog(db: DB, runId: number, entry: { at: string; level: LogLevel; message: string }): number {
  return appendLogs(db, runId, [entry])
}

/**
 * The log in order: its last `limit` lines (the tail), or with `afterSeq` the lines after it
 * (up to `limit`, for following a live run).
 */
export function listLogs(db: DB, runId: number, o: { limit?: number; afterSeq?: number } = {}): LogEntry[] {
  const limit = o.limit ?? 200
  if (o.afterSeq !== undefined) {
    return cached(db, 'SELECT seq, at, level, message FROM run_logs WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?').all(runId, o.afterSeq, limit) as LogEntry[]
  }
  return (cached(db, 'SELECT seq, at, level, message FROM run_logs WHERE run_id = ? ORDER BY seq DESC LIMIT ?').all(runId, limit) as LogEntry[]).reverse()
}

// ---------------------------------------------------------------------------------------------
// Snapshots

/** A project document with its shown annotation, as a snapshot reads it. */
export interface SnapshotSourceRow {
  id: number
  position: number
  split: Split
  text: string
  token_count: number
  tokens: string | null
  spans: string | null
}

/**
 * A page of the project's documents after (position, id), in (position, id) order, with the
 * annotation each shows (done first, then latest). `onlyDone` keeps documents whose shown
 * annotation is done; otherwise every document but skipped ones.
 */
export function snapshotSourcePage(db: DB, projectId: number, onlyDone: boolean, after: { position: number; id: number } | null, limit: number): SnapshotSourceRow[] {
  const filter = onlyDone ? "a.status = 'done'" : "(a.status IS NULL OR a.status != 'skipped')"
  return cached(
    db,
    `SELECT d.id, d.position, d.split, d.text, d.token_count, d.tokens, a.spans
     FROM documents d ${SHOWN_ANNOTATION}
     WHERE d.project_id = ? AND (d.position, d.id) > (?, ?) AND ${filter}
     ORDER BY d.position, d.id LIMIT ?`,
  ).all(projectId, after?.position ?? -1, after?.id ?? -1, limit) as SnapshotSourceRow[]
}

interface SnapshotRow {
  id: number
  hash: string
  project_id: number
  summary: string
  created_at: string
}

export function getSnapshot(db: DB, hash: string): SnapshotInfo | undefined {
  const r = cached(db, 'SELECT * FROM snapshots WHERE hash = ?').get(hash) as SnapshotRow | undefined
  return r ? { hash: r.hash, projectId: r.project_id, summary: JSON.parse(r.summary) as SnapshotSummary, createdAt: r.created_at } : undefined
}

export function listSnapshots(db: DB, projectId: number): SnapshotInfo[] {
  return (cached(db, 'SELECT * FROM snapshots WHERE project_id = ? ORDER BY created_at, hash').all(projectId) as SnapshotRow[]).map((r) => ({
    hash: r.hash,
    projectId: r.project_id,
    summary: JSON.parse(r.summary) as SnapshotSummary,
    createdAt: r.created_at,
  }))
}

/** Store a snapshot's hash and summary; returns its row id, for insertSnapshotDocuments. */
export function insertSnapshot(db: DB, s: { hash: string; projectId: number; summary: SnapshotSummary; now: string }): number {
  return Number(
    cached(db, 'INSERT INTO snapshots (hash, project_id, summary, created_at) VALUES (?, ?, ?, ?)').run(s.hash, s.projectId, JSON.stringify(s.summary), s.now).lastInsertRowid,
  )
}

/** Add documents to a snapshot (by the id insertSnapshot returned), numbered from `firstSeq` (the snapshot's order). */
export function insertSnapshotDocuments(db: DB, snapshotId: number, firstSeq: number, docs: readonly SnapshotDocument[]): void {
  const stmt = cached(db, 'INSERT INTO snapshot_documents (snapshot_id, seq, document_id, split, text, spans, tokens) VALUES (?, ?, ?, ?, ?, ?, ?)')
  db.transaction(() =>
    docs.forEach((d, i) =>
      stmt.run(snapshotId, firstSeq + i, d.id, d.split, d.text, JSON.stringify(d.spans.map((s) => [s.start, s.end, s.label])), d.tokens ? JSON.stringify(d.tokens) : null),
    ),
  )()
}

/** A page of a snapshot's documents after `afterSeq`, in snapshot order (of one split when given). */
export function snapshotDocumentsPage(db: DB, hash: string, split: Split | undefined, afterSeq: number, limit: number): (SnapshotDocument & { seq: number })[] {
  const rows = (
    split
      ? cached(
          db,
          'SELECT seq, document_id, split, text, spans, tokens FROM snapshot_documents WHERE snapshot_id = (SELECT id FROM snapshots WHERE hash = ?) AND split = ? AND seq > ? ORDER BY seq LIMIT ?',
        ).all(
          hash,
          split,
          afterSeq,
          limit,
        )
      : cached(
          db,
          'SELECT seq, document_id, split, text, spans, tokens FROM snapshot_documents WHERE snapshot_id = (SELECT id FROM snapshots WHERE hash = ?) AND seq > ? ORDER BY seq LIMIT ?',
        ).all(hash, afterSeq, limit)
  ) as { seq: number; document_id: number; split: Split; text: string; spans: string; tokens: string | null }[]
  return rows.map((r) => ({
    seq: r.seq,
    id: r.document_id,
    split: r.split,
    text: r.text,
    spans: (JSON.parse(r.spans) as [number, number, string][]).map(([start, end, label]) => ({ start, end, label })),
    tokens: r.tokens === null ? null : (JSON.parse(r.tokens) as [number, number][]),
  }))
}

/** Delete a snapshot (and its documents) unless a run still points at it. Returns whether it went. */
export function deleteSnapshotIfUnused(db: DB, hash: string): boolean {
  return cached(db, 'DELETE FROM snapshots WHERE hash = ? AND NOT EXISTS (SELECT 1 FROM runs WHERE dataset_hash = ?)').run(hash, hash).changes === 1
}

/** Delete the project's snapshots no run points at (e.g. taken for a run that was never created). */
export function deleteUnusedSnapshots(db: DB, projectId: number): number {
  return cached(db, 'DELETE FROM snapshots WHERE project_id = ? AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.dataset_hash = snapshots.hash)').run(projectId).changes
}
