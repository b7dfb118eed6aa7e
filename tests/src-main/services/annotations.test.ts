import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTempDirs } from '../../helpers/temp-dir'
import { useHosts } from '../../helpers/host'
import type { AnnotationRecord } from '../../../src-shared/domain/annotation'

const tempDir = useTempDirs()
const newHost = useHosts(tempDir)

async function setup() {
  const host = newHost()
  const p = await host.call('project.create', { name: 'A', labels: [{ name: 'PER' }, { name: 'LOC' }] })
  const f = join(tempDir(), 'docs.txt')
  writeFileSync(f, 'Ada met Bob in Paris\n我在𠮷野家\nThird one\n')
  await host.call('dataset.import', { projectId: p.id, files: [{ path: f }] })
  const page = await host.call('document.list', { projectId: p.id })
  const [per, loc] = p.labels.map((l) => l.id) as [number, number]
  return { host, p, ids: page.items.map((d) => d.id), per, loc }
}

describe('annotations', () => {
  it('saves a first annotation, then versions each save', async () => {
    const { host, ids, per, loc } = await setup()
    const seen: unknown[] = []
    host.onEvent((e, payload) => e === 'annotation.onDidChange' && seen.push(payload))
    const v1 = await host.call('annotation.save', { documentId: ids[0]!, annotator: 'ana', spans: [[15, 20, loc], [0, 3, per]], status: 'in-progress', expectedVersion: 0 })
    expect(v1).toMatchObject({ version: 1, status: 'in-progress', spans: [[0, 3, per], [15, 20, loc]] })
    const v2 = await host.call('annotation.save', { documentId: ids[0]!, annotator: 'ana', spans: [[0, 3, per]], status: 'done', expectedVersion: 1 })
    expect(v2.version).toBe(2)
    const doc = await host.call('document.get', { id: ids[0]! })
    expect(doc).toMatchObject({ text: 'Ada met Bob in Paris', previousId: null, nextId: ids[1] })
    expect(doc.annotations).toEqual([v2])
    expect(seen).toHaveLength(2)
    // CJK with an astral character: 𠮷 is [2, 4).
    expect((await host.call('annotation.save', { documentId: ids[1]!, annotator: 'ana', spans: [[2, 5, loc]], status: 'done', expectedVersion: 0 })).spans).toEqual([[2, 5, loc]])
  })

  it('refuses a save based on an older version and returns the newer one to compare', async () => {
    const { host, ids, per } = await setup()
    await host.call('annotation.save', { documentId: ids[0]!, annotator: 'ana', spans: [[0, 3, per]], status: 'done', expectedVersion: 0 })
    const stale = await host.invoke('annotation.save', { documentId: ids[0]!, annotator: 'ana', spans: [], status: 'done', expectedVersion: 0 })
    expect(stale.ok).toBe(false)
    if (stale.ok) return
    expect(stale.error.code).toBe('CONFLICT')
    expect((stale.error.details as { current: AnnotationRecord }).current).toMatchObject({ version: 1, spans: [[0, 3, per]] })
    expect((await host.call('document.get', { id: ids[0]! })).annotations[0]!.spans).toEqual([[0, 3, per]])
    // Another annotator has their own annotation of the same document.
    expect((await host.call('annotation.save', { documentId: ids[0]!, annotator: 'bo', spans: [], status: 'skipped', expectedVersion: 0 })).version).toBe(1)
    expect((await host.call('document.get', { id: ids[0]! })).annotations.map((a) => a.annotator).sort()).toEqual(['ana', 'bo'])
  })

  it('refuses invalid spans and keeps what was stored', async () => {
    const { host, ids, per } = await setup()
    await host.call('annotation.save', { documentId: ids[0]!, annotator: 'ana', spans: [[0, 3, per]], status: 'done', expectedVersion: 0 })
    for (const spans of [[[0, 99, per]], [[0, 3, 999]], [[0, 5, per], [4, 8, per]]] as [number, number, number][][]) {
      const r = await host.invoke('annotation.save', { documentId: ids[0]!, annotator: 'ana', spans, status: 'done', expectedVersion: 1 })
      expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
    }
    const cut = await host.invoke('annotation.save', { documentId: ids[1]!, annotator: 'ana', spans: [[3, 4, per]], status: 'done', expectedVersion: 0 })
    expect(cut).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', details: [{ path: 'spans.0' }] } })
    expect((await host.call('document.get', { id: ids[0]! })).annotations[0]).toMatchObject({ version: 1, spans: [[0, 3, per]] })
    expect(await host.invoke('document.get', { id: 424242 })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
  })
})

describe('queue and progress', () => {
  it('shuffles the queue the same way for the same seed, and counts each annotator', async () => {
    const { host, p, ids, per } = await setup()
    const order = async (seed: number) => (await host.call('document.list', { projectId: p.id, order: 'random', seed })).items.map((d) => d.id)
    expect(await order(3)).toEqual(await order(3))
    expect((await order(3)).sort()).toEqual([...ids].sort())
    const seeds = await Promise.all([1, 2, 3, 4, 5, 6].map(order))
    expect(new Set(seeds.map((s) => s.join())).size).toBeGreaterThan(1)
    await host.call('annotation.save', { documentId: ids[0]!, annotator: 'ana', spans: [[0, 3, per]], status: 'done', expectedVersion: 0 })
    await host.call('annotation.save', { documentId: ids[1]!, annotator: 'ana', spans: [], status: 'skipped', expectedVersion: 0 })
    await host.call('annotation.save', { documentId: ids[0]!, annotator: 'bo', spans: [], status: 'in-progress', expectedVersion: 0 })
    const s = await host.call('dataset.stats', { projectId: p.id })
    expect(s.annotators).toEqual([
      { annotator: 'ana', todo: 0, 'in-progress': 0, done: 1, skipped: 1 },
      { annotator: 'bo', todo: 0, 'in-progress': 1, done: 0, skipped: 0 },
    ])
    expect(s.donePerSplit.unassigned).toBe(1)
  })
})
