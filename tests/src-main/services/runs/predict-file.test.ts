/**
 * Predicting a whole file with a run's model (run.predictFile, `tagtune predict`) and exporting
 * the predictions (run.exportPredictions, GET /api/predictions), against a run trained for real
 * on English and Chinese toy sentences, on a real SQLite store and a real trainer process.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHost, type Host } from '../../../../src-main/host/create-host'
import { startServer } from '../../../../src-main/host/ws-server'
import { runCli } from '../../../../src-main/cli/main'
import * as repo from '../../../../src-main/store/repositories/runs'
import { readDocumentsFile } from '../../../../src-main/services/runs/files'
import { chunkSizeFor, cutForPreview, predictFile, summarise, type PredictedDocument } from '../../../../src-main/services/runs/predict-file'
import { FORMATS } from '../../../../src-shared/domain/dataset'
import type { RunPredictProgress } from '../../../../src-shared/domain/run'
import { trainedPredictRun } from '../../../helpers/predict-fixture'

const RESOURCES = join(import.meta.dirname, '../../../../resources')

describe('pure parts', () => {
  it('cuts a file into about 20 progress steps of 20 to 200 documents', () => {
    expect(chunkSizeFor(1)).toBe(20)
    expect(chunkSizeFor(400)).toBe(20)
    expect(chunkSizeFor(2000)).toBe(100)
    expect(chunkSizeFor(1_000_000)).toBe(200)
  })

  it('cuts a long preview document without splitting a surrogate pair, keeping only whole spans', () => {
    const doc: PredictedDocument = { text: 'ab𠮷cd', spans: [{ start: 0, end: 2, label: 'A', confidence: 0.9 }, { start: 2, end: 4, label: 'B', confidence: 0.8 }] }
    expect(cutForPreview(doc, 10)).toBe(doc)
    // Cutting at 3 would split 𠮷 (units 2 and 3): the cut moves to 2.
    expect(cutForPreview(doc, 3)).toEqual({ text: 'ab', spans: [doc.spans[0]] })
    expect(cutForPreview(doc, 4)).toEqual({ text: 'ab𠮷', spans: doc.spans })
  })

  it('counts entities per label and per tenth of confidence', () => {
    const s = summarise([
      { text: 'x', spans: [{ start: 0, end: 1, label: 'PER', confidence: 0.05 }, { start: 0, end: 1, label: 'LOC', confidence: 1 }] },
      { text: 'y', spans: [{ start: 0, end: 1, label: 'PER', confidence: 0.55 }] },
    ])
    expect(s.entities).toBe(3)
    expect(s.perLabel).toEqual({ PER: 2, LOC: 1 })
    expect(s.confidenceHistogram).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 1])
  })
})

describe('predicting a file with a trained run', () => {
  const root = mkdtempSync(join(tmpdir(), 'tagtune-predict-file-'))
  const dataDir = join(root, 'data')
  const files = join(root, 'files')
  mkdirSync(files)
  let host: Host
  let runId: number
  let projectId: number
  const progress: RunPredictProgress[] = []

  const LINES = ['mary visited london yesterday', '约翰住在北京。', '𠮷约翰住在上海。', 'john smith lives in paris']
  const notes = join(files, 'notes.txt')
  writeFileSync(notes, `${LINES[0]}\n${LINES[1]}\n\n${LINES[2]}\r\n${LINES[3]}\n`)

  beforeAll(async () => {
    host = createHost({ dataDir, kind: 'server', backend: 'cpu', resourcesDir: RESOURCES })
    host.onEvent((e, p) => {
      if (e === 'run.onDidPredictProgress') progress.push(p as RunPredictProgress)
    })
    ;({ runId, projectId } = await trainedPredictRun(host, files))
  }, 240_000)

  afterAll(() => {
    host?.close()
    rmSync(root, { recursive: true, force: true })
  })

  const slices = (d: PredictedDocument): [string, string][] => d.spans.map((s) => [d.text.slice(s.start, s.end), s.label])

  it('predicts every document with UTF-16 offsets (CJK, and after an astral character), as run.predict does', async () => {
    progress.length = 0
    const r = await host.call('run.predictFile', { id: runId, file: { path: notes }, requestId: 'first' })
    expect(r).toMatchObject({ runId, file: 'notes.txt', format: 'text', documents: 4 })
    expect(r.resultId).toMatch(/^[a-f0-9]{32}$/)
    expect(r.preview.map((d) => d.text)).toEqual(LINES)
    expect(slices(r.preview[0]!)).toEqual([['mary', 'PER'], ['london', 'LOC']])
    expect(slices(r.preview[1]!)).toEqual([['约翰', 'PER'], ['北京', 'LOC']])
    // 𠮷 is two UTF-16 units: the entities after it start two units later, not one.
    expect(slices(r.preview[2]!)).toEqual([['约翰', 'PER'], ['上海', 'LOC']])
    expect(r.preview[2]!.spans.map((s) => [s.start, s.end])).toEqual([[2, 4], [6, 8]])
    for (const s of r.preview.flatMap((d) => d.spans)) {
      expect(s.confidence).toBeGreaterThan(0)
      expect(s.confidence).toBeLessThanOrEqual(1)
    }
    expect(r.entities).toBe(r.preview.reduce((n, d) => n + d.spans.length, 0))
    expect(Object.values(r.perLabel).reduce((a, b) => a + b, 0)).toBe(r.entities)
    expect(r.confidenceHistogram.reduce((a, b) => a + b, 0)).toBe(r.entities)

    // The same model on the same texts through run.predict gives the very same spans.
    const direct = await host.call('run.predict', { id: runId, texts: LINES })
    expect(r.preview.map((d) => d.spans)).toEqual(direct.items.map((i) => i.spans))

    // Progress: reading, predicting from 0 to every document, done; all tagged with the request id.
    expect(progress.every((p) => p.requestId === 'first' && p.runId === runId && p.file === 'notes.txt')).toBe(true)
    expect(progress.map((p) => p.phase)).toEqual(['reading', 'predicting', 'predicting', 'done'])
    expect(progress.at(-2)).toMatchObject({ documents: 4, total: 4 })
  })

  it('exports the stored predictions in every format; each file reads back with the predicted entities', async () => {
    const r = await host.call('run.predictFile', { id: runId, file: { path: notes } })
    const predicted = (await host.call('run.predict', { id: runId, texts: LINES })).items
    const expected = predicted.map((d) => d.spans.map((s) => ({ start: s.start, end: s.end, label: s.label })))
    for (const format of FORMATS) {
      const path = join(files, `out-${format}`)
      const written = await host.call('run.exportPredictions', { resultId: r.resultId, format, path })
      expect(written.documents, format).toBe(4)
      if (format === 'brat') {
        // A folder of .txt/.ann pairs, offsets in code points: 𠮷 counts once.
        expect(readdirSync(path).sort()).toEqual(['doc-1.ann', 'doc-1.txt', 'doc-2.ann', 'doc-2.txt', 'doc-3.ann', 'doc-3.txt', 'doc-4.ann', 'doc-4.txt'])
        expect(readFileSync(join(path, 'doc-3.txt'), 'utf8')).toBe(LINES[2])
        expect(readFileSync(join(path, 'doc-3.ann'), 'utf8')).toBe('T1\tPER 1 3\t约翰\nT2\tLOC 5 7\t上海\n')
        continue
      }
      const back = await readDocumentsFile(path, format)
      expect(back.documents.map((d) => d.text), format).toEqual(LINES)
      if (format === 'text') continue
      expect(back.documents.map((d) => d.spans), format).toEqual(expected)
      expect(written.entities).toBe(r.entities)
    }
    // Confidences travel with the JSON formats.
    const doccano = readFileSync(join(files, 'out-doccano'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { confidences: number[] })
    expect(doccano.map((d) => d.confidences)).toEqual(predicted.map((d) => d.spans.map((s) => Number(s.confidence.toFixed(4)))))
    const ls = JSON.parse(readFileSync(join(files, 'out-label-studio'), 'utf8')) as { predictions: { result: { value: { labels: string[] }; score?: number }[] }[] }[]
    expect(ls[0]!.predictions[0]!.result.map((x) => x.value.labels[0])).toEqual(['PER', 'LOC'])

    // A threshold leaves out the less confident entities.
    const all = predicted.flatMap((d) => d.spans.map((s) => s.confidence)).sort((a, b) => a - b)
    const threshold = all[Math.floor(all.length / 2)]!
    const kept = await host.call('run.exportPredictions', { resultId: r.resultId, format: 'doccano', minConfidence: threshold, path: join(files, 'confident.jsonl') })
    expect(kept.entities).toBe(all.filter((c) => c >= threshold).length)
    expect(kept.entities).toBeLessThan(r.entities)
    const confident = readFileSync(join(files, 'confident.jsonl'), 'utf8').trim().split('\n').flatMap((l) => (JSON.parse(l) as { confidences: number[] }).confidences)
    expect(confident.every((c) => c >= Number(threshold.toFixed(4)))).toBe(true)

    // CoNLL in another scheme.
    await host.call('run.exportPredictions', { resultId: r.resultId, format: 'conll', scheme: 'iobes', path: join(files, 'iobes.conll') })
    const conll = readFileSync(join(files, 'iobes.conll'), 'utf8')
    expect(conll).toMatch(/^mary S-PER$/m)
    expect(conll).toMatch(/^约 B-PER\n翰 E-PER$/m)
  })

  it('lets a browser upload the file and download the predictions, but not name paths', async () => {
    const remote = { local: false }
    const byPath = await host.invoke('run.predictFile', { id: runId, file: { path: notes } }, remote)
    expect(byPath).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })

    const upload = await host.uploads.save('我的笔记.txt', Readable.from([Buffer.from(LINES.join('\n'))]), 1e6)
    const r = await host.invoke('run.predictFile', { id: runId, file: { uploadId: upload.id } }, remote)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    const result = r.value as { resultId: string; file: string; documents: number; entities: number }
    expect(result).toMatchObject({ file: '我的笔记.txt', documents: 4 })
    // The upload was only needed to predict.
    expect(() => host.uploads.resolve(upload.id)).toThrow(/gone/)
    expect(await host.invoke('run.exportPredictions', { resultId: result.resultId, format: 'doccano', path: join(files, 'x.jsonl') }, remote)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    expect(existsSync(join(files, 'x.jsonl'))).toBe(false)

    const staticDir = join(root, 'public')
    mkdirSync(staticDir, { recursive: true })
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Tagtune</title>')
    const server = await startServer({ host, staticDir, hostname: '127.0.0.1', port: 0 })
    try {
      const base = `http://127.0.0.1:${server.port}/api/predictions`
      const res = await fetch(`${base}?resultId=${result.resultId}&format=conll&scheme=iob2`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-disposition')).toContain(`filename*=UTF-8''${encodeURIComponent('我的笔记-predictions.conll')}`)
      writeFileSync(join(files, 'downloaded.conll'), await res.text())
      const back = await readDocumentsFile(join(files, 'downloaded.conll'), 'conll')
      expect(back.documents.map((d) => d.text)).toEqual(LINES)
      expect(back.documents.reduce((n, d) => n + d.spans.length, 0)).toBe(result.entities)

      const brat = await fetch(`${base}?resultId=${result.resultId}&format=brat`)
      expect(brat.status).toBe(400)
      expect(((await brat.json()) as { error: { message: string } }).error.message).toMatch(/brat is a folder/)
      expect((await fetch(`${base}?resultId=../tagtune.db&format=doccano`)).status).toBe(400)
      expect((await fetch(`${base}?resultId=${'0'.repeat(32)}&format=doccano`)).status).toBe(404)
      expect((await fetch(`${base}?resultId=${result.resultId}&format=doccano&minConfidence=2`)).status).toBe(400)
    } finally {
      await server.close()
    }
  })

  it('refuses bad files, naming the file and the line, and keeps nothing', async () => {
    const kept = (): string[] => readdirSync(join(dataDir, 'predictions'))
    const before = kept()
    const bad = join(files, 'bad.jsonl')
    writeFileSync(bad, `${JSON.stringify({ text: 'hello mary', label: [] })}\n{"text": "broken\n`)
    await expect(host.call('run.predictFile', { id: runId, file: { path: bad }, format: 'doccano' })).rejects.toThrow(/bad\.jsonl[\s\S]*line 2/)

    // Through an upload the message names the file as the user chose it, not how it is stored.
    const upload = await host.uploads.save('notes.jsonl', Readable.from([Buffer.from('{"text": "x", "label": [[0, 9, "PER"]]}\n')]), 1e6)
    const r = await host.invoke('run.predictFile', { id: runId, file: { uploadId: upload.id }, format: 'doccano' }, { local: false })
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.error.code).toBe('INVALID_FILE')
      expect(r.error.message).toMatch(/^notes\.jsonl cannot be read as doccano:\n {2}notes\.jsonl, line 1/)
      expect(r.error.message).not.toContain(upload.id)
    }

    writeFileSync(join(files, 'empty.txt'), '\n\n')
    await expect(host.call('run.predictFile', { id: runId, file: { path: join(files, 'empty.txt') }, format: 'text' })).rejects.toThrow(/empty\.txt holds no documents/)
    writeFileSync(join(files, 'model.bin'), Buffer.from([0, 1, 2, 0, 0, 7, 0, 0, 9]))
    await expect(host.call('run.predictFile', { id: runId, file: { path: join(files, 'model.bin') } })).rejects.toThrow(/model\.bin is not a text file/)
    await expect(host.call('run.predictFile', { id: runId, file: { path: join(files, 'missing.txt') } })).rejects.toThrow(/missing\.txt/)
    expect(kept()).toEqual(before)

    // A run that never saved a model, and a result that does not exist.
    const failed = repo.insertRun(host.db, { projectId, name: 'no model', status: 'failed', config: {}, model: { kind: 'folder', path: '/models/none', name: 'none' }, tags: [], now: new Date().toISOString() })
    await expect(host.call('run.predictFile', { id: failed, file: { path: notes } })).rejects.toThrow(/has no saved model/)
    await expect(host.call('run.exportPredictions', { resultId: 'f'.repeat(32), format: 'doccano', path: join(files, 'none.jsonl') })).rejects.toThrow(/gone/)
    expect(existsSync(join(files, 'none.jsonl'))).toBe(false)
  })

  it('cancels a long prediction at its next chunk', async () => {
    const long = join(files, 'long.txt')
    writeFileSync(long, Array.from({ length: 3000 }, (_, i) => `${LINES[i % LINES.length]} ${i}`).join('\n'))
    progress.length = 0
    let asked: Promise<{ cancelled: boolean }> | undefined
    const off = host.onEvent((e, p) => {
      if (e === 'run.onDidPredictProgress' && (p as RunPredictProgress).documents > 0 && !asked) asked = host.call('run.cancelPredictFile', { requestId: 'long' })
    })
    try {
      await expect(host.call('run.predictFile', { id: runId, file: { path: long }, requestId: 'long' })).rejects.toThrow(/cancelled after \d+ of 3000 documents/)
    } finally {
      off()
    }
    expect(await asked).toEqual({ cancelled: true })
    expect(progress.at(-1)!.phase).toBe('failed')
    expect(Math.max(...progress.map((p) => p.documents))).toBeLessThan(3000)
    expect(await host.call('run.cancelPredictFile', { requestId: 'long' })).toEqual({ cancelled: false })
  })

  it('predicts a big file in one trainer process, chunk by chunk', async () => {
    const big = join(files, 'big.txt')
    writeFileSync(big, Array.from({ length: 2000 }, (_, i) => `${LINES[i % LINES.length]} ${i}`).join('\n'))
    const steps: number[] = []
    const r = await predictFile(host.db, host.runs, { id: runId, path: big }, (p) => p.phase === 'predicting' && steps.push(p.documents))
    expect(r.documents).toHaveLength(2000)
    expect(steps).toEqual([0, ...Array.from({ length: 20 }, (_, i) => (i + 1) * 100)])
    expect(r.documents.every((d, i) => d.text === `${LINES[i % LINES.length]} ${i}`)).toBe(true)
    expect(slices(r.documents[2]!).slice(0, 2)).toEqual([['约翰', 'PER'], ['上海', 'LOC']])
  })

  it('predicts a document far longer than the model window, with exact offsets to its end', async () => {
    // maxLength is 32 tokens: this document is cut into many overlapping windows and merged back.
    const sentence = 'mary visited london yesterday . 约翰住在北京。𠮷 '
    const text = sentence.repeat(40)
    writeFileSync(join(files, 'long-doc.txt'), `${text}\n`)
    const r = await predictFile(host.db, host.runs, { id: runId, path: join(files, 'long-doc.txt') })
    const spans = r.documents[0]!.spans
    // Sorted, disjoint, inside the text, never inside a surrogate pair.
    spans.forEach((s, i) => {
      expect(s.start).toBeLessThan(s.end)
      expect(s.end).toBeLessThanOrEqual(text.length)
      if (i > 0) expect(s.start).toBeGreaterThanOrEqual(spans[i - 1]!.end)
      for (const o of [s.start, s.end]) expect(/[\udc00-\udfff]/.test(text[o] ?? '')).toBe(false)
    })
    // The entities of every sentence, the last one included, are found at their exact offsets
    // (the tiny model sometimes adds a stray one, or takes a name for the other type).
    const exact = new Set(spans.map((s) => `${s.start}:${s.end}`))
    const wanted: string[] = []
    for (let k = 0; k < 40; k++) for (const name of ['mary', 'london', '约翰', '北京']) wanted.push(`${k * sentence.length + sentence.indexOf(name)}:${k * sentence.length + sentence.indexOf(name) + name.length}`)
    expect(wanted.filter((w) => exact.has(w)).length / wanted.length).toBeGreaterThan(0.9)
    expect(wanted.slice(-4).every((w) => exact.has(w))).toBe(true)
  })

  it('returns every prediction of a large request: the trainer flushes its last, big message before it exits', async () => {
    // One message of about a megabyte, sent just before the trainer leaves (it used to be lost).
    const texts = Array.from({ length: 4000 }, (_, i) => `mary and john visited london and paris . ${i}`)
    const { items } = await host.call('run.predict', { id: runId, texts })
    expect(items).toHaveLength(4000)
    expect(items.filter((x) => x.spans.length >= 3).length).toBeGreaterThan(3000)
  })

  it('`tagtune predict` goes through the same function: any output format, CoNLL scheme, brat folders', async () => {
    let out = ''
    let err = ''
    const cli = (args: string[]): Promise<number> => runCli([...args, '--data-dir', dataDir], { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {}, staticDir: root, resourcesDir: RESOURCES })
    expect(await cli(['predict', String(runId), '--in', notes, '--out', join(files, 'cli.conll'), '--format', 'conll', '--scheme', 'iobes'])).toBe(0)
    expect(err).toContain('4 / 4 documents')
    expect(out).toMatch(/^Predicted \d+ entities in 4 documents: .*cli\.conll \(conll\)\.$/m)
    expect(readFileSync(join(files, 'cli.conll'), 'utf8')).toMatch(/^mary S-PER$/m)
    expect(await cli(['predict', String(runId), '--in', notes, '--out', join(files, 'cli-brat'), '--format', 'brat'])).toBe(0)
    expect(readFileSync(join(files, 'cli-brat', 'doc-3.ann'), 'utf8')).toBe('T1\tPER 1 3\t约翰\nT2\tLOC 5 7\t上海\n')
    err = ''
    expect(await cli(['predict', String(runId), '--in', notes, '--out', join(files, 'x'), '--format', 'xml'])).toBe(2)
    expect(err).toMatch(/--format for predictions must be one of/)
  })
})
