/**
 * A run's curves for the live view: training loss, learning rate, tokens/s per step and dev F1
 * per evaluation, built from the stored series and extended by progress events as they come.
 * A resumed run reports steps again from its checkpoint: a point at or before the last one
 * replaces the tail. Pure (the arrays are mutated in place for speed; callers own them).
 */
import type { RunDetail, RunProgress } from '@shared/domain/run'

export type Point = [step: number, value: number]

export interface Curves {
  loss: Point[]
  learningRate: Point[]
  tokensPerSecond: Point[]
  devF1: Point[]
}

export function emptyCurves(): Curves {
  return { loss: [], learningRate: [], tokensPerSecond: [], devF1: [] }
}

const NAMES: Record<keyof Curves, string> = { loss: 'train/loss', learningRate: 'train/learning_rate', tokensPerSecond: 'train/tokens_per_second', devF1: 'dev/f1' }

export function curvesFromSeries(series: RunDetail['series']): Curves {
  const c = emptyCurves()
  for (const key of Object.keys(NAMES) as (keyof Curves)[]) {
    for (const p of series[NAMES[key]] ?? []) if (p.value !== null) c[key].push([p.step, p.value])
  }
  return c
}

/** Appends `value` at `step`, first dropping points at or after `step` (a resumed run logs them again). */
export function upsert(points: Point[], step: number, value: number | undefined): void {
  if (value === undefined || !Number.isFinite(value)) return
  while (points.length > 0 && points[points.length - 1]![0] >= step) points.pop()
  points.push([step, value])
}

/** Adds a progress event's values; returns whether anything changed. */
export function addProgress(c: Curves, p: RunProgress): boolean {
  if (p.step === undefined) return false
  if (p.kind === 'step') {
    upsert(c.loss, p.step, p.loss)
    upsert(c.learningRate, p.step, p.learningRate)
    upsert(c.tokensPerSecond, p.step, p.tokensPerSecond)
    return true
  }
  if (p.kind === 'eval') {
    upsert(c.devF1, p.step, p.f1)
    return true
  }
  return false
}

/**
 * TensorBoard's smoothing: an exponential moving average with weight `w` in [0, 1), debiased so
 * that the first points are not pulled towards 0.
 */
export function smooth(values: readonly number[], w: number): number[] {
  const out: number[] = []
  let last = 0
  let n = 0
  for (const v of values) {
    if (!Number.isFinite(v)) {
      out.push(v)
      continue
    }
    last = last * w + (1 - w) * v
    n++
    out.push(w === 0 ? v : last / (1 - w ** n))
  }
  return out
}

/** The best dev F1 point: at the run's best step when known, else the first maximum. */
export function bestPoint(devF1: readonly Point[], bestStep: number | null): Point | null {
  if (bestStep !== null) {
    const at = devF1.find((p) => p[0] === bestStep)
    if (at) return at
  }
  let best: Point | null = null
  for (const p of devF1) if (!best || p[1] > best[1]) best = p
  return best
}
