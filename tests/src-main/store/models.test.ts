/**
 * The model library's table (migration 5) and repository, on real SQLite files: rows round-trip
 * with their JSON, names are unique regardless of case, folder names stay inside, finished runs are
 * found across projects, and a version-4 database upgrades in place.
 */
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { migrate, openDatabase, schemaVersion, type DB } from '../../../src-main/store/db'
import { MIGRATIONS } from '../../../src-main/store/migrations'
import { insertProject } from '../../../src-main/store/repositories/projects'
import { insertRun, updateRunStatus } from '../../../src-main/store/repositories/runs'
import * as models from '../../../src-main/store/repositories/models'
import type { ModelInfo } from '../../../src-shared/domain/model-library'
import { useTempDirs } from '../../helpers/temp-dir'

const tempDir = useTempDirs()
const T0 = '2026-01-01T00:00:00.000Z'

const info: ModelInfo = {
  architecture: 'BertForMaskedLM',
  layers: 12,
  hiddenSize: 768,
  heads: 12,
  intermediateSize: 3072,
  maxPositions: 512,
  parameters: 108_310_272,
  dtype: 'F32',
  vocabSize: 28996,
  embeddingRows: 28996,
  vocabFile: 'vocab.txt',
  cased: true,
  casingFrom: 'tokenizer_config',
  language: { hint: 'English', scripts: [{ script: 'Latin', share: 0.964 }] },
  labels: null,
  files: [{ name: 'config.json', bytes: 570 }],
}

const row = (over: Partial<models.NewLibraryModel> = {}): models.NewLibraryModel => ({
  name: 'bert-base-cased',
  folder: 'bert-base-cased',
  source: { kind: 'hub', endpoint: 'https://huggingface.co', repo: 'google-bert/bert-base-cased', revision: 'main', commit: 'cd5ef92a' },
  storage: 'copy',
  info,
  notes: ['wrote do_lower_case: false'],
  sizeBytes: 435_755_784,
  createdAt: T0,
  ...over,
})

function fresh(): DB {
  return openDatabase(join(tempDir(), 'models.db'))
}

describe('models repository', () => {
  it('inserts, reads, lists newest first and deletes rows with their JSON intact', () => {
    const db = fresh()
    const a = models.insertModel(db, row())
    const b = models.insertModel(db, row({ name: 'Mine', folder: 'Mine', source: { kind: 'local', path: '/models/mine', mode: 'link' }, storage: 'link', notes: [] }))
    expect(models.getModel(db, a)).toEqual({ id: a, ...row() })
    expect(models.listModels(db).map((m) => m.id)).toEqual([b, a])
    expect(models.findModelByName(db, 'BERT-BASE-cased')?.id).toBe(a)
    expect(models.findModelByName(db, 'other')).toBeUndefined()
    expect(models.deleteModel(db, a)?.name).toBe('bert-base-cased')
    expect(models.deleteModel(db, a)).toBeUndefined()
    expect(models.listModels(db).map((m) => m.id)).toEqual([b])
    db.close()
  })

  it('refuses a second model with the same name in another case, and a folder name that leaves its folder', () => {
    const db = fresh()
    models.insertModel(db, row())
    expect(() => models.insertModel(db, row({ name: 'BERT-base-CASED' }))).toThrow(/UNIQUE/)
    for (const folder of ['', '.', '..', 'a/b', '..\\x']) expect(() => models.insertModel(db, row({ name: `n${folder}`, folder })), folder).toThrow(/CHECK/)
    expect(models.listModels(db)).toHaveLength(1)
    db.close()
  })

  it('checks its columns: source kind, storage and size', () => {
    const db = fresh()
    const insert = (kind: string, storage: string, size: number) =>
      db.prepare("INSERT INTO models (name, folder, source_kind, source, storage, info, size_bytes, created_at) VALUES (?, 'm', ?, ?, ?, ?, ?, ?)").run(`m${Math.random()}`, kind, '{}', storage, '{}', size, T0)
    expect(() => insert('run', 'copy', 1)).toThrow(/CHECK/)
    expect(() => insert('local', 'move', 1)).toThrow(/CHECK/)
    expect(() => insert('local', 'copy', -1)).toThrow(/CHECK/)
    expect(() => insert('local', 'copy', 1.5)).toThrow(/cannot store REAL value in INTEGER column|datatype mismatch/)
    insert('local', 'copy', 1)
    db.close()
  })

  it('finds finished runs of every project with their project name, and the active runs that train from a folder', () => {
    const db = fresh()
    const p1 = insertProject(db, { name: 'News', description: '', taskType: 'ner', tagScheme: 'iob2', allowNested: false, guidelines: '', now: T0 })
    const p2 = insertProject(db, { name: 'Resumes', description: '', taskType: 'ner', tagScheme: 'iob2', allowNested: false, guidelines: '', now: T0 })
    const run = (projectId: number, name: string, model: unknown) => insertRun(db, { projectId, name, config: { model }, model: { kind: 'folder', path: String(model), name }, now: T0 })
    const done = run(p1, 'a', '/data/models/3')
    const failed = run(p2, 'b', { scratch: { vocab: 'v.txt' } })
    const queued = run(p2, 'c', '/data/models/3/')
    updateRunStatus(db, done, 'completed', { now: T0 })
    updateRunStatus(db, failed, 'failed', { now: T0, error: 'NaN' })
    db.prepare('UPDATE runs SET best_metric = 0.8123, checkpoint_dir = ? WHERE id = ?').run('/data/runs/1', done)

    const list = models.listRunCheckpoints(db)
    expect(list.map((r) => [r.runId, r.projectName, r.status])).toEqual([
      [failed, 'Resumes', 'failed'],
      [done, 'News', 'completed'],
    ])
    expect(list[1]).toMatchObject({ runName: 'a', bestMetric: 0.8123, checkpointDir: '/data/runs/1', model: '/data/models/3', projectId: p1 })
    expect(models.getRunCheckpoint(db, done)?.runId).toBe(done)
    expect(models.getRunCheckpoint(db, queued)).toBeUndefined()
    expect(models.activeRunsUsingModel(db, ['/data/models/3'])).toEqual([{ id: queued, status: 'queued' }])
    expect(models.activeRunsUsingModel(db, ['/data/models/4'])).toEqual([])
    db.close()
  })
})

describe('migration 5', () => {
  it('upgrades a version-4 database in place, keeping its runs, with a STRICT models table', () => {
    const file = join(tempDir(), 'v4.db')
    const old = new Database(file)
    migrate(old, MIGRATIONS, 4)
    old.prepare("INSERT INTO projects (id, name, task_type, tag_scheme, created_at, updated_at) VALUES (7, 'Old', 'ner', 'iob2', 't', 't')").run()
    old.prepare("INSERT INTO runs (project_id, name, status, config, model, created_at) VALUES (7, 'r', 'completed', '{}', '{}', 't')").run()
    old.close()
    const db = openDatabase(file)
    expect(schemaVersion(db)).toBeGreaterThanOrEqual(5)
    expect(db.prepare('SELECT name FROM runs').all()).toEqual([{ name: 'r' }])
    const sql = (db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'models'").get() as { sql: string }).sql
    expect(sql).toMatch(/STRICT$/)
    expect(models.insertModel(db, row())).toBe(1)
    db.close()
  })
})
