/**
 * Comparing runs: which settings differ, per-type score deltas against a baseline, whether an
 * F1 difference is real (paired bootstrap over test documents), and the spread of repeated runs
 * of one config (seeds). Pure; the UI and the CLI share it.
 */
import { seededRandom } from './splits'

// ---------------------------------------------------------------------------------------------
// Config diff

export interface DiffRow {
  /** Dot path, e.g. "peft.rank" or "learningRate". */
  key: string
  /** One value per run (undefined when a run's config lacks the key). */
  values: unknown[]
  /** Some run's value differs from the baseline's. */
  differs: boolean
}

/** Leaf values of a JSON object by dot path (arrays are compared whole). */
export function flattenConfig(value: unknown, prefix = '', out: Map<string, unknown> = new Map()): Map<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>)
    if (entries.length === 0 && prefix) out.set(prefix, {})
    for (const [k, v] of entries) flattenConfig(v, prefix ? `${prefix}.${k}` : k, out)
  } else if (prefix) out.set(prefix, value)
  return out
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)

/** Every key of every config, sorted, with whether it differs from the baseline's value. */
export function configDiff(configs: readonly unknown[], baseline = 0, options: { onlyDiffering?: boolean } = {}): DiffRow[] {
  const flat = configs.map((c) => flattenConfig(c))
  const keys = [...new Set(flat.flatMap((f) => [...f.keys()]))].sort()
  const rows = keys.map((key) => {
    const values = flat.map((f) => f.get(key))
    return { key, values, differs: values.some((v) => !same(v, values[baseline])) }
  })
  return options.onlyDiffering ? rows.filter((r) => r.differs) : rows
}

// ---------------------------------------------------------------------------------------------
// Per-type deltas

export interface TypeScoreRow {
  type: string
  /** The largest support among the runs (they differ only when the runs saw different test data). */
  support: number
  /** Per run: precision, recall, f1 and its own support, or null when the run's report lacks the type. */
  scores: ({ precision: number; recall: number; f1: number; support: number } | null)[]
  /** f1 minus the baseline's f1 per run (null where either is missing). */
  deltas: (number | null)[]
  /** Index of the run with the highest f1 (first on ties), or -1. */
  best: number
}

export interface ReportLike {
  perType: { type: string; precision: number; recall: number; f1: number; support: number }[]
}

export function perTypeTable(reports: readonly (ReportLike | null)[], baseline = 0): TypeScoreRow[] {
  const types = [...new Set(reports.flatMap((r) => r?.perType.map((t) => t.type) ?? []))].sort()
  return types.map((type) => {
    const scores = reports.map((r) => {
      const t = r?.perType.find((x) => x.type === type)
      return t ? { precision: t.precision, recall: t.recall, f1: t.f1, support: t.support } : null
    })
    const support = Math.max(0, ...reports.map((r) => r?.perType.find((x) => x.type === type)?.support ?? 0))
    const base = scores[baseline]
    const deltas = scores.map((s) => (s && base ? s.f1 - base.f1 : null))
    let best = -1
    scores.forEach((s, i) => {
      if (s && (best === -1 || s.f1 > scores[best]!.f1)) best = i
    })
    return { type, support, scores, deltas, best }
  })
}

// ---------------------------------------------------------------------------------------------
// Paired bootstrap

export interface SpanLike {
  start: number
  end: number
  label: string
}

/** One test document as two systems saw it. */
export interface PairedDocument {
  gold: readonly SpanLike[]
  a: readonly SpanLike[]
  b: readonly SpanLike[]
  /** B's gold when it differs from A's (the runs trained on different snapshots); default `gold`. */
  goldB?: readonly SpanLike[]
}

interface Counts {
  tp: number
  fp: number
  fn: number
}

const key = (s: SpanLike): string => `${s.start}:${s.end}:${s.label}`

/** Exact-match entity counts of `pred` against `gold` (type and boundaries), as seqeval counts them. */
export function matchCounts(gold: readonly SpanLike[], pred: readonly SpanLike[]): Counts {
  const g = new Set(gold.map(key))
  let tp = 0
  for (const p of new Set(pred.map(key))) if (g.has(p)) tp++
  return { tp, fp: pred.length - tp, fn: gold.length - tp }
}

export const microF1 = (c: Counts): number => (c.tp === 0 ? 0 : (2 * c.tp) / (2 * c.tp + c.fp + c.fn))

