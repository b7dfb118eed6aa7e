/**
 * NER evaluation on top of seqeval.ts: tag-scheme normalisation, an entity-type confusion matrix
 * with span error classes, one JSON-serialisable evaluation record (what the engine stores per
 * evaluation and the UI renders), and seqeval's text report. Pure: no I/O, no node:* imports.
 *
 * Entities are `EntityTuple`s `[type, start, end]` (end inclusive) in seqeval's flattened
 * coordinates: sentences laid end to end with one extra position between them, so sentence k
 * starts at Σ_{i<k}(len_i + 1). `locateEntity` maps one back to its sentence.
 */
import type { FileTagScheme } from './dataset'
import {
  accuracyScore,
  assertSameShape,
  classificationReport,
  compareCodePoints,
  getEntities,
  getStrictEntities,
  type EntityTuple,
  type EvalMode,
  type PrfSupport,
  type StrictScheme,
  type TypeScores,
} from './seqeval'
import { detectScheme } from './tag-schemes'

type Sentences = readonly (readonly string[])[]

export interface NerEvalOptions {
  mode: EvalMode
  /** Scheme of both tag sequences. Omitted: detected from `yTrue` with `detectScheme` (seqeval also detects from y_true only). */
  scheme?: FileTagScheme
  /** Value for 0/0, as seqeval's `zero_division`. Default 0. */
  zeroDivision?: 0 | 1
}

// ---------------------------------------------------------------------------------------------
// Schemes
// ---------------------------------------------------------------------------------------------

/**
 * seqeval's default-mode chunker only knows the prefixes B, I, E, S, O: it reads IOB1, IOB2 and
 * IOBES as they are, but not M (BMES) nor L/U (BILOU): `B-X M-X B-X` loses the first entity and
 * `U-X U-X` merges into one. So those are renamed to their IOBES equivalents.
 */
const TO_IOBES: Partial<Record<FileTagScheme, Readonly<Record<string, string>>>> = {
  bmes: { M: 'I' },
  bilou: { L: 'E', U: 'S' },
}

/**
 * Tags in `scheme` -> tags seqeval's default mode reads the same way as the IOBES conversion:
 * BMES M- -> I-; BILOU L- -> E-, U- -> S-; IOB1, IOB2, IOBES unchanged. Only the declared scheme's
 * own prefixes are renamed; any other tag is passed through for seqeval to read as it would.
 * Always returns new arrays.
 */
export function normalizeTags(sentences: Sentences, scheme: FileTagScheme): string[][] {
  const map = TO_IOBES[scheme]
  if (!map) return sentences.map((s) => [...s])
  return sentences.map((s) => s.map((t) => (t.length > 0 && map[t[0]!] !== undefined ? map[t[0]!] + t.slice(1) : t)))
}

/**
 * Strict mode per scheme: seqeval's own scheme class on the raw tags where seqeval has one
 * (IOB1, IOB2, IOBES, BILOU); BMES has none, so it is normalised (M- -> I-) and read as IOBES,
 * after checking that only B/M/E/S/O prefixes occur (seqeval's classes reject foreign prefixes too).
 */
const STRICT: Record<FileTagScheme, StrictScheme> = { iob1: 'IOB1', iob2: 'IOB2', iobes: 'IOBES', bmes: 'IOBES', bilou: 'BILOU' }

function assertBmesPrefixes(sentences: Sentences): void {
  sentences.forEach((s, k) =>
    s.forEach((t, j) => {
      if (t !== 'O' && !'BMES'.includes(t[0] ?? '')) {
        throw new Error(`invalid tag "${t}" in sentence ${k}, token ${j} for scheme BMES: allowed prefixes are B, M, E, S, O`)
      }
    }),
  )
}

interface Prepared {
  mode: EvalMode
  scheme: FileTagScheme
  strictScheme?: StrictScheme
  yTrue: Sentences
  yPred: Sentences
}

