/**
 * The REST API of a served model, in this process on a free port, with real HTTP requests and a
 * real (tiny) model on the wasm backend: spans with both offset kinds, every kind of bad input
 * answered with its JSON error and status (and the server still answering afterwards), tokens,
 * batching, failures of the model, overload and shutdown.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { useWasm } from '../../helpers/tf'
import { TINY_BERT, tinyTokenizer, toyDocuments } from '../../helpers/toy-ner'
import { loadServedModel, type LoadedServedModel } from '../../../src-main/serve/model'
import { startNerServer, tokenMatches, type NerServerOptions, type RunningNerServer, type ServedPredictor } from '../../../src-main/serve/http-server'
import { loadTokenClassifier } from '../../../src-main/engine/model/io'
import { disposeParams } from '../../../src-main/engine/model/bert'
import { tagSetFromId2Label } from '../../../src-main/engine/data'
import { predictDocuments } from '../../../src-main/engine/infer/predict'
import { curlExample, NerResponse, ServedModelInfo, ServeErrorBody, type ServedSpan } from '../../../src-shared/domain/serving'
import { everyWordModel, spec } from './fixture'
import { postNer, raw, type RawRequest } from './http'

let dir: string
let everyWord: LoadedServedModel
let tiny: LoadedServedModel
const servers: RunningNerServer[] = []

beforeAll(async () => {
  await useWasm()
  dir = mkdtempSync(join(tmpdir(), 'tagtune-serve-'))
  everyWord = loadServedModel(spec(everyWordModel(dir)))
  tiny = loadServedModel(spec(TINY_BERT, { maxLength: 16 }))
})
afterAll(() => {
  everyWord.dispose()
  tiny.dispose()
  rmSync(dir, { recursive: true, force: true })
})
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close(2000)
})

async function serve(options: Partial<NerServerOptions> = {}): Promise<RunningNerServer> {
  const s = await startNerServer({ model: everyWord, backend: 'wasm', port: 0, ...options })
  servers.push(s)
  return s
}

/** The words of the every-word model's output: a span per word. */
const words = (spans: ServedSpan[]): string[] => spans.map((s) => s.text)

const TOKEN = 'test-token-0123456789'
const AUTH = { Authorization: `Bearer ${TOKEN}` }

describe('POST /v1/ner', () => {
  it('answers spans with code-point and UTF-16 offsets, astral characters included', async () => {
    const s = await serve()
    const text = 'mary 😀 visited 𠮷野家 london'
    const r = await postNer(s.url, { texts: [text, '', 'paris'] })
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toMatch(/^application\/json/)
    const body = NerResponse.parse(r.json)
    expect(body.model).toEqual({ run: 7, name: 'fixture', labels: ['PER', 'LOC'] })
    expect(body.results).toHaveLength(3)
    expect(body.results[0]!.text).toBeUndefined()
    // Hand-counted: 😀 and 𠮷 are one code point but two UTF-16 units each; CJK characters are words of their own.
    expect(body.results[0]!.spans.map((x) => [x.text, x.start, x.end, x.startUtf16, x.endUtf16, x.label])).toEqual([
      ['mary', 0, 4, 0, 4, 'PER'],
      ['😀', 5, 6, 5, 7, 'PER'],
      ['visited', 7, 14, 8, 15, 'PER'],
      ['𠮷', 15, 16, 16, 18, 'PER'],
      ['野', 16, 17, 18, 19, 'PER'],
      ['家', 17, 18, 19, 20, 'PER'],
      ['london', 19, 25, 21, 27, 'PER'],
    ])
    for (const x of body.results[0]!.spans) {
      expect([...text].slice(x.start, x.end).join('')).toBe(x.text)
      expect(text.slice(x.startUtf16, x.endUtf16)).toBe(x.text)
      expect(x.confidence).toBeGreaterThan(0.99)
    }
    expect(body.results[1]!.spans).toEqual([])
    expect(words(body.results[2]!.spans)).toEqual(['paris'])
    expect(body.timing).toMatchObject({ batchTexts: 3, batchRequests: 1 })
    expect(body.timing.totalMs).toBeGreaterThanOrEqual(body.timing.inferenceMs)
  })

  it('echoes the texts when asked', async () => {
    const s = await serve()
    const r = await postNer(s.url, { texts: ['hello john', 'berlin'], includeText: true })
    expect(NerResponse.parse(r.json).results.map((x) => x.text)).toEqual(['hello john', 'berlin'])
  })

  it('answers what the engine predicts, long texts (windowed) included', async () => {
    const s = await serve({ model: tiny })
    const long = toyDocuments(12, 5).map((d) => d.text).join(' . ')
    const texts = [...toyDocuments(6, 9).map((d) => d.text), long, 'anna 😀 from 𠮷 paris']
    const r = await postNer(s.url, { texts })
    expect(r.status).toBe(200)
    const served = NerResponse.parse(r.json).results.map((x) => x.spans.map((y) => ({ start: y.startUtf16, end: y.endUtf16, label: y.label, confidence: y.confidence })))

    const { model } = loadTokenClassifier(TINY_BERT)
    const engine = predictDocuments(model, tinyTokenizer(), tagSetFromId2Label(model.labels), texts.map((text, id) => ({ id, text, spans: [] })), { maxLength: 16, batchSize: 8, labelAllSubtokens: false })
    disposeParams(model.params)
    const expected = engine.map((p) => p.spans.map((y) => ({ start: y.start, end: y.end, label: y.label, confidence: y.confidence })))
    expect(served).toEqual(expected)
    // The long text needed several windows of 16 tokens, and the (random) model does tag things.
    expect(tinyTokenizer().encode(long).ids.length).toBeGreaterThan(40)
    expect(served.flat().length).toBeGreaterThan(0)
  })

  it('does not leak tensors across requests', async () => {
    const s = await serve()
    await postNer(s.url, { texts: ['warm up'] })
    const before = tf.memory().numTensors
    for (let i = 0; i < 3; i++) expect((await postNer(s.url, { texts: ['john lives in paris', 'hello mary'] })).status).toBe(200)
    expect(tf.memory().numTensors).toBe(before)
  })
})