export interface BootstrapResult {
  /** F1 of A minus F1 of B on the documents as they are. */
  delta: number
  f1A: number
  f1B: number
  /** 95% percentile interval of the difference over the resamples. */
  low: number
  high: number
  /** Share of resamples in which A is not better than B (one-sided; small means A's lead is real). */
  pNotBetter: number
  samples: number
  documents: number
  /** The interval excludes 0. */
  significant: boolean
}

/**
 * Paired bootstrap (Koehn 2004; Berg-Kirkpatrick et al. 2012) over documents: resample the test
 * documents with replacement, recompute both micro F1s on the same resample, and read the 2.5th
 * and 97.5th percentiles of the difference. Seeded, so it repeats exactly.
 */
export function pairedBootstrap(docs: readonly PairedDocument[], options: { samples?: number; seed?: number } = {}): BootstrapResult {
  const samples = options.samples ?? 1000
  const random = seededRandom(options.seed ?? 12345)
  const n = docs.length
  const ca = docs.map((d) => matchCounts(d.gold, d.a))
  const cb = docs.map((d) => matchCounts(d.goldB ?? d.gold, d.b))
  const sum = (cs: Counts[], idx?: Int32Array): Counts => {
    const t = { tp: 0, fp: 0, fn: 0 }
    const m = idx ? idx.length : cs.length
    for (let i = 0; i < m; i++) {
      const c = cs[idx ? idx[i]! : i]!
      t.tp += c.tp
      t.fp += c.fp
      t.fn += c.fn
    }
    return t
  }
  const f1A = microF1(sum(ca))
  const f1B = microF1(sum(cb))
  const diffs = new Float64Array(samples)
  let notBetter = 0
  const idx = new Int32Array(n)
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < n; i++) idx[i] = Math.floor(random() * n)
    const d = microF1(sum(ca, idx)) - microF1(sum(cb, idx))
    diffs[s] = d
    if (d <= 0) notBetter++
  }
  diffs.sort()
  const at = (q: number): number => (samples === 0 ? 0 : diffs[Math.min(samples - 1, Math.max(0, Math.floor(q * samples)))]!)
  const low = at(0.025)
  const high = at(0.975)
  return { delta: f1A - f1B, f1A, f1B, low, high, pNotBetter: samples === 0 ? 1 : notBetter / samples, samples, documents: n, significant: n > 0 && (low > 0 || high < 0) }
}

// ---------------------------------------------------------------------------------------------
// Repeats (seeds)

export interface Spread {
  n: number
  mean: number
  /** Sample standard deviation (n - 1); 0 for one value. */
  std: number
  min: number
  max: number
}

export function spread(values: readonly number[]): Spread {
  const n = values.length
  if (n === 0) return { n: 0, mean: NaN, std: NaN, min: NaN, max: NaN }
  const mean = values.reduce((a, b) => a + b, 0) / n
  const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0
  return { n, mean, std, min: Math.min(...values), max: Math.max(...values) }
}

/** A config without its seed (and name-like fields): runs with equal keys are repeats of one config. */
export function repeatKey(config: unknown): string {
  const flat = flattenConfig(config)
  flat.delete('seed')
  return JSON.stringify([...flat.entries()].sort(([a], [b]) => (a < b ? -1 : 1)))
}

/** Runs that are repeats of one config (equal `repeatKey`), as groups of two or more ids, in first-seen order. */
export function repeatGroups(runs: readonly { id: number; config: unknown }[]): number[][] {
  const groups = new Map<string, number[]>()
  for (const r of runs) {
    const k = repeatKey(r.config)
    const g = groups.get(k)
    if (g) g.push(r.id)
    else groups.set(k, [r.id])
  }
  return [...groups.values()].filter((g) => g.length > 1)
}

// ---------------------------------------------------------------------------------------------
// Span errors (character spans)

export const SPAN_ERROR_KINDS = ['missed', 'spurious', 'wrong-type', 'wrong-boundary', 'wrong-both'] as const
export type SpanErrorKind = (typeof SPAN_ERROR_KINDS)[number]

export interface SpanPairing {
  kind: SpanErrorKind | 'exact'
  gold?: SpanLike
  pred?: SpanLike
}

export interface SpanError extends SpanPairing {
  kind: SpanErrorKind
}

const byPosition = (a: SpanLike, b: SpanLike): number => a.start - b.start || a.end - b.end || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0)

