import { describe, expect, it } from 'vitest'
import {
  classifySpanErrors,
  configDiff,
  disagreementMatches,
  documentDisagreement,
  flattenConfig,
  matchCounts,
  pairedBootstrap,
  perTypeTable,
  repeatGroups,
  repeatKey,
  spread,
  type PairedDocument,
  type SpanLike,
} from '../../../src-shared/domain/compare'
import { classifyErrors } from '../../../src-shared/domain/ner-eval'
import type { EntityTuple } from '../../../src-shared/domain/seqeval'
import { seededRandom } from '../../../src-shared/domain/splits'

describe('configDiff', () => {
  const a = { learningRate: 5e-5, epochs: 3, peft: { method: 'lora', rank: 8 }, tags: ['x'] }
  const b = { learningRate: 3e-5, epochs: 3, peft: { method: 'lora', rank: 16 }, tags: ['x'] }
  const c = { learningRate: 5e-5, epochs: 3 }

  it('flattens nested settings to dot paths', () => {
    expect([...flattenConfig(a).keys()]).toEqual(['learningRate', 'epochs', 'peft.method', 'peft.rank', 'tags'])
  })

  it('shows only differing keys against the baseline, with every run value', () => {
    expect(configDiff([a, b, c], 0, { onlyDiffering: true })).toEqual([
      { key: 'learningRate', values: [5e-5, 3e-5, 5e-5], differs: true },
      { key: 'peft.method', values: ['lora', 'lora', undefined], differs: true },
      { key: 'peft.rank', values: [8, 16, undefined], differs: true },
      { key: 'tags', values: [['x'], ['x'], undefined], differs: true },
    ])
    expect(configDiff([a, b], 0).find((r) => r.key === 'epochs')).toEqual({ key: 'epochs', values: [3, 3], differs: false })
  })

  it('treats runs that differ only in the seed as repeats', () => {
    expect(repeatKey({ ...a, seed: 1 })).toBe(repeatKey({ ...a, seed: 2 }))
    expect(repeatKey({ ...a, seed: 1 })).not.toBe(repeatKey({ ...b, seed: 1 }))
    expect(
      repeatGroups([
        { id: 1, config: { ...a, seed: 1 } },
        { id: 2, config: { ...b, seed: 1 } },
        { id: 3, config: { ...a, seed: 2 } },
        { id: 4, config: { ...b, seed: 7 } },
        { id: 5, config: c },
      ]),
    ).toEqual([
      [1, 3],
      [2, 4],
    ])
  })

  it('diffs against whichever run is the baseline', () => {
    const rows = configDiff([a, b, { ...b, epochs: 4 }], 1)
    expect(rows.find((r) => r.key === 'epochs')).toMatchObject({ values: [3, 3, 4], differs: true })
    expect(rows.find((r) => r.key === 'peft.rank')).toMatchObject({ values: [8, 16, 16], differs: true })
    expect(configDiff([b, { ...b }], 0, { onlyDiffering: true })).toEqual([])
    // Nested nulls and objects: an "off" section against one that is on.
    expect(configDiff([{ peft: null }, { peft: { method: 'lora' } }], 0).map((r) => [r.key, r.values])).toEqual([
      ['peft', [null, undefined]],
      ['peft.method', [undefined, 'lora']],
    ])
  })
})

describe('perTypeTable', () => {
  it('gives deltas against the baseline and marks the best run per type', () => {
    const r1 = { perType: [{ type: 'PER', precision: 0.8, recall: 0.8, f1: 0.8, support: 10 }, { type: 'LOC', precision: 0.5, recall: 0.5, f1: 0.5, support: 4 }] }
    const r2 = { perType: [{ type: 'PER', precision: 0.9, recall: 0.7, f1: 0.7875, support: 10 }, { type: 'LOC', precision: 0.7, recall: 0.6, f1: 0.646, support: 4 }] }
    const rows = perTypeTable([r1, r2], 0)
    expect(rows.map((r) => r.type)).toEqual(['LOC', 'PER'])
    expect(rows[0]!.deltas[1]).toBeCloseTo(0.146)
    expect(rows[0]!.best).toBe(1)
    expect(rows[1]!.best).toBe(0)
    expect(perTypeTable([r1, null])[0]!.scores[1]).toBeNull()
    expect(rows[1]!.scores[1]).toEqual({ precision: 0.9, recall: 0.7, f1: 0.7875, support: 10 })
    // Against the second run as baseline, the deltas flip sign.
    expect(perTypeTable([r1, r2], 1)[0]!.deltas[0]).toBeCloseTo(-0.146)
  })
})

