import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { useTempDirs } from '../../../helpers/temp-dir'
import { dumpProject, tableCounts, useHosts } from '../../../helpers/host'
import type { ImportReport } from '../../../../src-shared/domain/dataset'
import type { Host } from '../../../../src-main/host/create-host'

const tempDir = useTempDirs()
const newHost = useHosts(tempDir)

function file(name: string, content: string | Buffer): string {
  const p = join(tempDir(), name)
  writeFileSync(p, content)
  return p
}

async function project(host: Host, labels = ['PER', 'LOC'], allowNested = false) {
  return host.call('project.create', { name: `P${Math.random()}`, labels: labels.map((name) => ({ name })), allowNested })
}

async function refused(host: Host, input: Parameters<Host['call']>[1]): Promise<{ message: string; report: ImportReport }> {
  const r = await host.invoke('dataset.import', input)
  expect(r.ok).toBe(false)
  if (r.ok) throw new Error('unreachable')
  expect(r.error.code).toBe('INVALID_FILE')
  return { message: r.error.message, report: r.error.details as ImportReport }
}

describe('dataset import', () => {
  it('imports doccano JSONL with astral characters and gives back the same file on export', async () => {
    const host = newHost()
    const p = await project(host)
    // 😀 and 𠮷 are two UTF-16 units each: doccano offsets count code points.
    const lines = [
      '{"text": "😀 Ada met 𠮷野 in Paris", "label": [[2, 5, "PER"], [16, 21, "LOC"]], "split": "train"}',
      '{"text": "No entities here", "label": [], "split": "dev"}',
    ]
    const src = file('in.jsonl', lines.join('\n') + '\n')
    const report = await host.call('dataset.import', { projectId: p.id, files: [{ path: src }] })
    expect(report).toMatchObject({ committed: true, format: 'doccano', encoding: 'utf-8', documents: 2, spans: 2, errors: 0, perLabel: { PER: 1, LOC: 1 } })
    const [first] = dumpProject(host, p.id)
    expect(first!.text.slice(first!.spans[0]![0], first!.spans[0]![1])).toBe('Ada')
    expect(first!.text.slice(first!.spans[1]![0], first!.spans[1]![1])).toBe('Paris')
    expect(first!.split).toBe('train')

    const out = join(tempDir(), 'out.jsonl')
    const exported = await host.call('dataset.export', { projectId: p.id, format: 'doccano', path: out })
    expect(exported).toMatchObject({ documents: 2, spans: 2 })
    const again = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(again).toEqual(lines.map((l) => JSON.parse(l)))
  })

  it('detects UTF-16 and GB18030 files and says so', async () => {
    const host = newHost()
    const p = await project(host)
    const text = '张三\tB-PER\n在\tO\n北京\tB-LOC\n'
    const utf16 = file('a.conll', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]))
    const r1 = await host.call('dataset.import', { projectId: p.id, files: [{ path: utf16 }], dryRun: true })
    expect(r1).toMatchObject({ encoding: 'utf-16le', encodingReason: 'UTF-16 little-endian byte order mark', documents: 1, spans: 2 })
    // GB18030 bytes for the same text, written by hand: 张 D5C5 三 C8FD 在 D4DA 北 B1B1 京 BEA9
    const gb = Buffer.from(text.replace('张三', '\u0000').replace('在', '\u0001').replace('北京', '\u0002'), 'latin1')
    const bytes: number[] = []
    for (const b of gb) {
      if (b === 0) bytes.push(0xd5, 0xc5, 0xc8, 0xfd)
      else if (b === 1) bytes.push(0xd4, 0xda)
      else if (b === 2) bytes.push(0xb1, 0xb1, 0xbe, 0xa9)
      else bytes.push(b)
    }
    const r2 = await host.call('dataset.import', { projectId: p.id, files: [{ path: file('b.conll', Buffer.from(bytes)) }] })
    expect(r2.encoding).toBe('gb18030')
    expect(dumpProject(host, p.id)[0]!.text).toBe('张三在北京')
  })

  it('refuses bytes that are not valid in the detected encoding, naming the line, and imports nothing', async () => {
    const host = newHost()
    const p = await project(host)
    const before = tableCounts(host)
    // 70 KB of valid UTF-8 (the detection sample), then a stray byte on line 3001.
    const good = Array.from({ length: 3000 }, (_, i) => `line ${i} ${'x'.repeat(16)}`).join('\n') + '\n'
    const bad = file('late.txt', Buffer.concat([Buffer.from(good), Buffer.from([0x41, 0xff, 0x42, 0x0a])]))
    const late = await refused(host, { projectId: p.id, files: [{ path: bad }], format: 'text' })
    expect(late.report.problems[0]).toMatchObject({ kind: 'encoding', file: 'late.txt' })
    expect(late.message).toMatch(/^late\.txt, line 3001: line 3001 holds bytes that are not valid UTF-8; choose the file's encoding explicitly/)
    const cut = file('cut.txt', Buffer.from([0xff, 0xfe, 0x41, 0x00, 0x42]))
    const truncated = await refused(host, { projectId: p.id, files: [{ path: cut }], format: 'text' })
    expect(truncated.message).toContain('cut.txt, line 1: the file ends in the middle of a UTF-16LE character')
    expect(tableCounts(host)).toEqual(before)
  })

  it('refuses a binary file instead of importing its bytes as text', async () => {
    const host = newHost()
    const p = await project(host)
    const before = tableCounts(host)
    const bytes = Buffer.alloc(3000)
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 256
    const r = await host.invoke('dataset.import', { projectId: p.id, files: [{ path: file('weights.bin', bytes) }] })
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_FILE' } })
    if (!r.ok) expect(r.error.message).toMatch(/^weights\.bin is not a text file: it contains NUL bytes/)
    expect(tableCounts(host)).toEqual(before)
  })

  it('refuses a file with problems, naming file, line and field, and changes nothing', async () => {
    const host = newHost()
    const p = await project(host)
    const before = tableCounts(host)
    const src = file('bad.jsonl', ['{"text": "Ada", "label": [[0, 3, "PER"]]}', '{"text": "Ada", "label": [[0, 9, "PER"]]}', 'not json', '{"text": "", "label": []}'].join('\n'))
    const { message, report } = await refused(host, { projectId: p.id, files: [{ path: src }] })
    expect(message).toMatch(/^bad\.jsonl, line 2, field label\[0\]: .*outside the text.*\(and 2 more problems\)\. Nothing was imported\.$/)
    expect(report.problems.map((x) => [x.kind, x.line])).toEqual([
      ['span-out-of-range', 2],
      ['syntax', 3],
      ['empty-document', 4],
    ])
    expect(tableCounts(host)).toEqual(before)
  })

  it('refuses overlapping spans unless the project allows nested entities', async () => {
    const host = newHost()
    const src = file('nested.jsonl', '{"text": "Bank of Paris", "label": [[0, 13, "ORG"], [8, 13, "LOC"]]}\n')
    const flat = await project(host, ['ORG', 'LOC'])
    const { report } = await refused(host, { projectId: flat.id, files: [{ path: src }] })
    expect(report.problems[0]).toMatchObject({ kind: 'overlap', file: 'nested.jsonl', line: 1, field: 'spans' })
    const nested = await project(host, ['ORG', 'LOC'], true)
    expect((await host.call('dataset.import', { projectId: nested.id, files: [{ path: src }] })).spans).toBe(2)
    // Nested spans have no CoNLL tagging: the export is refused and leaves no file behind.
    const out = join(tempDir(), 'nested.conll')
    const r = await host.invoke('dataset.export', { projectId: nested.id, format: 'conll', path: out })
    expect(r.ok).toBe(false)
    expect(existsSync(out)).toBe(false)
  })

  it('lists unknown labels and adds them when asked', async () => {
    const host = newHost()
    const p = await project(host, ['PER'])
    const src = file('u.jsonl', '{"text": "Ada in Paris", "label": [[0, 3, "PER"], [7, 12, "LOC"]]}\n{"text": "Rome", "label": [[0, 4, "LOC"]]}\n')
    const { report } = await refused(host, { projectId: p.id, files: [{ path: src }] })
    expect(report.unknownLabels).toEqual([{ name: 'LOC', count: 2 }])
    const ok = await host.call('dataset.import', { projectId: p.id, files: [{ path: src }], unknownLabels: 'add' })
    expect(ok.addedLabels).toEqual(['LOC'])
    expect((await host.call('project.get', { id: p.id })).labels.map((l) => l.name)).toEqual(['PER', 'LOC'])
  })

  it('repairs or rejects invalid tag sequences as asked, and refuses mixed schemes', async () => {
    const host = newHost()
    const p = await project(host)
    const src = file('iob.conll', 'Ada\tI-PER\nvisited\tO\nParis\tB-LOC\n')
    const repaired = await host.call('dataset.import', { projectId: p.id, files: [{ path: src }], scheme: 'iob2', dryRun: true })
    expect(repaired).toMatchObject({ errors: 0, warnings: 1, spans: 2 })
    expect(repaired.problems[0]).toMatchObject({ kind: 'invalid-tag-sequence', line: 1, field: 'tag', repaired: true })
    const { report } = await refused(host, { projectId: p.id, files: [{ path: src }], scheme: 'iob2', invalidTags: 'reject' })
    expect(report.problems[0]).toMatchObject({ kind: 'invalid-tag-sequence', line: 1, repaired: false })
    const mixed = file('mixed.conll', 'Ada\tB-PER\nLovelace\tE-PER\nin\tO\nParis\tU-LOC\n\nRome\tL-LOC\n')
    const m = await refused(host, { projectId: p.id, files: [{ path: mixed }] })
    expect(m.report.problemCounts['mixed-scheme']).toBeGreaterThan(0)
    expect(tableCounts(host).documents).toBe(0)
  })

  it('checks without importing on a dry run, and counts entities per label', async () => {
    const host = newHost()
    const p = await project(host)
    const src = file('ok.conll', 'Ada\tB-PER\nin\tO\nParis\tB-LOC\n\nRome\tB-LOC\n')
    const r = await host.call('dataset.import', { projectId: p.id, files: [{ path: src }], dryRun: true })
    expect(r).toMatchObject({ committed: false, documents: 2, spans: 3, perLabel: { PER: 1, LOC: 2 }, scheme: 'iob2' })
    expect(r.preview[0]).toEqual({ text: 'Ada in Paris', spans: [{ start: 0, end: 3, label: 'PER' }, { start: 7, end: 12, label: 'LOC' }], split: 'unassigned', source: 'ok.conll, line 1' })
    expect(tableCounts(host).documents).toBe(0)
  })

  it('reads paths only for local callers; browsers import uploads', async () => {
    const host = newHost()
    const p = await project(host)
    const src = file('t.txt', 'first document\n\nsecond document\n')
    const remote = await host.invoke('dataset.import', { projectId: p.id, files: [{ path: src }] }, { local: false })
    expect(remote).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    const up = await host.uploads.save('t.txt', Readable.from([readFileSync(src)]), 1 << 20)
    const r = await host.invoke('dataset.import', { projectId: p.id, files: [{ uploadId: up.id }] }, { local: false })
    expect(r).toMatchObject({ ok: true, value: { format: 'text', documents: 2, files: ['t.txt'] } })
    // Plain text comes in to be annotated: its documents are todo.
    expect((await host.call('dataset.stats', { projectId: p.id })).status).toEqual({ todo: 2, 'in-progress': 0, done: 0, skipped: 0 })
    expect(() => host.uploads.resolve(up.id)).toThrow(/gone/)
  })

  it('imports brat pairs and exports them back', async () => {
    const host = newHost()
    const p = await project(host)
    const dir = tempDir()
    writeFileSync(join(dir, 'doc1.txt'), 'Ada 😀 visited Paris.')
    writeFileSync(join(dir, 'doc1.ann'), 'T1\tPER 0 3\tAda\nT2\tLOC 14 19\tParis\n')
    const r = await host.call('dataset.import', { projectId: p.id, files: [{ path: join(dir, 'doc1.txt') }, { path: join(dir, 'doc1.ann') }] })
    expect(r).toMatchObject({ format: 'brat', documents: 1, spans: 2 })
    const out = tempDir()
    await host.call('dataset.export', { projectId: p.id, format: 'brat', path: out })
    expect(readFileSync(join(out, 'doc1.ann'), 'utf8')).toBe(readFileSync(join(dir, 'doc1.ann'), 'utf8'))
    expect(readFileSync(join(out, 'doc1.txt'), 'utf8')).toBe('Ada 😀 visited Paris.')
  })
})

