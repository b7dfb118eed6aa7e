import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import {
  allowAllTransitions,
  allowedTransitions,
  compactLabelled,
  crfDecodeTokens,
  crfLogPartition,
  crfNegLogLikelihood,
  crfParamValues,
  crfPathScore,
  crfTokenLoss,
  FORBIDDEN_SCORE,
  initCrfParams,
  viterbiDecode,
  viterbiDecodeBatch,
  type AllowedTransitions,
  type CrfParams,
  type CrfValues,
} from '../../../../src-main/engine/heads/crf'
import { buildTagSet } from '../../../../src-main/engine/data/labels'
import { seededRandom } from '../../../../src-shared/domain/splits'
import { maxAbsDiff, useWasm } from '../../../helpers/tf'

beforeAll(async () => {
  await useWasm()
})

// ---- brute force ----

function normal(random: () => number): number {
  const u = Math.max(random(), 1e-12)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
}

function randomArray(n: number, random: () => number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => normal(random) * scale)
}

/** Every tag path of length s over t tags. */
function allPaths(t: number, s: number): number[][] {
  let paths: number[][] = [[]]
  for (let k = 0; k < s; k++) paths = paths.flatMap((p) => Array.from({ length: t }, (_, j) => [...p, j]))
  return paths
}

function isAllowed(path: number[], allowed: AllowedTransitions): boolean {
  if (path.length === 0) return true
  if (!allowed.start[path[0]!] || !allowed.end[path[path.length - 1]!]) return false
  for (let k = 1; k < path.length; k++) if (!allowed.trans[path[k - 1]!]![path[k]!]) return false
  return true
}

/** Path score as the CRF defines it, forbidden steps costing FORBIDDEN_SCORE (float64). */
function pathScore(path: number[], emissions: ArrayLike<number>, v: CrfValues, allowed: AllowedTransitions): number {
  const t = v.start.length
  let s = v.start[path[0]!]! + (allowed.start[path[0]!] ? 0 : FORBIDDEN_SCORE)
  path.forEach((y, k) => {
    s += emissions[k * t + y]!
    if (k > 0) s += v.transitions[path[k - 1]! * t + y]! + (allowed.trans[path[k - 1]!]![y] ? 0 : FORBIDDEN_SCORE)
  })
  const last = path[path.length - 1]!
  return s + v.end[last]! + (allowed.end[last] ? 0 : FORBIDDEN_SCORE)
}

function logSumExp(xs: number[]): number {
  const m = Math.max(...xs)
  return m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0))
}

interface Brute {
  logZ: number
  /** [S*T] marginals p(y_k = j). */
  marginals: Float64Array
  /** [T*T] expected transition counts. */
  pairMarginals: Float64Array
  best: number[]
  bestScore: number
}

function brute(emissions: ArrayLike<number>, s: number, v: CrfValues, allowed: AllowedTransitions): Brute {
  const t = v.start.length
  const paths = allPaths(t, s)
  const scores = paths.map((p) => pathScore(p, emissions, v, allowed))
  const logZ = logSumExp(scores)
  const marginals = new Float64Array(s * t)
  const pairMarginals = new Float64Array(t * t)
  let best: number[] = []
  let bestScore = -Infinity
  paths.forEach((p, i) => {
    const prob = Math.exp(scores[i]! - logZ)
    p.forEach((y, k) => {
      marginals[k * t + y]! += prob
      if (k > 0) pairMarginals[p[k - 1]! * t + y]! += prob
    })
    if (isAllowed(p, allowed) && scores[i]! > bestScore) {
      bestScore = scores[i]!
      best = p
    }
  })
  return { logZ, marginals, pairMarginals, best, bestScore }
}

function setParams(params: CrfParams, v: CrfValues): void {
  const t = v.start.length
  params.transitions.assign(tf.tensor2d(Array.from(v.transitions), [t, t]))
  params.start.assign(tf.tensor1d(Array.from(v.start)))
  params.end.assign(tf.tensor1d(Array.from(v.end)))
}

function randomValues(t: number, random: () => number): CrfValues {
  return { transitions: randomArray(t * t, random), start: randomArray(t, random), end: randomArray(t, random) }
}

