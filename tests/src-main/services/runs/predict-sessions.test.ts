/**
 * run.predict keeps the model loaded between requests (one trainer process answers the Predict
 * view's typing), with the same predictions as a one-off job; a rewritten checkpoint or a dead
 * process gets a fresh session, and closing the host ends it.
 */
import { mkdtempSync, rmSync, utimesSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHost, type Host } from '../../../../src-main/host/create-host'
import { forkTrainer, type TrainerHandle } from '../../../../src-main/services/runs/trainer-process'
import { RESOURCES } from '../../../helpers/host'
import { TINY_BERT, toyProject } from '../../../helpers/toy-ner'

const CONFIG = { model: TINY_BERT, epochs: 2, batchSize: 8, learningRate: 5e-3, maxLength: 32, dropout: 0, seed: 1, evalEvery: 'epoch' }

describe('prediction sessions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tagtune-sessions-'))
  const spawned: TrainerHandle[] = []
  let host: Host
  let runId: number
  beforeAll(async () => {
    host = createHost({ dataDir: join(dir, 'data'), kind: 'cli', backend: 'cpu', resourcesDir: RESOURCES, spawnTrainer: () => {
      const h = forkTrainer()
      spawned.push(h)
      return h
    } })
    const projectId = await toyProject(host, dir)
    const run = await host.call('run.start', { projectId, name: 'tiny', config: CONFIG, backend: 'wasm' })
    expect((await host.runs.waitFor(run.id)).status).toBe('completed')
    runId = run.id
  }, 180_000)
  afterAll(() => {
    host?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('answers one request after another from one process, as a one-off job would', async () => {
    const before = spawned.length
    const texts = ['mary visited london yesterday', 'john lives in paris']
    const first = await host.call('run.predict', { id: runId, texts })
    const second = await host.call('run.predict', { id: runId, texts: ['anna works in berlin'] })
    const third = await host.call('run.predict', { id: runId, texts })
    expect(spawned.length).toBe(before + 1)
    expect(third).toEqual(first)
    expect(second.items[0]!.spans.length).toBeGreaterThan(0)
    // More than 64 texts go to a one-off job: the same spans.
    const many = await host.call('run.predict', { id: runId, texts: Array.from({ length: 65 }, (_, i) => texts[i % 2]!) })
    expect(spawned.length).toBe(before + 2)
    expect(many.items.slice(0, 2)).toEqual(first.items)
  })

  it('starts a fresh session when the checkpoint is rewritten or the process dies', async () => {
    const texts = ['mary visited london yesterday']
    await host.call('run.predict', { id: runId, texts })
    const before = spawned.length
    const model = join(host.runs.runDir(runId), 'best', 'model.safetensors')
    const later = new Date(Date.now() + 60_000)
    utimesSync(model, later, later)
    const again = await host.call('run.predict', { id: runId, texts })
    expect(spawned.length).toBe(before + 1)
    const session = spawned.at(-1)!
    session.kill('SIGKILL')
    await session.exited
    expect(await host.call('run.predict', { id: runId, texts })).toEqual(again)
    expect(spawned.length).toBe(before + 2)
  })

  it('ends the session when the host closes', async () => {
    await host.call('run.predict', { id: runId, texts: ['john lives in paris'] })
    const session = spawned.at(-1)!
    host.close()
    const exit = await session.exited
    expect(exit.signal).toBeNull()
    expect(exit.code).toBe(0)
  })
})
