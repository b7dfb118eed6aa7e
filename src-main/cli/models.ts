/**
 * `tagtune models list | import | download | delete`: the model library from the command line,
 * through the same contract as the app. A download draws a progress bar on stderr (unless
 * --json); interrupted (Ctrl-C, a dropped connection), it resumes when run again.
 */
import { resolve } from 'node:path'
import type { Host } from '../host/create-host'
import { describeSource, formatBytes, formatParameters, type ModelDownloadProgress, type ModelImportResult, type ModelSummary } from '../../src-shared/domain/model-library'
import { UsageError, type ParsedArgs } from './args'
import type { CliIo } from './main'

function pad(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n)
}

export function formatModelLine(m: ModelSummary): string {
  const i = m.info
  const cols = [
    m.id.padStart(6),
    pad(m.name, 28),
    (i ? formatParameters(i.parameters) : '?').padStart(7),
    (i ? i.vocabSize.toLocaleString('en-US') : '?').padStart(7),
    pad(i ? i.language.hint : '?', 12),
    pad(i ? (i.cased ? 'cased' : 'uncased') : '?', 7),
    formatBytes(m.sizeBytes).padStart(8),
    describeSource(m.source),
  ]
  return cols.join('  ') + (m.problem ? `\n        ! ${m.problem}` : '')
}

export function formatModelList(list: ModelSummary[]): string {
  if (list.length === 0) return 'The library is empty. Add a model: tagtune models import FOLDER, or tagtune models download google-bert/bert-base-cased'
  const head = ['ID'.padStart(6), pad('NAME', 28), 'PARAMS'.padStart(7), 'VOCAB'.padStart(7), pad('LANGUAGE', 12), pad('CASE', 7), 'SIZE'.padStart(8), 'SOURCE'].join('  ')
  return [head, ...list.map(formatModelLine)].join('\n')
}

function formatImport(r: ModelImportResult): string {
  return [...r.report, `Added model #${r.model.id} "${r.model.name}": train from it with --model ${r.model.path}`].join('\n')
}

/** [#########........]  36%  model.safetensors  158.6 MB / 440.5 MB  (file 6/6) */
export function downloadLine(p: ModelDownloadProgress): string {
  if (p.phase === 'listing') return `Listing ${p.repo}@${p.revision} on ${p.endpoint} …`
  if (p.phase !== 'downloading') return `${p.phase[0]!.toUpperCase()}${p.phase.slice(1)} ${p.repo}@${p.revision} …`
  const frac = p.totalBytes ? Math.min(1, p.bytes / p.totalBytes) : 0
  const bar = '#'.repeat(Math.round(frac * 25)).padEnd(25, '.')
  const size = `${formatBytes(p.bytes)}${p.totalBytes ? ` / ${formatBytes(p.totalBytes)}` : ''}`
  return `[${bar}] ${String(Math.round(frac * 100)).padStart(3)}%  ${p.file ?? ''}  ${size}  (file ${p.fileIndex + 1}/${p.fileCount})${p.resumedFrom > 0 && p.fileBytes > p.resumedFrom ? `  resumed at ${formatBytes(p.resumedFrom)}` : ''}`
}

export async function modelsCommand(args: ParsedArgs, host: Host, io: CliIo, sub: string | undefined, rest: string[]): Promise<number> {
  const out = (json: unknown, text: string): number => {
    io.stdout((args.json ? JSON.stringify(json, null, 2) : text) + '\n')
    return 0
  }
  const one = (usage: string): string => {
    if (rest.length !== 1) throw new UsageError(`expected: tagtune ${usage}`)
    return rest[0]!
  }
  switch (sub) {
    case 'list': {
      if (rest.length) throw new UsageError('expected: tagtune models list')
      const list = await host.call('model.list', {})
      return out(list, formatModelList(list))
    }
    case 'import': {
      const folder = one('models import <folder> [--link] [--name NAME]')
      const r = await host.call('model.import', { path: resolve(folder), mode: args.link ? 'link' : 'copy', ...(args.name !== undefined ? { name: args.name } : {}) })
      return out(r, formatImport(r))
    }
    case 'download': {
      const repo = one('models download <repo> [--revision R] [--endpoint URL] [--proxy URL] [--token T]')
      const endpoint = args.endpoint ?? io.env.HF_ENDPOINT
      const token = args.token ?? io.env.HF_TOKEN ?? io.env.HUGGING_FACE_HUB_TOKEN
      let shown = false
      const off = args.json
        ? () => {}
        : host.onEvent((event, payload) => {
            if (event !== 'model.onDidDownloadProgress') return
            const p = payload as ModelDownloadProgress
            if (p.repo !== repo) return
            io.stderr(`\r${downloadLine(p).padEnd(100)}`)
            shown = true
          })
      try {
        const r = await host.call('model.download', {
          repo,
          ...(endpoint ? { endpoint } : {}),
          ...(args.revision !== undefined ? { revision: args.revision } : {}),
          ...(args.proxy !== undefined ? { proxy: args.proxy } : {}),
          ...(token ? { token } : {}),
          ...(args.name !== undefined ? { name: args.name } : {}),
        })
        return out(r, formatImport(r))
      } finally {
        off()
        if (shown) io.stderr('\n')
      }
    }
    case 'delete': {
      const id = one('models delete <id>')
      const m = await host.call('model.get', { id })
      await host.call('model.delete', { id })
      const linked = m.source.kind === 'local' && m.source.mode === 'link'
      return out({ id }, `Deleted model #${id} "${m.name}"${linked ? ` (its links; the folder ${m.source.kind === 'local' ? m.source.path : ''} was not touched)` : ` and its folder ${m.path}`}.`)
    }
    default:
      throw new UsageError(sub ? `unknown models command "${sub}"` : 'models needs a command: list, import, download or delete')
  }
}
