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
  support: number
  /** Per run: precision, recall, f1, or null when the run's report lacks the type. */
  scores: ({ precision: number; recall: number; f1: number } | null)[]
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
      return t ? { precision: t.precision, recall: t.recall, f1: t.f1 } : null
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
  const cb = docs.map((d) => matchCounts(d.gold, d.b))
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
