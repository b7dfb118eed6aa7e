import { availableParallelism } from 'node:os'
import { describe, expect, it, afterEach } from 'vitest'
import { createHost, type Host } from '../../../src-main/host/create-host'
import { invokes, type InvokeChannel } from '../../../src-shared/ipc/contract'
import { useTempDirs } from '../../helpers/temp-dir'
import { LATEST_SCHEMA_VERSION } from '../../../src-main/store/migrations'

const tempDir = useTempDirs()
const hosts: Host[] = []
afterEach(() => {
  for (const h of hosts.splice(0)) h.close()
})

function newHost(dataDir = tempDir()): Host {
  const h = createHost({ dataDir, kind: 'server', backend: 'cpu' })
  hosts.push(h)
  return h
}

async function seeded(): Promise<{ host: Host; projectId: number; labelIds: number[] }> {
  const host = newHost()
  const p = await host.call('project.create', { name: 'News', labels: [{ name: 'PER' }, { name: 'ORG' }, { name: 'LOC' }] })
  return { host, projectId: p.id, labelIds: p.labels.map((l) => l.id) }
}

/** Every channel, with payloads that must be refused at the boundary. */
const INVALID: { [C in InvokeChannel]: unknown[] } = {
  'app.info': [{ verbose: true }, 'x', 42],
  'app.chooseSavePath': [{}, { defaultName: '' }, { defaultName: 'x', folder: 'yes' }],
  'project.list': [{ filter: 'x' }, [], 'x'],
  'project.get': [{}, { id: 'one' }, { id: -1 }, { id: 1.5 }, { id: 1, more: 1 }],
  'project.create': [
    {},
    { name: '' },
    { name: 42 },
    { name: 'X', labels: 'PER' },
    { name: 'X', labels: [{ name: 'PER' }, { name: 'PER' }] },
    { name: 'X', labels: [{ name: '' }] },
    { name: 'X', taskType: 'pos' },
    { name: 'X', tagScheme: 'iob3' },
    { name: 'X', labels: [{ name: 'A', shortcut: 'ab' }] },
  ],
  'project.update': [
    {},
    { id: 'x' },
    { id: 1, name: '' },
    { id: 1, labels: [{ name: 'A' }, { name: 'a' }] },
    { id: 1, tagScheme: 'bilou' },
    { id: 1, taskType: 'ner' },
    { id: 1, expectedVersion: -1 },
  ],
  'project.delete': [{}, { id: '1' }, { id: 0 }, { id: 1, cascade: true }],
  'project.createSample': [{ name: 'x' }, 1],
  'dataset.import': [
    {},
    { projectId: 1 },
    { projectId: 1, files: [] },
    { projectId: 1, files: [{ path: '' }] },
    { projectId: 1, files: [{ uploadId: '../etc/passwd' }] },
    { projectId: 1, files: [{ path: '/x' }], format: 'xml' },
    { projectId: 1, files: [{ path: '/x' }], encoding: 'ebcdic' },
    { projectId: 1, files: [{ path: '/x' }], split: 'validation' },
    { projectId: 1, files: [{ path: '/x' }], invalidTags: 'ignore' },
  ],
  'dataset.export': [{}, { projectId: 1, format: 'conll' }, { projectId: 1, format: 'xml', path: '/tmp/x' }, { projectId: 1, format: 'conll', path: '/tmp/x', split: 'valid' }],
  'dataset.stats': [{}, { projectId: 'a' }],
  'dataset.progress': [{}, { projectId: -3 }],
  'dataset.split': [{ projectId: 1 }, { projectId: 1, ratios: [0, 0, 0] }, { projectId: 1, ratios: [0.8, -0.1, 0.3] }, { projectId: 1, ratios: [1, 1] }, { projectId: 1, ratios: [1, 1, 1], seed: -1 }],
  'document.list': [{}, { projectId: 1, limit: 0 }, { projectId: 1, limit: 10_000 }, { projectId: 1, split: 'x' }, { projectId: 1, status: 'finished' }, { projectId: 1, order: 'least-confident' }, { projectId: 1, order: 'confidence', runId: 1 }],
  'document.get': [{}, { id: 0 }, { id: 'x' }],
  'annotation.save': [
    {},
    { documentId: 1, annotator: '', spans: [], status: 'done', expectedVersion: 0 },
    { documentId: 1, annotator: 'ana', spans: [[0, 1]], status: 'done', expectedVersion: 0 },
    { documentId: 1, annotator: 'ana', spans: [], status: 'finished', expectedVersion: 0 },
    { documentId: 1, annotator: 'ana', spans: [], status: 'done' },
  ],
  'annotation.labelAll': [{ projectId: 1, text: '', labelId: 1, annotator: 'a' }, { projectId: 1, text: 'x', labelId: 1 }],
  'annotation.undoBulk': [{}, { id: 'x' }],
  'annotation.agreement': [{}, { projectId: 'x' }],
  'dictionary.get': [{}, { projectId: 0 }],
  'dictionary.set': [{ projectId: 1, labelId: 1 }, { projectId: 1, labelId: 1, terms: 'Paris' }, { projectId: 1, labelId: 1, terms: ['x'.repeat(201)] }],
  'suggestions.predict': [{}, { runId: 0 }, { runId: 1, scope: 'some' }, { runId: 1, checkpoint: 'first' }, { runId: 1, extra: true }],
  'suggestions.cancel': [{}, { runId: 'x' }],
  'suggestions.get': [{ runId: 1 }, { documentId: 1 }, { runId: 1, documentId: -1 }],
  'suggestions.sources': [{}, { projectId: 0 }],
  'document.delete': [{ projectId: 1, documentIds: [] }, { projectId: 1 }, { projectId: 1, documentIds: [0] }],
  'document.setSplit': [{ projectId: 1, documentIds: [], split: 'train' }, { projectId: 1, documentIds: [1], split: 'x' }, { projectId: 1, documentIds: ['1'], split: 'dev' }],
  'run.start': [{}, { projectId: 1 }, { projectId: 1, config: 'x' }, { projectId: 1, config: {}, backend: 'gpu' }, { projectId: 1, config: {}, tags: [''] }],
  'run.list': [{}, { projectId: 'x' }],
  'run.get': [{}, { id: 0 }, { id: 1, logLimit: -1 }],
  'run.cancel': [{}, { id: 'x' }],
  'run.evaluate': [{ id: 1, split: 'valid' }, { id: 1, modes: [] }, { id: 1, checkpoint: 'first' }, { id: 1, file: {} }],
  'run.robustness': [{}, { id: 1, epsilons: [-1] }, { id: 1, noise: 0.9 }, { id: 1, split: 'valid' }],
  'run.predict': [{ id: 1 }, { id: 1, texts: [] }, { id: 1, texts: [1] }],
  'run.predictFile': [
    { id: 1 },
    { file: { path: '/x.txt' } },
    { id: 1, file: {} },
    { id: 1, file: { path: '' } },
    { id: 1, file: { uploadId: '../../etc/passwd' } },
    { id: 1, file: { path: '/x.txt' }, format: 'xml' },
    { id: 1, file: { path: '/x.txt' }, checkpoint: 'first' },
    { id: 1, file: { path: '/x.txt' }, requestId: '' },
  ],
  'run.exportPredictions': [
    {},
    { resultId: 'abc', format: 'doccano', path: '/x.jsonl' },
    { resultId: '../../tagtune.db'.padEnd(32, 'a'), format: 'doccano', path: '/x.jsonl' },
    { resultId: 'a'.repeat(32), format: 'xml', path: '/x.jsonl' },
    { resultId: 'a'.repeat(32), format: 'conll', scheme: 'iob3', path: '/x.conll' },
    { resultId: 'a'.repeat(32), format: 'doccano', minConfidence: 2, path: '/x.jsonl' },
    { resultId: 'a'.repeat(32), format: 'doccano' },
  ],
  'run.cancelPredictFile': [{}, { requestId: '' }, { requestId: 7 }, { requestId: 'x'.repeat(101) }],
  'run.preview': [{}, { projectId: 1 }, { projectId: 1, config: 'x' }, { projectId: 1, config: {}, backend: 'gpu' }, { projectId: 0, config: {} }],
  'run.pause': [{}, { id: 0 }, { id: 'x' }],
  'run.resume': [{}, { id: -1 }, { id: 1, fromStep: 3 }],
  'run.reorder': [{}, { ids: [] }, { ids: [0] }, { ids: '1,2' }],
  'run.delete': [{}, { id: 1.5 }],
  'run.predictions': [{}, { id: 1, split: 'train' }, { id: 1, limit: 0 }, { id: 1, limit: 1000 }, { id: 1, offset: -1 }, { id: 1, onlyErrors: 'yes' }],
  'run.system': [{ runId: 0 }, { runId: 'x' }, { pid: 1 }],
  'run.update': [{}, { id: 0 }, { id: 1, name: '  ' }, { id: 1, tags: [''] }, { id: 1, tags: 'a,b' }, { id: 1, notes: 3 }, { id: 1, status: 'completed' }, { id: 1, tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }],
  'run.table': [{}, { projectId: 'x' }, { projectId: 0 }, { projectId: 1, status: 'done' }],
  'run.compare': [{}, { ids: [1] }, { ids: [1, 1] }, { ids: [1, 2, 3, 4, 5, 6, 7, 8, 9] }, { ids: [1, 2], mode: 'lenient' }, { ids: [1, 2], split: 'train' }, { ids: [1, 2], samples: 5 }, { ids: [1, 2], baseline: 'x' }, { ids: ['1', '2'] }],
  'run.disagreements': [{}, { ids: [1] }, { ids: [1, 2], kind: 'wrong' }, { ids: [1, 2], limit: 0 }, { ids: [1, 2], limit: 101 }, { ids: [1, 2], offset: -1 }, { ids: [1, 2], type: '' }, { ids: [1, 2], split: 'train' }],
  'model.list': [{ all: true }, 'x'],
  'model.get': [{}, { id: 1 }, { id: '0' }, { id: 'run-' }, { id: 'run-x' }, { id: '../1' }],
  'model.import': [
    {},
    { path: '' },
    { path: '/x', mode: 'move' },
    { path: '/x', name: '  ' },
    { path: '/x', name: 'x'.repeat(201) },
    { path: '/x', upload: { folder: 'x', files: [] } },
    { upload: { folder: 'x', files: [] } },
    { upload: { folder: '', files: [{ name: 'config.json', uploadId: 'a'.repeat(32) }] } },
    { upload: { folder: 'x', files: [{ name: '../config.json', uploadId: 'a'.repeat(32) }] } },
    { upload: { folder: 'x', files: [{ name: 'config.json', uploadId: '../../tagtune.db' }] } },
  ],
  'model.download': [
    {},
    { repo: '' },
    { repo: 'a/b/c' },
    { repo: '../etc' },
    { repo: 'org/model', revision: '' },
    { repo: 'org/model', revision: '../main' },
    { repo: 'org/model', endpoint: 'ftp://mirror' },
    { repo: 'org/model', endpoint: 'not a url' },
    { repo: 'org/model', proxy: 'socks5://p:1080' },
    { repo: 'org/model', token: 'has space' },
    { repo: 'org/model', name: '' },
  ],
  'model.delete': [{}, { id: '' }, { id: 0 }, { id: 'run-0' }, { id: '1', force: true }],
  'run.export': [{}, { id: 1 }, { id: 1, format: 'onnx' }, { id: 0, format: 'hf' }, { id: 1, format: 'hf', path: '' }, { id: 1, format: 'hf', path: 7 }, { id: 1, format: 'hf', force: 'yes' }, { id: 1, format: 'hf', checkpoint: 'last' }],
  'serving.start': [
    {},
    { runId: 0 },
    { runId: 1, port: 70000 },
    { runId: 1, port: -1 },
    { runId: 1, port: '8080' },
    { runId: 1, host: '' },
    { runId: 1, host: 'evil host; rm -rf' },
    { runId: 1, token: 'short' },
    { runId: 1, token: 'a token with spaces in it' },
    { runId: 1, maxBatchTexts: 0 },
    { runId: 1, batchWindowMs: 5000 },
    { runId: 1, maxBodyBytes: 10 },
    { runId: 1, maxTexts: 0 },
    { runId: 1, backend: 'gpu' },
    { runId: 1, verbose: true },
  ],
  'serving.stop': [{}, { runId: 'x' }, { runId: 0 }, { runId: 1, force: true }],
  'serving.status': [{ runId: 1 }, 'x'],
}

