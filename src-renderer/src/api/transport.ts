/**
 * How the renderer reaches the host: the Electron preload bridge when present, else a
 * WebSocket to the browser host. Both carry the same contract and answer Results.
 */
import type { Result } from '@shared/ipc/errors'
import type { FileRef } from '@shared/domain/dataset'
import { ServerMessage, WS_CLOSE_UNAUTHORIZED, WS_PATH, type ClientMessage } from '@shared/ipc/wire'

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'unauthorized'

export interface Transport {
  readonly kind: 'electron' | 'websocket'
  invoke(channel: string, input: unknown): Promise<Result<unknown>>
  on(event: string, cb: (payload: unknown) => void): () => void
  onState(cb: (state: ConnectionState, detail?: string) => void): () => void
  /** Make a picked file readable by the host: its path in the desktop app, an upload in a browser. */
  fileRef(file: File, onProgress?: (sent: number, total: number) => void): Promise<FileRef>
  /** A URL that downloads an export (browser only; the desktop app writes to a chosen path). */
  exportUrl?(params: Record<string, string | number>): string
}

interface Bridge {
  invoke(channel: string, input: unknown): Promise<unknown>
  on(event: string, cb: (payload: unknown) => void): () => void
  pathForFile?(file: File): string
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
    fileRef: async (file) => {
      const path = bridge.pathForFile?.(file)
      if (!path) throw new Error(`Tagtune cannot see where ${file.name} is on disk.`)
      return { path }
    },
  }
}

/** POST a file to the browser host with upload progress (XHR: fetch has no upload progress). */
function upload(baseUrl: string, token: string | null, file: File, onProgress?: (sent: number, total: number) => void): Promise<FileRef> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', new URL(`/api/upload?name=${encodeURIComponent(file.name)}`, baseUrl).href)
    if (token) xhr.setRequestHeader('X-Tagtune-Token', token)
    xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.total)
    xhr.onerror = () => reject(new Error(`The upload of ${file.name} failed: the connection was lost.`))
    xhr.onload = () => {
      try {
        const body = JSON.parse(xhr.responseText) as Result<{ uploadId: string }>
        if (body.ok) resolve({ uploadId: body.value.uploadId })
        else reject(new Error(body.error.message))
      } catch {
        reject(new Error(`The upload of ${file.name} failed (HTTP ${xhr.status}).`))
      }
    }
    xhr.send(file)
  })
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
      queue.length = 0
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
      // While reconnecting, fail at once: a request queued now could reach the host long after
      // the caller gave up on it. Only the very first connection queues (the app's first requests).
      if (state === 'reconnecting') {
        return Promise.resolve({ ok: false, error: { code: 'UNAVAILABLE', message: 'Not connected to Tagtune; it retries by itself.' } })
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
    fileRef: (file, onProgress) => upload(baseUrl, token, file, onProgress),
    exportUrl(params) {
      const u = new URL('/api/export', baseUrl)
      for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v))
      if (token) u.searchParams.set('token', token)
      return u.href
    },
  }
}

export function pickTransport(): Transport {
  if (window.tagtune) return bridgeTransport(window.tagtune)
  return websocketTransport(window.location.href, takeToken(window.location, window.sessionStorage, window.history))
}
