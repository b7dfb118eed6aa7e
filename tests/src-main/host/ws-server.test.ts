import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { get } from 'node:http'
import { createHost, type Host } from '../../../src-main/host/create-host'
import { startServer, type RunningServer } from '../../../src-main/host/ws-server'
import { WS_CLOSE_UNAUTHORIZED } from '../../../src-shared/ipc/wire'
import { useTempDirs } from '../../helpers/temp-dir'
import { closeCode, connect, waitFor } from '../../helpers/ws-client'

const tempDir = useTempDirs()
const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function serve(opts: { token?: string } = {}): Promise<{ host: Host; server: RunningServer; ws: string; staticDir: string }> {
  const root = tempDir()
  const staticDir = join(root, 'public')
  mkdirSync(join(staticDir, 'assets'), { recursive: true })
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Tagtune</title>')
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)')
  // A file right beside the served folder: a traversal would find it at /../secret.txt.
  writeFileSync(join(root, 'secret.txt'), 'secret')
  const host = createHost({ dataDir: tempDir(), kind: 'server', backend: 'cpu' })
  cleanups.push(() => host.close())
  const server = await startServer({ host, staticDir, hostname: '127.0.0.1', port: 0, ...opts })
  cleanups.push(() => server.close())
  return { host, server, staticDir, ws: `ws://127.0.0.1:${server.port}/ws` }
}

describe('WebSocket transport', () => {
  it('carries the contract: invoke, typed errors, and events to every open client', async () => {
    const { ws } = await serve()
    const a = await connect(ws)
    const b = await connect(ws)
    cleanups.push(() => a.close(), () => b.close())
    const created = await a.invoke('project.create', { name: 'News', labels: [{ name: 'PER' }] })
    expect(created.ok).toBe(true)
    const id = created.ok ? (created.value as { id: number }).id : 0
    await waitFor(() => b.events.length > 0 && a.events.length > 0)
    expect(b.events).toEqual([{ event: 'project.onDidChange', payload: { kind: 'created', projectId: id } }])
    const list = await b.invoke('project.list', {})
    expect(list.ok && (list.value as unknown[]).length).toBe(1)
    const bad = await b.invoke('project.create', { name: '' })
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
  })

  it('answers unreadable messages with an error and keeps the connection open', async () => {
    const { ws } = await serve()
    const c = await connect(ws)
    cleanups.push(() => c.close())
    c.ws.send('not json')
    c.ws.send(JSON.stringify({ type: 'invoke', id: 'x', channel: 'app.info' }))
    await waitFor(() => c.errors.length === 2)
    expect(c.errors[0]).toMatchObject({ code: 'INVALID_INPUT' })
    expect((await c.invoke('project.list', {})).ok).toBe(true)
  })

  it('refuses a wrong or missing token with close code 4401 and runs nothing', async () => {
    const { ws, host } = await serve({ token: 'right-token' })
    for (const url of [ws, `${ws}?token=wrong-token`, `${ws}?token=right-toke`]) {
      const c = await connect(url)
      const code = await closeCode(c.ws)
      expect(code).toBe(WS_CLOSE_UNAUTHORIZED)
      expect(c.errors[0]).toMatchObject({ code: 'UNAUTHORIZED' })
    }
    const ok = await connect(`${ws}?token=right-token`)
    cleanups.push(() => ok.close())
    expect((await ok.invoke('project.list', {})).ok).toBe(true)
    expect(await host.call('project.list', {})).toEqual([])
  })

  it('generates a token when bound beyond loopback and prints it in the URL', async () => {
    const host = createHost({ dataDir: tempDir(), kind: 'server', backend: 'cpu' })
    cleanups.push(() => host.close())
    const server = await startServer({ host, staticDir: tempDir(), hostname: '0.0.0.0', port: 0 })
    cleanups.push(() => server.close())
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(server.openUrl).toContain(`?token=${server.token}`)
    const c = await connect(`ws://127.0.0.1:${server.port}/ws`)
    expect(await closeCode(c.ws)).toBe(WS_CLOSE_UNAUTHORIZED)
  })

  it('refuses cross-origin pages and foreign Host headers (DNS rebinding)', async () => {
    const { ws, server } = await serve()
    await expect(connect(ws, { Origin: 'http://evil.example' })).rejects.toThrow('HTTP 403')
    await expect(connect(ws, { Host: `evil.example:${server.port}` })).rejects.toThrow('HTTP 403')
    const same = await connect(ws, { Origin: `http://127.0.0.1:${server.port}` })
    cleanups.push(() => same.close())
    expect((await same.invoke('app.info', {})).ok).toBe(true)
  })

  it('closes cleanly with clients still connected', async () => {
    const { ws, server } = await serve()
    const c = await connect(ws)
    const closed = closeCode(c.ws)
    await server.close()
    await closed
    expect(c.ws.readyState).toBe(WebSocket.CLOSED)
  })
})

