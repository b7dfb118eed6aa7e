/**
 * The Runs table and run comparison through the host, on real SQLite: runs written through the
 * repository with known mistakes (deterministic), and two tiny runs trained for real.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTempDirs } from '../../helpers/temp-dir'
import { useHosts } from '../../helpers/host'
import { BASE_CONFIG, MISTAKES, TEST_DOCS, seedRuns, seedTrio } from '../../helpers/compare-fixture'
import { TINY_BERT, toyDocuments } from '../../helpers/toy-ner'
import type { Host } from '../../../src-main/host/create-host'
import type { NerDocument } from '../../../src-main/engine/data'

const tempDir = useTempDirs()
const newHost = useHosts(tempDir)

async function seeded(): Promise<{ host: Host; projectId: number; ids: number[] }> {
  const host = newHost()
  const p = await host.call('project.create', { name: 'Toy', labels: [{ name: 'PER' }, { name: 'LOC' }] })
  return { host, projectId: p.id, ids: seedTrio(host.db, p.id) }
}

describe('run.table', () => {
  it('lists every run with recipe, model, snapshot, test scores, duration and backend, newest first', async () => {
    const { host, projectId, ids } = await seeded()
    const rows = await host.call('run.table', { projectId })
    expect(rows.map((r) => r.run.id)).toEqual([...ids].reverse())
    const lora = rows.find((r) => r.run.name === 'lora')!
    expect(lora).toMatchObject({ recipe: 'LoRA r8', modelName: 'tiny-bert', backendLabel: 'wasm (CPU)', durationMs: 180_000 })
    expect(lora.run.datasetHash).toMatch(/^snap-a0+$/)
    expect(lora.test!.f1).toBeGreaterThan(rows.find((r) => r.run.name === 'baseline')!.test!.f1)
    expect(lora.testStrict!.f1).toBeCloseTo(lora.test!.f1, 10)
    expect(rows.find((r) => r.run.name === 'baseline')!.recipe).toBe('full')
    await expect(host.call('run.table', { projectId: 99 })).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})

describe('run.update', () => {
  it('edits name, tags and notes in place, tells other windows, and keeps the rest', async () => {
    const { host, ids } = await seeded()
    const seen: unknown[] = []
    host.onEvent((e, p) => seen.push([e, p]))
    const r = await host.call('run.update', { id: ids[0]!, tags: [' best ', 'best', 'paper'], notes: 'the one in the report' })
    expect(r).toMatchObject({ id: ids[0], name: 'baseline', tags: ['best', 'paper'], notes: 'the one in the report', status: 'completed' })
    expect(seen).toEqual([['run.onDidChange', { runId: ids[0], projectId: r.projectId, status: 'completed' }]])
    const renamed = await host.call('run.update', { id: ids[0]!, name: 'baseline v1' })
    expect(renamed).toMatchObject({ name: 'baseline v1', tags: ['best', 'paper'], notes: 'the one in the report' })
    expect((await host.call('run.update', { id: ids[0]!, tags: [] })).tags).toEqual([])
    await expect(host.call('run.update', { id: 999, notes: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})

describe('run.compare', () => {
  it('diffs configs against the baseline, tables per-type scores with deltas, bootstraps each run and finds the repeats', async () => {
    const { host, ids } = await seeded()
    const [base, lora, repeat] = ids as [number, number, number]
    const c = await host.call('run.compare', { ids })
    expect(c).toMatchObject({ split: 'test', mode: 'default', baselineId: base, snapshotsDiffer: false })
    expect(c.snapshots).toEqual([{ hash: expect.stringMatching(/^snap-a/), runIds: ids }])
    expect(c.runs.map((r) => [r.run.id, r.recipe, r.predictions])).toEqual([
      [base, 'full', 30],
      [lora, 'LoRA r8', 30],
      [repeat, 'full', 30],
    ])

    // Config: only the keys that differ from the baseline are flagged; a key one config lacks is marked missing.
    expect(c.configDiff.filter((r) => r.differs).map((r) => r.key)).toEqual(['learningRate', 'peft', 'peft.method', 'peft.rank', 'seed'])
    expect(c.configDiff.find((r) => r.key === 'peft.rank')).toEqual({ key: 'peft.rank', values: [null, 8, null], missing: [true, false, true], differs: true })
    expect(c.configDiff.find((r) => r.key === 'epochs')).toMatchObject({ values: [3, 3, 3], differs: false })

    // Per type: LOC and PER, the LoRA run best on both, deltas against the baseline.
    expect(c.perType.map((r) => r.type)).toEqual(['LOC', 'PER'])
    for (const row of c.perType) {
      expect(row.best).toBe(1)
      expect(row.deltas[0]).toBe(0)
      expect(row.deltas[1]).toBeCloseTo(row.scores[1]!.f1 - row.scores[0]!.f1, 12)
      expect(row.support).toBe(row.scores[0]!.support)
    }
    const f1 = c.runs.map((r) => r.evaluation!.f1)
    expect(c.micro[1]!.delta).toBeCloseTo(f1[1]! - f1[0]!, 12)

    // Bootstrap over the 30 documents: none for the baseline itself; the F1s are the evaluations' (spans align with words here).
    expect(c.bootstrap[0]).toBeNull()
    const b = c.bootstrap[1]!
    expect(b).toMatchObject({ runId: lora, baselineId: base, samples: 1000, seed: 12345, documents: 30 })
    expect(b.f1).toBeCloseTo(f1[1]!, 12)
    expect(b.baselineF1).toBeCloseTo(f1[0]!, 12)
    expect(b.delta).toBeGreaterThan(0)
    expect(b.low).toBeLessThanOrEqual(b.delta)
    expect(b.high).toBeGreaterThanOrEqual(b.delta)
    expect(b.significant).toBe(b.low > 0)
    // Seeded: the same answer again.
    expect((await host.call('run.compare', { ids })).bootstrap).toEqual(c.bootstrap)

    // The baseline and its other seed are repeats of one config.
    expect(c.repeats).toHaveLength(1)
    const rep = c.repeats[0]!
    expect(rep.runIds).toEqual([base, repeat])
    expect(rep.f1.mean).toBeCloseTo((f1[0]! + f1[2]!) / 2, 12)
    expect(rep.f1.std).toBeCloseTo(Math.abs(f1[0]! - f1[2]!) / Math.SQRT2, 12)
    expect(rep.devF1).toMatchObject({ n: 2, mean: expect.closeTo(0.79, 10) })
  })

  it('switches the baseline and the seqeval mode', async () => {
    const { host, ids } = await seeded()
    const [base, lora] = ids as [number, number, number]
    const first = await host.call('run.compare', { ids })
    const c = await host.call('run.compare', { ids, baseline: lora, mode: 'strict' })
    expect(c).toMatchObject({ baselineId: lora, mode: 'strict' })
    expect(c.runs.every((r) => r.evaluation!.mode === 'strict')).toBe(true)
    expect(c.bootstrap[1]).toBeNull()
    expect(c.bootstrap[0]!.delta).toBeCloseTo(-first.bootstrap[1]!.delta, 12)
    expect(c.bootstrap[0]!.runId).toBe(base)
    expect(c.perType[0]!.deltas[1]).toBe(0)
    expect(c.configDiff.find((r) => r.key === 'epochs')!.differs).toBe(false)
    expect(c.configDiff.find((r) => r.key === 'seed')!.differs).toBe(true)
    await expect(host.call('run.compare', { ids, baseline: 999 })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(host.call('run.compare', { ids: [ids[0]!, 999] })).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('warns when the runs trained on different snapshots', async () => {
    const { host, projectId, ids } = await seeded()
    const [other] = seedRuns(host.db, projectId, [{ name: 'other data', config: BASE_CONFIG, mistakes: MISTAKES.strong, snapshot: 'snap-b', bestDevF1: 0.85 }])
    const c = await host.call('run.compare', { ids: [ids[0]!, other!] })
    expect(c.snapshotsDiffer).toBe(true)
    expect(c.snapshots.map((s) => s.runIds)).toEqual([[ids[0]], [other]])
    // The configs are the same: only the data differ, and the warning says so.
    expect(c.configDiff.filter((r) => r.differs)).toEqual([])
  })
})

describe('run.disagreements', () => {
  it('pages the documents where the predictions differ, with each run\'s spans and errors, filtered by kind and type', async () => {
    const { host, ids } = await seeded()
    const [base, lora] = ids as [number, number, number]
    const page = await host.call('run.disagreements', { ids: [base, lora], limit: 5 })
    // The documents where the two runs' mistakes differ.
    const expected = TEST_DOCS.map((_, i) => i).filter((i) => JSON.stringify(MISTAKES.weak(TEST_DOCS[i]!.spans, i, '')) !== JSON.stringify(MISTAKES.strong(TEST_DOCS[i]!.spans, i, '')))
    expect(expected.length).toBeGreaterThan(10)
    expect(page.documents).toBe(30)
    expect(page.disagreeing).toBe(expected.length)
    expect(page.total).toBe(expected.length)
    expect(page.items.map((d) => d.documentId)).toEqual(expected.slice(0, 5).map((i) => 1000 + i))
    expect(page.withoutPredictions).toEqual([])

    // Document 0: both miss its last entity (shared); only the baseline has the wrong type.
    const d0 = page.items[0]!
    expect(d0.text).toBe(TEST_DOCS[0]!.text)
    expect(d0.gold).toEqual(TEST_DOCS[0]!.spans)
    expect(d0.runs.map((r) => r.runId)).toEqual([base, lora])
    expect(d0.runs[0]!.errors.map((e) => [e.kind, e.shared])).toEqual([
      ['wrong-type', false],
      ['missed', true],
    ])
    expect(d0.runs[1]!.errors.map((e) => [e.kind, e.shared])).toEqual([['missed', true]])
    expect(d0.runs[1]!.spans[0]).toMatchObject({ confidence: 0.9 })

    expect(page.kinds['wrong-type']).toBe(expected.filter((i) => i % 5 === 0).length)
    const wrongType = await host.call('run.disagreements', { ids: [base, lora], kind: 'wrong-type', limit: 100 })
    expect(wrongType.total).toBe(page.kinds['wrong-type'])
    expect(wrongType.items.every((d) => d.runs.some((r) => r.errors.some((e) => e.kind === 'wrong-type' && !e.shared)))).toBe(true)
    expect(Object.values(page.types).length).toBeGreaterThan(0)
    for (const [type, n] of Object.entries(page.types)) expect((await host.call('run.disagreements', { ids: [base, lora], type, limit: 1 })).total).toBe(n)

    const second = await host.call('run.disagreements', { ids: [base, lora], offset: 5, limit: 5 })
    expect(second.items.map((d) => d.documentId)).toEqual(expected.slice(5, 10).map((i) => 1000 + i))
    expect((await host.call('run.disagreements', { ids: [base, lora], kind: 'wrong-both' })).total).toBe(0)
  })

  it('leaves out runs without predictions and says so', async () => {
    const { host, projectId, ids } = await seeded()
    const [empty] = seedRuns(host.db, projectId, [{ name: 'no predictions', config: BASE_CONFIG, mistakes: MISTAKES.strong, bestDevF1: 0.5 }])
    host.db.prepare('DELETE FROM run_predictions WHERE run_id = ?').run(empty)
    const page = await host.call('run.disagreements', { ids: [ids[0]!, ids[1]!, empty!] })
    expect(page.withoutPredictions).toEqual([empty])
    expect(page.items[0]!.runs.map((r) => r.runId)).toEqual([ids[0], ids[1]])
    const c = await host.call('run.compare', { ids: [ids[0]!, empty!] })
    expect(c.bootstrap).toEqual([null, null])
    expect(c.runs[1]!.predictions).toBe(0)
  })
})

function doccano(path: string, docs: NerDocument[]): string {
  writeFileSync(path, docs.map((d) => JSON.stringify({ text: d.text, label: d.spans.map((s) => [s.start, s.end, s.label]) })).join('\n') + '\n')
  return path
}

describe('comparing runs trained for real', () => {
  it('compares two tiny runs that differ in the seed: repeats, bootstrap on their stored predictions, disagreements', { timeout: 240_000 }, async () => {
    const host = newHost()
    const p = await host.call('project.create', { name: 'Toy', labels: [{ name: 'PER' }, { name: 'LOC' }] })
    const dir = tempDir()
    for (const [split, docs] of [['train', toyDocuments(48, 1, 't')], ['dev', toyDocuments(12, 2, 'v')], ['test', toyDocuments(12, 3, 's')]] as const) {
      await host.call('dataset.import', { projectId: p.id, files: [{ path: doccano(join(dir, `${split}.jsonl`), docs) }], format: 'doccano', split })
    }
    const config = { model: TINY_BERT, epochs: 2, batchSize: 8, learningRate: 5e-3, maxLength: 32, dropout: 0, seed: 1 }
    const a = await host.call('run.start', { projectId: p.id, name: 'seed 1', config, backend: 'wasm' })
    const b = await host.call('run.start', { projectId: p.id, name: 'seed 2', config: { ...config, seed: 2 }, backend: 'wasm' })
    expect((await host.runs.waitFor(a.id)).status).toBe('completed')
    expect((await host.runs.waitFor(b.id)).status).toBe('completed')

    const table = await host.call('run.table', { projectId: p.id })
    expect(table.map((r) => r.recipe)).toEqual(['full', 'full'])
    expect(table.every((r) => r.test !== null && r.testStrict !== null && r.durationMs! > 0)).toBe(true)

    const c = await host.call('run.compare', { ids: [a.id, b.id] })
    expect(c.snapshotsDiffer).toBe(false)
    expect(c.configDiff.filter((r) => r.differs).map((r) => r.key)).toEqual(['seed'])
    expect(c.repeats.map((r) => r.runIds)).toEqual([[a.id, b.id]])
    expect(c.runs.map((r) => r.predictions)).toEqual([12, 12])
    const boot = c.bootstrap[1]!
    expect(boot.documents).toBe(12)
    // The bootstrap counts the stored character spans; on this data they are the entities seqeval counts.
    expect(boot.f1).toBeCloseTo(c.runs[1]!.evaluation!.f1, 6)
    expect(boot.baselineF1).toBeCloseTo(c.runs[0]!.evaluation!.f1, 6)

    const d = await host.call('run.disagreements', { ids: [a.id, b.id], limit: 100 })
    expect(d.documents).toBe(12)
    expect(d.total).toBe(d.disagreeing)
    for (const item of d.items) {
      const [x, y] = item.runs
      expect(JSON.stringify(x!.spans.map((s) => [s.start, s.end, s.label]))).not.toBe(JSON.stringify(y!.spans.map((s) => [s.start, s.end, s.label])))
    }
  })
})
