/** Which model folder a run serves (its best checkpoint, else its last) and how it reads text. */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { DB } from '../../store/db'
import { getRun } from '../../store/repositories/runs'
import { RunConfig } from '../../../src-shared/domain/run-config'
import { AppError } from '../../../src-shared/ipc/errors'
import type { ModelSpec } from '../../serve/model'

export function runModelSpec(db: DB, runDir: (id: number) => string, runId: number): ModelSpec {
  const run = getRun(db, runId)
  if (!run) throw new AppError('NOT_FOUND', `There is no run with id ${runId}.`)
  const dir = ['best', 'last'].map((c) => join(runDir(runId), c)).find((d) => existsSync(join(d, 'model.safetensors')))
  if (!dir) throw new AppError('NOT_FOUND', `Run ${runId} (${run.status}) has no saved model yet: it needs at least one checkpoint.`)
  const parsed = RunConfig.safeParse(run.config)
  const config = parsed.success ? parsed.data : RunConfig.parse({})
  return {
    dir,
    runId,
    name: run.name,
    maxLength: config.maxLength,
    ...(config.stride !== undefined ? { stride: config.stride } : {}),
    labelAllSubtokens: config.labelAllSubtokens,
    batchSize: config.evalBatchSize,
  }
}
