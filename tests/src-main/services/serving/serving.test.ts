/**
 * The serving channels through the host: a trained tiny run is served from a model-server
 * process of its own (started from the TypeScript source here, as the host finds it when it
 * runs from source), answers real HTTP requests, is listed with its request count, and stops;
 * errors (unknown run, no model, port in use, a server that dies) are reported and the host
 * keeps working; closing the host stops its servers.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer as createNetServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHost, type Host } from '../../../../src-main/host/create-host'
import { TINY_BERT, toyProject } from '../../../helpers/toy-ner'
import { RESOURCES } from '../../../helpers/host'
import { NerResponse, ServeErrorBody, ServedModelInfo } from '../../../../src-shared/domain/serving'
import { postNer, raw } from '../../serve/http'

const CONFIG = { model: TINY_BERT, epochs: 3, batchSize: 8, learningRate: 5e-3, maxLength: 32, dropout: 0, seed: 1, evalEvery: 'epoch' }

let dataDir: string
let host: Host
let runId: number
let projectId: number

const newHost = (): Host => createHost({ dataDir, kind: 'server', backend: 'wasm', resourcesDir: RESOURCES })

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tagtune-serving-'))
  host = newHost()
  projectId = await toyProject(host, dataDir)
  const started = await host.call('run.start', { projectId, name: 'tiny', config: CONFIG, backend: 'wasm' })
  const run = await host.runs.waitFor(started.id)
  if (run.status !== 'completed') throw new Error(`the tiny run did not train: ${run.error}`)
  runId = run.id
}, 120_000)

afterAll(() => {
  host.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('serving a run from the app', () => {
  it('serves the run from a process of its own, lists it with its requests, and stops it', async () => {
    const served = await host.call('serving.start', { runId, port: 0 })
    expect(served).toMatchObject({ runId, runName: 'tiny', state: 'running', host: '127.0.0.1', tokenRequired: false, token: null, labels: ['PER', 'LOC'], error: null })
    expect(served.url).toBe(`http://127.0.0.1:${served.port}`)
    expect(served.pid).not.toBe(process.pid)
    expect(alive(served.pid!)).toBe(true)

    const r = await postNer(served.url!, { texts: ['mary visited london yesterday', 'hello 😀 john'] })
    expect(r.status).toBe(200)
    const body = NerResponse.parse(r.json)
    expect(body.model).toEqual({ run: runId, name: 'tiny', labels: ['PER', 'LOC'] })
    expect(body.results[0]!.spans.map((s) => [s.text, s.label])).toEqual([['mary', 'PER'], ['london', 'LOC']])
    // The same model answers run.predict (a trainer job) alike.
    const { items } = await host.call('run.predict', { id: runId, texts: ['mary visited london yesterday', 'hello 😀 john'] })
    expect(body.results.map((x) => x.spans.map((s) => [s.startUtf16, s.endUtf16, s.label]))).toEqual(items.map((i) => i.spans.map((s) => [s.start, s.end, s.label])))
    const info = ServedModelInfo.parse((await raw(served.url!, { path: '/v1/model' })).json)
    expect(info).toMatchObject({ run: runId, maxLength: 32 })

    await postNer(served.url!, { texts: 'not an array' })
    const [status] = await host.call('serving.status', {})
    expect(status).toMatchObject({ runId, state: 'running', url: served.url, tokenRequired: false, requests: 1, texts: 2, errors: 1 })
    expect(status!.batches).toBeGreaterThanOrEqual(1)

    await expect(host.call('serving.start', { runId, port: 0 })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining(served.url!) })

    expect(await host.call('serving.stop', { runId })).toEqual({ runId })
    expect(await host.call('serving.status', {})).toEqual([])
    await expect(postNer(served.url!, { texts: ['late'] })).rejects.toThrow(/ECONNREFUSED/)
    await until('the server process exits', () => !alive(served.pid!))
  })

  it('requires the token it is given, and makes one up when bound beyond loopback', async () => {
    const token = 'team-token-abcdefghijkl'
    const withToken = await host.call('serving.start', { runId, port: 0, token })
    expect(withToken).toMatchObject({ tokenRequired: true, token })
    const refused = await postNer(withToken.url!, { texts: ['mary'] })
    expect(refused.status).toBe(401)
    expect(ServeErrorBody.parse(refused.json).error.code).toBe('unauthorized')
    expect((await postNer(withToken.url!, { texts: ['mary'] }, { Authorization: `Bearer ${token}` })).status).toBe(200)
    expect((await host.call('serving.status', {}))[0]).toMatchObject({ tokenRequired: true })
    await host.call('serving.stop', { runId })

    const open = await host.call('serving.start', { runId, port: 0, host: '0.0.0.0' })
    expect(open.tokenRequired).toBe(true)
    expect(open.token).toMatch(/^[A-Za-z0-9_-]{20,}$/)
    expect((await postNer(open.url!, { texts: ['mary'] })).status).toBe(401)
    expect((await postNer(open.url!, { texts: ['mary'] }, { Authorization: `Bearer ${open.token}` })).status).toBe(200)
    await host.call('serving.stop', { runId })
  })

  it('refuses unknown runs, runs without a model and a port in use, and the host keeps working', async () => {
    await expect(host.call('serving.start', { runId: 999, port: 0 })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'There is no run with id 999.' })
    const failed = await host.call('run.start', { projectId, config: { ...CONFIG, model: join(dataDir, 'no-such-model') }, backend: 'wasm' })
    await host.runs.waitFor(failed.id)
    await expect(host.call('serving.start', { runId: failed.id, port: 0 })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/has no saved model yet/) })

    const blocker: Server = createNetServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const port = (blocker.address() as { port: number }).port
    try {
      await expect(host.call('serving.start', { runId, port })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(new RegExp(`Port ${port} on 127.0.0.1 is already in use`)) })
    } finally {
      blocker.close()
    }
    await expect(host.call('serving.stop', { runId })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(await host.call('serving.status', {})).toEqual([])
    expect((await host.call('project.list', {})).length).toBe(1)
  })

  it('shows a server that dies as failed, with the reason, and can start it again', async () => {
    const served = await host.call('serving.start', { runId, port: 0 })
    process.kill(served.pid!, 'SIGKILL')
    await until('the server is shown as failed', async () => (await host.call('serving.status', {}))[0]?.state === 'failed')
    const [status] = await host.call('serving.status', {})
    expect(status!.error).toMatch(/stopped unexpectedly \(SIGKILL\)/)
    const again = await host.call('serving.start', { runId, port: 0 })
    expect(again.state).toBe('running')
    expect((await postNer(again.url!, { texts: ['mary'] })).status).toBe(200)
    await host.call('serving.stop', { runId })
  })

  it('closing the host stops its servers', async () => {
    const other = newHost()
    const served = await other.call('serving.start', { runId, port: 0 })
    expect((await postNer(served.url!, { texts: ['mary'] })).status).toBe(200)
    other.close()
    await until('the server process exits', () => !alive(served.pid!))
    await expect(postNer(served.url!, { texts: ['late'] })).rejects.toThrow(/ECONNREFUSED/)
  })
})