/** A random table that keeps at least the all-zeros path allowed. */
function randomAllowed(t: number, random: () => number): AllowedTransitions {
  const a = allowAllTransitions(t)
  for (let i = 0; i < t; i++) {
    if (i > 0) {
      a.start[i] = random() > 0.3
      a.end[i] = random() > 0.3
    }
    for (let j = 0; j < t; j++) if (i + j > 0) a.trans[i]![j] = random() > 0.3
  }
  return a
}

function pickAllowedPath(t: number, s: number, allowed: AllowedTransitions, random: () => number): number[] {
  const ok = allPaths(t, s).filter((p) => isAllowed(p, allowed))
  return ok[Math.floor(random() * ok.length)]!
}

function disposeParams(p: CrfParams): void {
  p.transitions.dispose()
  p.start.dispose()
  p.end.dispose()
}

// ---- allowed transitions ----

describe('allowedTransitions', () => {
  it('IOB2: I-X only after B-X or I-X, never first', () => {
    const ts = buildTagSet(['PER', 'LOC'], 'iob2') // O B-PER I-PER B-LOC I-LOC
    const a = allowedTransitions(ts)
    const id = (tag: string) => ts.index.get(tag)!
    expect(a.start).toEqual([true, true, false, true, false])
    expect(a.end).toEqual([true, true, true, true, true])
    expect(a.trans[id('O')]![id('I-PER')]).toBe(false)
    expect(a.trans[id('B-PER')]![id('I-PER')]).toBe(true)
    expect(a.trans[id('I-PER')]![id('I-PER')]).toBe(true)
    expect(a.trans[id('B-LOC')]![id('I-PER')]).toBe(false)
    expect(a.trans[id('I-LOC')]![id('I-PER')]).toBe(false)
    expect(a.trans[id('I-PER')]![id('B-LOC')]).toBe(true)
    expect(a.trans[id('B-PER')]![id('O')]).toBe(true)
    expect(a.trans[id('B-PER')]![id('B-PER')]).toBe(true)
  })

  it('IOBES: inside an entity only I/E of its type; outside only O/B/S; start and end', () => {
    const ts = buildTagSet(['PER', 'LOC'], 'iobes')
    const a = allowedTransitions(ts)
    const id = (tag: string) => ts.index.get(tag)!
    for (const tag of ts.tags) {
      const r = tag[0]
      expect(a.start[id(tag)]).toBe(r === 'O' || r === 'B' || r === 'S')
      expect(a.end[id(tag)]).toBe(r === 'O' || r === 'E' || r === 'S')
    }
    for (const from of ts.tags) {
      for (const to of ts.tags) {
        const rf = from[0]
        const rt = to[0]
        const expected = rf === 'B' || rf === 'I' ? (rt === 'I' || rt === 'E') && from.slice(2) === to.slice(2) : rt === 'O' || rt === 'B' || rt === 'S'
        expect(a.trans[id(from)]![id(to)], `${from} -> ${to}`).toBe(expected)
      }
    }
  })
})

// ---- NLL ----

