/**
 * `tagtune <command>`: the CLI over the same host and contract as the app. Every command
 * validates through the contract, so the CLI can do nothing the UI could not.
 */
import { createHost, type Host } from '../host/create-host'
import { startServer } from '../host/ws-server'
import { resolveDataDir } from '../config/data-dir'
import { isBackendPreference } from '../engine/backend'
import { AppError, type AppErrorShape } from '../../src-shared/ipc/errors'
import { TAG_SCHEMES, type Project, type TagScheme } from '../../src-shared/domain/project'
import { USAGE, UsageError, parseCliArgs, splitLabels, type ParsedArgs } from './args'
import { formatError, formatImportReport, formatInfo, formatProject, formatProjectLine, formatStats } from './format'
import { resolve } from 'node:path'
import type { ImportProgress, ImportReport } from '../../src-shared/domain/dataset'
import { SAMPLE_CREDIT } from '../services/sample'
import { evalCommand, predictCommand, pretrainCommand, runsListCommand, trainCommand } from './runs'
import { runsCompareCommand } from './compare'
import { modelsCommand } from './models'
import { exportCommand } from './export'
import { serveModelCommand } from './serve-model'

export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  env: NodeJS.ProcessEnv
  /** Folder of the built renderer, for `serve`. */
  staticDir: string
  /** Folder of the bundled resources (sample data). */
  resourcesDir: string
  /** Resolves when the user asks `serve` to stop (Ctrl-C). */
  untilStopped?: () => Promise<void>
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let args: ParsedArgs
  try {
    args = parseCliArgs(argv)
  } catch (err) {
    io.stderr(`error: ${(err as Error).message}\n\n${USAGE}`)
    return 2
  }
  if (args.help || args.command.length === 0) {
    ;(args.help ? io.stdout : io.stderr)(USAGE)
    return args.help ? 0 : 2
  }
  if (args.backend !== undefined && !isBackendPreference(args.backend)) {
    io.stderr(`error: --backend must be one of auto, tensorflow-gpu, tensorflow, wasm, cpu (not "${args.backend}")\n`)
    return 2
  }

  const report = (e: AppErrorShape): number => {
    io.stderr(args.json ? JSON.stringify({ error: e }) + '\n' : formatError(e) + '\n')
    return 1
  }

  let host: Host
  try {
    host = createHost({
      dataDir: resolveDataDir({ flag: args.dataDir, env: io.env }),
      kind: args.command[0] === 'serve' ? 'server' : 'cli',
      ...(args.backend ? { backend: args.backend as never } : {}),
      resourcesDir: io.resourcesDir,
      warmBackend: args.command[0] === 'serve',
    })
  } catch (err) {
    return report(err instanceof AppError ? err.toShape() : { code: 'INTERNAL', message: (err as Error).message })
  }

  try {
    return await dispatch(args, host, io)
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`error: ${err.message}\n\n${USAGE}`)
      return 2
    }
    return report(err instanceof AppError ? err.toShape() : { code: 'INTERNAL', message: (err as Error).message })
  } finally {
    host.close()
  }
}

