/** ECharts options for the dataset statistics, built from the stats object. Pure. */
import type { EChartsCoreOption } from 'echarts/core'
import { SPLITS, type DatasetStats } from '@shared/domain/dataset'

export const SPLIT_COLORS: Record<string, string> = { train: '#3b5bdb', dev: '#f59f00', test: '#2b8a3e', unassigned: '#adb5bd' }

const axisLabel = { color: '#5b6474' }

/** Entities per label, stacked by split. */
export function entitiesOption(s: DatasetStats): EChartsCoreOption {
  const labels = s.entities.map((e) => e.label)
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 0, data: [...SPLITS] },
    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: 'value', axisLabel },
    yAxis: { type: 'category', data: labels, inverse: true, axisLabel },
    series: SPLITS.map((sp) => ({
      name: sp,
      type: 'bar',
      stack: 'split',
      itemStyle: { color: SPLIT_COLORS[sp] },
      data: s.entities.map((e) => e.perSplit[sp]),
    })),
  }
}

/** Documents per split as a ring. */
export function splitsOption(s: DatasetStats): EChartsCoreOption {
  return {
    tooltip: { trigger: 'item', formatter: '{b}: {c} documents ({d}%)' },
    legend: { bottom: 0 },
    series: [
      {
        type: 'pie',
        radius: ['45%', '72%'],
        center: ['50%', '45%'],
        label: { formatter: '{b}: {c}' },
        data: SPLITS.filter((sp) => s.documents[sp] > 0).map((sp) => ({ name: sp, value: s.documents[sp], itemStyle: { color: SPLIT_COLORS[sp] } })),
      },
    ],
  }
}

/** Entity lengths in characters. */
export function lengthsOption(s: DatasetStats): EChartsCoreOption {
  return {
    tooltip: { trigger: 'axis' },
    grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
    xAxis: { type: 'category', name: 'characters', nameLocation: 'middle', nameGap: 26, data: s.spanLengths.map((b) => `${b.length}${b.orLonger ? '+' : ''}`), axisLabel },
    yAxis: { type: 'value', axisLabel },
    series: [{ type: 'bar', name: 'entities', itemStyle: { color: '#5c7cfa' }, data: s.spanLengths.map((b) => b.count) }],
  }
}

/** Documents in which two labels occur together. */
export function cooccurrenceOption(s: DatasetStats): EChartsCoreOption {
  const { labels, matrix } = s.cooccurrence
  const data: [number, number, number][] = []
  let max = 0
  matrix.forEach((row, i) =>
    row.forEach((v, j) => {
      data.push([j, i, v])
      max = Math.max(max, v)
    }),
  )
  return {
    tooltip: { formatter: (p: { data: [number, number, number] }) => `${labels[p.data[1]]} + ${labels[p.data[0]]}: ${p.data[2]} documents` },
    grid: { left: 8, right: 16, top: 8, bottom: 48, containLabel: true },
    xAxis: { type: 'category', data: labels, axisLabel: { ...axisLabel, rotate: 30 } },
    yAxis: { type: 'category', data: labels, inverse: true, axisLabel },
    visualMap: { min: 0, max: Math.max(1, max), calculable: false, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 120, inRange: { color: ['#f1f3f5', '#3b5bdb'] } },
    series: [{ type: 'heatmap', data, label: { show: labels.length <= 10 } }],
  }
}
