import type { DB } from '../db'
import { migration0001 } from './0001-create-projects'
import { migration0002 } from './0002-create-documents'
import { migration0003 } from './0003-create-dictionaries'
import { migration0004 } from './0004-create-runs'
import { migration0005 } from './0005-create-models'
import { migration0006 } from './0006-create-model-suggestions'
import { migration0007 } from './0007-models-from-pretraining'

export interface Migration {
  version: number
  name: string
  up(db: DB): void
}

/** In order; each file adds exactly one schema version. */
export const MIGRATIONS: readonly Migration[] = [migration0001, migration0002, migration0003, migration0004, migration0005, migration0006, migration0007]
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version