async function dispatch(args: ParsedArgs, host: Host, io: CliIo): Promise<number> {
  const out = (json: unknown, text: string): number => {
    io.stdout((args.json ? JSON.stringify(json, null, 2) : text) + '\n')
    return 0
  }
  const [cmd, sub, ...rest] = args.command

  switch (cmd) {
    case 'info': {
      const info = await host.call('app.info', {})
      return out(info, formatInfo(info))
    }
    case 'project': {
      switch (sub) {
        case 'list': {
          const list = await host.call('project.list', {})
          return out(list, list.length ? list.map(formatProjectLine).join('\n') : 'No projects yet. Create one: tagtune project create NAME --labels PER,ORG,LOC')
        }
        case 'show': {
          const p = await findProject(host, one(rest, 'project show <id|name>'))
          return out(p, formatProject(p))
        }
        case 'create': {
          const name = one(rest, 'project create <name>')
          if (args.scheme !== undefined && !(TAG_SCHEMES as readonly string[]).includes(args.scheme.toLowerCase())) {
            throw new UsageError(`--scheme must be one of ${TAG_SCHEMES.join(', ')} (not "${args.scheme}")`)
          }
          const p = await host.call('project.create', {
            name,
            labels: splitLabels(args.labels).map((n) => ({ name: n })),
            ...(args.scheme ? { tagScheme: args.scheme.toLowerCase() as TagScheme } : {}),
            ...(args.description !== undefined ? { description: args.description } : {}),
          })
          return out(p, `Created project #${p.id} "${p.name}" with ${p.labels.length} label(s).\n` + formatProject(p))
        }
        case 'delete': {
          const p = await findProject(host, one(rest, 'project delete <id|name> --yes'))
          if (!args.yes) throw new UsageError(`deleting "${p.name}" removes it for good: add --yes to confirm`)
          await host.call('project.delete', { id: p.id })
          return out({ id: p.id }, `Deleted project #${p.id} "${p.name}".`)
        }
        default:
          throw new UsageError(sub ? `unknown project command "${sub}"` : 'project needs a command: list, show, create or delete')
      }
    }
    case 'sample': {
      const p = await host.call('project.createSample', {})
      const stats = await host.call('dataset.stats', { projectId: p.id })
      return out({ project: p, stats }, `Created project #${p.id} "${p.name}".\n${formatStats(p, stats)}\n\n${SAMPLE_CREDIT}`)
    }
    case 'data': {
      const project = await findProject(host, one(rest.slice(0, 1), `data ${sub ?? '<command>'} <project> ...`))
      switch (sub) {
        case 'import': {
          const files = rest.slice(1)
          if (files.length === 0) throw new UsageError('expected: tagtune data import <project> <file>...')
          const stopProgress = args.json ? () => {} : showProgress(host, io)
          try {
            const report = await host.call('dataset.import', {
              projectId: project.id,
              files: files.map((f) => ({ path: resolve(f) })),
              ...(args.format ? { format: args.format as never } : {}),
              ...(args.encoding ? { encoding: args.encoding as never } : {}),
              ...(args.scheme ? { scheme: args.scheme.toLowerCase() as never } : {}),
              ...(args.split ? { split: args.split as never } : {}),
              ...(args.tagColumn !== undefined ? { tagColumn: args.tagColumn } : {}),
              ...(args.separator ? { separator: args.separator as never } : {}),
              ...(args.invalidTags ? { invalidTags: args.invalidTags as never } : {}),
              weiboDigits: args.weibo,
              unknownLabels: args.addLabels ? 'add' : 'reject',
              dryRun: args.dryRun,
            })
            stopProgress()
            return out(report, formatImportReport(report))
          } catch (err) {
            stopProgress()
            if (err instanceof AppError && err.code === 'INVALID_FILE' && !args.json && err.details) {
              io.stderr(formatImportReport(err.details as ImportReport) + '\n')
            }
            throw err
          }
        }
        case 'export': {
          if (!args.format) throw new UsageError('data export needs --format (conll, doccano, label-studio, spacy, cluener, brat, text)')
          if (!args.out) throw new UsageError('data export needs --out PATH (a folder for brat)')
          const r = await host.call('dataset.export', {
            projectId: project.id,
            format: args.format as never,
            path: resolve(args.out),
            ...(args.split ? { split: args.split as never } : {}),
            ...(args.scheme ? { scheme: args.scheme.toLowerCase() as never } : {}),
          })
          return out(r, `Exported ${r.documents} documents with ${r.spans} entities to ${r.files.length === 1 ? r.files[0] : `${r.files.length} files in ${resolve(args.out)}`} (${r.seconds.toFixed(1)} s).`)
        }
        case 'stats': {
          const stats = await host.call('dataset.stats', { projectId: project.id })
          return out(stats, formatStats(project, stats))
        }
        case 'split': {
          if (!args.ratios) throw new UsageError('data split needs --ratios train,dev,test such as 0.8,0.1,0.1')
          const r = await host.call('dataset.split', {
            projectId: project.id,
            ratios: args.ratios,
            ...(args.seed !== undefined ? { seed: args.seed } : {}),
            stratify: args.stratify,
            scope: args.onlyUnassigned ? 'unassigned' : 'all',
          })
          const d = r.documents as Record<string, number>
          return out(r, `Moved ${r.changed} documents. Now: train ${d['train'] ?? 0}, dev ${d['dev'] ?? 0}, test ${d['test'] ?? 0}, unassigned ${d['unassigned'] ?? 0}.`)
        }
        default:
          throw new UsageError(sub ? `unknown data command "${sub}"` : 'data needs a command: import, export, stats or split')
      }
    }
    case 'train':
      return trainCommand(args, host, io, (await findProject(host, one(sub === undefined ? [] : [sub, ...rest], 'train <project> --config run.json'))).id)
    case 'pretrain':
      return pretrainCommand(args, host, io, (await findProject(host, one(sub === undefined ? [] : [sub, ...rest], 'pretrain <project> --config pretrain.json'))).id)
    case 'eval':
      return evalCommand(args, host, io, runId(sub, rest, 'eval <run>'))
    case 'export':
      return exportCommand(args, host, io, runId(sub, rest, 'export <run> --format hf|tfjs|int8 --out DIR'))
    case 'predict':
      return predictCommand(args, host, io, runId(sub, rest, 'predict <run> --in F --out F'))
    case 'serve-model':
      return serveModelCommand(args, host, io, runId(sub, rest, 'serve-model <run> [--port N]'))
    case 'models':
      return modelsCommand(args, host, io, sub, rest)
    case 'runs': {
      if (sub === 'compare') return runsCompareCommand(args, host, io, rest)
      if (sub !== 'list') throw new UsageError(sub ? `unknown runs command "${sub}"` : 'runs needs a command: list or compare')
      return runsListCommand(args, host, io, (await findProject(host, one(rest, 'runs list <project>'))).id)
    }
    case 'serve': {
      const server = await startServer({
        host,
        staticDir: io.staticDir,
        hostname: args.host ?? '127.0.0.1',
        port: args.port ?? 5678,
        ...(args.token ? { token: args.token } : {}),
        users: args.users,
      })
      const userUrls = Object.entries(args.users).map(([name, tok]) => ({ name, url: `${server.url}?token=${encodeURIComponent(tok)}` }))
      const info = { url: server.url, openUrl: server.openUrl, dataDir: host.dataDir, tokenRequired: server.token !== undefined, users: userUrls.map((u) => u.name) }
      out(info, [
        `Tagtune is serving ${host.dataDir}`,
        `Open ${server.openUrl}`,
        server.token ? `Access token: ${server.token} (required on every connection)` : 'Bound to loopback: only this machine can connect.',
        ...userUrls.map((u) => `  ${u.name}: ${u.url}`),
        'Press Ctrl-C to stop.',
      ].join('\n'))
      await (io.untilStopped ?? (() => new Promise<void>(() => {})))()
      await server.close()
      return 0
    }
    default:
      throw new UsageError(`unknown command "${cmd}"`)
  }
}