describe('pairedBootstrap', () => {
  const span = (start: number, label = 'PER') => ({ start, end: start + 2, label })
  it('counts exact matches like seqeval', () => {
    expect(matchCounts([span(0), span(5)], [span(0), span(5, 'LOC'), span(9)])).toEqual({ tp: 1, fp: 2, fn: 1 })
  })

  it('finds a consistent lead significant and a coin flip not, repeatably', () => {
    // A gets every entity; B misses one in every document.
    const better: PairedDocument[] = Array.from({ length: 60 }, () => ({ gold: [span(0), span(5)], a: [span(0), span(5)], b: [span(0)] }))
    const r = pairedBootstrap(better, { samples: 500, seed: 1 })
    expect(r.delta).toBeCloseTo(1 - 2 / 3, 10)
    expect(r.significant).toBe(true)
    expect(r.low).toBeGreaterThan(0)
    expect(r.pNotBetter).toBe(0)
    expect(pairedBootstrap(better, { samples: 500, seed: 1 })).toEqual(r)

    // Each system wins on half of the documents.
    const even: PairedDocument[] = Array.from({ length: 60 }, (_, i) => (i % 2 ? { gold: [span(0)], a: [span(0)], b: [] } : { gold: [span(0)], a: [], b: [span(0)] }))
    const e = pairedBootstrap(even, { samples: 500, seed: 2 })
    expect(e.delta).toBe(0)
    expect(e.significant).toBe(false)
    expect(e.low).toBeLessThan(0)
    expect(e.high).toBeGreaterThan(0)
  })
})

describe('pairedBootstrap, known cases', () => {
  const x = { start: 0, end: 4, label: 'PER' }
  const y = { start: 0, end: 5, label: 'LOC' }

  it('one document: every resample is that document, so the interval is the difference itself', () => {
    const r = pairedBootstrap([{ gold: [x, { ...y, start: 6, end: 9 }], a: [x], b: [] }], { samples: 200, seed: 3 })
    expect(r.delta).toBeCloseTo(2 / 3, 12)
    expect([r.low, r.high]).toEqual([r.delta, r.delta])
    expect(r.significant).toBe(true)
    expect(r.pNotBetter).toBe(0)
  })

  it('two documents: the resampled differences are 0, 1/3 and 1 with probabilities 1/4, 1/2, 1/4', () => {
    // Document 1: A finds the entity, B misses it. Document 2: both find it.
    const docs: PairedDocument[] = [
      { gold: [x], a: [x], b: [] },
      { gold: [y], a: [y], b: [y] },
    ]
    const r = pairedBootstrap(docs, { samples: 1000, seed: 12345 })
    expect(r.delta).toBeCloseTo(1 - 2 / 3, 12)
    expect(r.f1A).toBe(1)
    expect(r.f1B).toBeCloseTo(2 / 3, 12)
    expect(r.low).toBe(0)
    expect(r.high).toBe(1)
    // P(difference <= 0) = P(both draws are document 2) = 1/4.
    expect(r.pNotBetter).toBeGreaterThan(0.21)
    expect(r.pNotBetter).toBeLessThan(0.29)
    expect(r.significant).toBe(false)
    // Fixed seed: the same numbers every time; another seed gives another sample.
    expect(pairedBootstrap(docs, { samples: 1000, seed: 12345 })).toEqual(r)
    expect(pairedBootstrap(docs, { samples: 1000, seed: 99 }).pNotBetter).not.toBe(r.pNotBetter)
  })

  it('uses B\'s own gold when the runs saw different snapshots', () => {
    const r = pairedBootstrap([{ gold: [x], a: [x], b: [y], goldB: [y] }], { samples: 100, seed: 1 })
    expect(r.delta).toBe(0)
    expect(r.significant).toBe(false)
  })

  it('no documents: no difference, nothing significant', () => {
    expect(pairedBootstrap([], { samples: 100 })).toMatchObject({ delta: 0, documents: 0, significant: false })
  })
})

