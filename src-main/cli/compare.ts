/**
 * `tagtune runs compare A B [...] [--baseline ID] [--mode strict] [--split dev] [--json]`: the
 * comparison the Compare view shows, as text: the runs, a warning when their data differ, the
 * settings that differ from the baseline, the per-type table (best checkpoint) with deltas, the
 * paired bootstrap of each run against the baseline, and the spread of repeated configs.
 */
import type { Host } from '../host/create-host'
import type { RunComparison } from '../../src-shared/domain/run-compare'
import { UsageError, type ParsedArgs } from './args'
import type { CliIo } from './main'

const pct = (x: number | null | undefined, digits = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : (x * 100).toFixed(digits))
const signed = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}`)

/** A config value in a cell: strings as they are, the rest as JSON, long ones cut. */
function cell(v: unknown, missing: boolean): string {
  if (missing) return '–'
  const s = typeof v === 'string' ? v : JSON.stringify(v)
  return s.length > 40 ? `…${s.slice(-39)}` : s
}

/** Columns padded to their widest cell; `left` columns (default the first) left-aligned, the others right-aligned. */
export function table(rows: readonly (readonly string[])[], left = 1, indent = '  '): string {
  const widths: number[] = []
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)))
  const pad = (c: string, i: number): string => {
    const fill = ' '.repeat(Math.max(0, widths[i]! - [...c].length))
    return i < left ? c + fill : fill + c
  }
  return rows.map((r) => indent + r.map(pad).join('  ').trimEnd()).join('\n')
}

export function formatComparison(c: RunComparison): string {
  const id = (runId: number): string => `#${runId}`
  const b = c.runs.findIndex((r) => r.run.id === c.baselineId)
  const lines: string[] = [`Comparing ${c.runs.map((r) => id(r.run.id)).join(', ')} on ${c.split} (best checkpoint, seqeval ${c.mode} mode); baseline ${id(c.baselineId)}.`, '']

  lines.push(
    table([
      ['run', 'name', 'recipe', 'model', 'snapshot', `${c.split} F1`, 'P', 'R', 'best dev F1'],
      ...c.runs.map((r, i) => [
        `${id(r.run.id)}${i === b ? '*' : ''}`,
        r.run.name.length > 28 ? `${r.run.name.slice(0, 27)}…` : r.run.name,
        r.recipe,
        r.modelName,
        r.run.datasetHash?.slice(0, 8) ?? '–',
        pct(r.evaluation?.f1),
        pct(r.evaluation?.precision),
        pct(r.evaluation?.recall),
        pct(r.run.bestMetric),
      ]),
    ], 5),
    '  (* baseline)',
  )
  if (c.snapshotsDiffer) {
    lines.push('', `Warning: the runs trained on different dataset snapshots (${c.snapshots.map((s) => `${s.hash?.slice(0, 8) ?? 'none'}: ${s.runIds.map(id).join(' ')}`).join('; ')}); their scores are not measured on the same data.`)
  }
  const missingEval = c.runs.filter((r) => !r.evaluation).map((r) => id(r.run.id))
  if (missingEval.length) lines.push('', `No ${c.split} evaluation in ${c.mode} mode for ${missingEval.join(', ')}.`)

  const differing = c.configDiff.filter((r) => r.differs)
  lines.push('', `Settings that differ from ${id(c.baselineId)}:`)
  lines.push(differing.length ? table([['setting', ...c.runs.map((r) => id(r.run.id))], ...differing.map((r) => [r.key, ...r.values.map((v, i) => cell(v, r.missing[i]!))])]) : '  none: the configs are the same.')

  lines.push('', `Per entity type, ${c.split} F1 × 100 (change against ${id(c.baselineId)}; * best of the row):`)
  const scoreCell = (s: { f1: number } | null, d: number | null, best: boolean, i: number): string => (s ? `${pct(s.f1)}${best ? '*' : ' '}${i === b ? '' : ` (${signed(d)})`}` : '–')
  lines.push(
    table([
      ['type', 'support', ...c.runs.map((r) => id(r.run.id))],
      ...c.perType.map((row) => [row.type, String(row.support), ...row.scores.map((s, i) => scoreCell(s, row.deltas[i]!, row.best === i, i))]),
      ['micro avg', String(c.runs[b]?.evaluation?.report.micro.support ?? '–'), ...c.micro.map((m, i) => scoreCell(m, m?.delta ?? null, false, i))],
    ]),
  )

  lines.push('', `Paired bootstrap against ${id(c.baselineId)} (micro F1 over ${c.split} documents, 95% interval):`)
  const boots = c.bootstrap.map((x, i) => ({ x, r: c.runs[i]! })).filter((e) => e.r.run.id !== c.baselineId)
  for (const { x, r } of boots) {
    if (!x) {
      lines.push(`  ${id(r.run.id)}: no stored predictions to resample.`)
      continue
    }
    const verdict = x.significant ? (x.delta > 0 ? 'better, significant' : 'worse, significant') : 'not significant'
    lines.push(`  ${id(r.run.id)}: ΔF1 ${signed(x.delta)}  [${signed(x.low)}, ${signed(x.high)}]  ${verdict}  (P(not better) ${x.pNotBetter.toFixed(3)}; ${x.documents} documents, ${x.samples} resamples, seed ${x.seed})`)
  }

  if (c.repeats.length) {
    lines.push('', 'Repeats of one config (different seeds):')
    for (const g of c.repeats) {
      lines.push(`  ${g.runIds.map(id).join(', ')}: ${c.split} F1 ${pct(g.f1.mean)} ± ${pct(g.f1.std)} (n = ${g.f1.n}, min ${pct(g.f1.min)}, max ${pct(g.f1.max)})${g.devF1 ? `; best dev F1 ${pct(g.devF1.mean)} ± ${pct(g.devF1.std)}` : ''}`)
    }
  }
  return `${lines.join('\n')}\n`
}

export async function runsCompareCommand(args: ParsedArgs, host: Host, io: CliIo, refs: readonly string[]): Promise<number> {
  if (refs.length < 2) throw new UsageError('expected: tagtune runs compare <run> <run> [...] [--baseline RUN] [--mode default|strict] [--split test|dev]')
  const bad = refs.find((r) => !/^\d+$/.test(r))
  if (bad !== undefined) throw new UsageError(`a run is named by its number (see tagtune runs list <project>), not "${bad}"`)
  const mode = args.mode ?? 'default'
  if (mode !== 'default' && mode !== 'strict') throw new UsageError(`--mode must be default or strict (not "${mode}")`)
  const split = args.split ?? 'test'
  if (split !== 'test' && split !== 'dev') throw new UsageError(`--split must be test or dev (not "${split}")`)
  if (args.baseline !== undefined && !/^\d+$/.test(args.baseline)) throw new UsageError(`--baseline takes a run number, not "${args.baseline}"`)
  const ids = refs.map(Number)
  const c = await host.call('run.compare', {
    ids,
    mode,
    split,
    ...(args.baseline !== undefined ? { baseline: Number(args.baseline) } : {}),
    ...(args.seed !== undefined ? { seed: args.seed } : {}),
  })
  io.stdout(args.json ? `${JSON.stringify(c, null, 2)}\n` : formatComparison(c))
  return 0
}
