/**
 * Runs over one store, with the rules that span rows: a run is created together with its training
 * data snapshot, deleting a run drops its snapshot when no other run uses it, and runs cut off by
 * a previous process are marked interrupted at start. Everything else is the repository as is.
 */
import type { DB } from '../../store/db'
import * as repo from '../../store/repositories/runs'
import type { Run, RunConfigJson, RunModel } from '../../store/repositories/runs'
import { createSnapshot, type SnapshotResult } from './snapshot'
import { AppError } from '../../../src-shared/ipc/errors'

export interface NewRunInput {
  projectId: number
  name: string
  config: RunConfigJson
  model: RunModel
  tags?: string[]
  notes?: string
  /** Train on done documents only (default), else on every document but skipped ones. */
  onlyDone?: boolean
}

export interface RunStore {
  /** Snapshot the project's data and queue a run on it, in one transaction. NOT_FOUND when the project does not exist. */
  create(input: NewRunInput): { run: Run; snapshot: SnapshotResult }
  /** The run, or NOT_FOUND. */
  get(id: number): Run
  list(projectId: number): Run[]
  /** Delete the run and what it logged (and its snapshot when unused); its checkpoint folder is the caller's. NOT_FOUND when absent. */
  delete(id: number): Run
  /** Call once at host start: runs left 'running' become 'interrupted'. Returns how many. */
  recover(): number
}

export function createRunStore(db: DB, now = () => new Date().toISOString()): RunStore {
  function mustGet(id: number): Run {
    const run = repo.getRun(db, id)
    if (!run) throw new AppError('NOT_FOUND', `There is no run with id ${id}; it may have been deleted.`, { id })
    return run
  }

  return {
    create(input) {
      return db.transaction(() => {
        const snapshot = createSnapshot(db, input.projectId, { onlyDone: input.onlyDone ?? true }, now)
        const id = repo.insertRun(db, {
          projectId: input.projectId,
          name: input.name,
          config: input.config,
          model: input.model,
          datasetHash: snapshot.hash,
          datasetSummary: snapshot.summary,
          tags: input.tags ?? [],
          notes: input.notes ?? '',
          now: now(),
        })
        return { run: mustGet(id), snapshot }
      }).immediate()
    },

    get: mustGet,

    list: (projectId) => repo.listRuns(db, projectId),

    delete(id) {
      const run = repo.deleteRun(db, id)
      if (!run) throw new AppError('NOT_FOUND', `There is no run with id ${id}; it may have been deleted.`, { id })
      return run
    },

    recover: () => repo.markInterrupted(db, now()),
  }
}
