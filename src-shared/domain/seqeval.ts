/**
 * Entity-level sequence-labelling metrics, matching Python seqeval 1.2.2
 * (chakki-works/seqeval @ cd01b52). Pure: no I/O, no node:* imports.
 *
 * - Default mode = `seqeval.metrics.sequence_labeling` (conlleval-like chunking, lenient).
 * - Strict mode = `seqeval.metrics.v1` + `seqeval.scheme` (entities must start and end
 *   with a pattern valid for the scheme; anything else is dropped).
 */

/** seqeval's scheme classes. IOB1 is never auto-detected (seqeval's `auto_detect` does not know it either). */
export type StrictScheme = 'IOB1' | 'IOB2' | 'IOE2' | 'IOBES' | 'BILOU'
export type EvalMode = 'default' | 'strict'
export type Average = 'micro' | 'macro' | 'weighted'

/** `[type, start, end]`, `end` inclusive, offsets into the flattened sequence (like seqeval). */
export type EntityTuple = [type: string, start: number, end: number]

/** A strict-mode entity: tokens `[start, end)` of sentence `sentence` (like seqeval's `Entity`). */
export interface StrictEntity {
  sentence: number
  start: number
  end: number
  type: string
}

export interface EntityOptions {
  /** Tags look like `PER-B` instead of `B-PER`. */
  suffix?: boolean
}

export interface MetricOptions extends EntityOptions {
  mode?: EvalMode
  /** Only used when `mode === 'strict'`; auto-detected from `yTrue` when omitted. */
  scheme?: StrictScheme
  /** Value used for 0/0 (seqeval's `zero_division`; `'warn'` behaves as 0). Default 0. */
  zeroDivision?: 0 | 1
}

export interface ScoreOptions extends MetricOptions {
  /** Default `'micro'`, like seqeval. */
  average?: Average
}

export interface PrfSupport {
  precision: number
  recall: number
  f1: number
  support: number
}

export interface TypeScores extends PrfSupport {
  type: string
}

export interface ClassificationReport {
  /** One row per type in true ∪ predicted entities, sorted by type name (code point order). */
  perType: TypeScores[]
  micro: PrfSupport
  /** NaN when there are no types at all (numpy's mean of an empty array). */
  macro: PrfSupport
  weighted: PrfSupport
}

// ---------------------------------------------------------------------------------------------
// Default mode: get_entities
// ---------------------------------------------------------------------------------------------

function endOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  let end = false
  if (prevTag === 'E') end = true
  if (prevTag === 'S') end = true
  if (prevTag === 'B' && tag === 'B') end = true
  if (prevTag === 'B' && tag === 'S') end = true
  if (prevTag === 'B' && tag === 'O') end = true
  if (prevTag === 'I' && tag === 'B') end = true
  if (prevTag === 'I' && tag === 'S') end = true
  if (prevTag === 'I' && tag === 'O') end = true
  if (prevTag !== 'O' && prevTag !== '.' && prevType !== type) end = true
  return end
}

function startOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  let start = false
  if (tag === 'B') start = true
  if (tag === 'S') start = true
  if (prevTag === 'E' && tag === 'E') start = true
  if (prevTag === 'E' && tag === 'I') start = true
  if (prevTag === 'S' && tag === 'E') start = true
  if (prevTag === 'S' && tag === 'I') start = true
  if (prevTag === 'O' && tag === 'E') start = true
  if (prevTag === 'O' && tag === 'I') start = true
  if (tag !== 'O' && tag !== '.' && prevType !== type) start = true
  return start
}

/** Split a tag into its one-character prefix (by code point, like Python indexing) and the rest. */
function splitPrefix(chunk: string, suffix: boolean): [prefix: string, body: string] {
  if (chunk.length === 0) throw new Error('empty tag string')
  const chars = Array.from(chunk)
  return suffix
    ? [chars[chars.length - 1]!, chars.slice(0, -1).join('')]
    : [chars[0]!, chars.slice(1).join('')]
}

