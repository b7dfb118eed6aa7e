/**
 * Starting a model-server process and talking to it. The entry is the built
 * out/main/model-server.js next to the bundle (this module may sit in out/main/ or in
 * out/main/chunks/), or the TypeScript source run through tsx when the host runs from source.
 * Inside Electron the process runs Electron's binary as plain Node (ELECTRON_RUN_AS_NODE).
 */
import { findEntry, forkEntry, type ProcessEntry } from '../child-process'
import type { ListeningInfo, ServeJob, ServerMessage, ServerRequest } from '../../serve/protocol'
import type { ServeStats } from '../../serve/http-server'

export type ServerEntry = ProcessEntry

export function defaultServerEntry(): ServerEntry {
  return findEntry(import.meta.url, 'model-server.js', '../../serve/child.ts', 'model server')
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
  const { child, tail, exited } = forkEntry(entry, { TAGTUNE_MODEL_SERVER: '1', ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}) })
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
