/**
 * Training through the host with the real trainer process (forked, running the engine on a tiny
 * model): the run is recorded step by step, evaluated on dev and test, and its checkpoint
 * predicts; a trainer that dies marks its run failed and the host keeps working.
 */
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTempDirs } from '../../../helpers/temp-dir'
import { useHosts } from '../../../helpers/host'
import { TINY_BERT, toyProject as importToyProject } from '../../../helpers/toy-ner'
import type { Host } from '../../../../src-main/host/create-host'
import type { RunProgress } from '../../../../src-shared/domain/run'

const tempDir = useTempDirs()
const newHost = useHosts(tempDir)


const toyProject = (host: Host): Promise<number> => importToyProject(host, tempDir())

const CONFIG = { model: TINY_BERT, epochs: 3, batchSize: 8, learningRate: 5e-3, maxLength: 32, dropout: 0, seed: 1, evalEvery: 'epoch' }

describe('training runs in a trainer process', () => {
  it('records steps, dev evaluations, the test report and predictions, and the model predicts', async () => {
    const host = newHost()
    const projectId = await toyProject(host)
    const progress: RunProgress[] = []
    const statuses: string[] = []
    host.onEvent((e, p) => {
      if (e === 'run.onDidProgress') progress.push(p as RunProgress)
      if (e === 'run.onDidChange') statuses.push((p as { status: string }).status)
    })
    const started = await host.call('run.start', { projectId, name: 'tiny', config: CONFIG, backend: 'wasm' })
    expect(started.status).toBe('running')
    const run = await host.runs.waitFor(started.id)
    expect(run.error).toBeNull()
    expect(run.status).toBe('completed')
    expect(statuses).toEqual(['queued', 'running', 'completed'])
    // Large matMuls take a second thread where there is a second core (the tiny model's are too small to be split).
    expect(run.backend).toMatchObject({ name: 'wasm', threads: availableParallelism() >= 2 ? 2 : 1 })
    expect(run.trainableParams).toBe(run.totalParams)
    expect(run.bestMetric!).toBeGreaterThan(0.5)

    const detail = await host.call('run.get', { id: run.id })
    expect(detail.series['train/loss']).toHaveLength(18)
    expect(detail.series['dev/f1']!.map((p) => p.step)).toEqual([6, 12, 18])
    const splits = detail.evaluations.map((e) => `${e.split}/${e.checkpoint}/${e.mode}`)
    expect(splits).toContain('test/best/default')
    expect(splits).toContain('dev/best/default')
    const test = detail.evaluations.find((e) => e.split === 'test' && e.mode === 'default')!
    expect(test.result.report.perType.map((t) => t.type).sort()).toEqual(['LOC', 'PER'])
    expect(progress.filter((p) => p.kind === 'step')).toHaveLength(18)
    expect(progress.filter((p) => p.kind === 'eval')).toHaveLength(3)
    for (const f of ['best/model.safetensors', 'last/optimizer.safetensors', 'data.jsonl']) expect(existsSync(join(run.checkpointDir!, f)), f).toBe(true)
    const predictions = host.db.prepare('SELECT COUNT(*) AS n FROM run_predictions WHERE run_id = ? AND split = ?').get(run.id, 'test') as { n: number }
    expect(predictions.n).toBe(12)

    const { items } = await host.call('run.predict', { id: run.id, texts: ['mary visited london yesterday'] })
    expect(items[0]!.spans.map((s) => s.label)).toEqual(['PER', 'LOC'])

    const evals = await host.call('run.evaluate', { id: run.id, split: 'test', modes: ['default', 'strict'] })
    expect(evals.map((e) => e.mode)).toEqual(['default', 'strict'])
    expect(evals[0]!.result.f1).toBeCloseTo(test.result.f1, 10)
  })

  it('refuses a run config with bad fields, naming each, and stores nothing', async () => {
    const host = newHost()
    const projectId = await toyProject(host)
    await expect(host.call('run.start', { projectId, config: { ...CONFIG, learningRate: -1, schedule: 'zigzag' } })).rejects.toThrow(/learningRate[\s\S]*schedule/)
    expect(await host.call('run.list', { projectId })).toEqual([])
  })

  it('a trainer that fails marks its run failed with the reason, and the host keeps working', async () => {
    const host = newHost()
    const projectId = await toyProject(host)
    const started = await host.call('run.start', { projectId, config: { ...CONFIG, model: join(tempDir(), 'no-such-model') }, backend: 'wasm' })
    const run = await host.runs.waitFor(started.id)
    expect(run.status).toBe('failed')
    expect(run.error).toMatch(/model folder not found/)
    expect((await host.call('project.list', {})).length).toBe(1)
  })

  it('a trainer process killed mid-run marks the run failed; the next queued run still trains', async () => {
    const host = newHost()
    const projectId = await toyProject(host)
    let killed = false
    host.onEvent((e, p) => {
      const pr = p as RunProgress
      if (e === 'run.onDidProgress' && pr.kind === 'step' && pr.step === 2 && !killed) {
        killed = true
        const pid = host.runs.activePid(pr.runId)
        process.kill(pid!, 'SIGKILL')
      }
    })
    const first = await host.call('run.start', { projectId, config: { ...CONFIG, epochs: 50 }, backend: 'wasm' })
    const second = await host.call('run.start', { projectId, config: { ...CONFIG, epochs: 1 }, backend: 'wasm' })
    expect(second.status).toBe('queued')
    const a = await host.runs.waitFor(first.id)
    expect(a.status).toBe('failed')
    expect(a.error).toMatch(/killed \(SIGKILL\)/)
    const b = await host.runs.waitFor(second.id)
    expect(b.status).toBe('completed')
    // Everything logged before the crash is kept.
    expect((await host.call('run.get', { id: a.id })).series['train/loss']!.length).toBeGreaterThanOrEqual(2)
  })
})