function isNested(seq: readonly string[] | readonly (readonly string[])[]): seq is readonly (readonly string[])[] {
  return seq.some((s) => Array.isArray(s))
}

/**
 * seqeval `get_entities`. A list of sentences is flattened with an `'O'` after each sentence,
 * so offsets are global and no entity crosses a sentence boundary.
 */
export function getEntities(
  seq: readonly string[] | readonly (readonly string[])[],
  options: EntityOptions = {},
): EntityTuple[] {
  const suffix = options.suffix ?? false
  let flat: readonly string[]
  if (isNested(seq)) {
    const out: string[] = []
    for (const [i, sent] of seq.entries()) {
      if (!Array.isArray(sent)) throw new TypeError(`item ${i} is not a sentence (mixed nested/flat input)`)
      out.push(...sent, 'O')
    }
    flat = out
  } else {
    flat = seq as readonly string[]
  }

  let prevTag = 'O'
  let prevType = ''
  let begin = 0
  const chunks: EntityTuple[] = []
  for (let i = 0; i <= flat.length; i++) {
    const chunk = i < flat.length ? flat[i]! : 'O'
    const [tag, body] = splitPrefix(chunk, suffix)
    let type: string
    if (suffix) {
      const k = body.lastIndexOf('-') // body.rsplit('-', 1)[0]
      type = (k < 0 ? body : body.slice(0, k)) || '_'
    } else {
      const k = body.indexOf('-') // body.split('-', 1)[-1]
      type = (k < 0 ? body : body.slice(k + 1)) || '_'
    }
    if (endOfChunk(prevTag, tag, prevType, type)) chunks.push([prevType, begin, i - 1])
    if (startOfChunk(prevTag, tag, prevType, type)) begin = i
    prevTag = tag
    prevType = type
  }
  return chunks
}

// ---------------------------------------------------------------------------------------------
// Strict mode: seqeval.scheme
// ---------------------------------------------------------------------------------------------

const PREFIXES = 'IOBESUL'
const ANY = PREFIXES
type Cond = 'SAME' | 'DIFF' | 'ANY'
/** [allowed previous prefixes, allowed current prefixes, tag condition] */
type Pattern = readonly [prev: string, cur: string, cond: Cond]

interface SchemeDef {
  allowed: string
  start: readonly Pattern[]
  inside: readonly Pattern[]
  end: readonly Pattern[]
}

const SCHEMES: Record<StrictScheme, SchemeDef> = {
  // seqeval's IOB1 class as written, quirks included: a B- not right after its own type is
  // invalid (`O B-PER` -> nothing), yet a following I- starts an entity (`B-PER I-PER` -> PER(1,2)).
  IOB1: {
    allowed: 'IOB',
    start: [['O', 'I', 'ANY'], ['I', 'I', 'DIFF'], ['B', 'I', 'ANY'], ['I', 'B', 'SAME'], ['B', 'B', 'SAME']],
    inside: [['B', 'I', 'SAME'], ['I', 'I', 'SAME']],
    end: [
      ['I', 'I', 'DIFF'], ['I', 'O', 'ANY'], ['I', 'B', 'ANY'],
      ['B', 'O', 'ANY'], ['B', 'I', 'DIFF'], ['B', 'B', 'SAME'],
    ],
  },
  IOB2: {
    allowed: 'IOB',
    start: [[ANY, 'B', 'ANY']],
    inside: [['B', 'I', 'SAME'], ['I', 'I', 'SAME']],
    end: [
      ['I', 'O', 'ANY'], ['I', 'I', 'DIFF'], ['I', 'B', 'ANY'],
      ['B', 'O', 'ANY'], ['B', 'I', 'DIFF'], ['B', 'B', 'ANY'],
    ],
  },
  IOE2: {
    allowed: 'IOE',
    start: [
      ['O', 'I', 'ANY'], ['O', 'E', 'ANY'], ['E', 'I', 'ANY'],
      ['E', 'E', 'ANY'], ['I', 'I', 'DIFF'], ['I', 'E', 'DIFF'],
    ],
    inside: [['I', 'E', 'SAME'], ['I', 'I', 'SAME']],
    end: [['E', 'O', 'ANY'], ['E', 'I', 'ANY'], ['E', 'E', 'ANY']],
  },
  IOBES: {
    allowed: 'IOBES',
    start: [[ANY, 'B', 'ANY'], [ANY, 'S', 'ANY']],
    inside: [['B', 'I', 'SAME'], ['B', 'E', 'SAME'], ['I', 'I', 'SAME'], ['I', 'E', 'SAME']],
    end: [['S', ANY, 'ANY'], ['E', ANY, 'ANY']],
  },
  BILOU: {
    allowed: 'IOBLU',
    start: [[ANY, 'B', 'ANY'], [ANY, 'U', 'ANY']],
    inside: [['B', 'I', 'SAME'], ['B', 'L', 'SAME'], ['I', 'I', 'SAME'], ['I', 'L', 'SAME']],
    end: [['U', ANY, 'ANY'], ['L', ANY, 'ANY']],
  },
}

