/**
 * The REST API of a served model over node:http:
 *
 *   POST /v1/ner     {"texts": [...]} -> {model, results: [{spans}], timing}   (token)
 *   GET  /v1/model   labels, tags, max length, limits                          (token)
 *   GET  /v1/health  {"status": "ok"}                                           (open)
 *
 * Every refusal is JSON `{error: {code, message}}` with its HTTP status (400, 401, 403, 404,
 * 405, 413, 415, 500, 503), and no bad request can take the server down. Requests that arrive
 * together share one model call (see batcher.ts). The bearer token is compared in constant time.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHash, timingSafeEqual } from 'node:crypto'
import { generateToken, hostHeaderAllowed, isLoopbackHost } from '../host/access'
import { SERVE_API, SERVE_DEFAULTS, serverUrl, type NerResponse, type ServedModelInfo, type ServedSpan, type ServeLimits } from '../../src-shared/domain/serving'
import { createBatcher, QueueFullError } from './batcher'
import { checkContentType, parseNerRequest, ServeError, tooLarge } from './request'
import type { LoadedServedModel } from './model'

/** The model side of a server: a loaded model, or anything that answers spans per text. */
export type ServedPredictor = Pick<LoadedServedModel, 'runId' | 'name' | 'labels' | 'tags' | 'maxLength' | 'stride'> & {
  predict(texts: readonly string[]): ServedSpan[][] | Promise<ServedSpan[][]>
}

export interface NerServerOptions {
  model: ServedPredictor
  /** The tfjs backend, as reported by /v1/model. */
  backend: string
  hostname?: string
  port?: number
  /** Required from clients when given; generated when binding beyond loopback without one. */
  token?: string
  limits?: Partial<ServeLimits>
}

export interface ServeStats {
  /** Answered POST /v1/ner requests. */
  requests: number
  texts: number
  batches: number
  /** Requests answered with an error status. */
  errors: number
  errorsByCode: Record<string, number>
  /** Texts per model call -> how many calls had that many. */
  batchSizes: Record<number, number>
  startedAt: string
  lastRequestAt: string | null
  /** CPU time of this process so far (user + system), ms: what the model calls cost, whatever else runs on the machine. */
  cpuMs: number
}

export interface RunningNerServer {
  url: string
  hostname: string
  port: number
  token: string | undefined
  limits: ServeLimits
  stats(): ServeStats
  /** Stops accepting, answers what is in flight, then closes (connections left after `timeoutMs` are cut). */
  close(timeoutMs?: number): Promise<void>
}

const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' }

const ROUTES: Record<string, readonly string[]> = {
  [SERVE_API.ner]: ['POST'],
  [SERVE_API.model]: ['GET', 'HEAD'],
  [SERVE_API.health]: ['GET', 'HEAD'],
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest()

/** Equal strings, in time that depends on neither their contents nor their lengths. */
export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected))
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '')
  return m ? m[1]! : null
}

interface Body {
  ok: boolean
  bytes: Buffer
  received: number
  /** The whole body arrived (false: the client is still sending, or went away). */
  complete: boolean
}

/**
 * Reads the body up to `limit` bytes. Past the limit it keeps reading (and discarding) up to
 * `drainCap`, so that the 413 answer reaches the client instead of a connection reset.
 */
function readBody(req: IncomingMessage, limit: number, drainCap: number): Promise<Body> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let received = 0
    let done = false
    const finish = (complete: boolean): void => {
      if (done) return
      done = true
      req.off('data', onData)
      resolve({ ok: complete && received <= limit, bytes: Buffer.concat(chunks), received, complete })
    }
    const onData = (chunk: Buffer): void => {
      received += chunk.length
      if (received <= limit) chunks.push(chunk)
      else {
        chunks.length = 0
        if (received > drainCap) finish(false)
      }
    }
    req.on('data', onData)
    req.on('end', () => finish(true))
    req.on('error', () => finish(false))
    req.on('close', () => finish(req.complete))
  })
}

/**
 * After a 413 to a body too big to read: discard what still arrives for a moment (a client
 * that is still sending then reads the answer rather than a reset), then cut the connection.
 */