describe('classifySpanErrors (character spans)', () => {
  const s = (start: number, end: number, label = 'PER'): SpanLike => ({ start, end, label })

  it('names each kind of error, in document order', () => {
    const gold = [s(0, 4), s(10, 15, 'LOC'), s(20, 25), s(30, 40, 'ORG'), s(50, 55)]
    const pred = [s(0, 4), s(10, 15, 'PER'), s(20, 23), s(28, 35, 'LOC'), s(60, 62, 'LOC')]
    expect(classifySpanErrors(gold, pred)).toEqual([
      { kind: 'wrong-type', gold: s(10, 15, 'LOC'), pred: s(10, 15, 'PER') },
      { kind: 'wrong-boundary', gold: s(20, 25), pred: s(20, 23) },
      { kind: 'wrong-both', gold: s(30, 40, 'ORG'), pred: s(28, 35, 'LOC') },
      { kind: 'missed', gold: s(50, 55) },
      { kind: 'spurious', pred: s(60, 62, 'LOC') },
    ])
    expect(classifySpanErrors(gold, gold)).toEqual([])
  })

  it('pairs by characters in common: a split entity gives one boundary error and one spurious half', () => {
    expect(classifySpanErrors([s(0, 10)], [s(0, 3), s(4, 10)])).toEqual([
      { kind: 'wrong-boundary', gold: s(0, 10), pred: s(4, 10) },
      { kind: 'spurious', pred: s(0, 3) },
    ])
    // Touching is not overlapping: [0, 4) and [4, 8) share no character.
    expect(classifySpanErrors([s(0, 4)], [s(4, 8)]).map((e) => e.kind)).toEqual(['missed', 'spurious'])
  })

  it('accepts nested gold spans (the token version refuses overlaps)', () => {
    expect(classifySpanErrors([s(0, 10, 'ORG'), s(0, 4)], [s(0, 4)])).toEqual([{ kind: 'missed', gold: s(0, 10, 'ORG') }])
  })

  it('agrees with ner-eval classifyErrors on random non-overlapping entities', () => {
    const random = seededRandom(7)
    const entities = (n: number): EntityTuple[] => {
      const out: EntityTuple[] = []
      let at = 0
      for (let i = 0; i < n; i++) {
        at += Math.floor(random() * 3)
        const len = 1 + Math.floor(random() * 3)
        out.push([random() < 0.5 ? 'PER' : 'LOC', at, at + len - 1])
        at += len
      }
      return out
    }
    const toSpan = (e: EntityTuple): SpanLike => ({ start: e[1], end: e[2] + 1, label: e[0] })
    for (let trial = 0; trial < 300; trial++) {
      const gold = entities(Math.floor(random() * 5))
      const pred = entities(Math.floor(random() * 5))
      const tokenLevel = classifyErrors(gold, pred).map((e) => ({ kind: e.kind, ...(e.gold ? { gold: toSpan(e.gold) } : {}), ...(e.pred ? { pred: toSpan(e.pred) } : {}) }))
      expect(classifySpanErrors(gold.map(toSpan), pred.map(toSpan)), JSON.stringify({ gold, pred })).toEqual(tokenLevel)
    }
  })
})

describe('documentDisagreement', () => {
  const s = (start: number, end: number, label = 'PER'): SpanLike => ({ start, end, label })
  const gold = [s(0, 4), s(10, 15, 'LOC')]

  it('finds no disagreement when every run predicts the same spans, errors included', () => {
    const d = documentDisagreement(gold, [[s(0, 4)], [s(0, 4)]])
    expect(d.disagree).toBe(false)
    expect(d.runs[0]!.errors).toEqual([{ kind: 'missed', gold: s(10, 15, 'LOC'), shared: true }])
  })

  it('marks the errors only some runs make, and filters by kind and type', () => {
    const d = documentDisagreement(gold, [[s(0, 4), s(10, 15, 'LOC')], [s(0, 4)], [s(0, 4, 'LOC'), s(20, 22)]])
    expect(d.disagree).toBe(true)
    expect(d.runs[0]!.errors).toEqual([])
    expect(d.runs[1]!.errors).toEqual([{ kind: 'missed', gold: s(10, 15, 'LOC'), shared: false }])
    expect(d.runs[2]!.errors.map((e) => e.kind)).toEqual(['wrong-type', 'missed', 'spurious'])
    expect(disagreementMatches(d, {})).toBe(true)
    expect(disagreementMatches(d, { kind: 'wrong-type' })).toBe(true)
    expect(disagreementMatches(d, { kind: 'wrong-boundary' })).toBe(false)
    expect(disagreementMatches(d, { kind: 'spurious', type: 'PER' })).toBe(true)
    expect(disagreementMatches(d, { kind: 'spurious', type: 'LOC' })).toBe(false)
    expect(disagreementMatches(d, { type: 'ORG' })).toBe(false)
  })
})

describe('spread', () => {
  it('gives mean and sample standard deviation of repeats', () => {
    expect(spread([0.8, 0.82, 0.84])).toEqual({ n: 3, mean: 0.82, std: expect.closeTo(0.02, 10), min: 0.8, max: 0.84 })
    expect(spread([0.5]).std).toBe(0)
  })
})
