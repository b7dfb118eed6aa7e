/** ECharts options for a training run: its curves and its test confusion matrix. Pure. */
import type { EChartsCoreOption } from 'echarts/core'
import type { EntityConfusion } from '@shared/domain/ner-eval'
import { bestPoint, smooth, type Point } from '../training/curves'
import { formatNumber } from '../training/format'

const axisLabel = { color: '#5b6474' }
const splitLine = { lineStyle: { color: '#eef0f4' } }

/** Steps on x, up to `lastStep` (the run's latest step, shared by the four charts so they line up). */
function stepAxis(lastStep: number | null): Record<string, unknown> {
  return { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 22, nameTextStyle: { color: '#8a93a3', fontSize: 11 }, min: 0, max: lastStep && lastStep > 0 ? lastStep : 'dataMax', minInterval: 1, axisLabel, splitLine }
}

function frame(lastStep: number | null, legend: boolean): EChartsCoreOption {
  return {
    grid: { left: 8, right: 14, top: legend ? 30 : 14, bottom: 18, containLabel: true },
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => formatNumber(v) },
    xAxis: stepAxis(lastStep),
  }
}

/** 1.2e-3, 1e-3, 5e-5: short and distinct tick labels for learning rates. */
export function formatRate(v: number): string {
  if (v === 0) return '0'
  return v.toExponential(1).replace('.0e', 'e')
}

/** Training loss per step, raw (faint) and smoothed (TensorBoard's debiased EMA). */
export function lossOption(loss: readonly Point[], smoothing: number, lastStep: number | null): EChartsCoreOption {
  const smoothed = smooth(loss.map((p) => p[1]), smoothing)
  return {
    ...frame(lastStep, true),
    legend: { top: 0, right: 8, data: ['raw', 'smoothed'], textStyle: { color: '#5b6474' } },
    yAxis: { type: 'value', scale: true, axisLabel, splitLine },
    series: [
      { name: 'raw', type: 'line', showSymbol: false, sampling: 'lttb', data: loss, lineStyle: { width: 1, color: '#a5b4fc' }, itemStyle: { color: '#a5b4fc' } },
      { name: 'smoothed', type: 'line', showSymbol: false, sampling: 'lttb', data: loss.map((p, i) => [p[0], smoothed[i]]), lineStyle: { width: 2.2, color: '#3b5bdb' }, itemStyle: { color: '#3b5bdb' } },
    ],
  }
}

export function learningRateOption(lr: readonly Point[], lastStep: number | null): EChartsCoreOption {
  return {
    ...frame(lastStep, false),
    yAxis: { type: 'value', axisLabel: { ...axisLabel, formatter: formatRate }, splitLine },
    series: [{ name: 'learning rate', type: 'line', showSymbol: false, sampling: 'lttb', data: lr, lineStyle: { width: 2, color: '#f59f00' }, itemStyle: { color: '#f59f00' }, areaStyle: { color: 'rgba(245, 159, 0, 0.08)' } }],
  }
}

/** Dev entity F1 per evaluation, the best one marked. */
export function devF1Option(f1: readonly Point[], bestStep: number | null, lastStep: number | null): EChartsCoreOption {
  const best = bestPoint(f1, bestStep)
  return {
    ...frame(lastStep, false),
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => `${(v * 100).toFixed(2)}` },
    yAxis: { type: 'value', min: 0, max: 1, axisLabel: { ...axisLabel, formatter: (v: number) => `${Math.round(v * 100)}` }, splitLine },
    series: [
      {
        name: 'dev F1',
        type: 'line',
        data: f1,
        symbol: 'circle',
        symbolSize: 6,
        lineStyle: { width: 2, color: '#2b8a3e' },
        itemStyle: { color: '#2b8a3e' },
        markPoint: best
          ? {
              symbol: 'pin',
              symbolSize: 44,
              itemStyle: { color: '#2b8a3e' },
              label: { formatter: `${(best[1] * 100).toFixed(1)}`, fontSize: 10, fontWeight: 600 },
              data: [{ name: 'best', coord: best, value: best[1] }],
            }
          : undefined,
      },
    ],
  }
}

export function tokensPerSecondOption(tps: readonly Point[], lastStep: number | null): EChartsCoreOption {
  const smoothed = smooth(tps.map((p) => p[1]), 0.8)
  return {
    ...frame(lastStep, false),
    yAxis: { type: 'value', min: 0, axisLabel, splitLine },
    series: [
      { name: 'tokens/s', type: 'line', showSymbol: false, sampling: 'lttb', data: tps, lineStyle: { width: 1, color: '#c5b3f6' }, itemStyle: { color: '#c5b3f6' } },
      { name: 'tokens/s (smoothed)', type: 'line', showSymbol: false, sampling: 'lttb', data: tps.map((p, i) => [p[0], smoothed[i]]), lineStyle: { width: 2, color: '#7048e8' }, itemStyle: { color: '#7048e8' } },
    ],
  }
}

/** Gold types (rows, plus predictions with no gold: 'spurious') against predicted types (columns, plus 'missed'). */
export function confusionOption(c: EntityConfusion): EChartsCoreOption {
  const data: [number, number, number][] = []
  let max = 0
  c.matrix.forEach((row, i) =>
    row.forEach((v, j) => {
      data.push([j, i, v])
      if (i !== j || i >= c.labels.length) max = Math.max(max, v)
    }),
  )
  const diag = c.matrix.map((row, i) => row[i] ?? 0).slice(0, c.labels.length)
  return {
    tooltip: {
      formatter: (p: { data: [number, number, number] }) => {
        const gold = c.rowLabels[p.data[1]]
        const pred = c.colLabels[p.data[0]]
        const what = gold === 'spurious' ? `predicted ${pred} where there is no entity` : pred === 'missed' ? `gold ${gold} not found` : gold === pred ? `${gold} found with the right type` : `gold ${gold} predicted as ${pred}`
        return `${what}: ${p.data[2]}`
      },
    },
    grid: { left: 8, right: 16, top: 30, bottom: 30, containLabel: true },
    xAxis: { type: 'category', data: c.colLabels, name: 'predicted', nameLocation: 'middle', nameGap: 26, nameTextStyle: { color: '#5b6474', fontWeight: 600 }, position: 'bottom', axisLabel: { ...axisLabel, interval: 0, rotate: c.colLabels.length > 6 ? 30 : 0 }, splitArea: { show: true } },
    // Inverted so the first type is on top; 'start' is then the top end, where the title belongs.
    yAxis: { type: 'category', data: c.rowLabels, name: 'gold', nameLocation: 'start', nameTextStyle: { color: '#5b6474', fontWeight: 600 }, inverse: true, axisLabel, splitArea: { show: true } },
    // Every cell carries its count, so the colour scale needs no legend.
    visualMap: { show: false, min: 0, max: Math.max(1, max, ...diag), inRange: { color: ['#f8f9fa', '#bac8ff', '#3b5bdb'] } },
    series: [{ type: 'heatmap', data, label: { show: c.colLabels.length <= 12, color: '#1d2330' }, emphasis: { itemStyle: { borderColor: '#1d2330', borderWidth: 1 } } }],
  }
}