describe('static renderer', () => {
  it('serves files, falls back to index.html for app routes, and sets a CSP', async () => {
    const { server } = await serve()
    const index = await fetch(`${server.url}projects`)
    expect(index.status).toBe(200)
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'")
    expect(await index.text()).toContain('<title>Tagtune</title>')
    const js = await fetch(`${server.url}assets/app.js`)
    expect(js.headers.get('content-type')).toContain('text/javascript')
    expect((await fetch(`${server.url}assets/missing.js`)).status).toBe(404)
  })

  it('never serves files outside its folder', async () => {
    const { server } = await serve()
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/%00']) {
      const res = await fetch(server.url.replace(/\/$/, '') + path)
      expect([400, 403, 404], path).toContain(res.status)
      expect(await res.text()).not.toContain('secret')
    }
    // fetch() normalises dot segments itself; a raw request sends them as written.
    for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/..%5csecret.txt']) {
      const { status, body } = await rawGet(server.port, path)
      expect([400, 403, 404], path).toContain(status)
      expect(body).not.toContain('secret')
    }
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405)
  })
})

function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (res) => {
      let body = ''
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    }).on('error', reject)
  })
}

describe('HTTP API for files', () => {
  it('takes an upload, imports it over the WebSocket, and downloads the export', async () => {
    const { ws, server, host } = await serve({ token: 'tok' })
    const up = await fetch(`${server.url}api/upload?name=${encodeURIComponent('news.jsonl')}`, {
      method: 'POST',
      headers: { 'X-Tagtune-Token': 'tok' },
      body: '{"text": "Ada 😀 in Paris", "label": [[0, 3, "PER"], [9, 14, "LOC"]]}\n',
    })
    expect(up.status).toBe(200)
    const { value } = (await up.json()) as { value: { uploadId: string; name: string } }
    expect(value.name).toBe('news.jsonl')
    const c = await connect(`${ws}?token=tok`)
    cleanups.push(() => c.close())
    const created = await c.invoke('project.create', { name: 'N', labels: [{ name: 'PER' }, { name: 'LOC' }] })
    const projectId = created.ok ? (created.value as { id: number }).id : 0
    // A browser may not name a path on the workstation.
    expect(await c.invoke('dataset.import', { projectId, files: [{ path: '/etc/hostname' }] })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    expect(await c.invoke('dataset.import', { projectId, files: [{ uploadId: value.uploadId }] })).toMatchObject({ ok: true, value: { documents: 1, spans: 2 } })

    const down = await fetch(`${server.url}api/export?projectId=${projectId}&format=doccano&token=tok`)
    expect(down.status).toBe(200)
    expect(down.headers.get('content-disposition')).toContain('N.jsonl')
    expect(JSON.parse((await down.text()).trim())).toMatchObject({ text: 'Ada 😀 in Paris', label: [[0, 3, 'PER'], [9, 14, 'LOC']] })
    expect((await fetch(`${server.url}api/export?projectId=${projectId}&format=xml&token=tok`)).status).toBe(400)
    expect((await fetch(`${server.url}api/export?projectId=999&format=conll&token=tok`)).status).toBe(404)
    expect(await host.call('project.list', {})).toHaveLength(1)
  })

  it('refuses uploads and downloads without the token or from another origin', async () => {
    const { server } = await serve({ token: 'tok' })
    expect((await fetch(`${server.url}api/upload?name=a.txt`, { method: 'POST', body: 'x' })).status).toBe(401)
    expect((await fetch(`${server.url}api/export?projectId=1&format=conll&token=nope`)).status).toBe(401)
    expect((await fetch(`${server.url}api/upload?name=a.txt`, { method: 'POST', body: 'x', headers: { 'X-Tagtune-Token': 'tok', Origin: 'http://evil.example' } })).status).toBe(403)
  })
})

describe('per-user tokens', () => {
  it('signs each teammate in by their token; edits are saved under their name only', async () => {
    const host = createHost({ dataDir: tempDir(), kind: 'server', backend: 'cpu' })
    cleanups.push(() => host.close())
    const server = await startServer({ host, staticDir: tempDir(), hostname: '127.0.0.1', port: 0, users: { ana: 'ana-token-0123456789', bo: 'bo-token-0123456789' } })
    cleanups.push(() => server.close())
    const ws = `ws://127.0.0.1:${server.port}/ws`
    // Loopback, but with users configured a token is required.
    expect(await closeCode((await connect(ws)).ws)).toBe(WS_CLOSE_UNAUTHORIZED)
    const ana = await connect(`${ws}?token=ana-token-0123456789`)
    cleanups.push(() => ana.close())
    expect(await ana.invoke('app.info', {})).toMatchObject({ ok: true, value: { user: 'ana' } })
    const p = await host.call('project.create', { name: 'T', labels: [{ name: 'PER' }] })
    const f = join(tempDir(), 'd.txt')
    writeFileSync(f, 'Ada\n')
    await host.call('dataset.import', { projectId: p.id, files: [{ path: f }] })
    const [doc] = (await host.call('document.list', { projectId: p.id })).items
    const asBo = await ana.invoke('annotation.save', { documentId: doc!.id, annotator: 'bo', spans: [], status: 'done', expectedVersion: 0 })
    expect(asBo).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    expect(await ana.invoke('annotation.save', { documentId: doc!.id, annotator: 'ana', spans: [[0, 3, p.labels[0]!.id]], status: 'done', expectedVersion: 0 })).toMatchObject({ ok: true })
    expect((await host.call('document.get', { id: doc!.id })).annotations.map((a) => a.annotator)).toEqual(['ana'])
    // The server's own token still works, without a user.
    const admin = await connect(`${ws}?token=${server.token}`)
    cleanups.push(() => admin.close())
    expect(await admin.invoke('app.info', {})).toMatchObject({ ok: true, value: { user: null } })
  })
})
