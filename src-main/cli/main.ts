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
import { formatError, formatInfo, formatProject, formatProjectLine } from './format'

export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  env: NodeJS.ProcessEnv
  /** Folder of the built renderer, for `serve`. */
  staticDir: string
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
    case 'serve': {
      const server = await startServer({
        host,
        staticDir: io.staticDir,
        hostname: args.host ?? '127.0.0.1',
        port: args.port ?? 5678,
        ...(args.token ? { token: args.token } : {}),
      })
      const info = { url: server.url, openUrl: server.openUrl, dataDir: host.dataDir, tokenRequired: server.token !== undefined }
      out(info, [
        `Tagtune is serving ${host.dataDir}`,
        `Open ${server.openUrl}`,
        server.token ? `Access token: ${server.token} (required on every connection)` : 'Bound to loopback: only this machine can connect.',
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
