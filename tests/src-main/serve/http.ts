/** Raw HTTP requests for the serving tests: any method, headers and body, chunked or not. */
import { request } from 'node:http'

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json: unknown
}

export interface RawRequest {
  method?: string
  path?: string
  headers?: Record<string, string>
  /** Sent in one piece with a Content-Length (or chunked when `chunked`). */
  body?: string | Buffer
  chunked?: boolean
}

export function raw(url: string, r: RawRequest = {}): Promise<RawResponse> {
  const u = new URL(r.path ?? '/', url)
  return new Promise((resolve, reject) => {
    const req = request(
      { hostname: u.hostname, port: u.port, path: u.pathname + u.search, method: r.method ?? 'GET', headers: { ...(r.chunked ? { 'Transfer-Encoding': 'chunked' } : {}), ...r.headers }, agent: false },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let json: unknown
          try {
            json = JSON.parse(text)
          } catch {
            json = undefined
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json })
        })
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    if (r.body !== undefined) {
      const body = Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body, 'utf8')
      if (r.chunked) {
        // Several chunks, so the server sees the body arrive in pieces.
        const step = Math.max(1, Math.ceil(body.length / 8))
        for (let i = 0; i < body.length; i += step) req.write(body.subarray(i, i + step))
      } else {
        req.setHeader('Content-Length', String(body.length))
        req.write(body)
      }
    }
    req.end()
  })
}

/** POST /v1/ner with a JSON body. */
export function postNer(url: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return raw(url, { method: 'POST', path: '/v1/ner', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) })
}
