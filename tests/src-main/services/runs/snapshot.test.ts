import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTempDirs } from '../../../helpers/temp-dir'
import { useHosts } from '../../../helpers/host'
import type { Host } from '../../../../src-main/host/create-host'
import { createSnapshot, readSnapshot, snapshotInfo, type SnapshotDocument } from '../../../../src-main/services/runs/snapshot'
import { createRunStore } from '../../../../src-main/services/runs/store'
import * as runs from '../../../../src-main/store/repositories/runs'

const tempDir = useTempDirs()
const newHost = useHosts(tempDir)

const CONLL = `Ada B-PER
Lovelace I-PER
lived O
in O
London B-LOC
. O

Bob B-PER
works O
at O
Acme B-ORG
. O

Paris B-LOC
is O
nice O
. O

Carl B-PER
went O
home O
. O

Dora B-PER
skipped O
this O
. O

Eve B-PER
in O
Rome B-LOC
. O
`

/** The canonical serialisation snapshot.ts documents, recomputed from what was stored. */
function expectedHash(projectId: number, labels: string[], docs: SnapshotDocument[]): string {
  const h = createHash('sha256').update(JSON.stringify(['tagtune-snapshot/1', projectId, labels]) + '\n')
  for (const d of docs) h.update(JSON.stringify([d.id, d.split, d.text, d.spans.map((s) => [s.start, s.end, s.label]), d.tokens]) + '\n')
  return h.digest('hex')
}

