/**
 * Exporting a tiny run trained through the run service: the Hugging Face folder has exactly the
 * tensors of BertForTokenClassification (checked against the PyTorch fixture, and loaded into the
 * PyTorch reference when python3-torch is installed), each format loads back to the same
 * predictions (int8: close ones, measured), the model card carries the metrics, and bad requests
 * are refused with clear errors and leave the destination untouched.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../../../src-main/cli/main'
import { safetensorsShapes } from '../../../../src-main/services/export/hf'
import type { RunSummary } from '../../../../src-shared/domain/run'
import type { RunExportResult } from '../../../../src-shared/domain/export'
import type { NerEvaluation } from '../../../../src-shared/domain/ner-eval'
import { maxAbsDiff, useWasm } from '../../../helpers/tf'
import { RESOURCES } from '../../../helpers/host'
import { TINY_BERT } from '../../../helpers/toy-ner'
import { behaviourOf, openToyHost, PROBE_DOCS, spanKeys, trainRun, type Behaviour, type ToyHost } from './helpers'

let t: ToyHost
let run: RunSummary
let best: string
let trained: Behaviour

beforeAll(async () => {
  await useWasm()
  t = await openToyHost()
  run = await trainRun(t)
  best = join(run.checkpointDir!, 'best')
  trained = behaviourOf(best)
}, 300_000)
afterAll(() => t?.close())

const pct = (x: number): string => (100 * x).toFixed(1)
const sizes = (r: RunExportResult): Record<string, number> => Object.fromEntries(r.files.map((f) => [f.name, f.bytes]))

/** Entity F1 of predicted character spans against the gold spans of the 12 test documents (they are whole words, so this is seqeval's F1). */
function testF1(b: Behaviour): number {
  let gold = 0
  let predicted = 0
  let correct = 0
  PROBE_DOCS.slice(0, 12).forEach((d, i) => {
    const g = new Set(d.spans.map((s) => `${s.start}:${s.end}:${s.label}`))
    const p = spanKeys(b)[i]!
    gold += g.size
    predicted += p.length
    correct += p.filter((k) => g.has(k)).length
  })
  return (2 * correct) / (gold + predicted)
}

async function testEvaluation(): Promise<NerEvaluation> {
  const detail = await t.host.call('run.get', { id: run.id })
  return detail.evaluations.find((e) => e.split === 'test' && e.checkpoint === 'best' && e.mode === 'default')!.result
}