interface Tok {
  raw: string
  prefix: string
  tag: string
}

/** seqeval `Token.__init__`: unknown prefix letters raise (KeyError there, Error here). */
function parseToken(raw: string, suffix: boolean, where: string): Tok {
  const [prefix, body] = splitPrefix(raw, suffix)
  if (!PREFIXES.includes(prefix)) throw new Error(`invalid tag "${raw}" ${where}: prefix must be one of ${[...PREFIXES].join(', ')}`)
  return { raw, prefix, tag: body.replace(/^-+|-+$/g, '') || '_' }
}

function matches(prev: Tok, cur: Tok, patterns: readonly Pattern[]): boolean {
  for (const [p, c, cond] of patterns) {
    if (!p.includes(prev.prefix) || !c.includes(cur.prefix)) continue
    if (cond === 'ANY' || (cond === 'SAME') === (prev.tag === cur.tag)) return true
  }
  return false
}

function sentenceEntities(tokens: readonly string[], def: SchemeDef, scheme: StrictScheme, suffix: boolean, sentence: number): StrictEntity[] {
  const outside = parseToken('O', suffix, '')
  const toks = tokens.map((t, j) => parseToken(t, suffix, `in sentence ${sentence}, token ${j}`))
  const ext = [...toks, outside]
  const forward = (start: number, prev: Tok): number => {
    for (let i = start; i < ext.length; i++) {
      if (matches(prev, ext[i]!, def.inside)) prev = ext[i]!
      else return i
    }
    return toks.length - 1 // unreachable for these schemes; kept as in seqeval
  }
  const entities: StrictEntity[] = []
  let prev = outside
  let i = 0
  while (i < ext.length) {
    const tok = ext[i]!
    if (!def.allowed.includes(tok.prefix)) {
      throw new Error(`invalid tag "${tok.raw}" in sentence ${sentence}, token ${i} for scheme ${scheme}: allowed prefixes are ${[...def.allowed].join(', ')}`)
    }
    if (matches(prev, tok, def.start)) {
      const end = forward(i + 1, tok)
      if (matches(ext[end - 1]!, ext[end]!, def.end)) entities.push({ sentence, start: i, end, type: tok.tag })
      i = end
    } else {
      i += 1
    }
    prev = ext[i - 1]!
  }
  return entities
}

/** seqeval `Entities(sequences, scheme).entities`, flattened. Invalid sequences yield no entity. */
export function getStrictEntities(
  sentences: readonly (readonly string[])[],
  scheme: StrictScheme,
  options: EntityOptions = {},
): StrictEntity[] {
  const def = SCHEMES[scheme]
  return sentences.flatMap((s, k) => sentenceEntities(s, def, scheme, options.suffix ?? false, k))
}

function sameSet(a: ReadonlySet<string>, b: string): boolean {
  return a.size === b.length && [...b].every((c) => a.has(c))
}

