/**
 * `tagtune export RUN --format hf|tfjs|int8 --out DIR [--force] [--json]`: a run's best model
 * as a Hugging Face folder, tfjs weights, or int8 tfjs weights, through the run.export channel.
 */
import { resolve } from 'node:path'
import type { Host } from '../host/create-host'
import { MODEL_EXPORT_FORMATS, type ModelExportFormat, type RunExportResult } from '../../src-shared/domain/export'
import { formatBytes } from '../services/export/card'
import { UsageError, type ParsedArgs } from './args'
import type { CliIo } from './main'

const points = (x: number): string => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}`
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`.padStart(6)

export function formatExportResult(r: RunExportResult): string {
  const width = Math.max(...r.files.map((f) => f.name.length))
  const lines = [
    `Exported run ${r.runId} (${r.checkpoint} checkpoint) as ${r.format} to ${r.dir} in ${r.seconds.toFixed(1)} s:`,
    ...r.files.map((f) => `  ${f.name.padEnd(width)}  ${formatBytes(f.bytes).padStart(9)}`),
    `  ${'total'.padEnd(width)}  ${formatBytes(r.totalBytes).padStart(9)}`,
  ]
  const q = r.quantization
  if (q) {
    lines.push(
      '',
      `int8 against float32 on the ${q.split} split (${q.documents} documents):`,
      `  entity F1   float ${pct(q.floatF1)}   int8 ${pct(q.int8F1)}   difference ${points(q.difference)} points`,
      ...q.perType.map((t) => `  ${t.type.padEnd(10)}  float ${pct(t.float)}   int8 ${pct(t.int8)}   (${t.support} entities)`),
      `  weights     float ${formatBytes(q.floatBytes)}   int8 ${formatBytes(q.int8Bytes)}   size ratio ${q.sizeRatio.toFixed(3)}`,
      `  the same spans: agreement F1 ${pct(q.spanAgreement)}, ${q.identicalDocuments} of ${q.documents} documents identical`,
    )
  }
  for (const w of r.warnings) lines.push('', `Note: ${w}`)
  return lines.join('\n')
}

export async function exportCommand(args: ParsedArgs, host: Host, io: CliIo, runId: number): Promise<number> {
  if (!args.format || !(MODEL_EXPORT_FORMATS as readonly string[]).includes(args.format)) {
    throw new UsageError(`export needs --format ${MODEL_EXPORT_FORMATS.join('|')}${args.format ? ` (not "${args.format}")` : ''}`)
  }
  if (!args.out) throw new UsageError('export needs --out DIR (a new or empty folder; --force to write into one that is not)')
  const result = await host.call('run.export', { id: runId, format: args.format as ModelExportFormat, path: resolve(args.out), force: args.force })
  io.stdout(`${args.json ? JSON.stringify(result, null, 2) : formatExportResult(result)}\n`)
  return 0
}
