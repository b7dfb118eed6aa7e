/**
 * How the renderer reaches the host: the Electron preload bridge when present, else a
 * WebSocket to the browser host. Both carry the same contract and answer Results.
 */
import type { Result } from '@shared/ipc/errors'
import { ServerMessage, WS_CLOSE_UNAUTHORIZED, WS_PATH, type ClientMessage } from '@shared/ipc/wire'

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'unauthorized'

export interface Transport {
  readonly kind: 'electron' | 'websocket'
  invoke(channel: string, input: unknown): Promise<Result<unknown>>
  on(event: string, cb: (payload: unknown) => void): () => void
  onState(cb: (state: ConnectionState, detail?: string) => void): () => void
}

interface Bridge {
  invoke(channel: string, input: unknown): Promise<unknown>
  on(event: string, cb: (payload: unknown) => void): () => void
}

declare global {
  interface Window {
    tagtune?: Bridge
  }
}

export function bridgeTransport(bridge: Bridge): Transport {
  return {
    kind: 'electron',
    invoke: (channel, input) => bridge.invoke(channel, input) as Promise<Result<unknown>>,
    on: (event, cb) => bridge.on(event, cb),
    onState: (cb) => {
      cb('open')
      return () => {}
    },
  }
}

/** Read the access token from ?token=…, keep it for this tab, and take it out of the address bar. */
export function takeToken(loc: Location, storage: Storage, history: History): string | null {
  const url = new URL(loc.href)
  const fromUrl = url.searchParams.get('token')
  if (fromUrl) {
    storage.setItem('tagtune.token', fromUrl)
    url.searchParams.delete('token')
    history.replaceState(history.state, '', url.pathname + url.search + url.hash)
    return fromUrl
  }
  return storage.getItem('tagtune.token')
}

export function websocketTransport(baseUrl: string, token: string | null): Transport {
  const pending = new Map<number, (r: Result<unknown>) => void>()
  const listeners = new Map<string, Set<(payload: unknown) => void>>()
  const stateListeners = new Set<(state: ConnectionState, detail?: string) => void>()
  const queue: string[] = []
  let nextId = 1
  let socket: WebSocket | undefined
  let state: ConnectionState = 'connecting'
  let retryMs = 250

  const setState = (s: ConnectionState, detail?: string): void => {
    state = s
    for (const l of stateListeners) l(s, detail)
  }

  const url = new URL(WS_PATH, baseUrl)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  if (token) url.searchParams.set('token', token)

  function connect(): void {
    const ws = new WebSocket(url)
    socket = ws
    ws.onopen = () => {
      retryMs = 250
      setState('open')
      while (queue.length) ws.send(queue.shift()!)
    }
    ws.onmessage = (ev) => {
      let msg: ServerMessage
      try {
        msg = ServerMessage.parse(JSON.parse(String(ev.data)))
      } catch {
        return
      }
      if (msg.type === 'result') {
        pending.get(msg.id)?.(msg.result as Result<unknown>)
        pending.delete(msg.id)
      } else if (msg.type === 'event') {
        for (const cb of listeners.get(msg.event) ?? []) cb(msg.payload)
      } else if (msg.error.code === 'UNAUTHORIZED') {
        setState('unauthorized', msg.error.message)
      }
    }
    ws.onclose = (ev) => {
      socket = undefined
      // Requests in flight cannot be answered any more: fail them rather than hang.
      for (const [id, done] of pending) {
        done({ ok: false, error: { code: 'UNAVAILABLE', message: 'The connection to Tagtune was lost; try again.' } })
        pending.delete(id)
      }
      if (ev.code === WS_CLOSE_UNAUTHORIZED) {
        if (state !== 'unauthorized') setState('unauthorized')
        return
      }
      setState('reconnecting')
      setTimeout(connect, retryMs)
      retryMs = Math.min(retryMs * 2, 5000)
    }
  }
  connect()

  return {
    kind: 'websocket',
    invoke(channel, input) {
      if (state === 'unauthorized') {
        return Promise.resolve({ ok: false, error: { code: 'UNAUTHORIZED', message: 'Not authorised: open the URL with the access token that `tagtune serve` printed.' } })
      }
      const id = nextId++
      const msg: ClientMessage = { type: 'invoke', id, channel, input }
      const text = JSON.stringify(msg)
      return new Promise((resolve) => {
        pending.set(id, resolve)
        if (socket && socket.readyState === WebSocket.OPEN) socket.send(text)
        else queue.push(text)
      })
    },
    on(event, cb) {
      const set = listeners.get(event) ?? new Set()
      set.add(cb)
      listeners.set(event, set)
      return () => set.delete(cb)
    },
    onState(cb) {
      stateListeners.add(cb)
      cb(state)
      return () => stateListeners.delete(cb)
    },
  }
}

export function pickTransport(): Transport {
  if (window.tagtune) return bridgeTransport(window.tagtune)
  return websocketTransport(window.location.href, takeToken(window.location, window.sessionStorage, window.history))
}
