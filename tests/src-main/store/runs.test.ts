import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { migrate, openDatabase, schemaVersion, type DB } from '../../../src-main/store/db'
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../../src-main/store/migrations'
import { insertProject } from '../../../src-main/store/repositories/projects'
import * as runs from '../../../src-main/store/repositories/runs'
import type { NewRun, SnapshotSummary } from '../../../src-main/store/repositories/runs'
import { useTempDirs } from '../../helpers/temp-dir'

const tempDir = useTempDirs()
const T0 = '2026-01-01T00:00:00.000Z'
const T1 = '2026-01-01T01:00:00.000Z'
const T2 = '2026-01-01T02:00:00.000Z'

function fresh(): { db: DB; projectId: number } {
  const db = openDatabase(join(tempDir(), 'runs.db'))
  const projectId = insertProject(db, { name: 'News', description: '', taskType: 'ner', tagScheme: 'iob2', allowNested: false, guidelines: '', now: T0 })
  return { db, projectId }
}

const newRun = (projectId: number, over: Partial<NewRun> = {}): NewRun => ({
  projectId,
  name: 'bert-base lr 3e-5',
  config: { learningRate: 3e-5, epochs: 3, batchSize: 16, seed: 42 },
  model: { kind: 'folder', path: '/models/bert-base-cased', name: 'bert-base-cased' },
  now: T0,
  ...over,
})

const count = (db: DB, table: string): number => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n

const summary: SnapshotSummary = {
  labels: ['PER'],
  documents: { train: 1, dev: 0, test: 0, unassigned: 0 },
  tokens: { train: 3, dev: 0, test: 0, unassigned: 0 },
  entities: { train: { PER: 1 }, dev: { PER: 0 }, test: { PER: 0 }, unassigned: { PER: 0 } },
  droppedSpans: 0,
}

function addSnapshot(db: DB, projectId: number, hash: string): void {
  const id = runs.insertSnapshot(db, { hash, projectId, summary, now: T0 })
  runs.insertSnapshotDocuments(db, id, 0, [{ id: 1, split: 'train', text: 'Ada was here', spans: [{ start: 0, end: 3, label: 'PER' }], tokens: null }])
}