function cutOff(req: IncomingMessage): void {
  req.resume()
  const timer = setTimeout(() => req.socket.destroy(), 2000)
  timer.unref()
  req.once('end', () => clearTimeout(timer))
}

export async function startNerServer(options: NerServerOptions): Promise<RunningNerServer> {
  const limits: ServeLimits = { ...SERVE_DEFAULTS, ...options.limits }
  const hostname = options.hostname ?? '127.0.0.1'
  const loopback = isLoopbackHost(hostname)
  const token = options.token ?? (loopback ? undefined : generateToken())
  const model = options.model
  const drainCap = Math.max(limits.maxBodyBytes * 4, 8 * 1024 * 1024)

  const stats: Omit<ServeStats, 'cpuMs'> = { requests: 0, texts: 0, batches: 0, errors: 0, errorsByCode: {}, batchSizes: {}, startedAt: new Date().toISOString(), lastRequestAt: null }
  const batcher = createBatcher<ServedSpan[]>((texts) => model.predict(texts), { windowMs: limits.batchWindowMs, maxBatchTexts: limits.maxBatchTexts, maxQueuedTexts: limits.maxQueuedTexts }, (b) => {
    stats.batches++
    stats.batchSizes[b.texts] = (stats.batchSizes[b.texts] ?? 0) + 1
  })
  const modelRef = { run: model.runId, name: model.name, labels: [...model.labels] }
  let closing = false
  let inFlight = 0
  let settled: (() => void) | undefined

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return
    const text = JSON.stringify(body)
    res.writeHead(status, { ...JSON_HEADERS, 'Content-Length': String(Buffer.byteLength(text)), ...headers })
    res.end(text)
  }

  function refuse(res: ServerResponse, err: ServeError, close = false): void {
    stats.errors++
    stats.errorsByCode[err.code] = (stats.errorsByCode[err.code] ?? 0) + 1
    send(res, err.status, err.body(), { ...err.headers, ...(close || closing ? { Connection: 'close' } : {}) })
  }

  function authorize(req: IncomingMessage): void {
    if (!hostHeaderAllowed(req.headers.host, loopback, token !== undefined)) {
      throw new ServeError(403, 'forbidden', 'The Host header does not name this machine: a server bound to loopback without a token answers only requests addressed to localhost.')
    }
    if (token === undefined) return
    const header = req.headers.authorization
    const given = bearerToken(header)
    if (given === null) {
      throw new ServeError(401, 'unauthorized', header ? 'The Authorization header must be "Bearer <token>".' : 'This server requires a token: send "Authorization: Bearer <token>".', undefined, { 'WWW-Authenticate': 'Bearer realm="tagtune"' })
    }
    if (!tokenMatches(given, token)) throw new ServeError(401, 'unauthorized', 'The token is wrong.', undefined, { 'WWW-Authenticate': 'Bearer realm="tagtune", error="invalid_token"' })
  }

  function modelInfo(): ServedModelInfo {
    return {
      ...modelRef,
      tags: [...model.tags],
      maxLength: model.maxLength,
      stride: model.stride,
      backend: options.backend,
      offsets: 'start/end: code points; startUtf16/endUtf16: UTF-16 code units',
      limits: { ...limits },
    }
  }

  async function ner(req: IncomingMessage, res: ServerResponse, arrived: number, expectsContinue: boolean): Promise<void> {
    checkContentType(req.headers['content-type'])
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > limits.maxBodyBytes && (expectsContinue || declared > drainCap)) {
      // Nothing more will be read: the client waits for 100-continue, or the body is too big to drain.
      refuse(res, tooLarge(limits.maxBodyBytes, declared), true)
      if (!expectsContinue) res.once('finish', () => cutOff(req))
      return
    }
    if (expectsContinue) res.writeContinue()
    const body = await readBody(req, limits.maxBodyBytes, drainCap)
    if (!body.ok) {
      if (body.received > limits.maxBodyBytes) {
        refuse(res, tooLarge(limits.maxBodyBytes, body.received), true)
        if (!body.complete) res.once('finish', () => cutOff(req))
      } else req.socket.destroy()
      return
    }
    const request = parseNerRequest(body.bytes, limits)
    let batched
    try {
      batched = await batcher.submit(request.texts)
    } catch (err) {
      if (err instanceof QueueFullError) throw new ServeError(503, 'overloaded', `The server is busy (${err.queued} texts are waiting): retry in a moment.`, undefined, { 'Retry-After': '1' })
      throw new ServeError(500, 'internal', `The model failed on this batch: ${(err as Error).message}`)
    }
    stats.requests++
    stats.texts += request.texts.length
    stats.lastRequestAt = new Date().toISOString()
    const response: NerResponse = {
      model: modelRef,
      results: batched.results.map((spans, i) => (request.includeText ? { text: request.texts[i]!, spans } : { spans })),
      timing: {
        queueMs: round(batched.queueMs),
        inferenceMs: round(batched.batch.inferenceMs),
        totalMs: round(performance.now() - arrived),
        batchTexts: batched.batch.texts,
        batchRequests: batched.batch.requests,
      },
    }
    send(res, 200, response, closing ? { Connection: 'close' } : {})
  }

  async function handle(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): Promise<void> {
    const arrived = performance.now()
    inFlight++
    try {
      let path: string
      try {
        path = new URL(req.url ?? '/', 'http://x').pathname.replace(/\/+$/, '') || '/'
      } catch {
        throw new ServeError(400, 'invalid_request', 'The request URL is not valid.')
      }
      const method = req.method ?? 'GET'
      const allowed = ROUTES[path]
      if (!allowed) throw new ServeError(404, 'not_found', `There is no ${method} ${path}. This server answers POST ${SERVE_API.ner}, GET ${SERVE_API.model} and GET ${SERVE_API.health}.`)
      if (!allowed.includes(method)) throw new ServeError(405, 'method_not_allowed', `${path} answers ${allowed.filter((m) => m !== 'HEAD').join(', ')}, not ${method}.`, undefined, { Allow: allowed.join(', ') })
      if (closing) throw new ServeError(503, 'shutting_down', 'The server is shutting down.')
      if (path === SERVE_API.health) return send(res, 200, { status: 'ok' })
      authorize(req)
      if (path === SERVE_API.model) return send(res, 200, modelInfo())
      await ner(req, res, arrived, expectsContinue)
    } catch (err) {
      const e = err instanceof ServeError ? err : new ServeError(500, 'internal', `Unexpected error: ${(err as Error)?.message ?? String(err)}`)
      if (e.status === 500) console.error(`tagtune serve: ${e.message}`)
      refuse(res, e)
    } finally {
      inFlight--
      if (inFlight === 0) settled?.()
    }
  }

  const http = createServer({ requestTimeout: 60_000, headersTimeout: 20_000, keepAliveTimeout: 5_000 }, (req, res) => void handle(req, res, false))
  http.on('checkContinue', (req, res) => void handle(req, res, true))
  http.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || (err.code === 'ECONNRESET' || err.code === 'EPIPE')) return void socket.destroy()
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
    const body = JSON.stringify({ error: { code: 'invalid_request', message: `The request is not valid HTTP (${err.code ?? err.message}).` } })
    socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
  })
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(options.port ?? 0, hostname, () => {
      http.off('error', reject)
      resolve()
    })
  })
  const port = (http.address() as AddressInfo).port
  const url = serverUrl(hostname, port)

  let closed: Promise<void> | undefined
  return {
    url,
    hostname,
    port,
    token,
    limits,
    stats: () => {
      const cpu = process.cpuUsage()
      return { ...stats, errorsByCode: { ...stats.errorsByCode }, batchSizes: { ...stats.batchSizes }, cpuMs: (cpu.user + cpu.system) / 1000 }
    },
    close(timeoutMs = 10_000) {
      return (closed ??= (async () => {
        closing = true
        const stopped = new Promise<void>((r) => http.close(() => r()))
        http.closeIdleConnections()
        const answered = inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => (settled = r))
        const timeout = new Promise<void>((r) => setTimeout(r, timeoutMs).unref())
        await Promise.race([answered.then(() => batcher.idle()), timeout])
        http.closeIdleConnections()
        const cut = setTimeout(() => http.closeAllConnections(), 500)
        await Promise.race([stopped, timeout.then(() => http.closeAllConnections())])
        clearTimeout(cut)
      })())
    },
  }
}

const round = (ms: number): number => Math.round(ms * 100) / 100
