import { describe, expect, it } from 'vitest'
import { addProgress, bestPoint, curvesFromSeries, emptyCurves, smooth, upsert, type Point } from '../../../src-renderer/src/training/curves'
import { formatBytes, formatCount, formatDuration, formatNumber, pct } from '../../../src-renderer/src/training/format'

const pt = (step: number, value: number | null) => ({ step, epoch: null, wallMs: null, value })

describe('run curves', () => {
  it('come from the stored series, leaving out NaN points', () => {
    const c = curvesFromSeries({ 'train/loss': [pt(1, 2), pt(2, null), pt(3, 1)], 'dev/f1': [pt(3, 0.5)], 'train/grad_norm': [pt(1, 9)] })
    expect(c).toEqual({ loss: [[1, 2], [3, 1]], learningRate: [], tokensPerSecond: [], devF1: [[3, 0.5]] })
  })

  it('grow with step and eval events; a resumed run replaces the steps it trains again', () => {
    const c = emptyCurves()
    for (let s = 1; s <= 5; s++) addProgress(c, { runId: 1, projectId: 1, kind: 'step', step: s, loss: 10 - s, learningRate: 0.1, tokensPerSecond: 100 })
    expect(addProgress(c, { runId: 1, projectId: 1, kind: 'eval', step: 5, f1: 0.4 })).toBe(true)
    expect(addProgress(c, { runId: 1, projectId: 1, kind: 'log', message: 'x' })).toBe(false)
    addProgress(c, { runId: 1, projectId: 1, kind: 'step', step: 4, loss: 1 })
    expect(c.loss).toEqual([[1, 9], [2, 8], [3, 7], [4, 1]])
    expect(c.devF1).toEqual([[5, 0.4]])
    const p: Point[] = [[1, 1]]
    upsert(p, 2, Number.NaN)
    upsert(p, 2, undefined)
    expect(p).toEqual([[1, 1]])
  })

  it("smooth as TensorBoard does (debiased exponential moving average)", () => {
    expect(smooth([1, 2, 3], 0)).toEqual([1, 2, 3])
    const s = smooth([4, 4, 4], 0.9)
    for (const v of s) expect(v).toBeCloseTo(4, 12)
    const [a, b] = smooth([0, 10], 0.5)
    expect(a).toBe(0)
    // (0.5·0.5·0 + 0.5·10) / (1 − 0.25) = 5 / 0.75
    expect(b).toBeCloseTo(20 / 3, 12)
  })

  it('mark the best dev F1 at the run’s best step, else the first maximum', () => {
    const f1: Point[] = [[10, 0.5], [20, 0.8], [30, 0.8], [40, 0.7]]
    expect(bestPoint(f1, null)).toEqual([20, 0.8])
    expect(bestPoint(f1, 30)).toEqual([30, 0.8])
    expect(bestPoint([], null)).toBeNull()
  })
})

describe('formatting', () => {
  it('durations, bytes, counts and scores', () => {
    expect(formatDuration(120)).toBe('< 1 s')
    expect([formatDuration(999), formatDuration(61_000), formatDuration(3_725_000), formatDuration(null), formatDuration(3 * 86_400_000)]).toEqual(['1 s', '1 min 01 s', '1 h 02 min', '–', '3 d 0 h'])
    expect([formatBytes(512), formatBytes(1536), formatBytes(5 * 1024 ** 3)]).toEqual(['512 B', '1.5 KB', '5.0 GB'])
    expect([formatCount(23_525), formatCount(4_400_000), formatCount(108_898_569)]).toEqual(['23,525', '4.40 M', '108.9 M'])
    expect([pct(0.87345), pct(null), formatNumber(5e-5), formatNumber(0.4321), formatNumber(12.34)]).toEqual(['87.3', '–', '5.00e-5', '0.432', '12.3'])
  })
})