describe('runs repository: runs', () => {
  it('inserts and maps a run: JSON columns parsed, defaults, queued at the end of the queue', () => {
    const { db, projectId } = fresh()
    const a = runs.insertRun(db, newRun(projectId))
    const b = runs.insertRun(db, newRun(projectId, { name: 'scratch', model: { kind: 'scratch', layers: 2, hidden: 128 }, tags: ['small', 'baseline'], notes: 'try' }))
    expect(runs.getRun(db, a)).toEqual({
      id: a,
      projectId,
      name: 'bert-base lr 3e-5',
      status: 'queued',
      config: { learningRate: 3e-5, epochs: 3, batchSize: 16, seed: 42 },
      model: { kind: 'folder', path: '/models/bert-base-cased', name: 'bert-base-cased' },
      datasetHash: null,
      datasetSummary: null,
      backend: null,
      tags: [],
      notes: '',
      error: null,
      createdAt: T0,
      startedAt: null,
      endedAt: null,
      queuePosition: 0,
      trainableParams: null,
      totalParams: null,
      bestStep: null,
      bestMetric: null,
      checkpointDir: null,
    })
    expect(runs.getRun(db, b)).toMatchObject({ model: { kind: 'scratch', layers: 2, hidden: 128 }, tags: ['small', 'baseline'], notes: 'try', queuePosition: 1 })
    expect(runs.getRun(db, 999)).toBeUndefined()

    const other = insertProject(db, { name: 'Other', description: '', taskType: 'ner', tagScheme: 'iob2', allowNested: false, guidelines: '', now: T0 })
    const c = runs.insertRun(db, newRun(other, { status: 'completed' }))
    expect(runs.listRuns(db, projectId).map((r) => r.id)).toEqual([b, a])
    expect(runs.listRuns(db, other).map((r) => [r.id, r.queuePosition])).toEqual([[c, null]])
  })

  it('moves through its lifecycle: start, pause, resume, fail; `from` guards a transition', () => {
    const { db, projectId } = fresh()
    const id = runs.insertRun(db, newRun(projectId))
    expect(runs.updateRunStatus(db, id, 'running', { now: T1, from: ['queued'] })).toBe(true)
    expect(runs.getRun(db, id)).toMatchObject({ status: 'running', startedAt: T1, endedAt: null, queuePosition: null })
    expect(runs.updateRunStatus(db, id, 'paused', { now: T2 })).toBe(true)
    expect(runs.updateRunStatus(db, id, 'running', { now: T2, from: ['paused', 'interrupted'] })).toBe(true)
    // Resuming keeps the first start time.
    expect(runs.getRun(db, id)).toMatchObject({ status: 'running', startedAt: T1, endedAt: null })
    expect(runs.updateRunStatus(db, id, 'failed', { now: T2, error: 'out of memory' })).toBe(true)
    expect(runs.getRun(db, id)).toMatchObject({ status: 'failed', startedAt: T1, endedAt: T2, error: 'out of memory' })
    // A cancel that arrives after the run ended changes nothing.
    expect(runs.updateRunStatus(db, id, 'cancelled', { now: T2, from: ['queued', 'running', 'paused'] })).toBe(false)
    expect(runs.getRun(db, id)!.status).toBe('failed')
    // Queued again: back in the queue, error and end cleared.
    expect(runs.updateRunStatus(db, id, 'queued', { now: T2 })).toBe(true)
    expect(runs.getRun(db, id)).toMatchObject({ status: 'queued', error: null, endedAt: null, queuePosition: 0 })
    expect(runs.updateRunStatus(db, 999, 'running', { now: T2 })).toBe(false)
    expect(() => db.prepare("UPDATE runs SET status = 'exploded' WHERE id = ?").run(id)).toThrow(/CHECK/)
  })

  it('marks every running run interrupted at start, and nothing else', () => {
    const { db, projectId } = fresh()
    const running = [runs.insertRun(db, newRun(projectId)), runs.insertRun(db, newRun(projectId))]
    for (const id of running) runs.updateRunStatus(db, id, 'running', { now: T1 })
    const queued = runs.insertRun(db, newRun(projectId))
    const done = runs.insertRun(db, newRun(projectId, { status: 'completed' }))
    expect(runs.markInterrupted(db, T2)).toBe(2)
    for (const id of running) expect(runs.getRun(db, id)).toMatchObject({ status: 'interrupted', startedAt: T1, endedAt: T2, error: expect.stringContaining('stopped') })
    expect(runs.getRun(db, queued)!.status).toBe('queued')
    expect(runs.getRun(db, done)!.status).toBe('completed')
    expect(runs.markInterrupted(db, T2)).toBe(0)
    expect(runs.runsWithStatus(db, 'interrupted').map((r) => r.id)).toEqual(running)
  })

  it('keeps the queue in order and reorders it', () => {
    const { db, projectId } = fresh()
    const [a, b, c] = [1, 2, 3].map(() => runs.insertRun(db, newRun(projectId))) as [number, number, number]
    expect(runs.queuedRuns(db).map((r) => r.id)).toEqual([a, b, c])
    runs.updateRunStatus(db, a, 'running', { now: T1 })
    expect(runs.setQueueOrder(db, [c, a, b])).toBe(2)
    expect(runs.queuedRuns(db).map((r) => [r.id, r.queuePosition])).toEqual([
      [c, 0],
      [b, 2],
    ])
    expect(runs.getRun(db, a)!.queuePosition).toBeNull()
  })

  it('records parameters, backend, checkpoints, the best step, and user edits', () => {
    const { db, projectId } = fresh()
    const id = runs.insertRun(db, newRun(projectId))
    expect(runs.setRunParams(db, id, { trainableParams: 108_000_000, totalParams: 110_000_000, backend: { name: 'tensorflow', device: 'CPU', threads: 8 } })).toBe(true)
    runs.setRunParams(db, id, { checkpointDir: '/data/runs/1' })
    expect(runs.setBest(db, id, 1200, 0.9132)).toBe(true)
    expect(runs.updateRunInfo(db, id, { tags: ['best'], notes: 'promising' })).toBe(true)
    expect(() => runs.setRunDataset(db, id, 'not-a-snapshot', summary)).toThrow(/FOREIGN KEY/)
    addSnapshot(db, projectId, 'h1')
    expect(runs.setRunDataset(db, id, 'h1', summary)).toBe(true)
    expect(runs.getRun(db, id)).toMatchObject({
      name: 'bert-base lr 3e-5',
      trainableParams: 108_000_000,
      totalParams: 110_000_000,
      backend: { name: 'tensorflow', device: 'CPU', threads: 8 },
      checkpointDir: '/data/runs/1',
      bestStep: 1200,
      bestMetric: 0.9132,
      tags: ['best'],
      notes: 'promising',
      datasetHash: 'h1',
      datasetSummary: summary,
    })
  })
})