describe('crfNegLogLikelihood', () => {
  it('equals logsumexp(all path scores) - score(gold) by brute force (T=3..5, S=1..4)', () => {
    const random = seededRandom(11)
    for (let t = 3; t <= 5; t++) {
      for (let s = 1; s <= 4; s++) {
        for (const constrained of [false, true]) {
          const v = randomValues(t, random)
          const allowed = constrained ? randomAllowed(t, random) : allowAllTransitions(t)
          const emissions = randomArray(s * t, random, 2)
          const gold = pickAllowedPath(t, s, allowed, random)
          const params = initCrfParams(t)
          setParams(params, v)
          const e = tf.tensor3d(emissions, [1, s, t])
          const tags = tf.tensor2d(gold, [1, s], 'int32')
          const mask = tf.ones([1, s])
          const nll = crfNegLogLikelihood(e, tags, mask, params, allowed).dataSync()[0]!
          const b = brute(emissions, s, v, allowed)
          const expected = b.logZ - pathScore(gold, emissions, v, allowed)
          expect(Math.abs(nll - expected), `T=${t} S=${s} constrained=${constrained}`).toBeLessThan(1e-4)
          expect(Math.abs(crfLogPartition(e, mask, params, allowed).dataSync()[0]! - b.logZ)).toBeLessThan(1e-4)
          tf.dispose([e, tags, mask])
          disposeParams(params)
        }
      }
    }
  })

  it('is the mean over a padded batch of rows of different lengths; padding changes nothing', () => {
    const random = seededRandom(5)
    const t = 4
    const maxS = 5
    const lengths = [3, 1, 5, 0, 2]
    const v = randomValues(t, random)
    const allowed = allowAllTransitions(t)
    const params = initCrfParams(t)
    setParams(params, v)
    const emissions = randomArray(lengths.length * maxS * t, random, 2)
    const tags = new Int32Array(lengths.length * maxS).fill(-100)
    const mask = new Float32Array(lengths.length * maxS)
    let sum = 0
    let rows = 0
    lengths.forEach((len, r) => {
      if (len === 0) return
      const gold = Array.from({ length: len }, () => Math.floor(random() * t))
      gold.forEach((g, k) => {
        tags[r * maxS + k] = g
        mask[r * maxS + k] = 1
      })
      const rowEm = emissions.subarray(r * maxS * t, r * maxS * t + len * t)
      sum += brute(rowEm, len, v, allowed).logZ - pathScore(gold, rowEm, v, allowed)
      rows++
    })
    const e = tf.tensor3d(emissions, [lengths.length, maxS, t])
    const nll = crfNegLogLikelihood(e, tf.tensor2d(tags, [lengths.length, maxS], 'int32'), tf.tensor2d(mask, [lengths.length, maxS]), params, allowed).dataSync()[0]!
    expect(Math.abs(nll - sum / rows)).toBeLessThan(1e-4)

    // Changing padded emissions (and the tags there) does not change the loss.
    const changed = emissions.slice()
    const tags2 = tags.slice()
    lengths.forEach((len, r) => {
      for (let k = len; k < maxS; k++) {
        for (let j = 0; j < t; j++) changed[(r * maxS + k) * t + j] = 50 * normal(random)
        tags2[r * maxS + k] = Math.floor(random() * t)
      }
    })
    const nll2 = crfNegLogLikelihood(tf.tensor3d(changed, [lengths.length, maxS, t]), tf.tensor2d(tags2, [lengths.length, maxS], 'int32'), tf.tensor2d(mask, [lengths.length, maxS]), params, allowed).dataSync()[0]!
    expect(Math.abs(nll2 - nll)).toBeLessThan(1e-5)

    // ...and their gradient is zero.
    const g = tf.grad((x: tf.Tensor) => crfNegLogLikelihood(x as tf.Tensor3D, tf.tensor2d(tags, [lengths.length, maxS], 'int32'), tf.tensor2d(mask, [lengths.length, maxS]), params, allowed))(e).dataSync()
    lengths.forEach((len, r) => {
      for (let k = len; k < maxS; k++) for (let j = 0; j < t; j++) expect(g[(r * maxS + k) * t + j]).toBe(0)
    })
    disposeParams(params)
  })

  it('gives gradients wrt emissions = marginals - one-hot(gold) and wrt transitions = expected - gold counts', () => {
    const random = seededRandom(23)
    for (let t = 3; t <= 5; t++) {
      for (let s = 1; s <= 4; s++) {
        const v = randomValues(t, random)
        const allowed = t === 4 ? randomAllowed(t, random) : allowAllTransitions(t)
        const emissions = randomArray(s * t, random, 2)
        const gold = pickAllowedPath(t, s, allowed, random)
        const params = initCrfParams(t)
        setParams(params, v)
        const tags = tf.tensor2d(gold, [1, s], 'int32')
        const mask = tf.ones([1, s])
        const e = tf.tensor3d(emissions, [1, s, t])
        const { grads } = tf.variableGrads(() => crfNegLogLikelihood(e, tags, mask, params, allowed), [params.transitions, params.start, params.end])
        const ge = tf.grad((x: tf.Tensor) => crfNegLogLikelihood(x as tf.Tensor3D, tags, mask, params, allowed))(e).dataSync()
        const b = brute(emissions, s, v, allowed)
        const expectedE = Float64Array.from(b.marginals)
        gold.forEach((y, k) => (expectedE[k * t + y]! -= 1))
        expect(maxAbsDiff(ge, expectedE), `T=${t} S=${s}`).toBeLessThan(1e-4)
        const expectedT = Float64Array.from(b.pairMarginals)
        for (let k = 1; k < s; k++) expectedT[gold[k - 1]! * t + gold[k]!]! -= 1
        // With one position the transitions are not used: no gradient at all.
        expect(maxAbsDiff(grads[params.transitions.name]?.dataSync() ?? new Float32Array(t * t), expectedT)).toBeLessThan(1e-4)
        const expectedStart = new Float64Array(t)
        const expectedEnd = new Float64Array(t)
        for (let j = 0; j < t; j++) {
          expectedStart[j] = b.marginals[j]! - (gold[0] === j ? 1 : 0)
          expectedEnd[j] = b.marginals[(s - 1) * t + j]! - (gold[s - 1] === j ? 1 : 0)
        }
        expect(maxAbsDiff(grads[params.start.name]!.dataSync(), expectedStart)).toBeLessThan(1e-4)
        expect(maxAbsDiff(grads[params.end.name]!.dataSync(), expectedEnd)).toBeLessThan(1e-4)
        tf.dispose([tags, mask, e, ...Object.values(grads)])
        disposeParams(params)
      }
    }
  })

  it('a forbidden gold path costs about -FORBIDDEN_SCORE; forbidden steps get no gradient pushing them up', () => {
    const ts = buildTagSet(['PER'], 'iob2') // O B-PER I-PER
    const allowed = allowedTransitions(ts)
    const params = initCrfParams(3)
    const e = tf.zeros([1, 2, 3]) as tf.Tensor3D
    const mask = tf.ones([1, 2])
    const bad = crfNegLogLikelihood(e, tf.tensor2d([[0, 2]], [1, 2], 'int32'), mask, params, allowed).dataSync()[0]!
    expect(bad).toBeGreaterThan(9000)
    const { grads } = tf.variableGrads(() => crfNegLogLikelihood(e, tf.tensor2d([[1, 2]], [1, 2], 'int32'), mask, params, allowed), [params.transitions])
    const gt = grads[params.transitions.name]!.dataSync()
    // O -> I-PER is forbidden: probability 0, so no gradient.
    expect(Math.abs(gt[0 * 3 + 2]!)).toBeLessThan(1e-6)
    disposeParams(params)
  })

  it('a tiny training loop (learnable emission table per position) reduces the NLL', () => {
    const random = seededRandom(3)
    const ts = buildTagSet(['PER', 'LOC'], 'iobes')
    const allowed = allowedTransitions(ts)
    const t = ts.tags.length
    const s = 6
    const id = (tag: string) => ts.index.get(tag)!
    const golds = [
      ['O', 'B-PER', 'E-PER', 'O', 'S-LOC', 'O'].map(id),
      ['S-PER', 'O', 'B-LOC', 'I-LOC', 'E-LOC', 'O'].map(id),
    ]
    const table = tf.variable(tf.tensor2d(randomArray(s * t, random, 0.1), [s, t]), true)
    const params = initCrfParams(t)
    const tags = tf.tensor2d(golds.flat(), [2, s], 'int32')
    const mask = tf.ones([2, s])
    const loss = () => crfNegLogLikelihood(tf.stack([table, tf.reverse(table, 0)]) as tf.Tensor3D, tags, mask, params, allowed)
    const first = loss().dataSync()[0]!
    const opt = tf.train.adam(0.1)
    let last = first
    for (let step = 0; step < 60; step++) {
      const l = opt.minimize(loss, true, [table, params.transitions, params.start, params.end])!
      last = l.dataSync()[0]!
      l.dispose()
    }
    expect(last).toBeLessThan(first * 0.2)
    // The learned model decodes the first gold path.
    const values = crfParamValues(params)
    expect(viterbiDecode(table.dataSync(), s, values, allowed).path).toEqual(golds[0])
    opt.dispose()
    table.dispose()
    disposeParams(params)
  })
})

