/**
 * A local Hugging Face compatible hub for the download tests, serving the hub's URL layout:
 * GET /api/models/{repo}/revision/{revision}?blobs=true (siblings with size, blobId and lfs
 * sha256) and GET /{repo}/resolve/{revision}/{file} (LFS files redirect to /cdn/{sha256}, on
 * another host name when asked, as huggingface.co redirects to its CDN). Files honour Range
 * requests; a transfer can be cut once in the middle. Every request is recorded. Also a tiny
 * HTTP proxy that forwards absolute-URI requests and tunnels CONNECT, recording both.
 */
import { createHash } from 'node:crypto'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import https from 'node:https'
import net, { type AddressInfo } from 'node:net'

export interface FakeRepo {
  /** The commit the revision resolves to. */
  sha: string
  files: Record<string, Buffer>
  /** Files served as LFS (with sha256 and a redirect); the others as plain git files (with blobId). */
  lfs?: string[]
  /** An sha256 the API states for a file instead of the real one. */
  claimedSha256?: Record<string, string>
}

export interface RecordedRequest {
  method: string
  path: string
  host: string
  range: string | null
  authorization: string | null
}

export interface FakeHubOptions {
  repos: Record<string, FakeRepo>
  /** The first request without Range for this file stops after `afterBytes` bytes (the connection is destroyed). */
  cutOnce?: { file: string; afterBytes: number }
  /** Redirect LFS files to this host name (e.g. 'localhost' when the hub is reached as 127.0.0.1). */
  cdnHost?: string
  /** Every API and resolve request needs `Authorization: Bearer <token>` (401 otherwise). */
  token?: string
  tls?: { key: string; cert: string }
}

export interface FakeHub {
  url: string
  port: number
  requests: RecordedRequest[]
  close(): Promise<void>
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex')
const gitBlobId = (b: Buffer): string => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex')

function sendBytes(req: IncomingMessage, res: ServerResponse, bytes: Buffer, cut: { afterBytes: number } | null): void {
  const range = req.headers.range
  const m = range ? /^bytes=(\d+)-$/.exec(range) : null
  if (m) {
    const start = Number(m[1])
    if (start >= bytes.length) {
      res.writeHead(416, { 'content-range': `bytes */${bytes.length}` }).end()
      return
    }
    res.writeHead(206, { 'content-length': bytes.length - start, 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}`, 'accept-ranges': 'bytes' })
    res.end(bytes.subarray(start))
    return
  }
  res.writeHead(200, { 'content-length': bytes.length, 'accept-ranges': 'bytes' })
  if (cut) {
    res.write(bytes.subarray(0, cut.afterBytes), () => setTimeout(() => res.socket?.destroy(), 20))
    return
  }
  res.end(bytes)
}

export async function startHub(o: FakeHubOptions): Promise<FakeHub> {
  const requests: RecordedRequest[] = []
  let cutDone = false
  const byHash = new Map<string, { name: string; bytes: Buffer }>()
  for (const repo of Object.values(o.repos)) for (const [name, bytes] of Object.entries(repo.files)) byHash.set(sha256(bytes), { name, bytes })
  const serve = (req: IncomingMessage, res: ServerResponse, name: string, bytes: Buffer): void => {
    const cut = o.cutOnce && o.cutOnce.file === name && !cutDone && !req.headers.range ? o.cutOnce : null
    if (cut) cutDone = true
    sendBytes(req, res, bytes, cut)
  }
  let port = 0
  const scheme = o.tls ? 'https' : 'http'

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', `${scheme}://${req.headers.host}`)
    requests.push({ method: req.method ?? 'GET', path: url.pathname + url.search, host: url.hostname, range: req.headers.range ?? null, authorization: req.headers.authorization ?? null })
    const notFound = (): void => void res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Repository not found' }))
    const cdn = /^\/cdn\/([a-f0-9]{64})$/.exec(url.pathname)
    if (cdn) {
      const f = byHash.get(cdn[1]!)
      if (!f) return notFound()
      return serve(req, res, f.name, f.bytes)
    }
    if (o.token && req.headers.authorization !== `Bearer ${o.token}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Invalid credentials in Authorization header' }))
      return
    }
    const api = /^\/api\/models\/(.+)\/revision\/([^/]+)$/.exec(url.pathname)
    if (api) {
      const repo = o.repos[decodeURIComponent(api[1]!)]
      if (!repo || decodeURIComponent(api[2]!) !== 'main') return notFound()
      const siblings = Object.entries(repo.files).map(([name, b]) =>
        repo.lfs?.includes(name)
          ? { rfilename: name, size: b.length, blobId: gitBlobId(Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(b)}\n`)), lfs: { sha256: repo.claimedSha256?.[name] ?? sha256(b), size: b.length, pointerSize: 134 } }
          : { rfilename: name, size: b.length, blobId: gitBlobId(b) },
      )
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: decodeURIComponent(api[1]!), sha: repo.sha, siblings }))
      return
    }
    const resolve = /^\/(.+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname)
    if (resolve) {
      const repo = o.repos[decodeURIComponent(resolve[1]!)]
      const name = decodeURIComponent(resolve[3]!)
      const b = repo?.files[name]
      if (!repo || !b || decodeURIComponent(resolve[2]!) !== 'main') return notFound()
      if (repo.lfs?.includes(name)) {
        const host = o.cdnHost ?? url.hostname
        res.writeHead(302, { location: `${scheme}://${host}:${port}/cdn/${sha256(b)}` }).end()
        return
      }
      return serve(req, res, name, b)
    }
    notFound()
  }

  const server = o.tls ? https.createServer({ key: o.tls.key, cert: o.tls.cert }, handler) : http.createServer(handler)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  port = (server.address() as AddressInfo).port
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections?.()
        server.close(() => r())
      }),
  }
}

export interface FakeProxy {
  url: string
  /** 'GET http://host/path' for forwarded requests, 'CONNECT host:port' for tunnels. */
  seen: string[]
  close(): Promise<void>
}

export async function startProxy(): Promise<FakeProxy> {
  const seen: string[] = []
  const sockets = new Set<net.Socket>()
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    if (!req.url?.startsWith('http://')) {
      res.writeHead(400).end('absolute-URI requests only')
      return
    }
    const target = new URL(req.url)
    const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: target.pathname + target.search, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers)
      r.pipe(res)
    })
    up.on('error', () => res.destroy())
    req.pipe(up)
  })
  server.on('connect', (req: IncomingMessage, client: net.Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`)
    const [host, p] = (req.url ?? '').split(':')
    const upstream = net.connect(Number(p), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.closeAllConnections?.()
        server.close(() => r())
      }),
  }
}
