/**
 * Runs side by side: the Runs table (one row per run with its recipe and scores), a comparison
 * of 2 to 8 runs against a baseline (config diff, per-type scores, paired bootstrap over the
 * stored predictions, repeats of one config), and the documents where their predictions differ.
 * Reads the store only; the maths is src-shared/domain/compare.ts.
 */
import type { DB } from '../../store/db'
import * as repo from '../../store/repositories/runs'
import { AppError } from '../../../src-shared/ipc/errors'
import type { NerEvaluation } from '../../../src-shared/domain/ner-eval'
import {
  configDiff,
  disagreementMatches,
  documentDisagreement,
  pairedBootstrap,
  perTypeTable,
  repeatGroups,
  spread,
  SPAN_ERROR_KINDS,
  type PairedDocument,
  type SpanLike,
} from '../../../src-shared/domain/compare'
import { describeBackend, describeModel, describeRecipe, runDurationMs } from '../../../src-shared/domain/run-describe'
import type { RunComparison, RunDisagreementsPage, RunTableRow } from '../../../src-shared/domain/run-compare'
import { toSummary } from './index'

type Split = 'dev' | 'test'
type Mode = 'default' | 'strict'

function mustGet(db: DB, id: number): repo.Run {
  const run = repo.getRun(db, id)
  if (!run) throw new AppError('NOT_FOUND', `There is no run with id ${id}; it may have been deleted.`, { id })
  return run
}

/** The run's final evaluation on a split in a mode: the best checkpoint's (else the last's), newest first. */
export function finalEvaluation(evals: readonly repo.Evaluation[], split: Split, mode: Mode): NerEvaluation | null {
  const of = (checkpoint: string) => evals.filter((e) => e.split === split && e.mode === mode && e.checkpoint === checkpoint).at(-1)
  return ((of('best') ?? of('last'))?.result as NerEvaluation | undefined) ?? null
}

const prf = (e: NerEvaluation | null) => (e ? { precision: e.precision, recall: e.recall, f1: e.f1 } : null)

const describe = (run: repo.Run) => ({
  recipe: describeRecipe(run.config),
  modelName: describeModel(run.model),
  backendLabel: describeBackend(run.backend),
  durationMs: runDurationMs(run),
})

/** Every run of the project with what the Runs table shows, newest first. */
export function runTable(db: DB, projectId: number): RunTableRow[] {
  return repo.listRuns(db, projectId).map((run) => {
    const evals = repo.listEvaluations(db, run.id, 'test')
    return { run: toSummary(run), ...describe(run), test: prf(finalEvaluation(evals, 'test', 'default')), testStrict: prf(finalEvaluation(evals, 'test', 'strict')) }
  })
}

/** Every stored prediction of a run on a split, by document id. */
function predictionsOf(db: DB, runId: number, split: Split): Map<number, repo.StoredPrediction> {
  const { items } = repo.listPredictions(db, runId, split, { offset: 0, limit: Number.MAX_SAFE_INTEGER })
  return new Map(items.map((p) => [p.documentId, p]))
}

const plain = (s: SpanLike): SpanLike => ({ start: s.start, end: s.end, label: s.label })

export interface CompareOptions {
  ids: number[]
  baseline?: number | undefined
  mode: Mode
  split: Split
  samples: number
  seed: number
}