describe('Hugging Face export', () => {
  it('writes the folder transformers loads as BertForTokenClassification: the PyTorch fixture\'s tensor names and shapes, config, tokenizer', async () => {
    const dir = t.scratch()
    const r = await t.host.call('run.export', { id: run.id, format: 'hf', path: dir })
    expect(r).toMatchObject({ runId: run.id, format: 'hf', dir, checkpoint: 'best', quantization: null, warnings: [] })
    expect(r.files.map((f) => f.name)).toEqual(['README.md', 'config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer_config.json', 'vocab.txt'])
    for (const f of r.files) expect(f.bytes, f.name).toBe(statSync(join(dir, f.name)).size)
    expect(r.totalBytes).toBe(r.files.reduce((n, f) => n + f.bytes, 0))

    // Every tensor of the state dict PyTorch wrote for BertForTokenClassification, with its shape, and nothing else.
    expect(Object.fromEntries(safetensorsShapes(join(dir, 'model.safetensors')))).toEqual(Object.fromEntries(safetensorsShapes(join(TINY_BERT, 'model.safetensors'))))

    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))
    expect(config).toMatchObject({ architectures: ['BertForTokenClassification'], model_type: 'bert', hidden_size: 32, num_hidden_layers: 2, vocab_size: 128 })
    expect(config.id2label).toEqual({ 0: 'O', 1: 'B-PER', 2: 'I-PER', 3: 'B-LOC', 4: 'I-LOC' })
    expect(Object.keys(config.id2label)).toEqual(['0', '1', '2', '3', '4'])
    expect(config.label2id).toEqual({ O: 0, 'B-PER': 1, 'I-PER': 2, 'B-LOC': 3, 'I-LOC': 4 })
    expect(JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'))).toMatchObject({ tokenizer_class: 'BertTokenizer', do_lower_case: true })
    expect(JSON.parse(readFileSync(join(dir, 'special_tokens_map.json'), 'utf8'))).toEqual({ unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]' })
    expect(readFileSync(join(dir, 'vocab.txt'), 'utf8')).toBe(readFileSync(join(TINY_BERT, 'vocab.txt'), 'utf8'))

    // Loaded back by the engine: the very same predictions and logits as the run's checkpoint.
    const again = behaviourOf(dir)
    expect(again.spans).toEqual(trained.spans)
    expect(maxAbsDiff(again.logits, trained.logits)).toBe(0)
    expect(spanKeys(trained).flat().length).toBeGreaterThan(10)

    // Imported into the model library (checked as any Hugging Face folder), it predicts the same again.
    const imported = await t.host.call('model.import', { path: dir, name: 'exported-tiny' })
    expect(behaviourOf(imported.model.path).spans).toEqual(trained.spans)
  })

  it('writes a model card with the data snapshot, the run config, the dev and test scores per type, the training time and backend', async () => {
    const dir = t.scratch()
    await t.host.call('run.export', { id: run.id, format: 'hf', path: dir })
    const card = readFileSync(join(dir, 'README.md'), 'utf8')
    const test = await testEvaluation()
    expect(card).toMatch(/^---\nlicense: {2}# not set/)
    expect(card).toContain('library_name: transformers')
    expect(card).toContain(`Snapshot \`${run.datasetHash}\``)
    expect(card).toContain('| split | documents | tokens | PER | LOC |')
    const s = run.datasetSummary as { documents: Record<string, number>; tokens: Record<string, number>; entities: Record<string, Record<string, number>> }
    expect(card).toContain(`| train | 48 | ${s.tokens.train} | ${s.entities.train!.PER} | ${s.entities.train!.LOC} |`)
    expect(card).toContain(`| test | 12 | ${s.tokens.test} | ${s.entities.test!.PER} | ${s.entities.test!.LOC} |`)
    expect(card).toContain(`Test entity F1: **${pct(test.f1)}**`)
    for (const row of test.report.perType) expect(card).toContain(`| ${row.type} | ${pct(row.precision)} | ${pct(row.recall)} | ${pct(row.f1)} | ${row.support} |`)
    expect(card).toContain(`Dev entity F1 (seqeval, default mode) of this checkpoint: **${pct(run.bestMetric!)}** (step ${run.bestStep})`)
    expect(card).toContain('"learningRate": 0.005')
    expect(card).toMatch(/Training time: \d+(\.\d)? s in the training loop/)
    expect(card).toContain('Compute backend: wasm')
    expect(card).toContain('## Intended use and limitations')
    expect(card).toContain('Fill in the `license:` field')
    expect(card).toContain('aggregation_strategy="first"')
    // The base model appears by its folder's name, not by the workstation's path.
    expect(card).toContain('"model": "tiny-bert"')
    expect(card).not.toContain(TINY_BERT)
  })

  const python = '/usr/bin/python3'
  const torch = existsSync(python) && spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0
  if (!torch) console.warn('Skipping the PyTorch load of the exported folder: /usr/bin/python3 with torch is not installed (apt-get install python3-torch)')
  it.skipIf(!torch)('loads into the PyTorch reference BertForTokenClassification with strict=True, which computes the engine\'s logits', async () => {
    const dir = t.scratch()
    await t.host.call('run.export', { id: run.id, format: 'hf', path: dir })
    const p = spawnSync(python, [join(import.meta.dirname, 'torch_logits.py'), dir], {
      input: JSON.stringify({ input_ids: trained.inputIds, attention_mask: trained.attentionMask }),
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
      encoding: 'utf8',
    })
    expect(p.status, p.stderr).toBe(0)
    const out = JSON.parse(p.stdout) as { logits: number[]; state_dict: Record<string, number[]> }
    expect(out.state_dict).toEqual(Object.fromEntries(safetensorsShapes(join(dir, 'model.safetensors'))))
    const real = (values: ArrayLike<number>): number[] => trained.attentionMask.flat().flatMap((m, i) => (m ? Array.from({ length: 5 }, (_, j) => values[i * 5 + j]!) : []))
    expect(maxAbsDiff(real(out.logits), real(trained.logits))).toBeLessThan(1e-4)
  })
})

describe('tfjs export', () => {
  it('writes the weights manifest, shards and tokenizer files; loaded back, the model predicts exactly as the checkpoint', async () => {
    const dir = t.scratch()
    const r = await t.host.call('run.export', { id: run.id, format: 'tfjs', path: dir })
    expect(r.files.map((f) => f.name)).toEqual(['README.md', 'config.json', 'group1-shard1of1.bin', 'model.json', 'special_tokens_map.json', 'tokenizer_config.json', 'vocab.txt'])
    expect(readdirSync(dir).sort()).toEqual(r.files.map((f) => f.name))
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'))
    expect(json.weightsManifest[0].weights.map((w: { name: string }) => w.name).sort()).toEqual([...safetensorsShapes(join(TINY_BERT, 'model.safetensors')).keys()].sort())
    const again = behaviourOf(dir, 'tfjs')
    expect(again.spans).toEqual(trained.spans)
    expect(maxAbsDiff(again.logits, trained.logits)).toBe(0)
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain('tf.io.loadWeights(modelJson.weightsManifest, base)')
  })
})

describe('int8 export', () => {
  let r: RunExportResult
  let dir: string
  beforeAll(async () => {
    dir = t.scratch()
    r = await t.host.call('run.export', { id: run.id, format: 'int8', path: dir })
  }, 120_000)

  it('measures the int8 model against the float one on the test split and reports F1, difference and size ratio', async () => {
    const q = r.quantization!
    const test = await testEvaluation()
    expect(q).toMatchObject({ split: 'test', documents: 12 })
    // The float model, evaluated again in the export job, scores what the run's report says.
    expect(q.floatF1).toBeCloseTo(test.f1, 12)
    expect(q.difference).toBeCloseTo(q.int8F1 - q.floatF1, 12)
    expect(q.perType.map((p) => p.type)).toEqual(['LOC', 'PER'])
    expect(q.int8Bytes).toBe(sizes(r)['group1-shard1of1.bin'])
    expect(q.floatBytes).toBe(94100)
    expect(q.sizeRatio).toBeCloseTo(q.int8Bytes / q.floatBytes, 12)
    expect(q.sizeRatio).toBeLessThan(0.35)
    // The F1s agree with what the two models predict when loaded here (independent span counting).
    const int8 = behaviourOf(dir, 'tfjs')
    expect(testF1(trained)).toBeCloseTo(q.floatF1, 12)
    expect(testF1(int8)).toBeCloseTo(q.int8F1, 12)
    const card = readFileSync(join(dir, 'README.md'), 'utf8')
    expect(card).toContain(`| entity F1 | ${pct(q.floatF1)} | ${pct(q.int8F1)} |`)
    expect(card).toContain(`×${q.sizeRatio.toFixed(3)}`)
  })

  it('loads back with predictions close to the float model\'s (difference reported)', () => {
    const int8 = behaviourOf(dir, 'tfjs')
    const float = spanKeys(trained)
    const quantized = spanKeys(int8)
    const same = float.filter((d, i) => JSON.stringify(d) === JSON.stringify(quantized[i])).length
    const logitDiff = maxAbsDiff(int8.logits, trained.logits)
    const confidenceDiff = Math.max(...int8.spans.flatMap((d, i) => d.spans.map((s, j) => Math.abs(s.confidence - (trained.spans[i]!.spans[j]?.confidence ?? s.confidence)))))
    console.info(`int8 vs float32 on ${float.length} documents: ${same} with identical spans, max |logit difference| ${logitDiff.toFixed(4)}, max confidence difference ${confidenceDiff.toFixed(4)}, test F1 ${pct(r.quantization!.floatF1)} -> ${pct(r.quantization!.int8F1)}`)
    expect(logitDiff).toBeGreaterThan(0)
    // Measured: 0.09 on this run, whose logits reach about ±4.7; a wrong scale or row order moves them by whole units.
    expect(logitDiff).toBeLessThan(0.25)
    expect(same).toBeGreaterThanOrEqual(float.length - 1)
    expect(r.quantization!.spanAgreement).toBeGreaterThan(0.95)
  })
})

describe('refusals and destinations', () => {
  it('refuses a run that does not exist, and one that has no checkpoint', async () => {
    await expect(t.host.call('run.export', { id: 999, format: 'hf', path: t.scratch() })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'There is no run with id 999.' })
    const started = await t.host.call('run.start', { projectId: t.projectId, config: { model: join(t.dataDir, 'no-such-model') }, backend: 'wasm' })
    const failed = await t.host.runs.waitFor(started.id)
    expect(failed.status).toBe('failed')
    const dest = t.scratch()
    await expect(t.host.call('run.export', { id: failed.id, format: 'tfjs', path: dest })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/^Run \d+ \(failed\) has no saved model to export: it needs at least one checkpoint/) })
    expect(existsSync(dest)).toBe(false)
  })

  it('refuses a folder that is not empty (unless forced) and a file, leaving them as they were', async () => {
    const dest = t.scratch()
    mkdirSync(dest)
    writeFileSync(join(dest, 'notes.txt'), 'mine')
    const e = await t.host.call('run.export', { id: run.id, format: 'hf', path: dest }).catch((err: unknown) => err)
    expect(e).toMatchObject({ code: 'ALREADY_EXISTS', message: `${dest} is not empty (1 item, e.g. notes.txt); choose an empty or new folder, or force the export to replace an earlier one (--force).` })
    expect(readdirSync(dest)).toEqual(['notes.txt'])
    const file = join(dest, 'notes.txt')
    await expect(t.host.call('run.export', { id: run.id, format: 'hf', path: file })).rejects.toMatchObject({ code: 'ALREADY_EXISTS', message: `${file} is a file; choose a folder for the export.` })
    expect(readFileSync(file, 'utf8')).toBe('mine')
    expect(readdirSync(dirname(dest)).filter((n) => n.includes('tagtune-export'))).toEqual([])
  })

  it('with force, replaces an earlier export (its stale shards too) and keeps the user\'s other files, saying so', async () => {
    const dest = t.scratch()
    await t.host.call('run.export', { id: run.id, format: 'tfjs', path: dest })
    writeFileSync(join(dest, 'notes.txt'), 'mine')
    const r = await t.host.call('run.export', { id: run.id, format: 'hf', path: dest, force: true })
    expect(readdirSync(dest).sort()).toEqual(['README.md', 'config.json', 'model.safetensors', 'notes.txt', 'special_tokens_map.json', 'tokenizer_config.json', 'vocab.txt'])
    expect(r.warnings).toEqual([`${dest} also holds 1 item this export did not write, left in place: notes.txt.`])
    expect(behaviourOf(dest).spans).toEqual(trained.spans)
  })

  it('says clearly when the destination cannot be written, and creates nothing', async () => {
    const parent = t.scratch()
    mkdirSync(parent)
    const blocker = join(parent, 'a-file')
    writeFileSync(blocker, 'x')
    const dest = join(blocker, 'model')
    await expect(t.host.call('run.export', { id: run.id, format: 'int8', path: dest })).rejects.toMatchObject({ code: 'FAILED', message: `Cannot write the export to ${dest}: a part of the path is a file, not a folder.` })
    expect(readdirSync(parent)).toEqual(['a-file'])
    await expect(t.host.call('run.export', { id: run.id, format: 'hf', path: 'relative/dir' })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: 'The export path must be absolute (not "relative/dir").' })
    // Not into Tagtune's own folders: --force there could replace a run's checkpoint files.
    await expect(t.host.call('run.export', { id: run.id, format: 'hf', path: best, force: true })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining(`${best} is inside Tagtune's data folder (${t.dataDir})`) })
    expect(readdirSync(best)).not.toContain('README.md')
  })

  it('lets a browser (remote caller) export only into the data folder', async () => {
    const dest = t.scratch()
    const refused = await t.host.invoke('run.export', { id: run.id, format: 'hf', path: dest }, { local: false })
    expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    expect(!refused.ok && refused.error.message).toContain('leave the path out to export into the data folder on the server')
    expect(existsSync(dest)).toBe(false)
    const r = await t.host.invoke('run.export', { id: run.id, format: 'hf' }, { local: false })
    expect(r.ok).toBe(true)
    const value = (r as { ok: true; value: RunExportResult }).value
    expect(value.dir.startsWith(join(t.dataDir, 'exports', `run-${run.id}-hf-`))).toBe(true)
    expect(readdirSync(value.dir)).toContain('model.safetensors')
  })
})