// ---- Viterbi ----

describe('viterbiDecode', () => {
  it('returns the argmax over allowed paths by brute force, with its score', () => {
    const random = seededRandom(99)
    for (let t = 3; t <= 5; t++) {
      for (let s = 1; s <= 4; s++) {
        for (let rep = 0; rep < 3; rep++) {
          const v = randomValues(t, random)
          const allowed = rep === 0 ? allowAllTransitions(t) : randomAllowed(t, random)
          const emissions = randomArray(s * t, random, 2)
          const b = brute(emissions, s, v, allowed)
          const d = viterbiDecode(emissions, s, v, allowed)
          expect(d.path, `T=${t} S=${s}`).toEqual(b.best)
          expect(Math.abs(d.score - b.bestScore)).toBeLessThan(1e-9)
        }
      }
    }
  })

  it('never outputs a forbidden transition, even when emissions and learned scores favour it', () => {
    for (const scheme of ['iob2', 'iobes'] as const) {
      const ts = buildTagSet(['PER', 'LOC', 'ORG'], scheme)
      const allowed = allowedTransitions(ts)
      const t = ts.tags.length
      // Scores that reward forbidden moves (as if learned into).
      const v: CrfValues = {
        transitions: Float32Array.from({ length: t * t }, (_, k) => (allowed.trans[Math.floor(k / t)]![k % t] ? 0 : 50)),
        start: Float32Array.from(allowed.start, (a) => (a ? 0 : 50)),
        end: Float32Array.from(allowed.end, (a) => (a ? 0 : 50)),
      }
      // Emissions favouring I-PER after O / I-LOC first.
      const id = (tag: string) => ts.index.get(tag)!
      const e = new Float32Array(3 * t)
      e[0 * t + id('I-LOC')] = 100
      e[1 * t + id('O')] = 100
      e[2 * t + id('I-PER')] = 100
      const d = viterbiDecode(e, 3, v, allowed)
      expect(isAllowed(d.path, allowed)).toBe(true)
      const random = seededRandom(scheme === 'iob2' ? 1 : 2)
      for (let k = 0; k < 300; k++) {
        const s = 1 + Math.floor(random() * 8)
        const em = randomArray(s * t, random, 20)
        expect(isAllowed(viterbiDecode(em, s, v, allowed).path, allowed)).toBe(true)
      }
    }
  })

  it('decodes batches and token positions', () => {
    const random = seededRandom(8)
    const t = 3
    const seq = 4
    const v = randomValues(t, random)
    const allowed = allowAllTransitions(t)
    const emissions = randomArray(2 * seq * t, random)
    const out = viterbiDecodeBatch(emissions, seq, [4, 2], v, allowed)
    expect(out[0]).toEqual(viterbiDecode(emissions.subarray(0, seq * t), 4, v, allowed))
    expect(out[1]).toEqual(viterbiDecode(emissions.subarray(seq * t), 2, v, allowed))
    expect(viterbiDecode(emissions, 0, v, allowed)).toEqual({ path: [], score: 0 })

    // Positions 1 and 3 of row 0 and position 2 of row 1.
    const select = [0, 1, 0, 1, 0, 0, 1, 0]
    const tokens = crfDecodeTokens(emissions, 2, seq, select, v, allowed)
    const row0 = viterbiDecode([...emissions.subarray(1 * t, 2 * t), ...emissions.subarray(3 * t, 4 * t)], 2, v, allowed).path
    const row1 = viterbiDecode(emissions.subarray((seq + 2) * t, (seq + 3) * t), 1, v, allowed).path
    expect(Array.from(tokens)).toEqual([-100, row0[0], -100, row0[1], -100, -100, row1[0], -100])
  })
})

