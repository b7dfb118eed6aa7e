/** Parsing `tagtune <command> [options]`: global options plus each command's own. Pure. */
import { parseArgs } from 'node:util'

export class UsageError extends Error {}

export const USAGE = `Usage: tagtune <command> [options]

Commands:
  info                                   version, data dir, database and compute backend
  project list                           all projects with their labels
  project show <id|name>                 one project
  project create <name> [--labels PER,ORG,LOC] [--scheme iob2|iobes|iob1|bmes]
                        [--description TEXT]
  project delete <id|name> --yes         delete a project and everything in it
  serve [--host 127.0.0.1] [--port 5678] [--token TOKEN]
                                         the app in a browser, over HTTP and WebSocket

Options for every command:
  --data-dir DIR     where the data lives (default: $TAGTUNE_HOME, else ~/.local/share/tagtune)
  --json             machine-readable output on stdout; errors on stderr, non-zero exit
  --backend NAME     auto | tensorflow-gpu | tensorflow | wasm | cpu (default auto)
  -h, --help         this text
`

const OPTIONS = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
  backend: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
  labels: { type: 'string' },
  scheme: { type: 'string' },
  description: { type: 'string' },
  yes: { type: 'boolean', default: false },
  host: { type: 'string' },
  port: { type: 'string' },
  token: { type: 'string' },
} as const

export interface ParsedArgs {
  command: string[]
  dataDir: string | undefined
  json: boolean
  backend: string | undefined
  help: boolean
  labels: string | undefined
  scheme: string | undefined
  description: string | undefined
  yes: boolean
  host: string | undefined
  port: number | undefined
  token: string | undefined
}

export function parseCliArgs(argv: readonly string[]): ParsedArgs {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const v = parsed.values
  let port: number | undefined
  if (v.port !== undefined) {
    port = Number(v.port)
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, not "${v.port}"`)
  }
  return {
    command: parsed.positionals,
    dataDir: v['data-dir'],
    json: v.json ?? false,
    backend: v.backend,
    help: v.help ?? false,
    labels: v.labels,
    scheme: v.scheme,
    description: v.description,
    yes: v.yes ?? false,
    host: v.host,
    port,
    token: v.token,
  }
}

/** "PER, ORG,,LOC" -> ["PER", "ORG", "LOC"] (validation of each name happens at the contract). */
export function splitLabels(list: string | undefined): string[] {
  return (list ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0)
}
