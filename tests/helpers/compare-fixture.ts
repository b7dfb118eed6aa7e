/**
 * Finished runs written straight into a store, for deterministic comparison tests: a project
 * with a test split, runs whose predictions are the gold spans with chosen mistakes, their
 * test evaluations (computed by ner-eval from the same spans, default and strict), metric
 * series and a best step. No trainer involved.
 */
import type { DB } from '../../src-main/store/db'
import * as repo from '../../src-main/store/repositories/runs'
import { evaluateNer } from '../../src-shared/domain/ner-eval'
import { spansToTags } from '../../src-shared/domain/tag-schemes'
import { toyDocuments } from './toy-ner'

export type Span = { start: number; end: number; label: string }
type Mistake = (spans: Span[], i: number, text: string) => Span[]

const T0 = '2026-03-01T10:00:00.000Z'

/** Whitespace tokens of a text, with character offsets. */
function words(text: string): { start: number; end: number }[] {
  return [...text.matchAll(/\S+/g)].map((m) => ({ start: m.index, end: m.index + m[0].length }))
}

function tagsOf(text: string, spans: readonly Span[]): string[] {
  const w = words(text)
  const tokenSpans = spans.map((s) => ({ start: w.findIndex((t) => t.start >= s.start), end: w.findLastIndex((t) => t.end <= s.end) + 1, label: s.label }))
  return spansToTags(w.length, tokenSpans, 'iob2')
}

export const TEST_DOCS = toyDocuments(30, 3, 's').map((d, i) => ({ id: 1000 + i, text: d.text, spans: d.spans.map((s) => ({ start: s.start, end: s.end, label: s.label })) }))

/** Mistakes a run makes on document i. */
export const MISTAKES = {
  /** Misses the last entity of every third document; wrong type on the first entity of every fifth. */
  weak: ((spans, i) => {
    let out = spans.map((s) => ({ ...s }))
    if (i % 3 === 0) out = out.slice(0, -1)
    if (i % 5 === 0 && out[0]) out[0] = { ...out[0], label: out[0].label === 'PER' ? 'LOC' : 'PER' }
    return out
  }) as Mistake,
  /** Misses the last entity of every seventh document. */
  strong: ((spans, i) => (i % 7 === 0 ? spans.slice(0, -1) : spans.map((s) => ({ ...s })))) as Mistake,
  /** Like weak, but cuts two-word entities to their first word in every fourth document instead of the wrong types. */
  weakOtherSeed: ((spans, i, text) => {
    let out = spans.map((s) => ({ ...s }))
    if (i % 3 === 0) out = out.slice(0, -1)
    if (i % 4 === 0) out = out.map((s) => (text.slice(s.start, s.end).includes(' ') ? { ...s, end: s.start + text.slice(s.start, s.end).indexOf(' ') } : s))
    return out
  }) as Mistake,
}

export interface FixtureRun {
  name: string
  config: Record<string, unknown>
  mistakes: Mistake
  /** Snapshot to point at (default 'snap-a'). */
  snapshot?: string
  bestDevF1: number
  tags?: string[]
  minutes?: number
}

function summary(): repo.SnapshotSummary {
  return {
    labels: ['PER', 'LOC'],
    documents: { train: 0, dev: 0, test: TEST_DOCS.length, unassigned: 0 },
    tokens: { train: 0, dev: 0, test: 0, unassigned: 0 },
    entities: { train: { PER: 0, LOC: 0 }, dev: { PER: 0, LOC: 0 }, test: { PER: 0, LOC: 0 }, unassigned: { PER: 0, LOC: 0 } },
    droppedSpans: 0,
  }
}

/** Writes the runs (completed, with evaluations, predictions and curves) and returns their ids in order. */
export function seedRuns(db: DB, projectId: number, runs: readonly FixtureRun[]): number[] {
  const snapshots = new Set<string>()
  return runs.map((r, k) => {
    const hash = (r.snapshot ?? 'snap-a').padEnd(64, '0')
    if (!snapshots.has(hash) && !repo.getSnapshot(db, hash)) {
      const sid = repo.insertSnapshot(db, { hash, projectId, summary: summary(), now: T0 })
      repo.insertSnapshotDocuments(db, sid, 0, TEST_DOCS.map((d) => ({ id: d.id, split: 'test', text: d.text, spans: d.spans, tokens: null })))
    }
    snapshots.add(hash)
    const id = repo.insertRun(db, { projectId, name: r.name, status: 'completed', config: r.config, model: { kind: 'folder', path: '/models/tiny-bert', name: 'tiny-bert' }, tags: r.tags ?? [], now: T0 })
    repo.setRunDataset(db, id, hash, summary())
    const start = new Date(Date.parse(T0) + k * 3600_000)
    repo.updateRunStatus(db, id, 'running', { now: start.toISOString() })
    repo.updateRunStatus(db, id, 'completed', { now: new Date(start.getTime() + (r.minutes ?? 2) * 60_000).toISOString() })
    repo.setRunParams(db, id, { backend: { name: 'wasm', device: 'CPU', label: 'wasm (CPU)', threads: 2 } })

    const predicted = TEST_DOCS.map((d, i) => r.mistakes(d.spans, i, d.text))
    repo.savePredictions(
      db,
      id,
      'test',
      TEST_DOCS.map((d, i) => ({ documentId: d.id, text: d.text, gold: d.spans, predicted: predicted[i]!.map((s) => ({ ...s, confidence: 0.9 })) })),
    )
    const yTrue = TEST_DOCS.map((d) => tagsOf(d.text, d.spans))
    const yPred = TEST_DOCS.map((d, i) => tagsOf(d.text, predicted[i]!))
    for (const mode of ['default', 'strict'] as const) {
      repo.insertEvaluation(db, { runId: id, split: 'test', step: 18, checkpoint: 'best', mode, result: evaluateNer(yTrue, yPred, { mode, scheme: 'iob2' }), now: T0 })
    }
    const points: repo.MetricPoint[] = []
    for (let step = 1; step <= 18; step++) points.push({ name: 'train/loss', step, epoch: step / 6, wallMs: step * 1000, value: 2 / (step + k) })
    for (const [j, step] of [6, 12, 18].entries()) points.push({ name: 'dev/f1', step, epoch: step / 6, wallMs: step * 1000, value: r.bestDevF1 - (2 - j) * 0.1 })
    repo.appendMetrics(db, id, points)
    repo.setBest(db, id, 18, r.bestDevF1)
    return id
  })
}

export const BASE_CONFIG = { model: '/models/tiny-bert', epochs: 3, batchSize: 8, learningRate: 5e-5, peft: null, adversarial: null, seed: 1 }

/** The usual trio: a baseline, a better LoRA run, and the baseline again with another seed. */
export function seedTrio(db: DB, projectId: number): number[] {
  return seedRuns(db, projectId, [
    { name: 'baseline', config: BASE_CONFIG, mistakes: MISTAKES.weak, bestDevF1: 0.8, tags: ['baseline'] },
    { name: 'lora', config: { ...BASE_CONFIG, learningRate: 1e-3, peft: { method: 'lora', rank: 8 } }, mistakes: MISTAKES.strong, bestDevF1: 0.9, tags: ['lora'], minutes: 3 },
    { name: 'baseline seed 2', config: { ...BASE_CONFIG, seed: 2 }, mistakes: MISTAKES.weakOtherSeed, bestDevF1: 0.78, tags: ['baseline'] },
  ])
}
