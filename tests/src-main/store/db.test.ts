import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { migrate, openDatabase, schemaVersion } from '../../../src-main/store/db'
import { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from '../../../src-main/store/migrations'
import { AppError } from '../../../src-shared/ipc/errors'
import { useTempDirs } from '../../helpers/temp-dir'

const tempDir = useTempDirs()
const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex')

describe('openDatabase', () => {
  it('creates a WAL database with foreign keys, migrated to the latest version', () => {
    const file = join(tempDir(), 'a.db')
    const db = openDatabase(file)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION)
    const tables = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string; sql: string }[]
    expect(tables.map((t) => t.name)).toEqual([
      'annotations',
      'bulk_edits',
      'dictionary_terms',
      'documents',
      'import_staging',
      'imports',
      'labels',
      'model_suggestions',
      'models',
      'projects',
      'run_evaluations',
      'run_logs',
      'run_metrics',
      'run_predictions',
      'runs',
      'snapshot_documents',
      'snapshots',
    ])
    for (const t of tables) expect(t.sql).toMatch(/STRICT$/)
    db.close()
  })

  it('is idempotent: reopening keeps data and does not re-run migrations', () => {
    const file = join(tempDir(), 'a.db')
    const db = openDatabase(file)
    db.prepare("INSERT INTO projects (name, task_type, tag_scheme, created_at, updated_at) VALUES ('P', 'ner', 'iob2', 't', 't')").run()
    db.close()
    const again = openDatabase(file)
    expect(again.prepare('SELECT count(*) AS n FROM projects').get()).toEqual({ n: 1 })
    again.close()
  })

  it('refuses a database from a newer Tagtune with a clear message, and leaves the file untouched', () => {
    const file = join(tempDir(), 'newer.db')
    const raw = new Database(file)
    raw.exec('CREATE TABLE future (x INTEGER)')
    raw.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`)
    raw.close()
    const before = sha(file)
    let error: unknown
    try {
      openDatabase(file)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).code).toBe('DATABASE_TOO_NEW')
    expect((error as AppError).message).toContain(`schema version ${LATEST_SCHEMA_VERSION + 5}`)
    expect((error as AppError).message).toContain('upgrade Tagtune')
    expect(sha(file)).toBe(before)
    const check = new Database(file)
    expect(check.pragma('journal_mode', { simple: true })).toBe('delete')
    check.close()
  })

  it('enforces the schema: STRICT types, CHECKs, and label rows cascade with their project', () => {
    const db = openDatabase(join(tempDir(), 'a.db'))
    expect(() =>
      db.prepare("INSERT INTO projects (name, task_type, tag_scheme, created_at, updated_at) VALUES ('P', 'pos', 'iob2', 't', 't')").run(),
    ).toThrow(/CHECK/)
    expect(() =>
      db.prepare("INSERT INTO projects (name, task_type, tag_scheme, version, created_at, updated_at) VALUES ('P', 'ner', 'iob2', 'x', 't', 't')").run(),
    ).toThrow(/cannot store TEXT value in INTEGER column/)
    const id = db.prepare("INSERT INTO projects (name, task_type, tag_scheme, created_at, updated_at) VALUES ('P', 'ner', 'iob2', 't', 't')").run().lastInsertRowid
    db.prepare("INSERT INTO labels (project_id, name, color, position) VALUES (?, 'PER', '#000000', 0)").run(id)
    expect(() => db.prepare("INSERT INTO labels (project_id, name, color, position) VALUES (999, 'X', '#000000', 0)").run()).toThrow(/FOREIGN KEY/)
    db.prepare('DELETE FROM projects WHERE id = ?').run(id)
    expect(db.prepare('SELECT count(*) AS n FROM labels').get()).toEqual({ n: 0 })
    db.close()
  })
})

describe('migrate', () => {
  it('upgrades a version-1 database in place, keeping its projects and labels', () => {
    const file = join(tempDir(), 'v1.db')
    const old = new Database(file)
    migrate(old, MIGRATIONS, 1)
    old.prepare("INSERT INTO projects (id, name, task_type, tag_scheme, created_at, updated_at) VALUES (7, 'Old', 'ner', 'bmes', 't', 't')").run()
    old.prepare("INSERT INTO labels (project_id, name, color, shortcut, position) VALUES (7, 'PER', '#000000', '1', 0)").run()
    old.close()
    const db = openDatabase(file)
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION)
    expect(db.prepare('SELECT name, tag_scheme, allow_nested FROM projects').all()).toEqual([{ name: 'Old', tag_scheme: 'bmes', allow_nested: 0 }])
    expect(db.prepare('SELECT name, shortcut FROM labels').all()).toEqual([{ name: 'PER', shortcut: '1' }])
    db.close()
  })

  it('runs each migration in its own transaction: a failing one leaves the previous version intact', () => {
    const db = new Database(join(tempDir(), 'm.db'))
    const broken: Migration = {
      version: LATEST_SCHEMA_VERSION + 1,
      name: 'broken',
      up(d) {
        d.exec('CREATE TABLE half_done (x INTEGER) STRICT')
        throw new Error('boom')
      },
    }
    expect(() => migrate(db, [...MIGRATIONS, broken], broken.version)).toThrow('boom')
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION)
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half_done'").get()).toEqual({ n: 0 })
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'projects'").get()).toEqual({ n: 1 })
    db.close()
  })

  it('refuses a gap in the numbering', () => {
    const db = new Database(':memory:')
    expect(() => migrate(db, [{ version: 2, name: 'skips-one', up() {} }], 2)).toThrow(/does not follow version 0/)
    db.close()
  })
})