function prepare(yTrue: Sentences, yPred: Sentences, options: NerEvalOptions): Prepared {
  assertSameShape(yTrue, yPred)
  const scheme = options.scheme ?? detectScheme(yTrue.flatMap((s) => [...s, ''])).scheme
  if (options.mode !== 'strict') {
    return { mode: 'default', scheme, yTrue: normalizeTags(yTrue, scheme), yPred: normalizeTags(yPred, scheme) }
  }
  if (scheme !== 'bmes') return { mode: 'strict', scheme, strictScheme: STRICT[scheme], yTrue, yPred }
  assertBmesPrefixes(yTrue)
  assertBmesPrefixes(yPred)
  return { mode: 'strict', scheme, strictScheme: 'IOBES', yTrue: normalizeTags(yTrue, 'bmes'), yPred: normalizeTags(yPred, 'bmes') }
}

function entitiesOf(p: Prepared, sentences: Sentences): EntityTuple[] {
  if (!p.strictScheme) return getEntities(sentences)
  const offsets: number[] = []
  let off = 0
  for (const s of sentences) {
    offsets.push(off)
    off += s.length + 1
  }
  return getStrictEntities(sentences, p.strictScheme).map((e) => [e.type, offsets[e.sentence]! + e.start, offsets[e.sentence]! + e.end - 1])
}

/** Gold and predicted entities exactly as `evaluateNer` counts them (same scheme handling and mode), in flattened coordinates. */
export function extractNerEntities(yTrue: Sentences, yPred: Sentences, options: NerEvalOptions): { gold: EntityTuple[]; pred: EntityTuple[] } {
  const p = prepare(yTrue, yPred, options)
  return { gold: entitiesOf(p, p.yTrue), pred: entitiesOf(p, p.yPred) }
}

/** A flattened-coordinate entity -> its sentence and sentence-local tokens `[start, end)`. */
export function locateEntity(sentences: Sentences, entity: EntityTuple): { sentence: number; start: number; end: number } {
  const [, start, end] = entity
  let off = 0
  for (const [k, s] of sentences.entries()) {
    if (start < off + s.length) {
      if (start < off || end >= off + s.length) break
      return { sentence: k, start: start - off, end: end - off + 1 }
    }
    off += s.length + 1
  }
  throw new RangeError(`entity [${entity.join(', ')}] does not lie inside one sentence`)
}

// ---------------------------------------------------------------------------------------------
// Span errors and confusion
// ---------------------------------------------------------------------------------------------

export type EntityErrorKind = 'missed' | 'spurious' | 'wrong-type' | 'wrong-boundary' | 'wrong-both'

export interface EntityError {
  kind: EntityErrorKind
  gold?: EntityTuple
  pred?: EntityTuple
}

export interface ErrorCounts {
  /** Same boundaries and type: seqeval's true positives. */
  exact: number
  /** Same boundaries, different type. */
  wrongType: number
  /** Overlapping, different boundaries, same type. */
  wrongBoundary: number
  /** Overlapping, different boundaries, different type. */
  wrongBoth: number
  /** Gold entity left unpaired. */
  missed: number
  /** Prediction left unpaired. */
  spurious: number
}

export interface EntityConfusion {
  /** Entity types of gold ∪ predicted, sorted as seqeval sorts report rows (= the report's types). */
  labels: string[]
  /** `[...labels, 'spurious']`: the last row is always the spurious row, whatever the labels are called. */
  rowLabels: string[]
  /** `[...labels, 'missed']`: the last column is always the missed column. */
  colLabels: string[]
  /** `matrix[goldType][predType]`, (labels+1) x (labels+1). Row i sums to the gold count of labels[i], column j to the predicted count of labels[j]; the spurious/missed corner is 0. */
  matrix: number[][]
  errors: ErrorCounts
}

type Pairing = { kind: EntityErrorKind | 'exact'; gold?: EntityTuple; pred?: EntityTuple }

