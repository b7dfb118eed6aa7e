/**
 * The training queue through the host, with the real trainer process on the tiny model: pause
 * after the current step and resume; reorder and remove queued runs; a run cut off by a restart
 * is marked interrupted and resumes from its last checkpoint; queued runs survive a restart.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTempDirs } from '../../../helpers/temp-dir'
import { RESOURCES, useHosts } from '../../../helpers/host'
import { TINY_BERT, toyProject as importToyProject } from '../../../helpers/toy-ner'
import { createHost, type Host } from '../../../../src-main/host/create-host'
import type { RunChange, RunProgress } from '../../../../src-shared/domain/run'

const tempDir = useTempDirs()
const newHost = useHosts(tempDir)


const toyProject = (host: Host): Promise<number> => importToyProject(host, tempDir())

/** 6 steps per epoch on the toy data. */
const CONFIG = { model: TINY_BERT, epochs: 3, batchSize: 8, learningRate: 5e-3, maxLength: 32, dropout: 0, seed: 1, evalEvery: 'epoch' }

function record(host: Host): { statuses: Map<number, string[]>; steps: Map<number, number[]>; changes: RunChange[] } {
  const statuses = new Map<number, string[]>()
  const steps = new Map<number, number[]>()
  const changes: RunChange[] = []
  host.onEvent((e, p) => {
    if (e === 'run.onDidChange') {
      const c = p as RunChange
      changes.push(c)
      const list = statuses.get(c.runId) ?? []
      if (list[list.length - 1] !== c.status) list.push(c.status)
      statuses.set(c.runId, list)
    }
    if (e === 'run.onDidProgress' && (p as RunProgress).kind === 'step') {
      const pr = p as RunProgress
      steps.set(pr.runId, [...(steps.get(pr.runId) ?? []), pr.step!])
    }
  })
  return { statuses, steps, changes }
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('pausing and resuming a run', () => {
  it('pauses after the current step, trains no further while paused, and resumes where it stopped', async () => {
    const host = newHost()
    const projectId = await toyProject(host)
    const seen = record(host)
    let asked = false
    host.onEvent((e, p) => {
      const pr = p as RunProgress
      if (e === 'run.onDidProgress' && pr.kind === 'step' && pr.step === 2 && !asked) {
        asked = true
        void host.call('run.pause', { id: pr.runId })
      }
    })
    const run = await host.call('run.start', { projectId, config: CONFIG, backend: 'wasm' })
    await until(async () => (await host.call('run.get', { id: run.id, logLimit: 0 })).run.status === 'paused', 'the run to pause')
    const atPause = seen.steps.get(run.id)!.length
    expect(atPause).toBeGreaterThanOrEqual(2)
    expect(atPause).toBeLessThan(18)
    // Paused: no step for a while, and the trainer is still there.
    await new Promise((r) => setTimeout(r, 1200))
    expect(seen.steps.get(run.id)!.length).toBe(atPause)
    const paused = await host.call('run.get', { id: run.id, logLimit: 20 })
    expect(paused.live).toMatchObject({ step: atPause, totalSteps: 18 })
    expect(paused.live!.pid).toBe(host.runs.activePid(run.id))
    expect(paused.series['train/loss']).toHaveLength(atPause)
    expect(paused.logs.map((l) => l.message)).toContain(`Paused after step ${atPause}.`)
    // A second pause is harmless; resuming continues from the next step.
    expect((await host.call('run.pause', { id: run.id })).status).toBe('paused')
    await host.call('run.resume', { id: run.id })
    const done = await host.runs.waitFor(run.id)
    expect(done.status).toBe('completed')
    expect(seen.statuses.get(run.id)).toEqual(['queued', 'running', 'paused', 'running', 'completed'])
    expect(seen.steps.get(run.id)).toEqual(Array.from({ length: 18 }, (_, i) => i + 1))
    const detail = await host.call('run.get', { id: run.id })
    expect(detail.live).toBeNull()
    expect(detail.series['train/loss']!.map((p) => p.step)).toEqual(Array.from({ length: 18 }, (_, i) => i + 1))
    expect(detail.evaluations.some((e) => e.split === 'test' && e.checkpoint === 'best')).toBe(true)
    // Only running or paused runs pause; only paused or interrupted ones resume.
    expect((await host.invoke('run.pause', { id: run.id })).ok).toBe(false)
    const again = await host.invoke('run.resume', { id: run.id })
    expect(again.ok || again.error.code).toBe('CONFLICT')
  })

  it('cancels a paused run', async () => {
    const host = newHost()
    const projectId = await toyProject(host)
    const run = await host.call('run.start', { projectId, config: { ...CONFIG, epochs: 50 }, backend: 'wasm' })
    await until(async () => ((await host.call('run.get', { id: run.id, logLimit: 0 })).live?.step ?? 0) >= 1, 'a first step')
    await host.call('run.pause', { id: run.id })
    await until(async () => (await host.call('run.get', { id: run.id, logLimit: 0 })).run.status === 'paused', 'the run to pause')
    await host.call('run.cancel', { id: run.id })
    expect((await host.runs.waitFor(run.id)).status).toBe('cancelled')
  })
})

describe('the queue', () => {
  it('reorders queued runs, removes one that never starts, and trains the rest in the new order', async () => {
    const host = newHost()
    const projectId = await toyProject(host)
    const seen = record(host)
    const first = await host.call('run.start', { projectId, name: 'long', config: { ...CONFIG, epochs: 50 }, backend: 'wasm' })
    const second = await host.call('run.start', { projectId, name: 'second', config: { ...CONFIG, epochs: 1 }, backend: 'wasm' })
    const third = await host.call('run.start', { projectId, name: 'third', config: { ...CONFIG, epochs: 1 }, backend: 'wasm' })
    expect([first.status, second.status, third.status]).toEqual(['running', 'queued', 'queued'])
    expect(second.queuePosition! < third.queuePosition!).toBe(true)

    const queue = await host.call('run.reorder', { ids: [third.id, second.id] })
    expect(queue.map((r) => r.id)).toEqual([third.id, second.id])
    expect(queue.map((r) => r.queuePosition)).toEqual([0, 1])
    const listed = await host.call('run.list', { projectId })
    expect(listed.find((r) => r.id === third.id)!.queuePosition).toBe(0)

    // A running run cannot be deleted; a queued one leaves the queue and the store.
    const refused = await host.invoke('run.delete', { id: first.id })
    expect(refused.ok || refused.error.code).toBe('CONFLICT')
    await host.call('run.delete', { id: second.id })
    expect(seen.changes).toContainEqual({ runId: second.id, projectId, status: 'queued', deleted: true })
    expect((await host.call('run.list', { projectId })).map((r) => r.id)).toEqual([third.id, first.id])
    expect((await host.invoke('run.get', { id: second.id })).ok).toBe(false)

    await host.call('run.cancel', { id: first.id })
    expect((await host.runs.waitFor(first.id)).status).toBe('cancelled')
    expect((await host.runs.waitFor(third.id)).status).toBe('completed')
    expect(seen.statuses.get(third.id)).toEqual(['queued', 'running', 'completed'])
    expect(seen.statuses.get(second.id)).toEqual(['queued'])
    expect(existsSync(join(host.dataDir, 'runs', String(second.id)))).toBe(false)
  })
})

describe('after a restart', () => {
  it('marks the cut-off run interrupted, resumes it from its last checkpoint, and its curves continue', async () => {
    const dir = tempDir()
    const host = newHost(dir)
    const projectId = await toyProject(host)
    const seen = record(host)
    // Evaluate (and checkpoint) every 3 steps.
    const run = await host.call('run.start', { projectId, config: { ...CONFIG, evalEvery: 3 }, backend: 'wasm' })
    await until(() => (seen.steps.get(run.id) ?? []).includes(8), 'step 8')
    const pid = host.runs.activePid(run.id)!
    host.close()
    await until(() => !alive(pid), 'the trainer to stop with its host')

    const again = newHost(dir)
    const interrupted = (await again.call('run.get', { id: run.id, logLimit: 0 })).run
    expect(interrupted.status).toBe('interrupted')
    expect(interrupted.error).toBe('Tagtune stopped while this run was training.')
    const resumed = await again.call('run.resume', { id: run.id })
    expect(['queued', 'running']).toContain(resumed.status)
    const done = await again.runs.waitFor(run.id)
    expect(done.status).toBe('completed')
    expect(done.error).toBeNull()

    const detail = await again.call('run.get', { id: run.id, logLimit: 500 })
    const queuedAt = detail.logs.map((l) => /Queued to resume from the checkpoint at step (\d+)/.exec(l.message)).find(Boolean)
    expect(queuedAt, detail.logs.map((l) => l.message).join('\n')).toBeTruthy()
    const from = Number(queuedAt![1])
    expect(from % 3).toBe(0)
    expect(from).toBeGreaterThanOrEqual(6)
    expect(detail.logs.some((l) => l.message.includes(`Resuming at step ${from}`))).toBe(true)
    // One point per step, 1..18, with no fork where it resumed.
    expect(detail.series['train/loss']!.map((p) => p.step)).toEqual(Array.from({ length: 18 }, (_, i) => i + 1))
    expect(detail.series['dev/f1']!.map((p) => p.step)).toEqual([3, 6, 9, 12, 15, 18])
    expect(detail.evaluations.some((e) => e.split === 'test' && e.checkpoint === 'best')).toBe(true)
  })

  it('a server host trains the runs a previous session left queued', async () => {
    const dir = tempDir()
    const host = newHost(dir)
    const projectId = await toyProject(host)
    const seen = record(host)
    const first = await host.call('run.start', { projectId, config: { ...CONFIG, epochs: 50 }, backend: 'wasm' })
    const second = await host.call('run.start', { projectId, config: { ...CONFIG, epochs: 1 }, backend: 'wasm' })
    await until(() => (seen.steps.get(first.id) ?? []).length >= 1, 'a first step')
    const pid = host.runs.activePid(first.id)!
    host.close()
    await until(() => !alive(pid), 'the trainer to stop with its host')

    const server = createHost({ dataDir: dir, kind: 'server', backend: 'cpu', resourcesDir: RESOURCES })
    try {
      expect((await server.call('run.get', { id: first.id, logLimit: 0 })).run.status).toBe('interrupted')
      const done = await server.runs.waitFor(second.id)
      expect(done.status).toBe('completed')
      expect(done.backend).toMatchObject({ name: 'wasm' })
    } finally {
      server.close()
    }
  })
})
