/**
 * Learning-rate schedules as transformers defines them: linear warmup from 0, then linear
 * decay to 0, half-cosine decay to 0, or constant. `step` is the 0-based index of the update
 * about to be applied, so with warmup the first update uses a learning rate of 0, exactly as
 * get_linear_schedule_with_warmup does. Pure.
 */
export type ScheduleKind = 'linear' | 'cosine' | 'constant'

export interface Schedule {
  kind: ScheduleKind
  peak: number
  warmupSteps: number
  totalSteps: number
}

export function warmupSteps(totalSteps: number, warmupRatio: number): number {
  return Math.ceil(totalSteps * warmupRatio)
}

export function learningRate(s: Schedule, step: number): number {
  if (step < s.warmupSteps) return (s.peak * step) / Math.max(1, s.warmupSteps)
  if (s.kind === 'constant') return s.peak
  const span = Math.max(1, s.totalSteps - s.warmupSteps)
  const progress = (step - s.warmupSteps) / span
  if (s.kind === 'linear') return s.peak * Math.max(0, (s.totalSteps - step) / span)
  return s.peak * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)))
}