/** seqeval `auto_detect` (IOB2, IOE2, IOBES, BILOU), from the prefixes used in `sentences`. */
export function autoDetectScheme(sentences: readonly (readonly string[])[], options: EntityOptions = {}): StrictScheme {
  const prefixes = new Set<string>()
  sentences.forEach((s, k) => s.forEach((t, j) => prefixes.add(parseToken(t, options.suffix ?? false, `in sentence ${k}, token ${j}`).prefix)))
  const table: [StrictScheme, string[]][] = [
    ['IOB2', ['IOB', 'IB', 'BO', 'B']],
    ['IOE2', ['IOE', 'IE', 'EO', 'E']],
    ['IOBES', ['IOBES', 'IBES', 'IOBE', 'OBES', 'IBE', 'BES', 'OBE', 'BE', 'SO', 'S']],
    ['BILOU', ['IOBLU', 'IBLU', 'IOBL', 'OBLU', 'IBL', 'BLU', 'OBL', 'BL', 'UO', 'U']],
  ]
  for (const [scheme, sets] of table) if (sets.some((s) => sameSet(prefixes, s))) return scheme
  throw new Error(`cannot detect a tag scheme from prefixes {${[...prefixes].sort().join(', ')}}`)
}

// ---------------------------------------------------------------------------------------------
// Scoring
// ---------------------------------------------------------------------------------------------

/** Throws unless `yTrue` and `yPred` have the same number of sentences and tags per sentence. */
export function assertSameShape(yTrue: readonly (readonly string[])[], yPred: readonly (readonly string[])[]): void {
  const n = Math.min(yTrue.length, yPred.length)
  for (let i = 0; i < n; i++) {
    const a = yTrue[i]!.length
    const b = yPred[i]!.length
    if (a !== b) throw new Error(`sentence ${i}: yTrue has ${a} tags but yPred has ${b}`)
  }
  if (yTrue.length !== yPred.length) {
    throw new Error(`sentence ${n}: missing from ${yTrue.length < yPred.length ? 'yTrue' : 'yPred'} (yTrue has ${yTrue.length} sentences, yPred has ${yPred.length})`)
  }
}

/** Python's str ordering: by code point (JS default sort is by UTF-16 unit). */
export function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a)
  const y = Array.from(b)
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!
    if (d !== 0) return d
  }
  return x.length - y.length
}

interface Counts {
  types: string[]
  tp: number[]
  pred: number[]
  true: number[]
}

function groupKeys(list: readonly { type: string; key: string }[]): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>()
  for (const { type, key } of list) {
    let s = m.get(type)
    if (!s) m.set(type, (s = new Set()))
    s.add(key)
  }
  return m
}

function countEntities(yTrue: readonly (readonly string[])[], yPred: readonly (readonly string[])[], options: MetricOptions): Counts {
  assertSameShape(yTrue, yPred)
  const suffix = options.suffix ?? false
  let trueList: { type: string; key: string }[]
  let predList: { type: string; key: string }[]
  if (options.mode === 'strict') {
    const scheme = options.scheme ?? autoDetectScheme(yTrue, { suffix })
    const conv = (e: StrictEntity) => ({ type: e.type, key: `${e.sentence},${e.start},${e.end}` })
    trueList = getStrictEntities(yTrue, scheme, { suffix }).map(conv)
    predList = getStrictEntities(yPred, scheme, { suffix }).map(conv)
  } else {
    const conv = ([type, s, e]: EntityTuple) => ({ type, key: `${s},${e}` })
    trueList = getEntities(yTrue, { suffix }).map(conv)
    predList = getEntities(yPred, { suffix }).map(conv)
  }
  const t = groupKeys(trueList)
  const p = groupKeys(predList)
  const types = [...new Set([...t.keys(), ...p.keys()])].sort(compareCodePoints)
  const counts: Counts = { types, tp: [], pred: [], true: [] }
  for (const type of types) {
    const ts = t.get(type) ?? new Set<string>()
    const ps = p.get(type) ?? new Set<string>()
    let tp = 0
    for (const k of ps) if (ts.has(k)) tp++
    counts.tp.push(tp)
    counts.pred.push(ps.size)
    counts.true.push(ts.size)
  }
  return counts
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0)
const div = (n: number, d: number, zd: number): number => (d === 0 ? zd : n / d)
const fscore = (p: number, r: number): number => (2 * p * r) / (p + r === 0 ? 1 : p + r)