describe('runs repository: metrics, evaluations, predictions, log', () => {
  it('appends metric batches, replaces re-logged steps, keeps NaN and Infinity, and reads series by name', () => {
    const { db, projectId } = fresh()
    const id = runs.insertRun(db, newRun(projectId))
    for (let step = 1; step <= 3; step++) {
      runs.appendMetrics(db, id, [
        { name: 'train/loss', step, epoch: step / 10, wallMs: step * 100.4, value: 2 / step },
        { name: 'train/lr', step, epoch: step / 10, wallMs: step * 100.4, value: 1e-5 * step },
      ])
    }
    runs.appendMetrics(db, id, [{ name: 'dev/f1', step: 3, epoch: 0.3, wallMs: 400, value: 0.5 }])
    // Resumed from the step-2 checkpoint: step 3 is logged again, and the loss diverges.
    runs.appendMetrics(db, id, [
      { name: 'train/loss', step: 3, epoch: 0.3, wallMs: 900, value: Number.NaN },
      { name: 'train/loss', step: 4, epoch: 0.4, wallMs: 1000, value: Number.POSITIVE_INFINITY },
    ])
    const all = runs.metricSeries(db, id)
    expect(Object.keys(all).sort()).toEqual(['dev/f1', 'train/loss', 'train/lr'])
    expect(all['train/loss']).toEqual([
      { step: 1, epoch: 0.1, wallMs: 100, value: 2 },
      { step: 2, epoch: 0.2, wallMs: 201, value: 1 },
      { step: 3, epoch: 0.3, wallMs: 900, value: Number.NaN },
      { step: 4, epoch: 0.4, wallMs: 1000, value: Number.POSITIVE_INFINITY },
    ])
    expect(runs.metricSeries(db, id, ['dev/f1', 'train/tokens_per_s'])).toEqual({ 'dev/f1': [{ step: 3, epoch: 0.3, wallMs: 400, value: 0.5 }], 'train/tokens_per_s': [] })
    // Resuming from step 2 forgets every metric logged after it.
    expect(runs.truncateMetrics(db, id, 2)).toBe(4)
    expect(runs.metricSeries(db, id, ['train/loss'])['train/loss']!.map((p) => p.step)).toEqual([1, 2])
  })

  it('writes a metric batch all or nothing', () => {
    const { db, projectId } = fresh()
    const id = runs.insertRun(db, newRun(projectId))
    expect(() =>
      runs.appendMetrics(db, id, [
        { name: 'train/loss', step: 1, epoch: 0, wallMs: 1, value: 1 },
        { name: 'train/loss', step: 1.5, epoch: 0, wallMs: 1, value: 1 },
      ]),
    ).toThrow(/INTEGER/)
    expect(runs.metricSeries(db, id)).toEqual({})
    expect(() => runs.appendMetrics(db, 999, [{ name: 'x', step: 1, epoch: 0, wallMs: 0, value: 1 }])).toThrow(/FOREIGN KEY/)
  })

  it('appends 10,000 steps of four metrics quickly, one batch per step', () => {
    const { db, projectId } = fresh()
    const id = runs.insertRun(db, newRun(projectId))
    const started = performance.now()
    for (let step = 0; step < 10_000; step++) {
      runs.appendMetrics(
        db,
        id,
        ['train/loss', 'train/lr', 'train/tokens_per_s', 'train/grad_norm'].map((name) => ({ name, step, epoch: step / 1000, wallMs: step * 50, value: Math.random() })),
      )
    }
    const series = runs.metricSeries(db, id, ['train/loss'])
    expect(series['train/loss']).toHaveLength(10_000)
    expect(performance.now() - started).toBeLessThan(10_000)
  })

  it('stores evaluations with their full result, listed per split in order', () => {
    const { db, projectId } = fresh()
    const id = runs.insertRun(db, newRun(projectId))
    const result = { micro: { precision: 0.9, recall: 0.8, f1: 0.847, support: 10 }, perType: [{ type: 'PER', f1: 1 }] }
    const e1 = runs.insertEvaluation(db, { runId: id, split: 'dev', step: 100, checkpoint: 'step-100', mode: 'default', result, now: T1 })
    const e2 = runs.insertEvaluation(db, { runId: id, split: 'test', step: 200, checkpoint: 'best', mode: 'strict', result: { micro: { f1: 0.5 } }, now: T2 })
    const e3 = runs.insertEvaluation(db, { runId: id, split: 'file:conll03-testb.txt', step: 200, checkpoint: 'last', mode: 'default', result: {}, now: T2 })
    expect(runs.listEvaluations(db, id).map((e) => e.id)).toEqual([e1, e2, e3])
    expect(runs.listEvaluations(db, id, 'dev')).toEqual([{ id: e1, runId: id, split: 'dev', step: 100, checkpoint: 'step-100', mode: 'default', result, createdAt: T1 }])
    expect(() => runs.insertEvaluation(db, { runId: id, split: 'holdout' as 'dev', step: 1, checkpoint: 'best', mode: 'default', result: {}, now: T1 })).toThrow(/CHECK/)
    expect(() => runs.insertEvaluation(db, { runId: id, split: 'dev', step: 1, checkpoint: 'newest' as 'best', mode: 'default', result: {}, now: T1 })).toThrow(/CHECK/)
  })

  it('stores predictions with gold spans, counts their errors, pages them, and replaces a document predicted again', () => {
    const { db, projectId } = fresh()
    const id = runs.insertRun(db, newRun(projectId))
    const per = { start: 0, end: 3, label: 'PER' }
    runs.savePredictions(db, id, 'dev', [
      { documentId: 11, text: 'Ada in Rome', gold: [per, { start: 7, end: 11, label: 'LOC' }], predicted: [{ ...per, confidence: 0.99 }, { start: 7, end: 11, label: 'LOC', confidence: 0.8 }] },
      { documentId: 12, text: 'Bob in Oslo', gold: [{ ...per }], predicted: [{ start: 0, end: 3, label: 'ORG', confidence: 0.6 }] },
      { documentId: 13, text: 'Nothing', gold: [], predicted: [{ start: 0, end: 7, label: 'MISC', confidence: 0.51 }] },
    ])
    runs.savePredictions(db, id, 'test', [{ documentId: 11, text: 'Ada in Rome', gold: [], predicted: [] }])
    const page = runs.listPredictions(db, id, 'dev')
    expect(page.total).toBe(3)
    expect(page.items[0]).toEqual({
      documentId: 11,
      text: 'Ada in Rome',
      gold: [per, { start: 7, end: 11, label: 'LOC' }],
      predicted: [{ ...per, confidence: 0.99 }, { start: 7, end: 11, label: 'LOC', confidence: 0.8 }],
      errors: 0,
    })
    expect(page.items.map((p) => p.errors)).toEqual([0, 2, 1])
    const errors = runs.listPredictions(db, id, 'dev', { onlyErrors: true, offset: 1, limit: 1 })
    expect(errors).toMatchObject({ total: 2, items: [{ documentId: 13 }] })
    runs.savePredictions(db, id, 'dev', [{ documentId: 12, text: 'Bob in Oslo', gold: [per], predicted: [{ ...per, confidence: 0.9 }] }])
    expect(runs.listPredictions(db, id, 'dev', { onlyErrors: true }).items.map((p) => p.documentId)).toEqual([13])
    expect(runs.clearPredictions(db, id, 'dev')).toBe(3)
    expect(runs.listPredictions(db, id, 'test').total).toBe(1)
  })

  it('appends log lines in sequence and reads the tail or what follows a line', () => {
    const { db, projectId } = fresh()
    const id = runs.insertRun(db, newRun(projectId))
    const other = runs.insertRun(db, newRun(projectId))
    expect(runs.appendLog(db, id, { at: T0, level: 'info', message: 'loading model' })).toBe(0)
    expect(runs.appendLogs(db, id, [1, 2, 3, 4].map((i) => ({ at: T1, level: 'debug' as const, message: `step ${i}` })))).toBe(4)
    expect(runs.appendLog(db, other, { at: T1, level: 'warn', message: 'other run' })).toBe(0)
    expect(runs.appendLog(db, id, { at: T2, level: 'error', message: 'boom' })).toBe(5)
    expect(runs.listLogs(db, id, { limit: 2 })).toEqual([
      { seq: 4, at: T1, level: 'debug', message: 'step 4' },
      { seq: 5, at: T2, level: 'error', message: 'boom' },
    ])
    expect(runs.listLogs(db, id).map((l) => l.seq)).toEqual([0, 1, 2, 3, 4, 5])
    expect(runs.listLogs(db, id, { afterSeq: 2, limit: 2 }).map((l) => l.message)).toEqual(['step 3', 'step 4'])
    expect(() => runs.appendLog(db, id, { at: T2, level: 'fatal' as 'error', message: 'x' })).toThrow(/CHECK/)
  })
})

