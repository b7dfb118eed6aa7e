/**
 * The model library through the host: importing the tiny BERT folder (copied and linked), every
 * malformed variant refused with the file and the field or tensor named and nothing stored, a
 * cased vocabulary without tokenizer config fixed in the library's copy, uploads from a browser,
 * run models listed beside the library, and deletion that never touches a linked folder.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { createHost, type Host } from '../../../../src-main/host/create-host'
import { folderName } from '../../../../src-main/services/models/library'
import { insertProject } from '../../../../src-main/store/repositories/projects'
import { insertRun } from '../../../../src-main/store/repositories/runs'
import { loadTokenizerFiles } from '../../../../src-main/engine/tokenizer/load'
import { formatBytes, type ModelImportResult } from '../../../../src-shared/domain/model-library'
import { SHARED_DATA, sharedDataAvailable } from '../../../helpers/shared-data'
import { useTempDirs } from '../../../helpers/temp-dir'
import { casedFolder, MALFORMED, TINY_BERT, TINY_FILES, tinyCopy, tinyParameterCount } from './folders'

const tempDir = useTempDirs()
const hosts: Host[] = []
afterEach(() => {
  for (const h of hosts.splice(0)) h.close()
})

function newHost(dataDir = tempDir()): Host {
  const h = createHost({ dataDir, kind: 'cli', backend: 'cpu' })
  hosts.push(h)
  return h
}

const fileBytes = (dir: string, names: readonly string[]): number => names.reduce((a, n) => a + statSync(join(dir, n)).size, 0)
/** What the library keeps in its folder besides the model folders (downloads in progress). */
const libraryEntries = (host: Host): string[] => (existsSync(join(host.dataDir, 'models')) ? readdirSync(join(host.dataDir, 'models')).filter((n) => n !== '.downloads') : [])