function perTypeScores(c: Counts, zd: number): TypeScores[] {
  return c.types.map((type, i) => {
    const precision = div(c.tp[i]!, c.pred[i]!, zd)
    const recall = div(c.tp[i]!, c.true[i]!, zd)
    return { type, precision, recall, f1: fscore(precision, recall), support: c.true[i]! }
  })
}

function averaged(c: Counts, rows: readonly TypeScores[], average: Average, zd: number): PrfSupport {
  const support = sum(c.true)
  if (average === 'micro') {
    const tp = sum(c.tp)
    const precision = div(tp, sum(c.pred), zd)
    const recall = div(tp, support, zd)
    return { precision, recall, f1: fscore(precision, recall), support }
  }
  if (average === 'macro') {
    const mean = (f: (r: TypeScores) => number) => (rows.length === 0 ? NaN : sum(rows.map(f)) / rows.length)
    return { precision: mean((r) => r.precision), recall: mean((r) => r.recall), f1: mean((r) => r.f1), support }
  }
  if (support === 0) {
    // sklearn-style special case copied by seqeval's _precision_recall_fscore_support.
    return sum(c.pred) === 0
      ? { precision: zd, recall: zd, f1: zd, support }
      : { precision: 0, recall: zd, f1: 0, support }
  }
  const wmean = (f: (r: TypeScores) => number) => sum(rows.map((r) => f(r) * r.support)) / support
  return { precision: wmean((r) => r.precision), recall: wmean((r) => r.recall), f1: wmean((r) => r.f1), support }
}

/** seqeval `classification_report(..., output_dict=True)` as a typed object. Average rows carry the total true support. */
export function classificationReport(
  yTrue: readonly (readonly string[])[],
  yPred: readonly (readonly string[])[],
  options: MetricOptions = {},
): ClassificationReport {
  const zd = options.zeroDivision ?? 0
  const c = countEntities(yTrue, yPred, options)
  const perType = perTypeScores(c, zd)
  return {
    perType,
    micro: averaged(c, perType, 'micro', zd),
    macro: averaged(c, perType, 'macro', zd),
    weighted: averaged(c, perType, 'weighted', zd),
  }
}

function score(yTrue: readonly (readonly string[])[], yPred: readonly (readonly string[])[], options: ScoreOptions): PrfSupport {
  const zd = options.zeroDivision ?? 0
  const c = countEntities(yTrue, yPred, options)
  return averaged(c, perTypeScores(c, zd), options.average ?? 'micro', zd)
}

export function precisionScore(yTrue: readonly (readonly string[])[], yPred: readonly (readonly string[])[], options: ScoreOptions = {}): number {
  return score(yTrue, yPred, options).precision
}

export function recallScore(yTrue: readonly (readonly string[])[], yPred: readonly (readonly string[])[], options: ScoreOptions = {}): number {
  return score(yTrue, yPred, options).recall
}

export function f1Score(yTrue: readonly (readonly string[])[], yPred: readonly (readonly string[])[], options: ScoreOptions = {}): number {
  return score(yTrue, yPred, options).f1
}

/** Token-level accuracy over all tags, `O` included (seqeval `accuracy_score`). Throws on zero tokens, as seqeval does. */
export function accuracyScore(yTrue: readonly (readonly string[])[], yPred: readonly (readonly string[])[]): number {
  assertSameShape(yTrue, yPred)
  let total = 0
  let correct = 0
  yTrue.forEach((sent, i) => sent.forEach((t, j) => {
    total++
    if (t === yPred[i]![j]) correct++
  }))
  if (total === 0) throw new Error('accuracy of an empty tag sequence is undefined')
  return correct / total
}