/** A one-line progress bar on stderr while an import runs; returns a function that clears it. */
function showProgress(host: Host, io: CliIo): () => void {
  let shown = false
  const off = host.onEvent((event, payload) => {
    if (event !== 'dataset.onDidImportProgress') return
    const p = payload as ImportProgress
    const pct = p.totalBytes ? Math.min(100, Math.round((100 * p.bytesRead) / p.totalBytes)) : 0
    const bar = '#'.repeat(Math.round(pct / 4)).padEnd(25, '.')
    io.stderr(`\r${p.phase.padEnd(7)} [${bar}] ${String(pct).padStart(3)}%  ${p.documents} documents`)
    shown = true
  })
  return () => {
    off()
    if (shown) io.stderr('\n')
  }
}

function runId(sub: string | undefined, rest: string[], usage: string): number {
  const ref = one(sub === undefined ? [] : [sub, ...rest], usage)
  if (!/^\d+$/.test(ref)) throw new UsageError(`a run is named by its number (see tagtune runs list <project>), not "${ref}"`)
  return Number(ref)
}

function one(rest: string[], usage: string): string {
  if (rest.length !== 1) throw new UsageError(`expected: tagtune ${usage}`)
  return rest[0]!
}

async function findProject(host: Host, ref: string): Promise<Project> {
  if (/^\d+$/.test(ref)) return host.call('project.get', { id: Number(ref) })
  const match = (await host.call('project.list', {})).find((p) => p.name.toLowerCase() === ref.toLowerCase())
  if (!match) throw new AppError('NOT_FOUND', `There is no project named "${ref}".`)
  return match
}