/**
 * ner-eval's `classifyErrors` pairing on character spans `[start, end)` instead of token
 * entities: one-to-one pairs of gold and predicted spans sharing at least one character, taken
 * greedily by characters in common (largest first; ties to the earliest gold, then the earliest
 * prediction). Unlike the token version it accepts overlapping spans within one side (nested
 * gold annotations). Duplicate spans count once. Result in document order, gold-bearing records
 * first on ties.
 */
export function pairSpans(gold: readonly SpanLike[], pred: readonly SpanLike[]): SpanPairing[] {
  const dedupe = (xs: readonly SpanLike[]): SpanLike[] => [...new Map(xs.map((x) => [key(x), x])).values()].sort(byPosition)
  const g = dedupe(gold)
  const p = dedupe(pred)
  const cands: [overlap: number, gi: number, pi: number][] = []
  for (const [gi, gs] of g.entries()) {
    for (const [pi, ps] of p.entries()) {
      if (ps.start >= gs.end) break
      const overlap = Math.min(gs.end, ps.end) - Math.max(gs.start, ps.start)
      if (overlap > 0) cands.push([overlap, gi, pi])
    }
  }
  cands.sort((a, b) => b[0] - a[0] || a[1] - b[1] || a[2] - b[2])
  const gMate = new Array<number>(g.length).fill(-1)
  const pMate = new Array<number>(p.length).fill(-1)
  for (const [, gi, pi] of cands) {
    if (gMate[gi] === -1 && pMate[pi] === -1) {
      gMate[gi] = pi
      pMate[pi] = gi
    }
  }
  const out: { at: number; rec: SpanPairing }[] = []
  gMate.forEach((pi, gi) => {
    const gs = g[gi]!
    if (pi === -1) return void out.push({ at: gs.start, rec: { kind: 'missed', gold: gs } })
    const ps = p[pi]!
    const sameSpan = gs.start === ps.start && gs.end === ps.end
    const sameType = gs.label === ps.label
    const kind = sameSpan ? (sameType ? 'exact' : 'wrong-type') : sameType ? 'wrong-boundary' : 'wrong-both'
    out.push({ at: Math.min(gs.start, ps.start), rec: { kind, gold: gs, pred: ps } })
  })
  pMate.forEach((gi, pi) => {
    if (gi === -1) out.push({ at: p[pi]!.start, rec: { kind: 'spurious', pred: p[pi]! } })
  })
  return out.sort((a, b) => a.at - b.at || (a.rec.gold ? 0 : 1) - (b.rec.gold ? 0 : 1)).map((x) => x.rec)
}

/** Every disagreement of `pred` with `gold` (character spans), classified as ner-eval's `classifyErrors` does for tokens. */
export function classifySpanErrors(gold: readonly SpanLike[], pred: readonly SpanLike[]): SpanError[] {
  return pairSpans(gold, pred).filter((r): r is SpanError => r.kind !== 'exact')
}

// ---------------------------------------------------------------------------------------------
// Where runs disagree

export interface RunDocumentErrors {
  /** The run's errors on the document; `shared` when every run made exactly the same error. */
  errors: (SpanError & { shared: boolean })[]
}

export interface DocumentDisagreement {
  /** The runs' predicted span sets are not all equal (equivalently: some error is not shared by every run). */
  disagree: boolean
  runs: RunDocumentErrors[]
}

const errorKey = (e: SpanError): string => `${e.kind}|${e.gold ? key(e.gold) : ''}|${e.pred ? key(e.pred) : ''}`

/** How the runs' predictions on one document differ, against its gold spans. */
export function documentDisagreement(gold: readonly SpanLike[], preds: readonly (readonly SpanLike[])[]): DocumentDisagreement {
  const perRun = preds.map((p) => classifySpanErrors(gold, p))
  const tally = new Map<string, number>()
  for (const errs of perRun) for (const k of new Set(errs.map(errorKey))) tally.set(k, (tally.get(k) ?? 0) + 1)
  const runs = perRun.map((errs) => ({ errors: errs.map((e) => ({ ...e, shared: tally.get(errorKey(e)) === preds.length })) }))
  return { disagree: runs.some((r) => r.errors.some((e) => !e.shared)), runs }
}

/** Whether a document's disagreement involves an error of `kind` and an entity of `type` (either may be left open) that not every run shares. */
export function disagreementMatches(d: DocumentDisagreement, filter: { kind?: SpanErrorKind | undefined; type?: string | undefined }): boolean {
  return d.runs.some((r) =>
    r.errors.some((e) => !e.shared && (filter.kind === undefined || e.kind === filter.kind) && (filter.type === undefined || e.gold?.label === filter.type || e.pred?.label === filter.type)),
  )
}