describe('importing a model folder', () => {
  it('copies the tiny BERT folder into the library and shows what it is', async () => {
    const host = newHost()
    const changes: unknown[] = []
    host.onEvent((e, p) => e === 'model.onDidChange' && changes.push(p))
    const r = await host.call('model.import', { path: TINY_BERT, mode: 'copy' })
    const m = r.model
    expect(m.id).toMatch(/^\d+$/)
    expect(m.name).toBe('tiny-bert')
    expect(m.source).toEqual({ kind: 'local', path: TINY_BERT, mode: 'copy' })
    expect(m.path).toBe(join(host.dataDir, 'models', m.id, 'tiny-bert'))
    expect(m.problem).toBeNull()
    expect(m.info).toMatchObject({
      architecture: 'BertForTokenClassification',
      layers: 2,
      hiddenSize: 32,
      heads: 4,
      intermediateSize: 64,
      maxPositions: 64,
      parameters: tinyParameterCount(),
      dtype: 'F32',
      vocabSize: readFileSync(join(TINY_BERT, 'vocab.txt'), 'utf8').trimEnd().split('\n').length,
      embeddingRows: 128,
      vocabFile: 'vocab.txt',
      cased: false,
      casingFrom: 'tokenizer_config',
      labels: ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'],
    })
    // The fixture's vocabulary: mostly English words, some CJK characters.
    expect(m.info!.language.scripts.map((s) => s.script)).toEqual(['Latin', 'Han'])
    // The model's files and its card are copied, not the rest (the fixture's f16/bf16 variants, references, script).
    const kept = [...TINY_FILES, 'README.md']
    expect(readdirSync(m.path).sort()).toEqual(kept.sort())
    for (const f of kept) {
      expect(lstatSync(join(m.path, f)).isSymbolicLink()).toBe(false)
      expect(readFileSync(join(m.path, f)).equals(readFileSync(join(TINY_BERT, f)))).toBe(true)
    }
    expect(m.sizeBytes).toBe(fileBytes(TINY_BERT, kept))
    expect(r.report[0]).toContain(`Checked ${TINY_BERT}`)
    expect(r.report.join('\n')).toContain(`Copied 5 files (${formatBytes(m.sizeBytes)}) into ${m.path}.`)
    expect(changes).toEqual([{ kind: 'added', id: m.id }])

    // Listed, and still there after a restart.
    expect((await host.call('model.list', {})).map((x) => x.id)).toEqual([m.id])
    const dir = host.dataDir
    host.close()
    hosts.splice(0)
    const again = newHost(dir)
    expect(await again.call('model.get', { id: m.id })).toEqual(m)
  })

  it('links a folder instead of copying it, and deleting the model leaves the folder alone', async () => {
    const host = newHost()
    const src = tinyCopy(tempDir())
    const before = Object.fromEntries(TINY_FILES.map((f) => [f, readFileSync(join(src, f))]))
    const { model } = await host.call('model.import', { path: src, mode: 'link', name: 'Tiny (linked)' })
    expect(model.source).toEqual({ kind: 'local', path: src, mode: 'link' })
    for (const f of TINY_FILES) expect(lstatSync(join(model.path, f)).isSymbolicLink()).toBe(true)
    expect(model.sizeBytes).toBe(fileBytes(src, TINY_FILES))

    await host.call('model.delete', { id: model.id })
    expect(existsSync(model.path)).toBe(false)
    for (const f of TINY_FILES) expect(readFileSync(join(src, f)).equals(before[f]!)).toBe(true)
    expect(await host.call('model.list', {})).toEqual([])
  })

  it('imports a Hugging Face cache snapshot, whose files are links to blobs, as real files', async () => {
    const host = newHost()
    const snapshot = join(tempDir(), 'models--org--tiny', 'snapshots', 'abc123')
    mkdirSync(snapshot, { recursive: true })
    for (const f of TINY_FILES) symlinkSync(join(TINY_BERT, f), join(snapshot, f))
    const { model } = await host.call('model.import', { path: snapshot, name: 'org/tiny' })
    expect(model.path).toBe(join(host.dataDir, 'models', model.id, 'tiny'))
    for (const f of TINY_FILES) {
      expect(lstatSync(join(model.path, f)).isSymbolicLink()).toBe(false)
      expect(readFileSync(join(model.path, f)).equals(readFileSync(join(TINY_BERT, f)))).toBe(true)
    }
  })

  it('says when a linked folder has gone', async () => {
    const host = newHost()
    const src = tinyCopy(tempDir())
    const { model } = await host.call('model.import', { path: src, mode: 'link' })
    rmSync(join(src, 'model.safetensors'))
    const m = await host.call('model.get', { id: model.id })
    expect(m.problem).toContain(`The linked folder ${src} is gone or was moved`)
  })

  it('takes a pretraining result into the library, moved from the models folder, and says where it came from', async () => {
    const host = newHost()
    const out = tinyCopy(join(host.dataDir, 'models'), 'pretrained-1-2026')
    const { model, report } = host.models.registerPretrained(out, { projectId: 1, projectName: 'Toy', file: null, texts: 40, steps: 6, finalLoss: 5.25 })
    expect(model.source).toEqual({ kind: 'pretrain', projectId: 1, projectName: 'Toy', file: null, texts: 40, steps: 6, finalLoss: 5.25 })
    expect(model.path).toBe(join(host.dataDir, 'models', model.id, folderName(model.name)))
    expect(existsSync(join(model.path, 'model.safetensors'))).toBe(true)
    expect(existsSync(out)).toBe(false)
    expect(model.notes[0]).toContain('40 texts of project "Toy": 6 steps, final loss 5.2500')
    expect(report.at(-1)).toBe(`Moved it into the library: ${model.path}.`)
    expect((await host.call('model.list', {})).map((m) => m.id)).toContain(model.id)
    // It survives a restart (the row's source kind is allowed by the schema), and deletes like any copy.
    host.close()
    const again = newHost(host.dataDir)
    expect((await again.call('model.get', { id: model.id })).source.kind).toBe('pretrain')
    await again.call('model.delete', { id: model.id })
    expect(existsSync(model.path)).toBe(false)
    // A folder outside the data directory's models folder is not moved.
    const elsewhere = tinyCopy(tempDir())
    expect(() => again.models.registerPretrained(elsewhere, { projectId: 1, projectName: 'Toy', file: null, texts: 1, steps: 1, finalLoss: 1 })).toThrow(/not in the data directory's models folder/)
    expect(existsSync(elsewhere)).toBe(true)
  })

  it('deletes a copied model with its folder', async () => {
    const host = newHost()
    const { model } = await host.call('model.import', { path: TINY_BERT, mode: 'copy' })
    expect(await host.call('model.delete', { id: model.id })).toEqual({ id: model.id })
    expect(existsSync(model.path)).toBe(false)
    expect(libraryEntries(host)).toEqual([])
    const r = await host.invoke('model.get', { id: model.id })
    expect(r).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
  })

  for (const v of MALFORMED) {
    it(`refuses ${v.name}, naming the file${v.field ? ' and the field' : v.tensor ? ' and the tensor' : ''}, and stores nothing`, async () => {
      const host = newHost()
      const folder = v.make(tempDir())
      for (const mode of ['copy', 'link'] as const) {
        const r = await host.invoke('model.import', { path: folder, mode })
        expect(r.ok).toBe(false)
        if (r.ok) continue
        const file = v.file ? join(folder, v.file) : folder
        expect(r.error.code).toBe('INVALID_FILE')
        expect(r.error.message.startsWith(`${file}: `), r.error.message).toBe(true)
        for (const s of v.says) expect(r.error.message).toContain(s)
        expect(r.error.details).toMatchObject({ file, ...(v.field ? { field: v.field } : {}) })
        if (v.tensor) expect((r.error.details as { tensors: string[] }).tensors).toContain(v.tensor)
      }
      expect(await host.call('model.list', {})).toEqual([])
      expect(libraryEntries(host)).toEqual([])
    })
  }

  it('refuses a relative path and a folder that does not exist', async () => {
    const host = newHost()
    const rel = await host.invoke('model.import', { path: 'tests/fixtures/tiny-bert' })
    expect(rel).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: 'Give the folder\'s full path (not "tests/fixtures/tiny-bert").' } })
    const gone = join(tempDir(), 'nope')
    const r = await host.invoke('model.import', { path: gone })
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_FILE', message: `${gone}: model folder not found` } })
  })

  it('keeps names unique: a taken name is refused, a default name gets a number', async () => {
    const host = newHost()
    await host.call('model.import', { path: TINY_BERT, name: 'My BERT' })
    const taken = await host.invoke('model.import', { path: TINY_BERT, name: 'my bert' })
    expect(taken).toMatchObject({ ok: false, error: { code: 'ALREADY_EXISTS', message: 'A model named "my bert" is already in the library; choose another name.' } })
    const a = await host.call('model.import', { path: TINY_BERT })
    const b = await host.call('model.import', { path: TINY_BERT })
    expect([a.model.name, b.model.name]).toEqual(['tiny-bert', 'tiny-bert (2)'])
    // Each in a folder named after it, which is what runs started from it show.
    expect(b.model.path).toBe(join(host.dataDir, 'models', b.model.id, 'tiny-bert-2'))
    expect(libraryEntries(host)).toHaveLength(3)
  })

  it('writes do_lower_case: false into the copy of a cased model that has no tokenizer_config.json', async () => {
    const host = newHost()
    const src = casedFolder(tempDir())
    // What transformers (and the engine) would do with the folder as it is: lowercase.
    expect(loadTokenizerFiles(src).options.doLowerCase).toBe(true)
    for (const mode of ['copy', 'link'] as const) {
      const r = await host.call('model.import', { path: src, mode })
      expect(r.model.info).toMatchObject({ cased: true, casingFrom: 'tokenizer_config', architecture: 'BertForMaskedLM', labels: null })
      expect(r.report.join('\n')).toContain(`${src} has no tokenizer_config.json and its vocabulary is cased: transformers (and Tagtune) would lowercase the text by default. The library wrote a tokenizer_config.json with do_lower_case: false`)
      expect(r.model.notes[0]).toContain('do_lower_case: false')
      const written = JSON.parse(readFileSync(join(r.model.path, 'tokenizer_config.json'), 'utf8'))
      expect(written).toEqual({ do_lower_case: false })
      expect(lstatSync(join(r.model.path, 'tokenizer_config.json')).isSymbolicLink()).toBe(false)
      expect(loadTokenizerFiles(r.model.path).options.doLowerCase).toBe(false)
    }
    // The original folder is not written to.
    expect(existsSync(join(src, 'tokenizer_config.json'))).toBe(false)
  })

  it.skipIf(!sharedDataAvailable('the bert-base-cased vocabulary'))('recognises bert-base-cased\'s real vocabulary as cased English', async () => {
    const host = newHost()
    const vocab = readFileSync(join(SHARED_DATA, 'vocab/bert-base-cased/vocab.txt'), 'utf8').replace(/\n$/, '').split('\n')
    expect(vocab).toHaveLength(28996)
    const src = casedFolder(tempDir(), vocab)
    const r = await host.call('model.import', { path: src })
    expect(r.model.info).toMatchObject({ cased: true, vocabSize: 28996, language: { hint: 'English' } })
    expect(JSON.parse(readFileSync(join(r.model.path, 'tokenizer_config.json'), 'utf8'))).toEqual({ do_lower_case: false })
  })

  it('a tokenizer config that says do_lower_case is believed, and nothing is written', async () => {
    const host = newHost()
    const src = casedFolder(tempDir())
    writeFileSync(join(src, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true, model_max_length: 64 }))
    const r = await host.call('model.import', { path: src })
    expect(r.model.info).toMatchObject({ cased: false, casingFrom: 'tokenizer_config' })
    expect(r.report.join('\n')).toContain('sets do_lower_case true, but the vocabulary has capitalised tokens')
    expect(readFileSync(join(r.model.path, 'tokenizer_config.json'), 'utf8')).toBe(JSON.stringify({ do_lower_case: true, model_max_length: 64 }))
  })
})

