/** Which runs can predict, and how the model picker shows them. Pure. */
import type { RunSummary } from '@shared/domain/run'
import type { RunTableRow } from '@shared/domain/run-compare'

export interface ModelChoice {
  id: number
  name: string
  status: RunSummary['status']
  /** Test entity F1 of the best checkpoint (seqeval default), 0-1; null before the run has one. */
  testF1: number | null
  /** Best dev entity F1, 0-1. */
  devF1: number | null
  modelName: string
  endedAt: string | null
}

/**
 * A run has a saved model once it completed, or once it wrote a best checkpoint and stopped
 * (failed, cancelled, interrupted after an evaluation). Runs training now or queued are left out:
 * their checkpoint may be half written.
 */
export function hasSavedModel(run: RunSummary): boolean {
  if (run.status === 'queued' || run.status === 'running') return false
  return run.status === 'completed' || run.bestStep !== null
}

/** The runs that can predict, best test F1 first (runs without one after, newest first). */
export function modelChoices(rows: readonly RunTableRow[]): ModelChoice[] {
  return rows
    .filter((r) => hasSavedModel(r.run))
    .map((r) => ({ id: r.run.id, name: r.run.name, status: r.run.status, testF1: r.test?.f1 ?? null, devF1: r.run.bestMetric, modelName: r.modelName, endedAt: r.run.endedAt }))
    .sort((a, b) => (b.testF1 ?? -1) - (a.testF1 ?? -1) || b.id - a.id)
}

const pct = (x: number | null): string => (x === null ? '—' : (x * 100).toFixed(1))

/** "tiny mixed #3 · test F1 91.2 · dev F1 90.0" */
export function choiceLabel(c: ModelChoice): string {
  return `${c.name} #${c.id} · test F1 ${pct(c.testF1)} · dev F1 ${pct(c.devF1)}${c.status === 'completed' ? '' : ` (${c.status})`}`
}

/** The run to select: the one asked for when it can predict, else the best. */
export function defaultChoice(choices: readonly ModelChoice[], wanted: number | null): number | null {
  if (wanted !== null && choices.some((c) => c.id === wanted)) return wanted
  return choices[0]?.id ?? null
}
