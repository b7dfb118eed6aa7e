/** Numbers and settings as the comparison shows them (view and reports alike). Pure. */
import type { BootstrapJson } from '@shared/domain/run-compare'
import type { SpanErrorKind } from '@shared/domain/compare'

/** A config value in a cell: "none" for null, paths cut to their last parts, objects as compact JSON. */
export function configValue(v: unknown, missing: boolean): string {
  if (missing) return '–'
  if (v === null) return 'none'
  if (typeof v === 'string') return /[\\/]/.test(v) && v.length > 32 ? `…/${v.split(/[\\/]/).filter(Boolean).slice(-2).join('/')}` : v
  if (typeof v === 'number') return String(v)
  return JSON.stringify(v)
}

export interface DiffRowLike {
  key: string
  values: unknown[]
  missing: boolean[]
}

/**
 * The cells of a config diff as shown: a section a run turned on (its keys are listed below,
 * e.g. "peft.rank") reads "on" where another run's section reads "none"; a key the run lacks reads "–".
 */
export function configCells(rows: readonly DiffRowLike[], all: readonly DiffRowLike[] = rows): string[][] {
  return rows.map((row) =>
    row.values.map((v, i) => {
      if (row.missing[i] && all.some((r) => r.key.startsWith(`${row.key}.`) && !r.missing[i])) return 'on'
      return configValue(v, row.missing[i]!)
    }),
  )
}

/** +1.23 / −0.40 (× 100), or '' without a value. */
export function delta(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return ''
  const v = x * 100
  if (Math.abs(v) < 0.5 * 10 ** -digits) return `±${(0).toFixed(digits)}`
  return `${v > 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}`
}

export function verdict(b: BootstrapJson): string {
  if (!b.significant) return 'not significant'
  return b.delta > 0 ? 'better (significant)' : 'worse (significant)'
}

export const KIND_TITLES: Record<SpanErrorKind, string> = {
  missed: 'missed',
  spurious: 'spurious',
  'wrong-type': 'wrong type',
  'wrong-boundary': 'wrong boundary',
  'wrong-both': 'wrong type and boundary',
}
