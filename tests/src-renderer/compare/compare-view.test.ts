import { describe, expect, it } from 'vitest'
import { metricNames, runCurve } from '../../../src-renderer/src/compare/curves'
import { intervalsSvg } from '../../../src-renderer/src/compare/intervals'
import { configValue, delta } from '../../../src-renderer/src/compare/format'
import { compareCurvesOption } from '../../../src-renderer/src/charts/compare-options'

const pt = (step: number, value: number | null, epoch: number | null = step / 10, wallMs: number | null = step * 6000) => ({ step, epoch, wallMs, value })

describe('compared curves', () => {
  it('list every logged metric, the known ones first', () => {
    expect(metricNames([{ 'train/loss': [pt(1, 1)], 'zz/custom': [pt(1, 1)] }, { 'dev/f1': [pt(1, 0.5)], 'train/empty': [] }])).toEqual(['dev/f1', 'train/loss', 'zz/custom'])
  })

  it('put a run on step, epoch or wall-time axes, smooth it, and find its best checkpoint', () => {
    const points = [pt(10, 0.5), pt(20, 0.7), pt(30, null), pt(40, 0.6, null)]
    expect(runCurve(points, 'step', 0, 20)).toEqual({ raw: [[10, 0.5], [20, 0.7], [40, 0.6]], smoothed: [[10, 0.5], [20, 0.7], [40, 0.6]], best: [20, 0.7] })
    expect(runCurve(points, 'epoch', 0, null).raw).toEqual([[1, 0.5], [2, 0.7]])
    expect(runCurve(points, 'wall', 0, 40).best).toEqual([4, 0.6])
    const s = runCurve(points, 'step', 0.5, 99)
    expect(s.smoothed[0]).toEqual([10, 0.5])
    expect(s.smoothed[1]![1]).toBeCloseTo((0.5 * 0.5 * 0.5 + 0.5 * 0.7) / (1 - 0.25), 12)
    expect(s.best).toBeNull()
  })

  it('draw one line per run with a pin at its best checkpoint', () => {
    const o = compareCurvesOption(
      [
        { id: 1, label: '#1 a', color: '#111111', series: { 'dev/f1': [pt(6, 0.5), pt(12, 0.8)] }, bestStep: 12 },
        { id: 2, label: '#2 b', color: '#222222', series: { 'dev/f1': [pt(6, 0.6)] }, bestStep: null },
      ],
      'dev/f1',
      'step',
      0,
    ) as { series: { name: string; markPoint?: { data: { coord: number[] }[] } }[] }
    expect(o.series.map((s) => s.name)).toEqual(['#1 a', '#2 b'])
    expect(o.series[0]!.markPoint!.data[0]!.coord).toEqual([12, 0.8])
    expect(o.series[1]!.markPoint).toBeUndefined()
  })
})

describe('bootstrap forest plot', () => {
  it('draws one interval per run, filled dots for significant ones, labels escaped', () => {
    const svg = intervalsSvg([
      { label: '#2 <lora>', color: '#e8590c', delta: 0.1, low: 0.05, high: 0.15, significant: true },
      { label: '#3 seed', color: '#2b8a3e', delta: -0.01, low: -0.1, high: 0.08, significant: false },
    ])
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(svg).toContain('#2 &lt;lora&gt;')
    expect(svg).toContain('fill="#e8590c"')
    expect(svg).toContain('+10.0 [+5.0, +15.0]')
    expect(svg).toContain('−1.0 [−10.0, +8.0]')
    expect(svg.match(/<circle/g)).toHaveLength(2)
  })
})

describe('comparison formatting', () => {
  it('shows config values and deltas compactly', () => {
    expect(configValue(null, false)).toBe('none')
    expect(configValue(undefined, true)).toBe('–')
    expect(configValue('/home/ana/models/bert-base-multilingual-cased', false)).toBe('…/models/bert-base-multilingual-cased')
    expect(configValue({ method: 'lora' }, false)).toBe('{"method":"lora"}')
    expect(delta(0.1234)).toBe('+12.3')
    expect(delta(-0.004, 2)).toBe('−0.40')
    expect(delta(0)).toBe('±0.0')
    expect(delta(null)).toBe('')
  })
})

describe('config diff cells', () => {
  it('read "on" for a section a run turned on, "none" where it is off, "–" for keys a run lacks', async () => {
    const { configCells } = await import('../../../src-renderer/src/compare/format')
    const rows = [
      { key: 'peft', values: [null, null], missing: [false, true] },
      { key: 'peft.method', values: [null, 'lora'], missing: [true, false] },
      { key: 'stride', values: [8, null], missing: [false, true] },
    ]
    expect(configCells(rows)).toEqual([
      ['none', 'on'],
      ['–', 'lora'],
      ['8', '–'],
    ])
  })
})
