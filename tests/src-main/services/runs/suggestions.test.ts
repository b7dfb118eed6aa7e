/**
 * Model suggestions through the host with the real trainer process: a run trained on a toy
 * project predicts the documents still to annotate; the spans come back per document with the
 * project's label ids and a confidence, the queue orders them least confident first, and
 * bad requests are refused with the store unchanged.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RESOURCES } from '../../../helpers/host'
import { createHost } from '../../../../src-main/host/create-host'
import { doccanoFile, TINY_BERT, toyDocuments, toyProject } from '../../../helpers/toy-ner'
import type { Host } from '../../../../src-main/host/create-host'
import type { SuggestionsProgress } from '../../../../src-shared/domain/suggestions'

const CONFIG = { model: TINY_BERT, epochs: 3, batchSize: 8, learningRate: 5e-3, maxLength: 32, dropout: 0, seed: 1, evalEvery: 'epoch' }
/** Documents still to annotate: the toy generator's text, imported without their spans (kept here as the answer). */
const TODO = toyDocuments(20, 9, 'u')

describe('model suggestions from a finished run', () => {
  let host: Host
  let projectId: number
  let runId: number
  // One host for the whole story (training once is the slow part).
  const dir = mkdtempSync(join(tmpdir(), 'tagtune-suggestions-'))
  afterAll(() => {
    host?.close()
    rmSync(dir, { recursive: true, force: true })
  })
  beforeAll(async () => {
    host = createHost({ dataDir: join(dir, 'data'), kind: 'cli', backend: 'cpu', resourcesDir: RESOURCES })
    projectId = await toyProject(host, dir)
    const file = doccanoFile(join(dir, 'todo.jsonl'), TODO.map((d) => ({ ...d, spans: [] })))
    await host.call('dataset.import', { projectId, files: [{ path: file }], format: 'doccano', split: 'train', status: 'todo' })
    const run = await host.call('run.start', { projectId, name: 'tiny', config: CONFIG, backend: 'wasm' })
    expect((await host.runs.waitFor(run.id)).status).toBe('completed')
    runId = run.id
  }, 180_000)

  it('lists the run as a source, predicts the documents to do with progress, and stores their spans', async () => {
    const before = await host.call('suggestions.sources', { projectId })
    expect(before).toEqual([expect.objectContaining({ runId, hasModel: true, predicted: null, busy: false })])
    const progress: SuggestionsProgress[] = []
    host.onEvent((e, p) => e === 'suggestions.onDidProgress' && progress.push(p as SuggestionsProgress))

    const result = await host.call('suggestions.predict', { runId })
    expect(result).toMatchObject({ runId, projectId, documents: 20, cancelled: false })
    expect(result.spans).toBeGreaterThan(10)
    expect(progress[0]).toMatchObject({ done: 0, total: 20, finished: false })
    expect(progress.at(-1)).toMatchObject({ done: 20, total: 20, finished: true })
    const after = await host.call('suggestions.sources', { projectId })
    expect(after[0]!.predicted).toMatchObject({ documents: 20 })

    // Every suggestion carries a project label id, lies inside its text, and most are the right entities.
    const labels = new Map((await host.call('project.get', { id: projectId })).labels.map((l) => [l.id, l.name]))
    const page = await host.call('document.list', { projectId, status: 'todo', limit: 100 })
    expect(page.total).toBe(20)
    let right = 0
    let gold = 0
    for (const doc of page.items) {
      const s = await host.call('suggestions.get', { runId, documentId: doc.id })
      expect(s).not.toBeNull()
      expect(s!.confidence).toBeGreaterThan(0)
      expect(s!.confidence).toBeLessThanOrEqual(1)
      const truth = TODO.find((d) => d.text === doc.text)!
      gold += truth.spans.length
      for (const x of s!.spans) {
        expect(x.end).toBeLessThanOrEqual(doc.text.length)
        expect(labels.has(x.labelId)).toBe(true)
        // A span's confidence is the mean of its words'; the document's is its least sure word.
        expect(x.confidence).toBeGreaterThanOrEqual(s!.confidence - 1e-9)
        if (truth.spans.some((t) => t.start === x.start && t.end === x.end && t.label === labels.get(x.labelId))) right++
      }
    }
    expect(right / gold).toBeGreaterThan(0.5)

    // Done documents were not predicted.
    const done = await host.call('document.list', { projectId, status: 'done', limit: 1 })
    expect(await host.call('suggestions.get', { runId, documentId: done.items[0]!.id })).toBeNull()
  })

  it('orders the queue least confident first, the documents it has not predicted last', async () => {
    const all = await host.call('document.list', { projectId, order: 'least-confident', runId, limit: 500 })
    expect(all.total).toBe(92)
    const conf = all.items.map((d) => d.modelConfidence)
    const predicted = conf.slice(0, 20) as number[]
    expect(predicted.every((c) => typeof c === 'number')).toBe(true)
    expect(predicted).toEqual([...predicted].sort((a, b) => a - b))
    expect(conf.slice(20).every((c) => c === null)).toBe(true)
    // The rest keep document order.
    const rest = all.items.slice(20).map((d) => d.position)
    expect(rest).toEqual([...rest].sort((a, b) => a - b))
    // Filters still apply, and the plain order shows the confidence too.
    const todo = await host.call('document.list', { projectId, order: 'least-confident', runId, status: 'todo', limit: 5 })
    expect(todo.items.map((d) => d.id)).toEqual(all.items.slice(0, 5).map((d) => d.id))
    const plain = await host.call('document.list', { projectId, runId, limit: 1 })
    expect(plain.items[0]!.modelConfidence).toBeNull()
    // "After" a document follows the same order: across the predicted ones, into the unpredicted ones.
    for (const k of [0, 10, 19, 20, 50]) {
      const next = await host.call('document.list', { projectId, order: 'least-confident', runId, after: all.items[k]!.id, limit: 2 })
      expect(next.items.map((d) => d.id)).toEqual(all.items.slice(k + 1, k + 3).map((d) => d.id))
      expect(next.total).toBe(92 - k - 1)
    }
  })

  it('predicting again replaces the suggestions; "all" includes the done documents', async () => {
    const r = await host.call('suggestions.predict', { runId, scope: 'all' })
    expect(r.documents).toBe(92)
    const n = host.db.prepare('SELECT count(*) AS n FROM model_suggestions WHERE run_id = ?').get(runId) as { n: number }
    expect(n.n).toBe(92)
  })

  it('refuses unknown runs and a second prediction of the same run, changing nothing', async () => {
    const count = (): number => (host.db.prepare('SELECT count(*) AS n FROM model_suggestions').get() as { n: number }).n
    const before = count()
    await expect(host.call('suggestions.predict', { runId: 999 })).rejects.toThrow('There is no run with id 999.')
    await expect(host.call('suggestions.get', { runId: 999, documentId: 1 })).rejects.toThrow('There is no run with id 999.')
    const first = host.call('suggestions.predict', { runId })
    await expect(host.call('suggestions.predict', { runId })).rejects.toThrow(`Run ${runId} is already predicting suggestions.`)
    await first
    expect(count()).toBe(before)
  })

  it('a renamed label stops matching and is reported; deleting the run removes its suggestions', async () => {
    const project = await host.call('project.get', { id: projectId })
    const loc = project.labels.find((l) => l.name === 'LOC')!.id
    const docs = (await host.call('document.list', { projectId, order: 'least-confident', runId, limit: 92 })).items
    let doc: (typeof docs)[number] | undefined
    for (const d of docs) if ((await host.call('suggestions.get', { runId, documentId: d.id }))!.spans.some((x) => x.labelId === loc)) (doc ??= d)
    expect(doc).toBeDefined()
    await host.call('project.update', { id: projectId, labels: project.labels.map((l) => (l.name === 'LOC' ? { ...l, name: 'PLACE' } : l)) })
    const s = (await host.call('suggestions.get', { runId, documentId: doc!.id }))!
    expect(s.unknownLabels).toEqual(['LOC'])
    expect(s.spans.some((x) => x.labelId === loc)).toBe(false)
    await host.call('run.delete', { id: runId })
    expect((host.db.prepare('SELECT count(*) AS n FROM model_suggestions').get() as { n: number }).n).toBe(0)
  })
})