/** Indices of `list` by start; throws if two entities share a token (seqeval never produces that). */
function sortedFlat(list: readonly EntityTuple[], what: string): number[] {
  const order = list.map((_, i) => i).sort((a, b) => list[a]![1] - list[b]![1] || list[a]![2] - list[b]![2])
  for (let i = 1; i < order.length; i++) {
    const prev = list[order[i - 1]!]!
    const cur = list[order[i]!]!
    if (cur[1] <= prev[2]) throw new RangeError(`${what} entities [${prev.join(', ')}] and [${cur.join(', ')}] overlap`)
  }
  return order
}

/**
 * One-to-one pairing of gold and predicted entities that share at least one token.
 * Candidate pairs are taken greedily by overlap (tokens in common, largest first); ties go to the
 * earliest gold entity, then the earliest prediction. A pair is kept when neither side is paired
 * yet. So every gold entity gets its best-overlapping prediction still free; an exact match is
 * never lost (nothing overlaps either side more). Unpaired gold = missed; unpaired prediction =
 * spurious, which includes a prediction overlapping only gold entities already paired with a
 * better prediction (e.g. the second half of a split entity). Result is in document order.
 */
function pairEntities(gold: readonly EntityTuple[], pred: readonly EntityTuple[]): Pairing[] {
  const go = sortedFlat(gold, 'gold')
  const po = sortedFlat(pred, 'predicted')
  const cands: [overlap: number, g: number, p: number][] = []
  let j = 0
  for (const [gr, g] of go.entries()) {
    const [, gs, ge] = gold[g]!
    while (j < po.length && pred[po[j]!]![2] < gs) j++
    for (let k = j; k < po.length && pred[po[k]!]![1] <= ge; k++) {
      const [, ps, pe] = pred[po[k]!]!
      cands.push([Math.min(ge, pe) - Math.max(gs, ps) + 1, gr, k])
    }
  }
  cands.sort((a, b) => b[0] - a[0] || a[1] - b[1] || a[2] - b[2])
  const gMate = new Array<number>(go.length).fill(-1)
  const pMate = new Array<number>(po.length).fill(-1)
  for (const [, gr, pr] of cands) {
    if (gMate[gr] === -1 && pMate[pr] === -1) {
      gMate[gr] = pr
      pMate[pr] = gr
    }
  }
  const out: { at: number; rec: Pairing }[] = []
  gMate.forEach((pr, gr) => {
    const g = gold[go[gr]!]!
    if (pr === -1) return out.push({ at: g[1], rec: { kind: 'missed', gold: g } })
    const p = pred[po[pr]!]!
    const sameSpan = g[1] === p[1] && g[2] === p[2]
    const sameType = g[0] === p[0]
    const kind = sameSpan ? (sameType ? 'exact' : 'wrong-type') : sameType ? 'wrong-boundary' : 'wrong-both'
    out.push({ at: Math.min(g[1], p[1]), rec: { kind, gold: g, pred: p } })
  })
  pMate.forEach((gr, pr) => {
    const p = pred[po[pr]!]!
    if (gr === -1) out.push({ at: p[1], rec: { kind: 'spurious', pred: p } })
  })
  return out.sort((a, b) => a.at - b.at || (a.rec.gold ? 0 : 1) - (b.rec.gold ? 0 : 1)).map((x) => x.rec)
}

/**
 * Every disagreement between `goldEntities` and `predEntities` (flattened coordinates, each list
 * free of overlaps), in document order, by the pairing described at `pairEntities`. Exact matches
 * are not errors and are left out. Kinds: wrong-type = same span, other type; wrong-boundary =
 * overlapping, other span, same type; wrong-both = overlapping, other span and type; missed =
 * gold left unpaired; spurious = prediction left unpaired.
 */
export function classifyErrors(goldEntities: readonly EntityTuple[], predEntities: readonly EntityTuple[]): EntityError[] {
  return pairEntities(goldEntities, predEntities).filter((r): r is EntityError => r.kind !== 'exact')
}