describe('runs repository: deletion and snapshots', () => {
  it('deletes a run with everything it logged, and its snapshot once no run uses it', () => {
    const { db, projectId } = fresh()
    addSnapshot(db, projectId, 'h1')
    const a = runs.insertRun(db, newRun(projectId, { datasetHash: 'h1', datasetSummary: summary }))
    const b = runs.insertRun(db, newRun(projectId, { datasetHash: 'h1', datasetSummary: summary }))
    for (const id of [a, b]) {
      runs.appendMetrics(db, id, [{ name: 'train/loss', step: 1, epoch: 0, wallMs: 0, value: 1 }])
      runs.insertEvaluation(db, { runId: id, split: 'dev', step: 1, checkpoint: 'last', mode: 'default', result: {}, now: T0 })
      runs.savePredictions(db, id, 'dev', [{ documentId: 1, text: 'x', gold: [], predicted: [] }])
      runs.appendLog(db, id, { at: T0, level: 'info', message: 'hi' })
    }
    expect(runs.deleteRun(db, a)).toMatchObject({ id: a, datasetHash: 'h1' })
    for (const t of ['run_metrics', 'run_evaluations', 'run_predictions', 'run_logs']) expect(count(db, t)).toBe(1)
    expect(runs.getSnapshot(db, 'h1')).toBeDefined()
    expect(runs.deleteRun(db, a)).toBeUndefined()
    runs.deleteRun(db, b)
    for (const t of ['runs', 'run_metrics', 'run_evaluations', 'run_predictions', 'run_logs', 'snapshots', 'snapshot_documents']) expect(count(db, t)).toBe(0)
  })

  it('refuses a run on a snapshot that does not exist, and a snapshot still used by a run cannot be deleted', () => {
    const { db, projectId } = fresh()
    expect(() => runs.insertRun(db, newRun(projectId, { datasetHash: 'missing' }))).toThrow(/FOREIGN KEY/)
    addSnapshot(db, projectId, 'h1')
    addSnapshot(db, projectId, 'h2')
    runs.insertRun(db, newRun(projectId, { datasetHash: 'h1' }))
    expect(runs.deleteSnapshotIfUnused(db, 'h1')).toBe(false)
    expect(() => db.prepare("DELETE FROM snapshots WHERE hash = 'h1'").run()).toThrow(/FOREIGN KEY/)
    expect(runs.deleteUnusedSnapshots(db, projectId)).toBe(1)
    expect(runs.listSnapshots(db, projectId).map((s) => s.hash)).toEqual(['h1'])
  })

  it('reads snapshot documents page by page, per split, in order', () => {
    const { db, projectId } = fresh()
    const sid = runs.insertSnapshot(db, { hash: 'h', projectId, summary, now: T0 })
    const docs = Array.from({ length: 7 }, (_, i) => ({
      id: 100 + i,
      split: (['train', 'dev', 'unassigned'] as const)[i % 3]!,
      text: `doc ${i}`,
      spans: i % 2 ? [{ start: 0, end: 3, label: 'PER' }] : [],
      tokens: i === 0 ? ([[0, 3], [4, 5]] as [number, number][]) : null,
    }))
    runs.insertSnapshotDocuments(db, sid, 0, docs.slice(0, 4))
    runs.insertSnapshotDocuments(db, sid, 4, docs.slice(4))
    const first = runs.snapshotDocumentsPage(db, 'h', undefined, -1, 3)
    expect(first.map((d) => d.seq)).toEqual([0, 1, 2])
    expect(first[0]).toEqual({ seq: 0, ...docs[0] })
    expect(runs.snapshotDocumentsPage(db, 'h', undefined, 2, 10).map((d) => d.id)).toEqual([103, 104, 105, 106])
    expect(runs.snapshotDocumentsPage(db, 'h', 'dev', -1, 10).map((d) => d.id)).toEqual([101, 104])
  })

  it('goes with its project: deleting a project deletes its runs, their rows and its snapshots', () => {
    const { db, projectId } = fresh()
    addSnapshot(db, projectId, 'h1')
    const id = runs.insertRun(db, newRun(projectId, { datasetHash: 'h1' }))
    runs.appendMetrics(db, id, [{ name: 'train/loss', step: 1, epoch: 0, wallMs: 0, value: 1 }])
    runs.appendLog(db, id, { at: T0, level: 'info', message: 'hi' })
    db.prepare('DELETE FROM projects WHERE id = ?').run(projectId)
    for (const t of ['runs', 'run_metrics', 'run_logs', 'snapshots', 'snapshot_documents']) expect(count(db, t)).toBe(0)
  })
})

describe('migration 4', () => {
  it('upgrades a version-3 database in place, keeping its documents, and every new table is STRICT', () => {
    const file = join(tempDir(), 'v3.db')
    const old = new Database(file)
    migrate(old, MIGRATIONS, 3)
    old.prepare("INSERT INTO projects (id, name, task_type, tag_scheme, created_at, updated_at) VALUES (7, 'Old', 'ner', 'iob2', 't', 't')").run()
    old.prepare("INSERT INTO documents (project_id, position, text, split, token_count, created_at) VALUES (7, 0, 'Ada', 'train', 1, 't')").run()
    old.close()
    const db = openDatabase(file)
    expect(LATEST_SCHEMA_VERSION).toBeGreaterThanOrEqual(4)
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION)
    expect(db.prepare('SELECT text FROM documents').all()).toEqual([{ text: 'Ada' }])
    const id = runs.insertRun(db, newRun(7))
    expect(runs.listRuns(db, 7).map((r) => r.id)).toEqual([id])
    const sql = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND (name LIKE 'run%' OR name LIKE 'snapshot%')").all() as { name: string; sql: string }[]
    expect(sql).toHaveLength(7)
    for (const t of sql) expect(t.sql).toMatch(/STRICT$/)
    db.close()
  })
})
