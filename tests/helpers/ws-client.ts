import WebSocket from 'ws'
import type { ServerMessage } from '../../src-shared/ipc/wire'

/** A minimal contract client over a real WebSocket, for transport tests. */
export interface TestClient {
  ws: WebSocket
  invoke(channel: string, input: unknown): Promise<Extract<ServerMessage, { type: 'result' }>['result']>
  events: { event: string; payload: unknown }[]
  errors: unknown[]
  close(): void
}

export function connect(url: string, headers: Record<string, string> = {}): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    const pending = new Map<number, (r: never) => void>()
    const events: TestClient['events'] = []
    const errors: unknown[] = []
    let next = 1
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as ServerMessage
      if (msg.type === 'result') pending.get(msg.id)?.(msg.result as never)
      else if (msg.type === 'event') events.push({ event: msg.event, payload: msg.payload })
      else errors.push(msg.error)
    })
    ws.once('open', () =>
      resolve({
        ws,
        events,
        errors,
        invoke: (channel, input) =>
          new Promise((done) => {
            const id = next++
            pending.set(id, done)
            ws.send(JSON.stringify({ type: 'invoke', id, channel, input }))
          }),
        close: () => ws.close(),
      }),
    )
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
  })
}

/** Resolves with the close code once the server closes the socket. */
export function closeCode(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)))
}

export async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 10))
  }
}