function confusionFromEntities(gold: readonly EntityTuple[], pred: readonly EntityTuple[]): EntityConfusion {
  const labels = [...new Set([...gold, ...pred].map((e) => e[0]))].sort(compareCodePoints)
  const n = labels.length
  const index = new Map(labels.map((l, i) => [l, i]))
  const matrix = Array.from({ length: n + 1 }, () => new Array<number>(n + 1).fill(0))
  const errors: ErrorCounts = { exact: 0, wrongType: 0, wrongBoundary: 0, wrongBoth: 0, missed: 0, spurious: 0 }
  const key = { exact: 'exact', 'wrong-type': 'wrongType', 'wrong-boundary': 'wrongBoundary', 'wrong-both': 'wrongBoth', missed: 'missed', spurious: 'spurious' } as const
  for (const r of pairEntities(gold, pred)) {
    errors[key[r.kind]]++
    matrix[r.gold ? index.get(r.gold[0])! : n]![r.pred ? index.get(r.pred[0])! : n]!++
  }
  return { labels, rowLabels: [...labels, 'spurious'], colLabels: [...labels, 'missed'], matrix, errors }
}

/**
 * Entity-type confusion including missed and spurious entities, over the entities `evaluateNer`
 * counts. Each pair from the one-to-one pairing (see `classifyErrors`) counts once in
 * (goldType, predType), whether its boundaries agree or not; boundary disagreements are tallied
 * in `errors.wrongBoundary` / `errors.wrongBoth`. Missed gold -> (goldType, 'missed');
 * spurious prediction -> ('spurious', predType). `errors.exact` equals seqeval's total true positives.
 */
export function entityConfusion(yTrue: Sentences, yPred: Sentences, options: NerEvalOptions): EntityConfusion {
  const { gold, pred } = extractNerEntities(yTrue, yPred, options)
  return confusionFromEntities(gold, pred)
}

// ---------------------------------------------------------------------------------------------
// Evaluation record
// ---------------------------------------------------------------------------------------------

/** Like `PrfSupport`, but the scores are null where seqeval gives NaN. */
export interface NullablePrfSupport {
  precision: number | null
  recall: number | null
  f1: number | null
  support: number
}

export interface NerReport {
  perType: TypeScores[]
  micro: PrfSupport
  /** null scores when there is no entity type at all (seqeval/numpy: NaN, the mean of nothing); never NaN. */
  macro: NullablePrfSupport
  weighted: PrfSupport
}

/** Everything one evaluation produces; plain JSON (no Map, no NaN, no undefined), so `JSON.parse(JSON.stringify(e))` equals `e`. */
export interface NerEvaluation {
  mode: EvalMode
  /** The scheme the tags were read in (given or detected). */
  scheme: FileTagScheme
  zeroDivision: 0 | 1
  /** seqeval `classification_report` (per type sorted by name; micro/macro/weighted; support = gold count). */
  report: NerReport
  /** Micro averages, as seqeval's `precision_score` / `recall_score` / `f1_score`. */
  precision: number
  recall: number
  f1: number
  /** seqeval `accuracy_score`: token-level over the tags as given (not normalised), O included. */
  accuracy: number
  confusion: EntityConfusion
  counts: { goldEntities: number; predictedEntities: number; correct: number }
}

const orNull = (x: number): number | null => (Number.isNaN(x) ? null : x)

/**
 * The full evaluation of `yPred` against `yTrue`. Default mode = seqeval's default mode on
 * `normalizeTags(…, scheme)`; strict mode = seqeval strict with the scheme's class (BMES read as
 * IOBES). Throws on mismatched shapes, on zero tokens (accuracy undefined, as in seqeval) and, in
 * strict mode, on prefixes the scheme does not allow.
 */
