/**
 * Starting a trainer process and talking to it. In plain Node (CLI, browser host, tests) it is
 * a forked Node process; the Electron shell passes its own spawner (utilityProcess). The
 * entry is the built out/main/trainer.js next to the bundle, or the TypeScript source run
 * through tsx when the host itself runs from source (tests).
 */
import { fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { TrainerMessage, TrainerRequest } from '../../trainer/protocol'

export interface TrainerExit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface TrainerHandle {
  readonly pid: number | undefined
  send(request: TrainerRequest): void
  onMessage(listener: (m: TrainerMessage) => void): void
  /** Resolves when the process has exited, however it ended. */
  readonly exited: Promise<TrainerExit>
  kill(signal?: NodeJS.Signals): void
}

export type SpawnTrainer = () => TrainerHandle

export interface TrainerEntry {
  path: string
  execArgv: string[]
}

/** Where the trainer's code is: the built bundle's trainer.js, else the source through tsx. */
export function defaultTrainerEntry(): TrainerEntry {
  // In the bundle this module may sit in out/main/ or in out/main/chunks/; trainer.js is in out/main/.
  const candidates = ['./trainer.js', '../trainer.js'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
  const built = candidates.find((p) => existsSync(p)) ?? candidates[0]!
  if (existsSync(built)) return { path: built, execArgv: [] }
  const source = fileURLToPath(new URL('../../trainer/index.ts', import.meta.url))
  if (existsSync(source)) return { path: source, execArgv: ['--import', 'tsx'] }
  throw new Error(`the trainer is missing: neither ${built} nor ${source} exists (run npm run build)`)
}

export function forkTrainer(entry: TrainerEntry = defaultTrainerEntry()): TrainerHandle {
  const child = fork(entry.path, [], {
    execArgv: entry.execArgv,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
    env: { ...process.env, TAGTUNE_TRAINER: '1' },
  })
  // The trainer reports through messages; its own output (tfjs banners, native warnings) is kept for crash reports.
  const tail: string[] = []
  const keep = (chunk: Buffer): void => {
    tail.push(...chunk.toString('utf8').split('\n').filter((l) => l.trim()))
    if (tail.length > 40) tail.splice(0, tail.length - 40)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const listeners: ((m: TrainerMessage) => void)[] = []
  child.on('message', (m) => {
    for (const l of listeners) l(m as TrainerMessage)
  })
  const exited = new Promise<TrainerExit>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }))
    child.on('error', () => resolve({ code: null, signal: null }))
  })
  return {
    pid: child.pid,
    send: (r) => {
      if (child.connected) child.send(r)
    },
    onMessage: (l) => void listeners.push(l),
    exited,
    kill: (signal = 'SIGTERM') => void child.kill(signal),
    get output(): string[] {
      return tail
    },
  } as TrainerHandle
}

/** The last lines the process printed (for a crash report), when the handle keeps them. */
export function trainerOutput(handle: TrainerHandle): string[] {
  return (handle as TrainerHandle & { output?: string[] }).output ?? []
}
