/** ECharts options for comparing runs: one metric of every run overlaid, best checkpoints marked. Pure. */
import type { EChartsCoreOption } from 'echarts/core'
import { isScore, runCurve, type XAxis } from '../compare/curves'
import type { RunDetail } from '@shared/domain/run'
import { formatNumber } from '../training/format'

const axisLabel = { color: '#5b6474' }
const splitLine = { lineStyle: { color: '#eef0f4' } }
const X_NAMES: Record<XAxis, string> = { step: 'step', epoch: 'epoch', wall: 'time since start (min:s)' }

/** Short tick labels: 0.3 rather than 0.300, 1:30 for a minute and a half. */
const trim = (v: number): string => String(Number(v.toPrecision(4)))
function xLabel(axis: XAxis): (v: number) => string {
  if (axis === 'wall') {
    return (v: number) => {
      const s = Math.round(v * 60)
      return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`
    }
  }
  return trim
}

export interface CurveInput {
  id: number
  label: string
  color: string
  series: RunDetail['series']
  bestStep: number | null
}

/** The metric of each run: smoothed line in the run's colour, raw points faint behind it (when smoothing), a pin at the best checkpoint. */
export function compareCurvesOption(runs: readonly CurveInput[], metric: string, axis: XAxis, smoothing: number): EChartsCoreOption {
  const score = isScore(metric)
  const fmt = (v: number): string => (score ? (v * 100).toFixed(2) : formatNumber(v))
  const series: Record<string, unknown>[] = []
  for (const r of runs) {
    const c = runCurve(r.series[metric], axis, smoothing, r.bestStep)
    const few = c.raw.length <= 30
    if (smoothing > 0) {
      series.push({ name: r.label, type: 'line', showSymbol: false, data: c.raw, lineStyle: { width: 1, color: r.color, opacity: 0.25 }, itemStyle: { color: r.color }, silent: true, tooltip: { show: false }, z: 1 })
    }
    series.push({
      name: r.label,
      type: 'line',
      showSymbol: few,
      symbolSize: 5,
      ...(few ? {} : { sampling: 'lttb' }),
      data: c.smoothed,
      lineStyle: { width: 2, color: r.color },
      itemStyle: { color: r.color },
      z: 2,
      markPoint: c.best
        ? {
            symbol: 'pin',
            symbolSize: 30,
            itemStyle: { color: r.color, borderColor: '#fff', borderWidth: 1 },
            label: { show: false },
            tooltip: { formatter: () => `${r.label}: best checkpoint, step ${r.bestStep} (${fmt(c.best![1])})` },
            data: [{ name: 'best checkpoint', coord: c.best }],
          }
        : undefined,
    })
  }
  return {
    grid: { left: 8, right: 18, top: 34, bottom: 24, containLabel: true },
    legend: { top: 0, left: 0, type: 'scroll', data: runs.map((r) => r.label), textStyle: { color: '#5b6474' }, itemWidth: 16, itemHeight: 8 },
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => fmt(v) },
    xAxis: { type: 'value', name: X_NAMES[axis], nameLocation: 'middle', nameGap: 24, nameTextStyle: { color: '#8a93a3', fontSize: 11 }, min: axis === 'step' ? 0 : 'dataMin', max: 'dataMax', minInterval: axis === 'step' ? 1 : undefined, axisLabel: { ...axisLabel, formatter: xLabel(axis), hideOverlap: true }, splitLine },
    yAxis: {
      type: 'value',
      scale: !score,
      ...(score ? { min: (v: { min: number }) => Math.max(0, Math.floor(v.min * 10) / 10), max: 1 } : {}),
      axisLabel: { ...axisLabel, formatter: (v: number) => (score ? `${Math.round(v * 100)}` : Math.abs(v) >= 1e-3 || v === 0 ? trim(v) : v.toExponential(1)) },
      splitLine,
    },
    series,
  }
}
