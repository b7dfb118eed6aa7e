/** Serving the built renderer over HTTP: index.html for app routes, no escapes from the folder. */
import { createReadStream, existsSync, statSync } from 'node:fs'
import { extname, join, normalize, resolve, sep } from 'node:path'
import type { IncomingMessage, ServerResponse } from 'node:http'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
}

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

export function createStaticHandler(root: string): (req: IncomingMessage, res: ServerResponse) => void {
  const base = resolve(root)
  return (req, res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff')
    res.setHeader('Referrer-Policy', 'no-referrer')
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end()
      return
    }
    let pathname: string
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    } catch {
      res.writeHead(400).end('bad request')
      return
    }
    if (pathname.includes('\0')) {
      res.writeHead(400).end('bad request')
      return
    }
    const file = resolve(join(base, normalize(pathname)))
    if (file !== base && !file.startsWith(base + sep)) {
      res.writeHead(403).end('forbidden')
      return
    }
    let target = file
    if (!existsSync(target) || statSync(target).isDirectory()) {
      // App routes (/projects, /train ...) are the single page; missing assets are 404s.
      if (extname(pathname)) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found')
        return
      }
      target = join(base, 'index.html')
      if (!existsSync(target)) {
        res.writeHead(503, { 'Content-Type': 'text/plain' }).end('The renderer is not built: run `npm run build`.')
        return
      }
    }
    const type = TYPES[extname(target)] ?? 'application/octet-stream'
    const headers: Record<string, string | number> = { 'Content-Type': type, 'Content-Length': statSync(target).size }
    if (type.startsWith('text/html')) {
      headers['Content-Security-Policy'] = CONTENT_SECURITY_POLICY
      headers['Cache-Control'] = 'no-cache'
    } else if (pathname.startsWith('/assets/')) {
      headers['Cache-Control'] = 'public, max-age=31536000, immutable'
    }
    res.writeHead(200, headers)
    if (req.method === 'HEAD') res.end()
    else createReadStream(target).pipe(res)
  }
}