describe('splits and statistics', () => {
  it('splits by ratio with a seed, stratified, and moves single documents', async () => {
    const host = newHost()
    const p = await project(host)
    const lines = Array.from({ length: 100 }, (_, i) => (i % 10 === 0 ? `{"text": "Ada ${i}", "label": [[0, 3, "PER"]]}` : `{"text": "Paris ${i}", "label": [[0, 5, "LOC"]]}`))
    await host.call('dataset.import', { projectId: p.id, files: [{ path: file('s.jsonl', lines.join('\n')) }] })
    const r = await host.call('dataset.split', { projectId: p.id, ratios: [0.8, 0.1, 0.1], seed: 5 })
    expect(r.documents).toEqual({ train: 80, dev: 10, test: 10, unassigned: 0 })
    const stats = await host.call('dataset.stats', { projectId: p.id })
    // The rare label (10 documents) is split 8/1/1 like the rest.
    expect(stats.entities.find((e) => e.label === 'PER')!.perSplit).toEqual({ train: 8, dev: 1, test: 1, unassigned: 0 })
    const firstRun = dumpProject(host, p.id).map((d) => d.split)
    await host.call('dataset.split', { projectId: p.id, ratios: [0.8, 0.1, 0.1], seed: 5 })
    expect(dumpProject(host, p.id).map((d) => d.split)).toEqual(firstRun)

    const page = await host.call('document.list', { projectId: p.id, split: 'train', limit: 2 })
    await host.call('document.setSplit', { projectId: p.id, documentIds: page.items.map((d) => d.id), split: 'test' })
    expect((await host.call('dataset.stats', { projectId: p.id })).documents).toEqual({ train: 78, dev: 10, test: 12, unassigned: 0 })
    const bad = await host.invoke('document.setSplit', { projectId: p.id, documentIds: [page.items[0]!.id, 999_999], split: 'dev' })
    expect(bad).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
    expect((await host.call('dataset.stats', { projectId: p.id })).documents.test).toBe(12)

    // Deleting is all or nothing.
    const before = tableCounts(host)
    const missing = await host.invoke('document.delete', { projectId: p.id, documentIds: [page.items[0]!.id, 999_999] })
    expect(missing).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
    expect(tableCounts(host)).toEqual(before)
    expect(await host.call('document.delete', { projectId: p.id, documentIds: page.items.map((d) => d.id) })).toEqual({ deleted: 2 })
    expect(tableCounts(host)).toMatchObject({ documents: before.documents! - 2, annotations: before.annotations! - 2 })
  })

  it('computes statistics a user can check by hand', async () => {
    const host = newHost()
    const p = await project(host)
    await host.call('dataset.import', {
      projectId: p.id,
      split: 'train',
      files: [{ path: file('h.jsonl', ['{"text": "Ada met Bob in Paris", "label": [[0, 3, "PER"], [8, 11, "PER"], [15, 20, "LOC"]]}', '{"text": "Rome", "label": [[0, 4, "LOC"]]}', '{"text": "nothing", "label": []}'].join('\n')) }],
    })
    const s = await host.call('dataset.stats', { projectId: p.id })
    expect(s.documents).toEqual({ train: 3, dev: 0, test: 0, unassigned: 0 })
    expect(s.tokens.train).toBe(7)
    expect(s.characters.train).toBe(20 + 4 + 7)
    expect(s.documentsWithoutEntities.train).toBe(1)
    expect(s.entities.map((e) => [e.label, e.total])).toEqual([['PER', 2], ['LOC', 2]])
    expect(s.spanLengths.filter((b) => b.count)).toEqual([{ length: 3, orLonger: false, count: 2 }, { length: 4, orLonger: false, count: 1 }, { length: 5, orLonger: false, count: 1 }])
    expect(s.cooccurrence).toEqual({ labels: ['PER', 'LOC'], matrix: [[1, 1], [1, 2]] })
    const filtered = await host.call('document.list', { projectId: p.id, labelId: p.labels[0]!.id })
    expect(filtered.items.map((d) => d.text)).toEqual(['Ada met Bob in Paris'])
    expect((await host.call('document.list', { projectId: p.id, text: 'ROME' })).total).toBe(1)
  })
})

describe('sample project', () => {
  it('creates the WNUT-17 sample with its credit, split 80/10/10', async () => {
    const host = newHost()
    const p = await host.call('project.createSample', {})
    expect(p.name).toBe('WNUT-17 sample')
    expect(p.description).toContain('CC-BY-4.0')
    const s = await host.call('dataset.stats', { projectId: p.id })
    expect(s.documents.train + s.documents.dev + s.documents.test).toBe(400)
    expect(s.documents.unassigned).toBe(0)
    expect(s.entities.reduce((n, e) => n + e.total, 0)).toBe(218)
    expect((await host.call('project.createSample', {})).name).toBe('WNUT-17 sample (2)')
  })
})