describe('host boundary', () => {
  it('covers every channel of the contract in the invalid-payload table', () => {
    expect(Object.keys(INVALID).sort()).toEqual(Object.keys(invokes).sort())
  })

  for (const [channel, payloads] of Object.entries(INVALID)) {
    it(`refuses invalid payloads on ${channel} with INVALID_INPUT and changes nothing`, async () => {
      const { host } = await seeded()
      const before = JSON.stringify(await host.call('project.list', {}))
      for (const payload of payloads) {
        const r = await host.invoke(channel, payload)
        expect(r.ok, `${channel} accepted ${JSON.stringify(payload)}`).toBe(false)
        if (!r.ok) {
          expect(r.error.code).toBe('INVALID_INPUT')
          expect(r.error.message).toContain(channel)
          expect(Array.isArray(r.error.details)).toBe(true)
        }
      }
      expect(JSON.stringify(await host.call('project.list', {}))).toBe(before)
    })
  }

  it('answers UNKNOWN_CHANNEL for a channel that does not exist', async () => {
    const host = newHost()
    const r = await host.invoke('project.drop', {})
    expect(r).toEqual({ ok: false, error: { code: 'UNKNOWN_CHANNEL', message: 'There is no channel named "project.drop".' } })
    expect((await host.invoke('__proto__', {})).ok).toBe(false)
  })

  it('reports the compute backend in app.info', async () => {
    const host = newHost()
    const info = await host.call('app.info', {})
    expect(info).toMatchObject({ name: 'Tagtune', host: 'server', schemaVersion: LATEST_SCHEMA_VERSION, dataDir: host.dataDir })
    expect(info.backend).toMatchObject({ name: 'cpu', device: 'CPU' })
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/)
    // On wasm the status bar shows what runs will use: a second thread for large matMuls where there is a second core.
    const wasm = createHost({ dataDir: tempDir(), kind: 'server', backend: 'wasm' })
    hosts.push(wasm)
    expect((await wasm.call('app.info', {})).backend).toMatchObject({ name: 'wasm', threads: availableParallelism() >= 2 ? 2 : 1 })
  })
})

