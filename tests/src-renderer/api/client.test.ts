// The renderer's client against the real host: through a preload-like bridge, and through the
// WebSocket transport against the real server (ws's WebSocket stands in for the browser's).
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createHost, type Host } from '../../../src-main/host/create-host'
import { startServer } from '../../../src-main/host/ws-server'
import { ApiError, createApi } from '../../../src-renderer/src/api/client'
import { bridgeTransport, takeToken, websocketTransport, type ConnectionState } from '../../../src-renderer/src/api/transport'
import { useTempDirs } from '../../helpers/temp-dir'
import { waitFor } from '../../helpers/ws-client'

const tempDir = useTempDirs()
const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

function newHost(): Host {
  const host = createHost({ dataDir: tempDir(), kind: 'electron', backend: 'cpu' })
  cleanups.push(() => host.close())
  return host
}

describe('api client over the preload bridge', () => {
  it('returns typed values and throws ApiError with field errors', async () => {
    const host = newHost()
    const listeners = new Set<(name: string, payload: unknown) => void>()
    host.onEvent((name, payload) => listeners.forEach((l) => l(name, payload)))
    const api = createApi(
      bridgeTransport({
        invoke: (channel, input) => host.invoke(channel, structuredClone(input)),
        on: (event, cb) => {
          const l = (name: string, payload: unknown): void => {
            if (name === event) cb(payload)
          }
          listeners.add(l)
          return () => listeners.delete(l)
        },
      }),
    )
    const seen: unknown[] = []
    api.on('project.onDidChange', (c) => seen.push(c))
    const p = await api.invoke('project.create', { name: 'Bridge', labels: [{ name: 'PER' }] })
    expect(p.labels[0]!.shortcut).toBe('1')
    expect(seen).toEqual([{ kind: 'created', projectId: p.id }])

    const err = await api.invoke('project.create', { name: 'X', labels: [{ name: 'A' }, { name: 'a' }] }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).code).toBe('INVALID_INPUT')
    expect((err as ApiError).fieldErrors()).toEqual({ 'labels.1.name': 'label "a" is already used by label 1' })
  })
})

describe('api client over the WebSocket transport', () => {
  const g = globalThis as { WebSocket?: unknown }
  const original = g.WebSocket
  afterEach(() => {
    g.WebSocket = original
  })

  async function serve(token?: string) {
    g.WebSocket = WebSocket
    const host = newHost()
    const server = await startServer({ host, staticDir: tempDir(), port: 0, ...(token ? { token } : {}) })
    cleanups.push(() => server.close())
    return { host, server }
  }

  it('queues calls until connected, then carries invokes and events', async () => {
    const { server } = await serve()
    const transport = websocketTransport(server.url, null)
    const api = createApi(transport)
    const states: ConnectionState[] = []
    api.onState((s) => states.push(s))
    const events: unknown[] = []
    api.on('project.onDidChange', (c) => events.push(c))
    const p = await api.invoke('project.create', { name: 'Over WS' })
    expect((await api.invoke('project.list', {})).map((x) => x.name)).toEqual(['Over WS'])
    await waitFor(() => events.length === 1)
    expect(events).toEqual([{ kind: 'created', projectId: p.id }])
    expect(states).toEqual(['connecting', 'open'])
    await server.close()
    await waitFor(() => states.includes('reconnecting'))
  })

  it('reports an unauthorised connection instead of retrying forever', async () => {
    const { server } = await serve('the-token')
    const api = createApi(websocketTransport(server.url, 'not-the-token'))
    let state: ConnectionState = 'connecting'
    api.onState((s) => (state = s))
    await waitFor(() => state === 'unauthorized')
    const err = await api.invoke('project.list', {}).catch((e: unknown) => e)
    expect((err as ApiError).code).toBe('UNAUTHORIZED')
  })
})

describe('takeToken', () => {
  it('reads ?token=, keeps it for the tab and removes it from the address bar', () => {
    const store = new Map<string, string>()
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) } as Storage
    let replaced = ''
    const history = { state: null, replaceState: (_s: unknown, _t: string, url: string) => void (replaced = url) } as unknown as History
    expect(takeToken({ href: 'http://ws.lan:5678/?token=abc&x=1#/projects' } as Location, storage, history)).toBe('abc')
    expect(replaced).toBe('/?x=1#/projects')
    expect(takeToken({ href: 'http://ws.lan:5678/#/train' } as Location, storage, history)).toBe('abc')
  })
})