// ---- labelled positions ----

describe('compactLabelled', () => {
  it('runs the CRF over the labelled positions only, with gradients back to them', () => {
    const random = seededRandom(41)
    const t = 4
    const seq = 7
    const v = randomValues(t, random)
    const allowed = allowAllTransitions(t)
    const params = initCrfParams(t)
    setParams(params, v)
    // [CLS] w1 ##x w2 w3 [SEP] pad  /  [CLS] w1 [SEP] pad pad pad pad
    const labels = [-100, 1, -100, 2, 0, -100, -100, -100, 3, -100, -100, -100, -100, -100]
    const emissions = randomArray(2 * seq * t, random, 2)
    const e = tf.tensor3d(emissions, [2, seq, t])
    const c = compactLabelled(e, labels)
    expect(c.length).toBe(3)
    expect(Array.from(c.lengths)).toEqual([3, 1])
    expect(Array.from(c.positions)).toEqual([1, 3, 4, 8 - 7, -1, -1])
    expect(Array.from(c.tags.dataSync())).toEqual([1, 2, 0, 3, 0, 0])
    expect(Array.from(c.mask.dataSync())).toEqual([1, 1, 1, 1, 0, 0])
    const rows = [
      { at: [1, 3, 4], gold: [1, 2, 0], base: 0 },
      { at: [1], gold: [3], base: seq },
    ]
    let sum = 0
    for (const r of rows) {
      const em = r.at.flatMap((p) => Array.from(emissions.subarray((r.base + p) * t, (r.base + p + 1) * t)))
      sum += brute(em, r.at.length, v, allowed).logZ - pathScore(r.gold, em, v, allowed)
    }
    const loss = crfTokenLoss(e, labels, params, allowed).dataSync()[0]!
    expect(Math.abs(loss - sum / 2)).toBeLessThan(1e-4)

    const g = tf.grad((x: tf.Tensor) => crfTokenLoss(x as tf.Tensor3D, labels, params, allowed))(e).dataSync()
    const gc = tf.grad((x: tf.Tensor) => crfNegLogLikelihood(x as tf.Tensor3D, c.tags, c.mask, params, allowed))(c.emissions).dataSync()
    for (let b = 0; b < 2; b++) {
      for (let s = 0; s < seq; s++) {
        const k = c.positions.findIndex((p, i) => p === s && Math.floor(i / c.length) === b)
        for (let j = 0; j < t; j++) {
          const got = g[(b * seq + s) * t + j]!
          if (k < 0) expect(got).toBe(0)
          else expect(Math.abs(got - gc[k * t + j]!)).toBeLessThan(1e-6)
        }
      }
    }
    // The gradient at labelled positions is (marginals - gold) / rows.
    const b0 = brute(
      [1, 3, 4].flatMap((p) => Array.from(emissions.subarray(p * t, (p + 1) * t))),
      3,
      v,
      allowed,
    )
    expect(Math.abs(g[1 * t + 1]! - (b0.marginals[0 * t + 1]! - 1) / 2)).toBeLessThan(1e-4)
    tf.dispose([e, c.emissions, c.tags, c.mask])
    disposeParams(params)
  })

  it('rejects labels that are not tag ids and handles rows without labels', () => {
    const e = tf.zeros([2, 3, 2]) as tf.Tensor3D
    expect(() => compactLabelled(e, [0, 5, -100, -100, -100, -100])).toThrow(RangeError)
    const params = initCrfParams(2)
    const allowed = allowAllTransitions(2)
    expect(crfTokenLoss(e, [-100, -100, -100, -100, -100, -100], params, allowed).dataSync()[0]).toBe(0)
    // One labelled row: the mean is over that row only, log 2 for one free position.
    expect(Math.abs(crfTokenLoss(e, [-100, 1, -100, -100, -100, -100], params, allowed).dataSync()[0]! - Math.log(2))).toBeLessThan(1e-6)
    disposeParams(params)
  })

  it('does not leak tensors', () => {
    const params = initCrfParams(3)
    const allowed = allowAllTransitions(3)
    const e = tf.randomNormal([2, 5, 3], 0, 1, 'float32', 1) as tf.Tensor3D
    const labels = [-100, 0, 1, 2, -100, -100, 2, -100, 0, -100]
    crfTokenLoss(e, labels, params, allowed).dispose()
    const before = tf.memory().numTensors
    crfTokenLoss(e, labels, params, allowed).dispose()
    crfPathScore(e, tf.zeros([2, 5], 'int32'), tf.ones([2, 5]), params, allowed).dispose()
    expect(tf.memory().numTensors).toBe(before + 2) // the zeros and ones above
    disposeParams(params)
  })
})
