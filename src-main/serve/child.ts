/**
 * The model-server process the app starts (built as out/main/model-server.js): receives one
 * start message, loads the model, serves until told to stop (or the host goes away), then
 * exits. tfjs lives here, never in the host process.
 */
import { startModelServer, type RunningModelServer } from './server'
import type { ServerMessage, ServerRequest } from './protocol'

interface Channel {
  send(m: ServerMessage): void
  onMessage(handler: (m: ServerRequest) => void): void
  /** The host went away. */
  onGone(handler: () => void): void
}

function channel(): Channel {
  // Electron's utilityProcess exposes process.parentPort instead of process.send.
  const parentPort = (process as unknown as { parentPort?: { postMessage(m: unknown): void; on(e: 'message', h: (e: { data: unknown }) => void): void } }).parentPort
  if (parentPort) return { send: (m) => parentPort.postMessage(m), onMessage: (h) => parentPort.on('message', (e) => h(e.data as ServerRequest)), onGone: () => {} }
  if (!process.send) throw new Error('the model server must be started by the Tagtune host (no IPC channel)')
  return {
    send: (m) => {
      if (process.connected) process.send!(m)
    },
    onMessage: (h) => process.on('message', (m) => h(m as ServerRequest)),
    onGone: (h) => process.on('disconnect', h),
  }
}

const ch = channel()
let server: RunningModelServer | undefined
let starting = false
let stopping: Promise<void> | undefined

function stop(): Promise<void> {
  return (stopping ??= (async () => {
    try {
      await server?.close(5000)
    } finally {
      ch.send({ type: 'stopped' })
      setTimeout(() => process.exit(0), 100).unref()
      if (process.connected) process.disconnect()
    }
  })())
}

ch.onMessage((m) => {
  if (m.type === 'stop') void stop()
  else if (m.type === 'stats') {
    if (server) ch.send({ type: 'stats', id: m.id, stats: server.stats() })
  } else if (m.type === 'start' && !starting) {
    starting = true
    const job = m.job
    void startModelServer({ model: job.model, backend: job.backend, hostname: job.hostname, port: job.port, ...(job.token ? { token: job.token } : {}), limits: job.limits }).then(
      (s) => {
        server = s
        if (stopping) return void s.close(1000)
        ch.send({ type: 'listening', url: s.url, hostname: s.hostname, port: s.port, token: s.token ?? null, backend: s.backend, labels: s.model.labels, limits: s.limits, pid: process.pid })
      },
      (err: unknown) => {
        ch.send({ type: 'error', message: (err as Error)?.message ?? String(err) })
        setTimeout(() => process.exit(1), 100).unref()
        if (process.connected) process.disconnect()
      },
    )
  }
})
ch.onGone(() => void stop())
process.once('SIGTERM', () => void stop())
process.once('SIGINT', () => void stop())
