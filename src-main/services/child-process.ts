/**
 * Tagtune's own Node child processes (the trainer, the model server): where their code is, and
 * forking one with an IPC channel, its output kept for failure reports. In the bundle the
 * calling module may sit in out/main/ or in out/main/chunks/, and the entries are built into
 * out/main/; from source (tests, tsx) the TypeScript entry runs through tsx.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export interface ProcessEntry {
  path: string
  execArgv: string[]
}

export interface ProcessExit {
  code: number | null
  signal: NodeJS.Signals | null
}

/**
 * The built `bundleName` beside the bundle (looked up from `from`, this module's caller's
 * import.meta.url), else `source` (a path relative to `from`) through tsx.
 */
export function findEntry(from: string, bundleName: string, source: string, what: string): ProcessEntry {
  const candidates = [`./${bundleName}`, `../${bundleName}`].map((rel) => fileURLToPath(new URL(rel, from)))
  const built = candidates.find((p) => existsSync(p))
  if (built) return { path: built, execArgv: [] }
  const sourcePath = fileURLToPath(new URL(source, from))
  if (existsSync(sourcePath)) return { path: sourcePath, execArgv: ['--import', 'tsx'] }
  throw new Error(`the ${what} is missing: neither ${candidates[0]} nor ${sourcePath} exists (run npm run build)`)
}

/** Forks `entry` with an IPC channel; its last 40 lines of output are kept. */
export function forkEntry(entry: ProcessEntry, env: Record<string, string>): { child: ChildProcess; tail: string[]; exited: Promise<ProcessExit> } {
  const child = fork(entry.path, [], {
    execArgv: entry.execArgv,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
    env: { ...process.env, ...env },
  })
  const tail: string[] = []
  const keep = (chunk: Buffer): void => {
    tail.push(...chunk.toString('utf8').split('\n').filter((l) => l.trim()))
    if (tail.length > 40) tail.splice(0, tail.length - 40)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<ProcessExit>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }))
    child.on('error', () => resolve({ code: null, signal: null }))
  })
  return { child, tail, exited }
}
