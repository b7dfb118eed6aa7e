/** A Runs-table row (run.table's shape) for renderer tests: a completed run `id` with test F1 0.75; `run` and `extra` override. */
import type { RunTableRow } from '../../src-shared/domain/run-compare'

export function runTableRow(id: number, over: Partial<RunTableRow['run']> = {}, extra: Partial<RunTableRow> = {}): RunTableRow {
  return {
    run: {
      id,
      projectId: 1,
      name: `run ${id}`,
      status: 'completed',
      config: {},
      model: {},
      datasetHash: 'abcdef0123456789',
      datasetSummary: null,
      backend: null,
      tags: [],
      notes: '',
      error: null,
      createdAt: `2026-01-0${id}T00:00:00.000Z`,
      startedAt: `2026-01-0${id}T00:00:00.000Z`,
      endedAt: `2026-01-0${id}T00:02:00.000Z`,
      queuePosition: null,
      trainableParams: 1000,
      totalParams: 1000,
      bestStep: 10,
      bestMetric: 0.5,
      checkpointDir: null,
      ...over,
    },
    recipe: 'full',
    modelName: 'bert-base-cased',
    backendLabel: 'wasm (CPU)',
    durationMs: 120_000,
    test: { precision: 0.8, recall: 0.7, f1: 0.75 },
    testStrict: null,
    ...extra,
  }
}
