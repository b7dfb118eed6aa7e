/**
 * The browser host: the built renderer over HTTP and the contract over a WebSocket, with an
 * access token and an Origin check. This is how the e2e tests and a team's laptops use Tagtune.
 */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Host } from './create-host'
import { ClientMessage, WS_CLOSE_UNAUTHORIZED, WS_PATH, type ServerMessage } from '../../src-shared/ipc/wire'
import { generateToken, hostHeaderAllowed, isLoopbackHost, originAllowed, tokensEqual } from './access'
import { createStaticHandler } from './static-files'
import { handleApi } from './http-api'

export interface ServeOptions {
  host: Host
  /** Folder with the built renderer (out/renderer). */
  staticDir: string
  hostname?: string
  port?: number
  /** Required on every connection when given; generated when binding beyond loopback without one. */
  token?: string
  /**
   * Per-user tokens (name -> token). A connection with one of them is that user: the app
   * shows their name and their edits are saved under it.
   */
  users?: Record<string, string>
  /** Largest accepted message, bytes. */
  maxPayload?: number
}

export interface RunningServer {
  url: string
  /** The URL to open in a browser, with the token when one is required. */
  openUrl: string
  port: number
  token: string | undefined
  connections(): number
  close(): Promise<void>
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const hostname = options.hostname ?? '127.0.0.1'
  const loopback = isLoopbackHost(hostname)
  const users = Object.entries(options.users ?? {})
  const token = options.token ?? (loopback && users.length === 0 ? undefined : generateToken())
  /** undefined: refused; null: allowed, no user; string: that user. */
  const who = (given: string | null | undefined): string | null | undefined => {
    const user = users.find(([, t]) => tokensEqual(given, t))
    if (user) return user[0]
    if (token === undefined || tokensEqual(given, token)) return null
    return undefined
  }
  const serveStatic = createStaticHandler(options.staticDir)
  const http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (!url.pathname.startsWith('/api/')) return serveStatic(req, res)
    if (!originAllowed(req.headers.origin, req.headers.host) || !hostHeaderAllowed(req.headers.host, loopback, token !== undefined)) {
      res.writeHead(403, { 'Content-Type': 'text/plain' }).end('Forbidden')
      return
    }
    const given = req.headers['x-tagtune-token'] ?? url.searchParams.get('token')
    if (who(Array.isArray(given) ? given[0] : given) === undefined) {
      res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: false, error: { code: 'UNAUTHORIZED', message: 'Missing or wrong access token.' } }))
      return
    }
    void handleApi(options.host, req, res, url).then((handled) => {
      if (!handled) res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found')
    })
  })
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload ?? 16 * 1024 * 1024 })
  const sockets = new Set<WebSocket>()

  const refuse = (socket: Duplex, status: number, reason: string): void => {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${reason}\n`)
  }

  http.on('upgrade', (req: IncomingMessage, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname !== WS_PATH) return refuse(socket, 404, 'Not Found')
    if (!originAllowed(req.headers.origin, req.headers.host)) return refuse(socket, 403, 'Forbidden: cross-origin connection')
    if (!hostHeaderAllowed(req.headers.host, loopback, token !== undefined)) return refuse(socket, 403, 'Forbidden: unexpected Host header')
    wss.handleUpgrade(req, socket, head, (ws) => {
      const user = who(url.searchParams.get('token'))
      if (user === undefined) {
        send(ws, {
          type: 'error',
          error: { code: 'UNAUTHORIZED', message: 'This Tagtune server needs an access token: open the URL it printed at start, which includes ?token=…' },
        })
        ws.close(WS_CLOSE_UNAUTHORIZED, 'unauthorized')
        return
      }
      accept(ws, user ?? undefined)
    })
  })

  function send(ws: WebSocket, msg: ServerMessage): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg))
  }

  function accept(ws: WebSocket, user: string | undefined): void {
    sockets.add(ws)
    ws.on('close', () => sockets.delete(ws))
    ws.on('error', () => sockets.delete(ws))
    ws.on('message', async (data, isBinary) => {
      let raw: unknown
      try {
        raw = isBinary ? undefined : JSON.parse(data.toString())
      } catch {
        raw = undefined
      }
      const msg = ClientMessage.safeParse(raw)
      if (!msg.success) {
        send(ws, { type: 'error', error: { code: 'INVALID_INPUT', message: 'Unreadable message: expected JSON {type:"invoke", id, channel, input}.' } })
        return
      }
      const result = await options.host.invoke(msg.data.channel, msg.data.input, { local: false, ...(user !== undefined ? { user } : {}) })
      send(ws, { type: 'result', id: msg.data.id, result })
    })
  }

  const unsubscribe = options.host.onEvent((event, payload) => {
    const text = JSON.stringify({ type: 'event', event, payload } satisfies ServerMessage)
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text)
  })

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(options.port ?? 5678, hostname, () => {
      http.off('error', reject)
      resolve()
    })
  })
  const port = (http.address() as AddressInfo).port
  const shownHost = hostname.includes(':') ? `[${hostname}]` : hostname === '0.0.0.0' ? '127.0.0.1' : hostname
  const url = `http://${shownHost}:${port}/`
  return {
    url,
    openUrl: token ? `${url}?token=${encodeURIComponent(token)}` : url,
    port,
    token,
    connections: () => sockets.size,
    async close() {
      unsubscribe()
      for (const ws of sockets) ws.terminate()
      wss.close()
      const closing = new Promise<void>((resolve) => http.close(() => resolve()))
      http.closeAllConnections()
      await closing
    },
  }
}