const count = (host: Host, table: string): number => (host.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n

/**
 * A project with six imported sentences (annotator "import", in progress), moved to splits and
 * annotated further through the annotation service:
 *   0 Ada ... London   train  ana: done (drops LOC)        -> shown: ana, done
 *   1 Bob ... Acme     dev    import in progress, bo done  -> shown: bo, done
 *   2 Paris is nice    test   import in progress only      -> not done
 *   3 Carl went home   unassigned, ana done                -> kept, flagged unassigned
 *   4 Dora skipped     train  ana: skipped                 -> never in a snapshot
 *   5 Eve in Rome      train  bo done, then ana in progress (newer) -> shown: bo, done
 */
async function setup() {
  const host = newHost()
  const p = await host.call('project.create', { name: 'News', labels: [{ name: 'PER' }, { name: 'LOC' }, { name: 'ORG' }, { name: 'MISC' }] })
  const file = join(tempDir(), 'news.conll')
  writeFileSync(file, CONLL)
  await host.call('dataset.import', { projectId: p.id, files: [{ path: file }], format: 'conll', split: 'train', status: 'in-progress' })
  const page = await host.call('document.list', { projectId: p.id })
  const docs = page.items
  const ids = docs.map((d) => d.id)
  const [per, loc, org] = p.labels.map((l) => l.id) as [number, number, number]
  await host.call('document.setSplit', { projectId: p.id, documentIds: [ids[1]!], split: 'dev' })
  await host.call('document.setSplit', { projectId: p.id, documentIds: [ids[2]!], split: 'test' })
  await host.call('document.setSplit', { projectId: p.id, documentIds: [ids[3]!], split: 'unassigned' })
  const save = (i: number, annotator: string, status: 'done' | 'in-progress' | 'skipped', spans: [number, number, number][]) =>
    host.call('annotation.save', { documentId: ids[i]!, annotator, status, spans, expectedVersion: 0 })
  await save(0, 'ana', 'done', [[0, 12, per]])
  await save(1, 'bo', 'done', [[13, 17, org], [0, 3, per]])
  await save(3, 'ana', 'done', [[0, 4, per]])
  await save(4, 'ana', 'skipped', [])
  await save(5, 'bo', 'done', [[0, 3, per], [7, 11, loc]])
  await save(5, 'ana', 'in-progress', [[0, 3, per]])
  return { host, p, ids, docs, per, loc, org }
}

describe('training data snapshot', () => {
  it('keeps only documents whose shown annotation is done, with label names, splits and tokens, in document order', async () => {
    const { host, p, ids } = await setup()
    const snap = createSnapshot(host.db, p.id)
    expect(snap.reused).toBe(false)
    const docs = [...readSnapshot(host.db, snap.hash)]
    expect(docs.map((d) => d.id)).toEqual([ids[0], ids[1], ids[3], ids[5]])
    expect(docs[0]).toEqual({
      id: ids[0],
      split: 'train',
      text: 'Ada Lovelace lived in London .',
      spans: [{ start: 0, end: 12, label: 'PER' }],
      tokens: [[0, 3], [4, 12], [13, 18], [19, 21], [22, 28], [29, 30]],
    })
    // Sorted by offset, whatever order they were saved in; the done annotation wins over a newer one in progress.
    expect(docs[1]!.spans).toEqual([{ start: 0, end: 3, label: 'PER' }, { start: 13, end: 17, label: 'ORG' }])
    expect(docs[2]).toMatchObject({ split: 'unassigned', spans: [{ start: 0, end: 4, label: 'PER' }] })
    expect(docs[3]!.spans.map((s) => s.label)).toEqual(['PER', 'LOC'])
    for (const d of docs) for (const s of d.spans) expect(d.text.slice(s.start, s.end)).toMatch(/^[A-Z]/)

    expect(snap.summary).toEqual({
      labels: ['PER', 'LOC', 'ORG', 'MISC'],
      documents: { train: 2, dev: 1, test: 0, unassigned: 1 },
      tokens: { train: 10, dev: 5, test: 0, unassigned: 4 },
      entities: {
        train: { PER: 2, LOC: 1, ORG: 0, MISC: 0 },
        dev: { PER: 1, LOC: 0, ORG: 1, MISC: 0 },
        test: { PER: 0, LOC: 0, ORG: 0, MISC: 0 },
        unassigned: { PER: 1, LOC: 0, ORG: 0, MISC: 0 },
      },
      droppedSpans: 0,
    })
    expect(snap.hash).toBe(expectedHash(p.id, snap.summary.labels, docs))
    expect(snapshotInfo(host.db, snap.hash)).toEqual({ hash: snap.hash, projectId: p.id, summary: snap.summary, createdAt: snap.createdAt })
    expect([...readSnapshot(host.db, snap.hash, 'train')].map((d) => d.id)).toEqual([ids[0], ids[5]])
    expect([...readSnapshot(host.db, snap.hash, 'unassigned', 1)].map((d) => d.id)).toEqual([ids[3]])
    expect([...readSnapshot(host.db, snap.hash, undefined, 1)]).toEqual(docs)
  })

  it('with onlyDone off, takes documents in progress too, but never skipped ones', async () => {
    const { host, p, ids } = await setup()
    const snap = createSnapshot(host.db, p.id, { onlyDone: false })
    expect([...readSnapshot(host.db, snap.hash)].map((d) => d.id)).toEqual([ids[0], ids[1], ids[2], ids[3], ids[5]])
    expect(snap.summary.documents).toEqual({ train: 2, dev: 1, test: 1, unassigned: 1 })
    expect(snap.hash).not.toBe(createSnapshot(host.db, p.id).hash)
  })

  it('gives the same data the same hash and stores it once; one changed span gives a new snapshot and the old one stays as it was', async () => {
    const { host, p, ids, per } = await setup()
    const first = createSnapshot(host.db, p.id)
    const rows = count(host, 'snapshot_documents')
    expect(rows).toBe(4)
    const again = createSnapshot(host.db, p.id)
    expect(again).toEqual({ ...first, reused: true })
    expect(count(host, 'snapshots')).toBe(1)
    expect(count(host, 'snapshot_documents')).toBe(rows)

    // Ana widens "Carl" to "Carl went": one span changes.
    await host.call('annotation.save', { documentId: ids[3]!, annotator: 'ana', status: 'done', spans: [[0, 9, per]], expectedVersion: 1 })
    const changed = createSnapshot(host.db, p.id)
    expect(changed.reused).toBe(false)
    expect(changed.hash).not.toBe(first.hash)
    expect(count(host, 'snapshots')).toBe(2)
    expect([...readSnapshot(host.db, first.hash)][2]!.spans).toEqual([{ start: 0, end: 4, label: 'PER' }])
    expect([...readSnapshot(host.db, changed.hash)][2]!.spans).toEqual([{ start: 0, end: 9, label: 'PER' }])

    // Back to the first data: back to the first hash, nothing new stored.
    await host.call('annotation.save', { documentId: ids[3]!, annotator: 'ana', status: 'done', spans: [[0, 4, per]], expectedVersion: 2 })
    expect(createSnapshot(host.db, p.id)).toMatchObject({ hash: first.hash, reused: true })
    expect(count(host, 'snapshots')).toBe(2)
    // Marking a document done adds it.
    await host.call('annotation.save', { documentId: ids[2]!, annotator: 'ana', status: 'done', spans: [], expectedVersion: 0 })
    expect(createSnapshot(host.db, p.id).summary.documents.test).toBe(1)
  })

  it('follows label renames by name, and leaves out spans of a deleted label', async () => {
    const { host, p } = await setup()
    const before = createSnapshot(host.db, p.id)
    const [per, loc, org, misc] = p.labels
    await host.call('project.update', { id: p.id, labels: [{ id: per!.id, name: 'PERSON' }, { id: loc!.id, name: 'LOC' }, { id: org!.id, name: 'ORG' }, { id: misc!.id, name: 'MISC' }] })
    const renamed = createSnapshot(host.db, p.id)
    expect(renamed.hash).not.toBe(before.hash)
    expect(renamed.summary.labels).toEqual(['PERSON', 'LOC', 'ORG', 'MISC'])
    expect(renamed.summary.entities.train).toEqual({ PERSON: 2, LOC: 1, ORG: 0, MISC: 0 })
    expect([...readSnapshot(host.db, renamed.hash)][0]!.spans).toEqual([{ start: 0, end: 12, label: 'PERSON' }])
    // The run that trained on the old names still reads them.
    expect([...readSnapshot(host.db, before.hash)][0]!.spans).toEqual([{ start: 0, end: 12, label: 'PER' }])

    // Adding a label changes what a model predicts, so the hash changes even with no entity of it.
    await host.call('project.update', { id: p.id, labels: [{ id: per!.id, name: 'PERSON' }, { id: loc!.id, name: 'LOC' }, { id: org!.id, name: 'ORG' }, { id: misc!.id, name: 'MISC' }, { name: 'DATE' }] })
    expect(createSnapshot(host.db, p.id).hash).not.toBe(renamed.hash)

    await host.call('project.update', { id: p.id, labels: [{ id: per!.id, name: 'PERSON' }, { id: loc!.id, name: 'LOC' }] })
    const dropped = createSnapshot(host.db, p.id)
    expect(dropped.summary.droppedSpans).toBe(1)
    expect(dropped.summary.entities.dev).toEqual({ PERSON: 1, LOC: 0 })
    expect([...readSnapshot(host.db, dropped.hash)][1]!.spans).toEqual([{ start: 0, end: 3, label: 'PERSON' }])
  })

  it('does not share snapshots between projects, even with nothing in them', async () => {
    const host = newHost()
    const a = await host.call('project.create', { name: 'A', labels: [{ name: 'PER' }] })
    const b = await host.call('project.create', { name: 'B', labels: [{ name: 'PER' }] })
    const sa = createSnapshot(host.db, a.id)
    const sb = createSnapshot(host.db, b.id)
    expect(sa.summary.documents).toEqual({ train: 0, dev: 0, test: 0, unassigned: 0 })
    expect(sa.hash).not.toBe(sb.hash)
    expect(() => createSnapshot(host.db, 424242)).toThrow(/no project with id 424242/)
  })

  it('runs created together with their snapshot share it; it goes with the last run, and everything goes with the project', async () => {
    const { host, p } = await setup()
    const store = createRunStore(host.db)
    const model = { kind: 'folder' as const, path: '/models/bert', name: 'bert' }
    const one = store.create({ projectId: p.id, name: 'one', config: { epochs: 1 }, model })
    const two = store.create({ projectId: p.id, name: 'two', config: { epochs: 2 }, model, tags: ['x'] })
    expect(one.snapshot.reused).toBe(false)
    expect(two.snapshot).toMatchObject({ hash: one.snapshot.hash, reused: true })
    expect(two.run).toMatchObject({ status: 'queued', datasetHash: one.snapshot.hash, datasetSummary: one.snapshot.summary, tags: ['x'], queuePosition: 1 })
    expect(store.list(p.id).map((r) => r.name)).toEqual(['two', 'one'])

    runs.updateRunStatus(host.db, one.run.id, 'running', { now: new Date().toISOString() })
    expect(store.recover()).toBe(1)
    expect(store.get(one.run.id).status).toBe('interrupted')

    store.delete(one.run.id)
    expect(snapshotInfo(host.db, one.snapshot.hash)).toBeDefined()
    expect(() => store.get(one.run.id)).toThrow(/no run with id/)
    expect(() => store.delete(one.run.id)).toThrow(/no run with id/)

    const three = store.create({ projectId: p.id, name: 'three', config: {}, model, onlyDone: false })
    runs.appendMetrics(host.db, three.run.id, [{ name: 'train/loss', step: 1, epoch: 0, wallMs: 10, value: 2.3 }])
    runs.appendLog(host.db, three.run.id, { at: new Date().toISOString(), level: 'info', message: 'started' })
    expect(count(host, 'snapshots')).toBe(2)

    await host.call('project.delete', { id: p.id })
    for (const t of ['runs', 'run_metrics', 'run_logs', 'snapshots', 'snapshot_documents']) expect(count(host, t)).toBe(0)
    expect(() => store.create({ projectId: p.id, name: 'late', config: {}, model })).toThrow(/no project/)
  })
})