export function evaluateNer(yTrue: Sentences, yPred: Sentences, options: NerEvalOptions): NerEvaluation {
  const p = prepare(yTrue, yPred, options)
  const zeroDivision = options.zeroDivision ?? 0
  const accuracy = accuracyScore(yTrue, yPred)
  const r = classificationReport(p.yTrue, p.yPred, { mode: p.mode, scheme: p.strictScheme, zeroDivision })
  const gold = entitiesOf(p, p.yTrue)
  const pred = entitiesOf(p, p.yPred)
  const confusion = confusionFromEntities(gold, pred)
  const { precision, recall, f1, support } = r.macro
  return {
    mode: p.mode,
    scheme: p.scheme,
    zeroDivision,
    report: { perType: r.perType, micro: r.micro, macro: { precision: orNull(precision), recall: orNull(recall), f1: orNull(f1), support }, weighted: r.weighted },
    precision: r.micro.precision,
    recall: r.micro.recall,
    f1: r.micro.f1,
    accuracy,
    confusion,
    counts: { goldEntities: gold.length, predictedEntities: pred.length, correct: confusion.errors.exact },
  }
}

// ---------------------------------------------------------------------------------------------
// Text report
// ---------------------------------------------------------------------------------------------

/**
 * Python's `'{:.{d}f}'.format(x)`: correctly rounded, ties to even. `toFixed` is correctly rounded
 * too but breaks exact ties upwards (0.125 -> '0.13', Python '0.12'). x·10^d is an exact tie iff
 * x·2^(d+1) (an exact product) is an odd integer; then the even neighbour is computed exactly.
 */
function pyFixed(x: number | null, d: number): string {
  if (x === null || Number.isNaN(x)) return 'nan'
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf'
  const sign = x < 0 || Object.is(x, -0) ? '-' : ''
  const a = Math.abs(x)
  const z = a * 2 ** (d + 1)
  if (!(Number.isInteger(z) && z % 2 === 1)) return sign + a.toFixed(d)
  const low = (BigInt(z) * 5n ** BigInt(d) - 1n) / 2n
  const digits = (low % 2n === 0n ? low : low + 1n).toString().padStart(d + 1, '0')
  return sign + (d === 0 ? digits : `${digits.slice(0, -d)}.${digits.slice(-d)}`)
}

/** Right-align in `w` columns counted in code points, like Python's `{:>w}`. */
const alignRight = (s: string, w: number): string => ' '.repeat(Math.max(0, w - Array.from(s).length)) + s

/**
 * seqeval's `classification_report` text (reporters.StringReporter), byte for byte: name column
 * width = max(longest type, 12 = len('weighted avg'), digits); header `{:>w} ` + ` {:>9}`×4, blank
 * line, one row per type `{:>w} ` + ` {:>9.df}`×3 + ` {:>9}`, blank line, micro/macro/weighted
 * avg rows, trailing newline. A null (NaN) score prints as `nan`, as Python does. With no entity
 * type at all seqeval raises (max of an empty list); this prints the average rows only.
 */
export function formatReport(evaluation: Pick<NerEvaluation, 'report'>, digits = 4): string {
  if (!Number.isInteger(digits) || digits < 0 || digits > 100) throw new RangeError(`digits must be an integer 0..100, got ${digits}`)
  const { perType, micro, macro, weighted } = evaluation.report
  const width = Math.max(12, digits, ...perType.map((t) => Array.from(t.type).length))
  const row = (name: string, r: NullablePrfSupport) =>
    `${alignRight(name, width)} ${[r.precision, r.recall, r.f1].map((x) => ` ${alignRight(pyFixed(x, digits), 9)}`).join('')} ${alignRight(String(r.support), 9)}`
  const header = `${alignRight('', width)} ${['precision', 'recall', 'f1-score', 'support'].map((h) => ` ${alignRight(h, 9)}`).join('')}`
  const lines = [...perType.map((t) => row(t.type, t)), '', row('micro avg', micro), row('macro avg', macro), row('weighted avg', weighted), '']
  return `${header}\n\n${lines.join('\n')}`
}