describe('importing from a browser', () => {
  async function upload(host: Host, dir: string, names: string[]): Promise<{ name: string; uploadId: string }[]> {
    const out = []
    for (const n of names) out.push({ name: n, uploadId: (await host.uploads.save(n, Readable.from(readFileSync(join(dir, n))), 1e9)).id })
    return out
  }

  it('refuses a path from a remote caller, and imports the same folder uploaded file by file', async () => {
    const host = newHost()
    const remote = { local: false }
    const byPath = await host.invoke('model.import', { path: TINY_BERT }, remote)
    expect(byPath).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    expect(await host.call('model.list', {})).toEqual([])

    const files = await upload(host, TINY_BERT, [...TINY_FILES])
    const r = await host.invoke('model.import', { upload: { folder: 'tiny-bert', files, otherFiles: ['README.md', 'generate.py'] } }, remote)
    expect(r.ok).toBe(true)
    const { model, report } = (r as { value: ModelImportResult }).value
    expect(model).toMatchObject({ name: 'tiny-bert', source: { kind: 'upload', folder: 'tiny-bert' }, info: { parameters: tinyParameterCount() } })
    expect(readdirSync(model.path).sort()).toEqual([...TINY_FILES].sort())
    expect(report[0]).toMatch(/^Checked tiny-bert: BertForTokenClassification/)
    // The uploads are consumed.
    for (const f of files) expect(() => host.uploads.resolve(f.uploadId)).toThrow(/gone/)
  })

  it('names the uploaded folder, not a staging folder, in its errors; a PyTorch-only folder gets the conversion command', async () => {
    const host = newHost()
    const files = await upload(host, TINY_BERT, ['config.json', 'vocab.txt', 'tokenizer_config.json'])
    const r = await host.invoke('model.import', { upload: { folder: 'my-model', files, otherFiles: ['pytorch_model.bin'] } }, { local: false })
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_FILE', details: { file: 'my-model/pytorch_model.bin' } } })
    if (!r.ok) {
      expect(r.error.message).toMatch(/^my-model\/pytorch_model\.bin: Tagtune reads weights only in the safetensors format/)
      expect(r.error.message).not.toContain(host.dataDir)
    }
    expect(libraryEntries(host)).toEqual([])
    expect(await host.call('model.list', {})).toEqual([])
  })
})