describe('projects through the host', () => {
  it('creates with defaults, persists across a restart of the host', async () => {
    const dir = tempDir()
    const host = newHost(dir)
    const p = await host.call('project.create', { name: 'Contracts', labels: [{ name: 'PARTY' }, { name: 'DATE', shortcut: 'd' }] })
    expect(p).toMatchObject({ name: 'Contracts', taskType: 'ner', tagScheme: 'iob2', version: 0 })
    expect(p.labels.map((l) => [l.name, l.shortcut])).toEqual([['PARTY', '1'], ['DATE', 'd']])
    host.close()
    hosts.splice(hosts.indexOf(host), 1)
    const again = newHost(dir)
    expect(await again.call('project.get', { id: p.id })).toEqual(p)
  })

  it('refuses a second project with the same name (any case)', async () => {
    const { host } = await seeded()
    const r = await host.invoke('project.create', { name: 'NEWS' })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toMatchObject({ code: 'ALREADY_EXISTS', message: 'A project named "NEWS" already exists.' })
    expect(await host.call('project.list', {})).toHaveLength(1)
  })

  it('renames, changes the scheme and edits labels, keeping label ids', async () => {
    const { host, projectId, labelIds } = await seeded()
    const p = await host.call('project.update', {
      id: projectId,
      expectedVersion: 0,
      name: 'Newswire',
      tagScheme: 'bmes',
      labels: [
        { id: labelIds[0], name: 'PERSON', color: '#123456', shortcut: 'p', description: 'People' },
        { id: labelIds[2], name: 'LOC' },
        { name: 'MISC' },
      ],
    })
    expect(p).toMatchObject({ name: 'Newswire', tagScheme: 'bmes', version: 1 })
    expect(p.labels.map((l) => [l.id === labelIds[0], l.name, l.color, l.shortcut])).toEqual([
      [true, 'PERSON', '#123456', 'p'],
      [false, 'LOC', expect.any(String), '1'],
      [false, 'MISC', expect.any(String), '2'],
    ])
  })

  it('refuses an update based on a stale version (CONFLICT) and keeps the newer data', async () => {
    const { host, projectId } = await seeded()
    await host.call('project.update', { id: projectId, expectedVersion: 0, name: 'First' })
    const r = await host.invoke('project.update', { id: projectId, expectedVersion: 0, name: 'Second' })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.code).toBe('CONFLICT')
    expect((await host.call('project.get', { id: projectId })).name).toBe('First')
  })

  it('refuses label ids of another project and leaves both projects unchanged', async () => {
    const { host, projectId } = await seeded()
    const other = await host.call('project.create', { name: 'Other', labels: [{ name: 'X' }] })
    const before = JSON.stringify(await host.call('project.list', {}))
    const r = await host.invoke('project.update', { id: projectId, labels: [{ id: other.labels[0]!.id, name: 'STOLEN' }] })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toMatchObject({ code: 'INVALID_INPUT', details: [{ path: 'labels.0.id' }] })
    expect(JSON.stringify(await host.call('project.list', {}))).toBe(before)
  })

  it('answers NOT_FOUND for missing projects', async () => {
    const host = newHost()
    for (const [ch, input] of [['project.get', { id: 7 }], ['project.update', { id: 7, name: 'x' }], ['project.delete', { id: 7 }]] as const) {
      const r = await host.invoke(ch, input)
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.error).toMatchObject({ code: 'NOT_FOUND', message: 'There is no project with id 7.' })
    }
  })

  it('deletes a project with its labels, and tells listeners about every change', async () => {
    const { host, projectId } = await seeded()
    const seen: unknown[] = []
    host.onEvent((event, payload) => seen.push([event, payload]))
    await host.call('project.update', { id: projectId, description: 'wire' })
    await host.call('project.delete', { id: projectId })
    expect(await host.call('project.list', {})).toEqual([])
    expect(seen).toEqual([
      ['project.onDidChange', { kind: 'updated', projectId }],
      ['project.onDidChange', { kind: 'deleted', projectId }],
    ])
  })
})