describe('bad input', () => {
  const limits = { maxTexts: 4, maxTextChars: 50, maxBodyBytes: 4096 }
  const json = { 'Content-Type': 'application/json', ...AUTH }
  const post = (body: string | Buffer, headers: Record<string, string> = json, extra: Partial<RawRequest> = {}): RawRequest => ({ method: 'POST', path: '/v1/ner', headers, body, ...extra })
  const CASES: { name: string; request: RawRequest; status: number; code: string; message?: RegExp; header?: [string, RegExp] }[] = [
    { name: 'invalid JSON', request: post('{"texts": ["a"'), status: 400, code: 'invalid_json', message: /not valid JSON/ },
    { name: 'a body that is not UTF-8', request: post(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])), status: 400, code: 'invalid_json', message: /UTF-8/ },
    { name: 'an empty body', request: post(''), status: 400, code: 'invalid_json', message: /empty/ },
    { name: 'a JSON array', request: post('["a"]'), status: 400, code: 'invalid_request', message: /JSON object/ },
    { name: 'no texts', request: post('{}'), status: 400, code: 'invalid_request', message: /texts/ },
    { name: 'texts a string', request: post('{"texts": "john"}'), status: 400, code: 'invalid_request', message: /texts: .*expected array/ },
    { name: 'texts holding a number', request: post('{"texts": ["a", 3]}'), status: 400, code: 'invalid_request', message: /texts\.1: .*expected string/ },
    { name: 'texts holding null', request: post('{"texts": [null]}'), status: 400, code: 'invalid_request', message: /texts\.0/ },
    { name: 'texts empty', request: post('{"texts": []}'), status: 400, code: 'invalid_request', message: /at least one text/ },
    { name: 'an unknown field', request: post('{"texts": ["a"], "txt": 1}'), status: 400, code: 'invalid_request', message: /txt/ },
    { name: 'includeText not a boolean', request: post('{"texts": ["a"], "includeText": "yes"}'), status: 400, code: 'invalid_request', message: /includeText/ },
    { name: 'too many texts', request: post(JSON.stringify({ texts: ['a', 'b', 'c', 'd', 'e'] })), status: 413, code: 'too_many_texts', message: /5 texts; the limit is 4/ },
    { name: 'a text too long', request: post(JSON.stringify({ texts: ['ok', 'x'.repeat(51)] })), status: 413, code: 'text_too_long', message: /texts\.1 has 51 characters; the limit is 50/ },
    { name: 'an oversize body', request: post(JSON.stringify({ texts: ['y'.repeat(10_000)] })), status: 413, code: 'payload_too_large', message: /larger than 4,096 bytes/, header: ['connection', /close/] },
    { name: 'an oversize chunked body', request: post(JSON.stringify({ texts: ['y'.repeat(10_000)] }), json, { chunked: true }), status: 413, code: 'payload_too_large' },
    { name: 'a huge body, too big to read', request: post(Buffer.alloc(9 * 1024 * 1024, 0x20)), status: 413, code: 'payload_too_large' },
    { name: 'no token', request: post('{"texts": ["a"]}', { 'Content-Type': 'application/json' }), status: 401, code: 'unauthorized', message: /requires a token/, header: ['www-authenticate', /Bearer/] },
    { name: 'a wrong token', request: post('{"texts": ["a"]}', { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}x` }), status: 401, code: 'unauthorized', message: /wrong/ },
    { name: 'a token of another scheme', request: post('{"texts": ["a"]}', { 'Content-Type': 'application/json', Authorization: `Basic ${TOKEN}` }), status: 401, code: 'unauthorized', message: /Bearer/ },
    { name: 'text/plain', request: post('{"texts": ["a"]}', { ...AUTH, 'Content-Type': 'text/plain' }), status: 415, code: 'unsupported_media_type', message: /application\/json/ },
    { name: 'form data', request: post('texts=a', { ...AUTH, 'Content-Type': 'application/x-www-form-urlencoded' }), status: 415, code: 'unsupported_media_type' },
    { name: 'no content type', request: post('{"texts": ["a"]}', { ...AUTH }), status: 415, code: 'unsupported_media_type', message: /no Content-Type/ },
    { name: 'a charset other than UTF-8', request: post('{"texts": ["a"]}', { ...AUTH, 'Content-Type': 'application/json; charset=latin1' }), status: 415, code: 'unsupported_media_type', message: /UTF-8/ },
    { name: 'an unknown route', request: { method: 'GET', path: '/v1/nerd', headers: AUTH }, status: 404, code: 'not_found', message: /POST \/v1\/ner/ },
    { name: 'the root', request: { method: 'POST', path: '/', headers: json, body: '{}' }, status: 404, code: 'not_found' },
    { name: 'GET on /v1/ner', request: { method: 'GET', path: '/v1/ner', headers: AUTH }, status: 405, code: 'method_not_allowed', header: ['allow', /^POST$/] },
    { name: 'PUT on /v1/ner', request: { method: 'PUT', path: '/v1/ner', headers: json, body: '{"texts":["a"]}' }, status: 405, code: 'method_not_allowed' },
    { name: 'DELETE on /v1/model', request: { method: 'DELETE', path: '/v1/model', headers: AUTH }, status: 405, code: 'method_not_allowed', header: ['allow', /GET/] },
    { name: 'the model without a token', request: { method: 'GET', path: '/v1/model' }, status: 401, code: 'unauthorized' },
  ]

  it('answers each with a JSON error and its status, and keeps serving', async () => {
    const s = await serve({ token: TOKEN, limits })
    for (const c of CASES) {
      const r = await raw(s.url, c.request)
      expect(r.status, c.name).toBe(c.status)
      expect(r.headers['content-type'], c.name).toMatch(/^application\/json/)
      const body = ServeErrorBody.parse(r.json)
      expect(body.error.code, c.name).toBe(c.code)
      if (c.message) expect(body.error.message, c.name).toMatch(c.message)
      if (c.header) expect(String(r.headers[c.header[0]]), c.name).toMatch(c.header[1])
    }
    expect(s.stats().errors).toBe(CASES.length)
    expect(s.stats().requests).toBe(0)
    const ok = await postNer(s.url, { texts: ['john lives in paris'] }, AUTH)
    expect(ok.status).toBe(200)
    expect(words(NerResponse.parse(ok.json).results[0]!.spans)).toEqual(['john', 'lives', 'in', 'paris'])
    expect((await raw(s.url, { path: '/v1/health' })).json).toEqual({ status: 'ok' })
    expect(s.stats()).toMatchObject({ requests: 1, texts: 1, errors: CASES.length })
  })

  it('answers invalid HTTP with a JSON 400 and keeps serving', async () => {
    const s = await serve()
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(s.port, '127.0.0.1', () => socket.write('THIS IS NOT HTTP\r\n\r\n'))
      let text = ''
      socket.on('data', (d) => (text += d.toString('utf8')))
      socket.on('end', () => resolve(text))
      socket.on('error', reject)
    })
    expect(reply).toMatch(/^HTTP\/1\.1 400/)
    expect(ServeErrorBody.parse(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4))).error.code).toBe('invalid_request')
    expect((await postNer(s.url, { texts: ['ok'] })).status).toBe(200)
  })

  it('survives a client that goes away in the middle of its body', async () => {
    const s = await serve()
    await new Promise<void>((resolve) => {
      const socket = connect(s.port, '127.0.0.1', () => {
        socket.write('POST /v1/ner HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"texts": ["jo')
        setTimeout(() => {
          socket.destroy()
          resolve()
        }, 50)
      })
    })
    expect((await postNer(s.url, { texts: ['still here'] })).status).toBe(200)
  })

  it('answers curl, which asks before sending a big body (Expect: 100-continue), and keeps serving', async () => {
    if (!existsSync('/usr/bin/curl')) return console.warn('Skipping: curl is not installed')
    const s = await serve({ limits: { maxBodyBytes: 100_000 } })
    const curl = async (body: string, ...flags: string[]): Promise<{ status: number; json: unknown }> => {
      const file = join(dir, `body-${body.length}.json`)
      writeFileSync(file, body)
      const out = await new Promise<string>((resolve, reject) =>
        execFile('curl', ['-sS', '-w', '\n%{http_code}', '-H', 'Content-Type: application/json', ...flags, '--data-binary', `@${file}`, `${s.url}/v1/ner`], (err, stdout) => (err ? reject(err) : resolve(stdout))),
      )
      const lines = out.trimEnd().split('\n')
      return { status: Number(lines.at(-1)), json: JSON.parse(lines.slice(0, -1).join('\n')) }
    }
    const big = JSON.stringify({ texts: ['x'.repeat(3_000_000)] })
    for (const flags of [['-H', 'Expect: 100-continue'], ['-H', 'Expect:']]) {
      const r = await curl(big, ...flags)
      expect(r.status, flags.join(' ')).toBe(413)
      expect(ServeErrorBody.parse(r.json).error.code).toBe('payload_too_large')
    }
    const small = await curl(JSON.stringify({ texts: ['hello john'] }), '-H', 'Expect: 100-continue')
    expect(small.status).toBe(200)
    expect(words(NerResponse.parse(small.json).results[0]!.spans)).toEqual(['hello', 'john'])
  })

  it('counts a text in characters (code points), not UTF-16 units', async () => {
    const s = await serve({ limits: { maxTextChars: 50 } })
    expect((await postNer(s.url, { texts: ['😀'.repeat(50)] })).status).toBe(200)
    const r = await postNer(s.url, { texts: ['😀'.repeat(51)] })
    expect(r.status).toBe(413)
    expect(ServeErrorBody.parse(r.json).error.message).toMatch(/51 characters/)
  })
})

describe('access', () => {
  it('a loopback server without a token answers only requests addressed to this machine', async () => {
    const s = await serve()
    const evil = await raw(s.url, { method: 'POST', path: '/v1/ner', headers: { 'Content-Type': 'application/json', Host: 'evil.example' }, body: '{"texts":["a"]}' })
    expect(evil.status).toBe(403)
    expect(ServeErrorBody.parse(evil.json).error.code).toBe('forbidden')
    const local = await raw(s.url, { method: 'POST', path: '/v1/ner', headers: { 'Content-Type': 'application/json', Host: `localhost:${s.port}` }, body: '{"texts":["a"]}' })
    expect(local.status).toBe(200)
  })

  it('a server bound beyond loopback requires a token, generated when none is given', async () => {
    const s = await serve({ hostname: '0.0.0.0' })
    expect(s.token).toMatch(/^[A-Za-z0-9_-]{20,}$/)
    expect(s.url).toBe(`http://127.0.0.1:${s.port}`)
    expect((await postNer(s.url, { texts: ['a'] })).status).toBe(401)
    expect((await postNer(s.url, { texts: ['a'] }, { Authorization: `Bearer ${s.token}` })).status).toBe(200)
  })

  it('GET /v1/model describes the model and the limits; GET /v1/health needs no token', async () => {
    const s = await serve({ token: TOKEN, limits: { maxTexts: 9 } })
    expect((await raw(s.url, { path: '/v1/health' })).status).toBe(200)
    const r = await raw(s.url, { path: '/v1/model', headers: AUTH })
    const info = ServedModelInfo.parse(r.json)
    expect(info).toMatchObject({ run: 7, labels: ['PER', 'LOC'], tags: ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'], maxLength: 32, backend: 'wasm' })
    expect(info.limits.maxTexts).toBe(9)
  })

  it('the curl example printed for users works as printed', async () => {
    if (!existsSync('/usr/bin/curl')) return console.warn('Skipping: curl is not installed')
    const s = await serve({ token: TOKEN })
    const out = await new Promise<string>((resolve, reject) =>
      execFile('/bin/sh', ['-c', curlExample(s.url, TOKEN, "mary's 😀 paris")], (err, stdout) => (err ? reject(err) : resolve(stdout))),
    )
    expect(words(NerResponse.parse(JSON.parse(out)).results[0]!.spans)).toEqual(['mary', "'", 's', '😀', 'paris'])
  })

  it('compares tokens whatever their lengths', () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true)
    expect(tokenMatches(TOKEN.slice(0, -1), TOKEN)).toBe(false)
    expect(tokenMatches(`${TOKEN}x`, TOKEN)).toBe(false)
    expect(tokenMatches('', TOKEN)).toBe(false)
  })
})

