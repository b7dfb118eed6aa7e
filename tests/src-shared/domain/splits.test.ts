import { describe, expect, it } from 'vitest'
import { assignSplits, rarestLabel, seededRandom } from '../../../src-shared/domain/splits'

const items = (n: number, stratum = (i: number) => '') => Array.from({ length: n }, (_, i) => ({ id: i + 1, stratum: stratum(i) }))
const count = (m: Map<number, string>) => {
  const c: Record<string, number> = { train: 0, dev: 0, test: 0 }
  for (const v of m.values()) c[v]!++
  return c
}

describe('splits', () => {
  it('is deterministic for a seed and different across seeds', () => {
    const a = assignSplits(items(100), [0.8, 0.1, 0.1], 42)
    const b = assignSplits(items(100), [0.8, 0.1, 0.1], 42)
    const c = assignSplits(items(100), [0.8, 0.1, 0.1], 43)
    expect([...a]).toEqual([...b])
    expect([...a]).not.toEqual([...c])
    expect(seededRandom(1)()).toBe(seededRandom(1)())
  })

  it('follows the ratios exactly when they divide the count', () => {
    expect(count(assignSplits(items(1000), [0.8, 0.1, 0.1], 7))).toEqual({ train: 800, dev: 100, test: 100 })
    expect(count(assignSplits(items(10), [8, 1, 1], 7))).toEqual({ train: 8, dev: 1, test: 1 })
    expect(count(assignSplits(items(9), [1, 0, 0], 7))).toEqual({ train: 9, dev: 0, test: 0 })
  })

  it('keeps the proportions inside every stratum', () => {
    // 900 documents without a rare label, 100 with it: each group splits 80/10/10 on its own.
    const split = assignSplits(items(1000, (i) => (i % 10 === 0 ? 'rare' : '')), [0.8, 0.1, 0.1], 3)
    const rare = new Map([...split].filter(([id]) => (id - 1) % 10 === 0))
    expect(count(rare)).toEqual({ train: 80, dev: 10, test: 10 })
  })

  it('refuses impossible ratios', () => {
    expect(() => assignSplits(items(3), [0, 0, 0], 1)).toThrow(RangeError)
    expect(() => assignSplits(items(3), [1, -1, 0], 1)).toThrow(RangeError)
  })

  it('stratifies by the rarest label present', () => {
    const freq = new Map([[1, 500], [2, 20], [3, 20]])
    expect(rarestLabel([1, 2], freq)).toBe('2')
    expect(rarestLabel([3, 2, 1], freq)).toBe('2')
    expect(rarestLabel([], freq)).toBe('')
  })
})