describe('run models in the library', () => {
  it('lists every finished run that has a best checkpoint, links it to its run, and does not delete it', async () => {
    const host = newHost()
    const projectId = insertProject(host.db, { name: 'News', description: '', taskType: 'ner', tagScheme: 'iob2', allowNested: false, guidelines: '', now: '2026-01-01T00:00:00.000Z' })
    const run = (status: 'completed' | 'failed' | 'running', name: string): number =>
      insertRun(host.db, { projectId, name, status, config: { model: '/models/bert-base-cased' }, model: { kind: 'folder', path: '/models/bert-base-cased', name: 'bert-base-cased' }, now: '2026-01-01T00:00:00.000Z' })
    const done = run('completed', 'lr 5e-5')
    const failedEarly = run('failed', 'diverged') // no checkpoint at all
    const training = run('running', 'still going')
    for (const id of [done, training]) tinyCopy(join(host.dataDir, 'runs', String(id)), 'best')
    const { model: lib } = await host.call('model.import', { path: TINY_BERT })

    const list = await host.call('model.list', {})
    expect(list.map((m) => m.id)).toEqual([lib.id, `run-${done}`])
    const m = list[1]!
    expect(m).toMatchObject({
      name: 'lr 5e-5',
      source: { kind: 'run', runId: done, projectId, projectName: 'News', runName: 'lr 5e-5', status: 'completed' },
      path: join(host.dataDir, 'runs', String(done), 'best'),
      info: { parameters: tinyParameterCount(), labels: ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'] },
      notes: ['Fine-tuned from /models/bert-base-cased.'],
    })
    expect(await host.call('model.get', { id: `run-${done}` })).toEqual(m)
    for (const id of [failedEarly, training, 999]) expect(await host.invoke('model.get', { id: `run-${id}` })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })

    const del = await host.invoke('model.delete', { id: `run-${done}` })
    expect(del).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    expect(existsSync(join(m.path, 'model.safetensors'))).toBe(true)
  })

  it('refuses to delete a library model that a queued run will train from', async () => {
    const host = newHost()
    const { model } = await host.call('model.import', { path: TINY_BERT })
    const projectId = insertProject(host.db, { name: 'News', description: '', taskType: 'ner', tagScheme: 'iob2', allowNested: false, guidelines: '', now: '2026-01-01T00:00:00.000Z' })
    const id = insertRun(host.db, { projectId, name: 'waiting', status: 'queued', config: { model: model.path }, model: { kind: 'folder', path: model.path, name: 'tiny' }, now: '2026-01-01T00:00:00.000Z' })
    const r = await host.invoke('model.delete', { id: model.id })
    expect(r).toMatchObject({ ok: false, error: { code: 'CONFLICT', message: `"tiny-bert" is used by run #${id} (queued); wait for it to finish or cancel it first.` } })
    expect(existsSync(join(model.path, 'model.safetensors'))).toBe(true)
    expect(await host.call('model.list', {})).toHaveLength(1)
  })
})
