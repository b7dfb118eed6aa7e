/**
 * Starting a model-server process and talking to it. The entry is the built
 * out/main/model-server.js next to the bundle (this module may sit in out/main/ or in
 * out/main/chunks/), or the TypeScript source run through tsx when the host runs from source.
 * Inside Electron the process runs Electron's binary as plain Node (ELECTRON_RUN_AS_NODE).
 */
import { fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ListeningInfo, ServeJob, ServerMessage, ServerRequest } from '../../serve/protocol'
import type { ServeStats } from '../../serve/http-server'

export interface ServerEntry {
  path: string
  execArgv: string[]
}

export function defaultServerEntry(): ServerEntry {
  const candidates = ['./model-server.js', '../model-server.js'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
  const built = candidates.find((p) => existsSync(p))
  if (built) return { path: built, execArgv: [] }
  const source = fileURLToPath(new URL('../../serve/child.ts', import.meta.url))
  if (existsSync(source)) return { path: source, execArgv: ['--import', 'tsx'] }
  throw new Error(`the model server is missing: neither ${candidates[0]} nor ${source} exists (run npm run build)`)
}

export interface ServerProcess {
  readonly pid: number | undefined
  /** Resolves once the server listens; rejects with the reason it could not start. */
  readonly listening: Promise<ListeningInfo>
  /** Resolves when the process has exited, however it ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  stats(timeoutMs?: number): Promise<ServeStats>
  /** Asks the server to finish what is in flight and exit; kills it after `graceMs`. */
  stop(graceMs?: number): Promise<void>
  /** The last lines it printed (for a failure report). */
  output(): string[]
}

export function forkModelServer(job: ServeJob, entry: ServerEntry = defaultServerEntry()): ServerProcess {
  const child = fork(entry.path, [], {
    execArgv: entry.execArgv,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
    env: { ...process.env, TAGTUNE_MODEL_SERVER: '1', ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}) },
  })
  const tail: string[] = []
  const keep = (chunk: Buffer): void => {
    tail.push(...chunk.toString('utf8').split('\n').filter((l) => l.trim()))
    if (tail.length > 40) tail.splice(0, tail.length - 40)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }))
    child.on('error', () => resolve({ code: null, signal: null }))
  })
  let nextId = 1
  const waiting = new Map<number, (s: ServeStats) => void>()
  const listening = new Promise<ListeningInfo>((resolve, reject) => {
    child.on('message', (raw) => {
      const m = raw as ServerMessage
      if (m.type === 'listening') {
        const { type: _type, ...info } = m
        resolve(info)
      } else if (m.type === 'error') reject(new Error(m.message))
      else if (m.type === 'stats') {
        waiting.get(m.id)?.(m.stats)
        waiting.delete(m.id)
      }
    })
    void exited.then(({ code, signal }) => {
      const last = tail.slice(-5).join('\n')
      reject(new Error(`the model server exited (${signal ?? `code ${code}`}) before it listened${last ? `:\n${last}` : ''}`))
    })
  })
  listening.catch(() => {})
  const request = (r: ServerRequest): void => {
    if (child.connected) child.send(r)
  }
  request({ type: 'start', job })

  let stopped: Promise<void> | undefined
  return {
    pid: child.pid,
    listening,
    exited,
    stats(timeoutMs = 2000) {
      const id = nextId++
      return new Promise<ServeStats>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id)
          reject(new Error('the model server did not answer in time (it may be busy with a long batch)'))
        }, timeoutMs)
        waiting.set(id, (s) => {
          clearTimeout(timer)
          resolve(s)
        })
        if (!child.connected) {
          clearTimeout(timer)
          waiting.delete(id)
          reject(new Error('the model server is not running'))
        } else request({ type: 'stats', id })
      })
    },
    stop(graceMs = 5000) {
      return (stopped ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return
        request({ type: 'stop' })
        if (!child.connected) child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
        timer.unref()
        await exited
        clearTimeout(timer)
      })())
    },
    output: () => [...tail],
  }
}
