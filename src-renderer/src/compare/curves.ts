/**
 * Curves of several runs on one chart: any logged metric against step, epoch or wall time,
 * smoothed (TensorBoard's debiased EMA), with each run's best checkpoint located on its curve.
 * Pure.
 */
import type { RunDetail } from '@shared/domain/run'
import { smooth } from '../training/curves'

export type XAxis = 'step' | 'epoch' | 'wall'
export type XY = [x: number, y: number]
type Series = RunDetail['series'][string]

/** Names for the metrics the trainer logs; others show as logged. */
const TITLES: Record<string, string> = {
  'dev/f1': 'dev entity F1',
  'dev/precision': 'dev precision',
  'dev/recall': 'dev recall',
  'dev/accuracy': 'dev token accuracy',
  'train/loss': 'training loss',
  'train/learning_rate': 'learning rate',
  'train/grad_norm': 'gradient norm',
  'train/tokens_per_second': 'tokens per second',
  'train/examples_seen': 'examples seen',
}
const ORDER = Object.keys(TITLES)

export const metricTitle = (name: string): string => TITLES[name] ?? name
/** Scores in [0, 1] shown × 100. */
export const isScore = (name: string): boolean => /(^|\/)(f1|precision|recall|accuracy)$/.test(name)

/** Every metric some run logged: the known ones in a sensible order, then the rest by name. */
export function metricNames(series: readonly RunDetail['series'][]): string[] {
  const names = new Set(series.flatMap((s) => Object.keys(s).filter((k) => (s[k]?.length ?? 0) > 0)))
  return [...names].sort((a, b) => {
    const i = ORDER.indexOf(a)
    const j = ORDER.indexOf(b)
    return (i < 0 ? 99 : i) - (j < 0 ? 99 : j) || a.localeCompare(b)
  })
}

function xOf(p: Series[number], axis: XAxis): number | null {
  if (axis === 'step') return p.step
  if (axis === 'epoch') return p.epoch
  return p.wallMs === null ? null : p.wallMs / 60_000
}

export interface RunCurve {
  raw: XY[]
  smoothed: XY[]
  /** The raw point at the run's best step (where its best checkpoint was saved), if it is on this curve. */
  best: XY | null
}

/** One run's points of a metric on the chosen axis (points without that coordinate or value left out). */
export function runCurve(points: Series | undefined, axis: XAxis, smoothing: number, bestStep: number | null): RunCurve {
  const raw: XY[] = []
  let best: XY | null = null
  const steps: number[] = []
  for (const p of points ?? []) {
    const x = xOf(p, axis)
    if (x === null || p.value === null || !Number.isFinite(p.value)) continue
    raw.push([x, p.value])
    steps.push(p.step)
  }
  const s = smooth(
    raw.map((p) => p[1]),
    smoothing,
  )
  const smoothed = raw.map((p, i): XY => [p[0], s[i]!])
  if (bestStep !== null) {
    const i = steps.indexOf(bestStep)
    if (i >= 0) best = raw[i]!
  }
  return { raw, smoothed, best }
}