describe('batching, failures and shutdown', () => {
  /** The every-word model behind a delay, so requests can pile up while it "runs" (the thread stays free). */
  function slow(ms: number, inner: ServedPredictor = everyWord): ServedPredictor & { calls: number[] } {
    const calls: number[] = []
    return {
      ...inner,
      labels: inner.labels,
      tags: inner.tags,
      calls,
      predict: async (texts) => {
        calls.push(texts.length)
        await new Promise((r) => setTimeout(r, ms))
        return inner.predict(texts)
      },
    }
  }

  it('merges concurrent requests into one model call and gives each its own spans', async () => {
    const s = await serve({ limits: { batchWindowMs: 50, maxBatchTexts: 32 } })
    const names = ['john', 'mary', 'anna', 'paris', 'london', 'berlin', 'china', 'france']
    const answers = await Promise.all(names.map((n) => postNer(s.url, { texts: [`hello ${n}`], includeText: true })))
    const bodies = answers.map((a) => NerResponse.parse(a.json))
    bodies.forEach((b, i) => {
      expect(b.results[0]!.text).toBe(`hello ${names[i]}`)
      expect(words(b.results[0]!.spans)).toEqual(['hello', names[i]])
    })
    expect(Math.max(...bodies.map((b) => b.timing.batchRequests))).toBeGreaterThan(1)
    const stats = s.stats()
    expect(stats.requests).toBe(8)
    expect(stats.batches).toBeLessThan(8)
    expect(Object.entries(stats.batchSizes).reduce((n, [size, count]) => n + Number(size) * count, 0)).toBe(8)
  })

  it('with --max-batch 1 each request is a model call of its own', async () => {
    const model = slow(5)
    const s = await serve({ model, limits: { batchWindowMs: 50, maxBatchTexts: 1 } })
    const answers = await Promise.all(['a', 'b', 'c', 'd'].map((t) => postNer(s.url, { texts: [t] })))
    for (const a of answers) expect(NerResponse.parse(a.json).timing).toMatchObject({ batchTexts: 1, batchRequests: 1 })
    expect(model.calls).toEqual([1, 1, 1, 1])
  })

  it('a model call that fails answers 500 to its requests, and the next request succeeds', async () => {
    const s = await serve({
      model: {
        ...everyWord,
        labels: everyWord.labels,
        tags: everyWord.tags,
        predict: (texts) => {
          if (texts.includes('boom')) throw new Error('out of memory (simulated)')
          return everyWord.predict(texts)
        },
      },
    })
    const r = await postNer(s.url, { texts: ['boom'] })
    expect(r.status).toBe(500)
    expect(ServeErrorBody.parse(r.json).error).toMatchObject({ code: 'internal', message: expect.stringMatching(/out of memory \(simulated\)/) })
    expect((await postNer(s.url, { texts: ['fine'] })).status).toBe(200)
  })

  it('refuses with 503 when too many texts wait, and serves again afterwards', async () => {
    const s = await serve({ model: slow(300), limits: { batchWindowMs: 0, maxBatchTexts: 1, maxQueuedTexts: 2 } })
    const first = postNer(s.url, { texts: ['one'] })
    await new Promise((r) => setTimeout(r, 100))
    const waiting = [postNer(s.url, { texts: ['two'] }), postNer(s.url, { texts: ['three'] })]
    await new Promise((r) => setTimeout(r, 50))
    const refused = await postNer(s.url, { texts: ['four'] })
    expect(refused.status).toBe(503)
    expect(ServeErrorBody.parse(refused.json).error.code).toBe('overloaded')
    expect(refused.headers['retry-after']).toBe('1')
    for (const r of await Promise.all([first, ...waiting])) expect(r.status).toBe(200)
    expect((await postNer(s.url, { texts: ['five'] })).status).toBe(200)
  })

  it('close() answers the requests in flight, then stops listening', async () => {
    const s = await startNerServer({ model: slow(200), backend: 'wasm', port: 0 })
    const inFlight = postNer(s.url, { texts: ['john lives in paris'] })
    await new Promise((r) => setTimeout(r, 60))
    const closed = s.close(5000)
    const r = await inFlight
    expect(r.status).toBe(200)
    expect(words(NerResponse.parse(r.json).results[0]!.spans)).toEqual(['john', 'lives', 'in', 'paris'])
    await closed
    await expect(postNer(s.url, { texts: ['late'] })).rejects.toThrow(/ECONNREFUSED/)
  })
})