describe('tagtune export', () => {
  async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = ''
    let err = ''
    const code = await runCli([...args, '--data-dir', t.dataDir], { stdout: (s) => (out += s), stderr: (s) => (err += s), env: {}, staticDir: t.scratch(), resourcesDir: RESOURCES })
    return { code, out, err }
  }

  it('exports as text and as JSON, and refuses a non-empty folder without --force', async () => {
    const dest = t.scratch()
    const text = await cli(['export', String(run.id), '--format', 'int8', '--out', dest])
    expect(text.code, text.err).toBe(0)
    expect(text.out).toContain(`Exported run ${run.id} (best checkpoint) as int8 to ${dest}`)
    expect(text.out).toMatch(/int8 against float32 on the test split \(12 documents\):\n {2}entity F1 {3}float +\d+\.\d% {3}int8 +\d+\.\d% {3}difference [+-]\d+\.\d\d points/)
    expect(text.out).toMatch(/size ratio 0\.\d{3}/)
    const again = await cli(['export', String(run.id), '--format', 'hf', '--out', dest, '--json'])
    expect(again.code).toBe(1)
    expect(JSON.parse(again.err).error).toMatchObject({ code: 'ALREADY_EXISTS' })
    const forced = await cli(['export', String(run.id), '--format', 'hf', '--out', dest, '--json', '--force'])
    expect(forced.code, forced.err).toBe(0)
    expect(JSON.parse(forced.out)).toMatchObject({ runId: run.id, format: 'hf', dir: dest, quantization: null })
    expect(readdirSync(dest)).not.toContain('model.json')
  })

  it('answers usage errors with exit code 2', async () => {
    for (const args of [['export'], ['export', String(run.id)], ['export', String(run.id), '--format', 'onnx', '--out', '/tmp/x'], ['export', String(run.id), '--format', 'hf'], ['export', 'best', '--format', 'hf', '--out', '/tmp/x']]) {
      const r = await cli(args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.err).toContain('Usage: tagtune')
    }
  })
})
