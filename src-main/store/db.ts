/**
 * Opening the SQLite store: WAL, foreign keys, migrations by `PRAGMA user_version`.
 * A database written by a newer Tagtune is refused before anything touches it.
 */
import Database from 'better-sqlite3'
import { AppError } from '../../src-shared/ipc/errors'
import { MIGRATIONS, LATEST_SCHEMA_VERSION, type Migration } from './migrations'

export type DB = Database.Database

export interface OpenDatabaseOptions {
  /**
   * Path to a better_sqlite3.node built for the running runtime. The desktop app points this
   * at its Electron-ABI build so that Node (tests, CLI, serve) and Electron can share a checkout.
   */
  nativeBinding?: string
}

export function openDatabase(file: string, options: OpenDatabaseOptions = {}): DB {
  const db = new Database(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {})
  try {
    refuseNewer(db, file)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
    migrate(db)
    return db
  } catch (err) {
    db.close()
    throw err
  }
}

export function schemaVersion(db: DB): number {
  return db.pragma('user_version', { simple: true }) as number
}

function refuseNewer(db: DB, file: string): void {
  const version = schemaVersion(db)
  if (version > LATEST_SCHEMA_VERSION) {
    throw new AppError(
      'DATABASE_TOO_NEW',
      `The database ${file} has schema version ${version}, but this Tagtune understands up to ${LATEST_SCHEMA_VERSION}. ` +
        'It was written by a newer Tagtune: upgrade Tagtune, or choose another data directory. The file was not changed.',
      { file, schemaVersion: version, supported: LATEST_SCHEMA_VERSION },
    )
  }
}

/** Apply every pending migration, each in its own transaction together with its user_version bump. */
export function migrate(db: DB, migrations: readonly Migration[] = MIGRATIONS, target = LATEST_SCHEMA_VERSION): number {
  let current = schemaVersion(db)
  for (const m of migrations) {
    if (m.version <= current || m.version > target) continue
    if (m.version !== current + 1) throw new Error(`migration ${m.version} (${m.name}) does not follow version ${current}`)
    db.transaction(() => {
      m.up(db)
      db.pragma(`user_version = ${m.version}`)
    })()
    current = m.version
  }
  return current
}

const statements = new WeakMap<DB, Map<string, Database.Statement>>()

/** A prepared statement, prepared once per connection: hot paths (imports) run them 100,000s of times. */
export function cached(db: DB, sql: string): Database.Statement {
  let perDb = statements.get(db)
  if (!perDb) statements.set(db, (perDb = new Map()))
  let st = perDb.get(sql)
  if (!st) perDb.set(sql, (st = db.prepare(sql)))
  return st
}
