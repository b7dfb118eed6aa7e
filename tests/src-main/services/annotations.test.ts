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

  it('lists the documents after one in the queue order, with the filters, even when that one no longer matches them', async () => {
    const { host, p, ids, per } = await setup()
    for (const id of ids) await host.call('annotation.save', { documentId: id, annotator: 'ana', spans: [[0, 2, per]], status: 'done', expectedVersion: 0 })
    const after = async (id: number, more: object = {}) => (await host.call('document.list', { projectId: p.id, after: id, ...more })).items.map((d) => d.id)
    expect(await after(ids[0]!)).toEqual([ids[1], ids[2]])
    expect(await after(ids[2]!)).toEqual([])
    // Shuffled: the same order as the whole list, from the one after.
    const shuffled = (await host.call('document.list', { projectId: p.id, order: 'random', seed: 5 })).items.map((d) => d.id)
    expect(await after(shuffled[0]!, { order: 'random', seed: 5 })).toEqual(shuffled.slice(1))
    // Reviewing the done ones: the second is skipped meanwhile, and "after" it still means after it.
    await host.call('annotation.save', { documentId: ids[1]!, annotator: 'ana', spans: [], status: 'skipped', expectedVersion: 1 })
    expect(await after(ids[1]!, { status: 'done' })).toEqual([ids[2]])
    // A document of another project (or none) gives nothing rather than everything.
    expect(await after(999_999)).toEqual([])
  })
})

describe('label all occurrences in the dataset', () => {
  it('previews, applies in one step for the annotator, and undoes what nobody edited since', async () => {
    const host = newHost()
    const p = await host.call('project.create', { name: 'B', labels: [{ name: 'LOC' }] })
    const f = join(tempDir(), 'docs.txt')
    writeFileSync(f, 'Paris and Parisians\nFrom Paris to Paris\nNo match here\nParis again\n')
    await host.call('dataset.import', { projectId: p.id, files: [{ path: f }] })
    const ids = (await host.call('document.list', { projectId: p.id })).items.map((d) => d.id)
    const loc = p.labels[0]!.id
    // The annotator already labelled the first "Paris" of document 2: that one is not added twice.
    await host.call('annotation.save', { documentId: ids[1]!, annotator: 'ana', spans: [[5, 10, loc]], status: 'in-progress', expectedVersion: 0 })
    const preview = await host.call('annotation.labelAll', { projectId: p.id, text: 'Paris', labelId: loc, annotator: 'ana' })
    expect(preview).toMatchObject({ documents: 3, spans: 3 })
    expect(preview.bulkId).toBeUndefined()
    expect(preview.examples[0]).toMatchObject({ before: '', match: 'Paris', after: ' and Parisians' })
    expect((await host.call('document.get', { id: ids[0]! })).annotations).toEqual([])

    const applied = await host.call('annotation.labelAll', { projectId: p.id, text: 'Paris', labelId: loc, annotator: 'ana', dryRun: false })
    expect(applied.bulkId).toBeGreaterThan(0)
    const spansOf = async (id: number) => (await host.call('document.get', { id })).annotations.find((a) => a.annotator === 'ana')?.spans
    expect(await spansOf(ids[0]!)).toEqual([[0, 5, loc]])
    expect(await spansOf(ids[1]!)).toEqual([[5, 10, loc], [14, 19, loc]])
    expect(await spansOf(ids[3]!)).toEqual([[0, 5, loc]])

    // Someone edits document 4 afterwards: undo leaves it alone and says so.
    const v = (await host.call('document.get', { id: ids[3]! })).annotations[0]!.version
    await host.call('annotation.save', { documentId: ids[3]!, annotator: 'ana', spans: [], status: 'done', expectedVersion: v })
    expect(await host.call('annotation.undoBulk', { id: applied.bulkId! })).toEqual({ restored: 2, skipped: 1 })
    expect(await spansOf(ids[0]!)).toEqual([])
    expect(await spansOf(ids[1]!)).toEqual([[5, 10, loc]])
    expect(await host.invoke('annotation.undoBulk', { id: applied.bulkId! })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } })
  })
})

describe('agreement', () => {
  it('compares annotators on the documents they share, skipping skipped ones', async () => {
    const { host, p, ids, per, loc } = await setup()
    const save = (documentId: number, annotator: string, spans: [number, number, number][], status: 'done' | 'skipped' = 'done') =>
      host.call('annotation.save', { documentId, annotator, spans, status, expectedVersion: 0 })
    await save(ids[0]!, 'ana', [[0, 3, per], [15, 20, loc]])
    await save(ids[0]!, 'bo', [[0, 3, per], [15, 20, per]])
    await save(ids[1]!, 'ana', [[2, 5, loc]])
    await save(ids[1]!, 'bo', [[2, 5, loc]])
    await save(ids[2]!, 'ana', [[0, 5, per]])
    await save(ids[2]!, 'bo', [], 'skipped')
    const r = await host.call('annotation.agreement', { projectId: p.id })
    expect(r.annotators).toEqual(['ana', 'bo'])
    expect(r.pairs).toHaveLength(1)
    expect(r.pairs[0]).toMatchObject({ a: 'ana', b: 'bo', documents: 2, f1: 4 / 6 })
    expect(r.perLabel.find((l) => l.labelId === per)).toEqual({ labelId: per, f1: 2 / 3, spans: 3 })
    expect(r.disagreements).toEqual([{ documentId: ids[0], position: 0, annotators: ['ana', 'bo'], differing: 2 }])
  })
})
