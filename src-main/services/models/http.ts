/**
 * HTTP(S) GET with what a download behind a company firewall needs, on node:http/https only:
 * an HTTP proxy (absolute-URI requests for http:// targets, a CONNECT tunnel for https://),
 * the proxy taken from an explicit setting or HTTPS_PROXY / HTTP_PROXY / NO_PROXY, redirects
 * followed (the Authorization header is dropped when a redirect leaves the host, as browsers and
 * huggingface_hub do), and an idle timeout.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import https from 'node:https'
import tls from 'node:tls'
import net, { type Socket } from 'node:net'
import { AppError } from '../../../src-shared/ipc/errors'

export interface HttpSettings {
  /** Explicit proxy URL (http://[user:pass@]host:port); wins over the environment. */
  proxy?: string
  /** The environment to read HTTPS_PROXY, HTTP_PROXY and NO_PROXY from (default process.env). */
  env?: NodeJS.ProcessEnv
  /** Extra trusted CA certificates (PEM), e.g. a mirror's internal CA. NODE_EXTRA_CA_CERTS works too. */
  ca?: string | Buffer
  /** No byte for this long fails the request (default 60 s). */
  idleTimeoutMs?: number
}

export interface HttpResponse {
  status: number
  headers: IncomingHttpHeaders
  body: IncomingMessage
  /** The URL that answered, after redirects. */
  url: URL
  /** The proxy used for that last request, if any. */
  proxy: URL | null
}

const MAX_REDIRECTS = 10

/**
 * The proxy for `target`: the explicit setting, else HTTPS_PROXY (https targets; falling back to
 * HTTP_PROXY) or HTTP_PROXY (http targets), unless NO_PROXY names the host. Lowercase variants
 * are read too. Pure.
 */
export function proxyFor(target: URL, settings: Pick<HttpSettings, 'proxy' | 'env'> = {}): URL | null {
  if (settings.proxy) return parseProxy(settings.proxy, 'the proxy setting')
  const env = settings.env ?? process.env
  const pick = (...names: string[]): string | undefined => names.map((n) => env[n]).find((v) => v !== undefined && v.trim() !== '')
  const raw = target.protocol === 'https:' ? pick('HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy') : pick('HTTP_PROXY', 'http_proxy')
  if (!raw) return null
  if (bypassed(target, pick('NO_PROXY', 'no_proxy') ?? '')) return null
  return parseProxy(raw.includes('://') ? raw : `http://${raw}`, target.protocol === 'https:' ? 'HTTPS_PROXY' : 'HTTP_PROXY')
}

function parseProxy(raw: string, what: string): URL {
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    throw new AppError('INVALID_INPUT', `${what} "${raw}" is not a URL such as http://proxy.example:3128`, { field: 'proxy' })
  }
  if (u.protocol !== 'http:') throw new AppError('INVALID_INPUT', `${what} "${raw}" must be an http:// proxy (https:// targets go through it with CONNECT)`, { field: 'proxy' })
  return u
}

/** NO_PROXY: comma- or space-separated hosts, domain suffixes (.example.com or example.com), optional :port, or *. */
export function bypassed(target: URL, noProxy: string): boolean {
  const host = target.hostname.toLowerCase().replace(/^\[|\]$/g, '')
  const port = target.port || (target.protocol === 'https:' ? '443' : '80')
  for (let entry of noProxy.toLowerCase().split(/[\s,]+/).filter(Boolean)) {
    if (entry === '*') return true
    let entryPort: string | undefined
    const m = /^(.*):(\d+)$/.exec(entry)
    if (m && !entry.includes(']') && entry.split(':').length === 2) {
      entry = m[1]!
      entryPort = m[2]
    }
    entry = entry.replace(/^\*?\./, '').replace(/^\[|\]$/g, '')
    if (entryPort !== undefined && entryPort !== port) continue
    if (host === entry || host.endsWith(`.${entry}`)) return true
  }
  return false
}

function describeProxy(p: URL): string {
  return `${p.protocol}//${p.host}`
}

function proxyAuth(p: URL): Record<string, string> {
  if (!p.username) return {}
  const cred = `${decodeURIComponent(p.username)}:${decodeURIComponent(p.password)}`
  return { 'proxy-authorization': `Basic ${Buffer.from(cred).toString('base64')}` }
}

