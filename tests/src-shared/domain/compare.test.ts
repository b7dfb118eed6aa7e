import { describe, expect, it } from 'vitest'
import { configDiff, flattenConfig, matchCounts, pairedBootstrap, perTypeTable, repeatKey, spread, type PairedDocument } from '../../../src-shared/domain/compare'

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

describe('spread', () => {
  it('gives mean and sample standard deviation of repeats', () => {
    expect(spread([0.8, 0.82, 0.84])).toEqual({ n: 3, mean: 0.82, std: expect.closeTo(0.02, 10), min: 0.8, max: 0.84 })
    expect(spread([0.5]).std).toBe(0)
  })
})