export function compareRuns(db: DB, o: CompareOptions): RunComparison {
  const runs = o.ids.map((id) => mustGet(db, id))
  const baselineId = o.baseline ?? runs[0]!.id
  const b = runs.findIndex((r) => r.id === baselineId)
  if (b < 0) throw new AppError('INVALID_INPUT', `The baseline (run ${baselineId}) must be one of the compared runs.`, [{ path: 'baseline', message: 'not one of the compared runs' }])
  const evals = runs.map((r) => repo.listEvaluations(db, r.id, o.split))
  const chosen = evals.map((e) => finalEvaluation(e, o.split, o.mode))
  const preds = runs.map((r) => predictionsOf(db, r.id, o.split))

  const diff = configDiff(
    runs.map((r) => r.config),
    b,
  ).map((row) => ({ key: row.key, values: row.values.map((v) => (v === undefined ? null : v)), missing: row.values.map((v) => v === undefined), differs: row.differs }))

  const base = chosen[b] ?? null
  const micro = chosen.map((e) => (e ? { precision: e.precision, recall: e.recall, f1: e.f1, delta: base ? e.f1 - base.f1 : null } : null))

  const bootstrap = runs.map((r, i) => {
    if (i === b || preds[i]!.size === 0 || preds[b]!.size === 0) return null
    const docs: PairedDocument[] = []
    for (const [docId, p] of preds[i]!) {
      const q = preds[b]!.get(docId)
      if (q) docs.push({ gold: p.gold, a: p.predicted, b: q.predicted, goldB: q.gold })
    }
    if (docs.length === 0) return null
    const res = pairedBootstrap(docs, { samples: o.samples, seed: o.seed })
    return {
      runId: r.id,
      baselineId,
      delta: res.delta,
      f1: res.f1A,
      baselineF1: res.f1B,
      low: res.low,
      high: res.high,
      pNotBetter: res.pNotBetter,
      samples: res.samples,
      seed: o.seed,
      documents: res.documents,
      significant: res.significant,
    }
  })

  const hashes = new Map<string | null, number[]>()
  for (const r of runs) hashes.set(r.datasetHash, [...(hashes.get(r.datasetHash) ?? []), r.id])
  const snapshots = [...hashes].map(([hash, runIds]) => ({ hash, runIds }))

  const byId = new Map(runs.map((r, i) => [r.id, i]))
  const repeats = repeatGroups(runs)
    .map((ids) => ids.filter((id) => chosen[byId.get(id)!] !== null))
    .filter((ids) => ids.length > 1)
    .map((ids) => {
      const es = ids.map((id) => chosen[byId.get(id)!]!)
      const dev = ids.map((id) => runs[byId.get(id)!]!.bestMetric).filter((x): x is number => x !== null && Number.isFinite(x))
      return {
        runIds: ids,
        f1: spread(es.map((e) => e.f1)),
        precision: spread(es.map((e) => e.precision)),
        recall: spread(es.map((e) => e.recall)),
        devF1: dev.length > 1 ? spread(dev) : null,
      }
    })

  return {
    split: o.split,
    mode: o.mode,
    baselineId,
    runs: runs.map((r, i) => ({ run: toSummary(r), ...describe(r), evaluation: chosen[i] ?? null, predictions: preds[i]!.size })),
    configDiff: diff,
    perType: perTypeTable(
      chosen.map((e) => e?.report ?? null),
      b,
    ),
    micro,
    bootstrap,
    snapshotsDiffer: snapshots.length > 1 || snapshots[0]!.hash === null,
    snapshots,
    repeats,
  }
}

export interface DisagreementOptions {
  ids: number[]
  split: Split
  type?: string | undefined
  kind?: (typeof SPAN_ERROR_KINDS)[number] | undefined
  offset: number
  limit: number
}

/**
 * The documents (predicted by every run that stored predictions) on which the runs' predicted
 * spans differ, filtered by entity type and error kind, in document order, one page.
 */
export function runDisagreements(db: DB, o: DisagreementOptions): RunDisagreementsPage {
  const runs = o.ids.map((id) => mustGet(db, id))
  const all = runs.map((r) => ({ runId: r.id, preds: predictionsOf(db, r.id, o.split) }))
  const withPreds = all.filter((x) => x.preds.size > 0)
  const withoutPredictions = all.filter((x) => x.preds.size === 0).map((x) => x.runId)
  const first = withPreds[0]?.preds
  const docIds = first ? [...first.keys()].filter((id) => withPreds.every((x) => x.preds.has(id))).sort((a, b) => a - b) : []

  const kinds: Record<string, number> = {}
  const types: Record<string, number> = {}
  const matching: { docId: number; d: ReturnType<typeof documentDisagreement> }[] = []
  let disagreeing = 0
  for (const docId of docIds) {
    const gold = first!.get(docId)!.gold
    const d = documentDisagreement(
      gold,
      withPreds.map((x) => x.preds.get(docId)!.predicted),
    )
    if (!d.disagree) continue
    disagreeing++
    for (const k of SPAN_ERROR_KINDS) if (disagreementMatches(d, { kind: k, type: o.type })) kinds[k] = (kinds[k] ?? 0) + 1
    const typesHere = new Set<string>()
    for (const r of d.runs) for (const e of r.errors) if (!e.shared && (o.kind === undefined || e.kind === o.kind)) for (const s of [e.gold, e.pred]) if (s) typesHere.add(s.label)
    for (const t of typesHere) types[t] = (types[t] ?? 0) + 1
    if (disagreementMatches(d, { kind: o.kind, type: o.type })) matching.push({ docId, d })
  }

  const items = matching.slice(o.offset, o.offset + o.limit).map(({ docId, d }) => {
    const doc = first!.get(docId)!
    return {
      documentId: docId,
      text: doc.text,
      gold: doc.gold.map(plain),
      runs: withPreds.map((x, i) => ({
        runId: x.runId,
        spans: x.preds.get(docId)!.predicted.map((s) => ({ ...plain(s), confidence: s.confidence })),
        errors: d.runs[i]!.errors.map((e) => ({ kind: e.kind, ...(e.gold ? { gold: plain(e.gold) } : {}), ...(e.pred ? { pred: plain(e.pred) } : {}), shared: e.shared })),
      })),
    }
  })
  return { total: matching.length, disagreeing, documents: docIds.length, kinds, types, withoutPredictions, items }
}