/** A TLS socket to `target` through a CONNECT tunnel of `proxy`. */
function tunnel(proxy: URL, target: URL, settings: HttpSettings): Promise<tls.TLSSocket> {
  const port = target.port || '443'
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: proxy.hostname,
      port: proxy.port || 80,
      method: 'CONNECT',
      path: `${target.hostname}:${port}`,
      headers: { host: `${target.hostname}:${port}`, ...proxyAuth(proxy) },
    })
    req.setTimeout(settings.idleTimeoutMs ?? 60_000, () => req.destroy(new Error('the proxy did not answer CONNECT in time')))
    req.once('connect', (res: IncomingMessage, socket: Socket) => {
      if (res.statusCode !== 200) {
        socket.destroy()
        reject(new AppError('UNAVAILABLE', `The proxy ${describeProxy(proxy)} refused to connect to ${target.host} (HTTP ${res.statusCode}${res.statusCode === 407 ? ': it needs credentials, http://user:pass@host:port' : ''}).`))
        return
      }
      const secure = tls.connect({ socket, ...(net.isIP(target.hostname) ? { host: target.hostname } : { servername: target.hostname }), ...(settings.ca ? { ca: settings.ca } : {}) })
      secure.once('secureConnect', () => resolve(secure))
      secure.once('error', reject)
    })
    req.once('error', reject)
    req.end()
  })
}

/** An agent whose one connection is the tunnel (request options' createConnection is ignored once an agent is involved). */
function tunnelAgent(socket: tls.TLSSocket): https.Agent {
  const agent = new https.Agent({ keepAlive: false })
  ;(agent as unknown as { createConnection: () => tls.TLSSocket }).createConnection = () => socket
  return agent
}

function once(target: URL, headers: Record<string, string>, settings: HttpSettings): Promise<{ res: IncomingMessage; proxy: URL | null }> {
  const proxy = proxyFor(target, settings)
  const timeout = settings.idleTimeoutMs ?? 60_000
  const send = (make: () => http.ClientRequest): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const req = make()
      req.setTimeout(timeout, () => req.destroy(new Error(`no answer for ${Math.round(timeout / 1000)} s`)))
      req.once('response', (res) => {
        // An idle body (a stalled transfer) fails too, instead of waiting forever.
        res.socket?.setTimeout(timeout, () => res.destroy(new Error(`no data for ${Math.round(timeout / 1000)} s`)))
        resolve(res)
      })
      req.once('error', reject)
      req.end()
    })
  const path = `${target.pathname}${target.search}`
  if (target.protocol === 'http:') {
    if (proxy) {
      // Through an HTTP proxy, an http:// request names the whole URL (absolute-URI form).
      return send(() => http.request({ host: proxy.hostname, port: proxy.port || 80, method: 'GET', path: target.href, headers: { ...headers, host: target.host, ...proxyAuth(proxy) } })).then((res) => ({ res, proxy }))
    }
    return send(() => http.request(target, { method: 'GET', headers })).then((res) => ({ res, proxy: null }))
  }
  if (proxy) {
    return tunnel(proxy, target, settings).then((socket) =>
      send(() =>
        https.request({ host: target.hostname, port: target.port || 443, method: 'GET', path, headers: { ...headers, host: target.host }, agent: tunnelAgent(socket) })
      ).then((res) => ({ res, proxy })),
    )
  }
  return send(() => https.request(target, { method: 'GET', headers, ...(settings.ca ? { ca: settings.ca } : {}) })).then((res) => ({ res, proxy: null }))
}

/**
 * GET `url`, following redirects. Network failures become AppError UNAVAILABLE naming the host
 * (and the proxy); HTTP statuses are the caller's to judge.
 */
export async function httpGet(url: URL, headers: Record<string, string>, settings: HttpSettings = {}): Promise<HttpResponse> {
  let current = url
  let sendHeaders = { ...headers }
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    let res: IncomingMessage
    let proxy: URL | null
    try {
      ;({ res, proxy } = await once(current, sendHeaders, settings))
    } catch (err) {
      if (err instanceof AppError) throw err
      const p = (() => {
        try {
          return proxyFor(current, settings)
        } catch {
          return null
        }
      })()
      const code = (err as NodeJS.ErrnoException).code
      const why = code ? `${code}${(err as Error).message && !(err as Error).message.includes(code) ? `: ${(err as Error).message}` : ''}` : (err as Error).message
      throw new AppError('UNAVAILABLE', `Cannot reach ${current.host}${p ? ` through the proxy ${describeProxy(p)}` : ''} (${why}).`, { url: current.origin })
    }
    const status = res.statusCode ?? 0
    const location = res.headers.location
    if ([301, 302, 303, 307, 308].includes(status) && location) {
      res.resume()
      const next = new URL(location, current)
      if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new AppError('FAILED', `${current.host} redirected to an unsupported address: ${next.protocol}`)
      if (next.host !== current.host) {
        // Credentials are for the hub, not for wherever it sends us (signed CDN URLs need none).
        const { authorization: _dropped, ...rest } = sendHeaders
        sendHeaders = rest
      }
      current = next
      continue
    }
    return { status, headers: res.headers, body: res, url: current, proxy }
  }
  throw new AppError('FAILED', `Too many redirects from ${url.host} (more than ${MAX_REDIRECTS}).`)
}

/** The whole body as text (for small JSON answers), at most `limit` bytes. */
export async function readText(body: IncomingMessage, limit = 50_000_000): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += (chunk as Buffer).length
    if (size > limit) {
      body.destroy()
      throw new AppError('FAILED', `The answer is larger than ${limit} bytes.`)
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}
