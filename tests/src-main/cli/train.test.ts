/**
 * `tagtune train | eval | predict | runs list` end to end: a real trainer process on the tiny
 * fixture model, through the same CLI entry the command runs.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../../../src-main/cli/main'
import { useTempDirs } from '../../helpers/temp-dir'
import { TINY_BERT, toyDocuments } from '../../helpers/toy-ner'
import type { NerDocument } from '../../../src-main/engine/data'

const tempDir = useTempDirs()
const RESOURCES = join(import.meta.dirname, '../../../resources')

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await runCli(args, { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {}, staticDir: tempDir(), resourcesDir: RESOURCES })
  return { code, out, err }
}

function doccano(path: string, docs: NerDocument[]): string {
  writeFileSync(path, docs.map((d) => JSON.stringify({ text: d.text, label: d.spans.map((s) => [s.start, s.end, s.label]) })).join('\n') + '\n')
  return path
}

describe('tagtune train, eval, predict', () => {
  it('trains with a progress bar, reports dev and test, then evaluates and predicts with the run', async () => {
    const dir = tempDir()
    const files = tempDir()
    const d = ['--data-dir', dir]
    expect((await cli(['project', 'create', 'Toy', '--labels', 'PER,LOC', ...d])).code).toBe(0)
    for (const [split, docs] of [['train', toyDocuments(48, 1, 't')], ['dev', toyDocuments(12, 2, 'v')], ['test', toyDocuments(12, 3, 's')]] as const) {
      expect((await cli(['data', 'import', 'Toy', doccano(join(files, `${split}.jsonl`), docs), '--split', split, ...d])).code).toBe(0)
    }
    // The model path is relative to the config file.
    writeFileSync(join(files, 'run.json'), JSON.stringify({ model: TINY_BERT, epochs: 3, batchSize: 8, learningRate: 5e-3, maxLength: 32, dropout: 0, seed: 1 }))

    const text = await cli(['train', 'Toy', '--config', join(files, 'run.json'), '--backend', 'wasm', ...d])
    expect(text.err).toContain('is training')
    expect(text.err).toMatch(/\[#{25}\] 100% {2}step 18\/18 {2}loss \d\.\d{4} {2}dev F1 \d+\.\d\d {2}[\d.k]+ tok\/s {2}ETA 0:00/)
    expect(text.out).toMatch(/Test \(best checkpoint\):\n\s+precision\s+recall\s+f1-score\s+support\n\n\s+LOC/)
    expect(text.code).toBe(0)

    const json = await cli(['train', 'Toy', '--config', join(files, 'run.json'), '--backend', 'wasm', '--json', ...d])
    expect(json.code).toBe(0)
    const result = JSON.parse(json.out.trim().split('\n').at(-1)!)
    expect(result).toMatchObject({ runId: 2, status: 'completed', dev: { f1: expect.any(Number) }, test: { perType: { LOC: { support: expect.any(Number) }, PER: { f1: expect.any(Number) } } } })
    expect(json.err).toBe('')

    const evalOut = await cli(['eval', '2', '--split', 'test', '--mode', 'both', '--json', ...d])
    expect(evalOut.code).toBe(0)
    const evals = JSON.parse(evalOut.out).evaluations
    expect(evals.map((e: { mode: string }) => e.mode)).toEqual(['default', 'strict'])
    expect(evals[0].f1).toBeCloseTo(result.test.f1, 10)

    // Evaluate on a CoNLL file the project never saw.
    writeFileSync(join(files, 'extra.conll'), 'mary B-PER\nlives O\nin O\nparis B-LOC\n\nhello O\njohn B-PER\nsmith I-PER\n')
    const onFile = await cli(['eval', '2', '--file', join(files, 'extra.conll'), ...d])
    expect(onFile.code).toBe(0)
    expect(onFile.out).toContain('Run #2, file:extra.conll, default mode')

    const robust = await cli(['eval', '2', '--robustness', '--epsilon', '0.5,2', '--noise', '0.1', '--json', ...d])
    expect(robust.code).toBe(0)
    const rows = JSON.parse(robust.out).robustness as { kind: string; setting: string; f1: number; delta: number }[]
    expect(rows.map((r) => r.setting)).toEqual(['clean', 'FGM ε=0.5', 'PGD ε=0.5, 3 steps', 'FGM ε=2', 'PGD ε=2, 3 steps', 'noise: swap 10%, drop 10%, insert 10%'])
    expect(rows[0]!.f1).toBeCloseTo(result.test.f1, 10)
    // A larger attack hurts at least as much as a smaller one.
    expect(rows[3]!.f1).toBeLessThanOrEqual(rows[1]!.f1)
    expect(rows[3]!.delta).toBeLessThan(0)

    writeFileSync(join(files, 'raw.txt'), 'anna visited berlin yesterday\nhello mary\n')
    const pred = await cli(['predict', '2', '--in', join(files, 'raw.txt'), '--out', join(files, 'pred.jsonl'), ...d])
    expect(pred.code).toBe(0)
    const lines = readFileSync(join(files, 'pred.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(lines).toHaveLength(2)
    expect(lines[0].text).toBe('anna visited berlin yesterday')
    expect(lines[0].label.map((s: [number, number, string]) => s[2])).toEqual(['PER', 'LOC'])

    const list = await cli(['runs', 'list', 'Toy', ...d])
    expect(list.out).toMatch(/ {3}1 {2}completed {3}dev F1 +\d+\.\d\d/)
  })

  it('names the config file and fields that are wrong, and changes nothing', async () => {
    const dir = tempDir()
    const files = tempDir()
    await cli(['project', 'create', 'Toy', '--labels', 'PER,LOC', '--data-dir', dir])
    writeFileSync(join(files, 'bad.json'), '{"epochs": 3,')
    const broken = await cli(['train', 'Toy', '--config', join(files, 'bad.json'), '--data-dir', dir])
    expect(broken.code).toBe(1)
    expect(broken.err).toContain('bad.json is not valid JSON')
    writeFileSync(join(files, 'run.json'), JSON.stringify({ model: TINY_BERT, epochs: 0, schedule: 'zigzag', extra: 1 }))
    const invalid = await cli(['train', 'Toy', '--config', join(files, 'run.json'), '--data-dir', dir])
    expect(invalid.code).toBe(1)
    expect(invalid.err).toMatch(/epochs/)
    expect(invalid.err).toMatch(/schedule/)
    expect(invalid.err).toMatch(/extra/)
    expect((await cli(['runs', 'list', 'Toy', '--json', '--data-dir', dir])).out.trim()).toBe('[]')
    const noData = await cli(['train', 'Toy', '--config', join(files, 'run.json'), '--data-dir', dir])
    expect(noData.code).toBe(1)
  })
})

describe('tagtune pretrain', () => {
  it('pretrains on the project text and the result fine-tunes', async () => {
    const dir = tempDir()
    const files = tempDir()
    const d = ['--data-dir', dir]
    await cli(['project', 'create', 'Toy', '--labels', 'PER,LOC', ...d])
    await cli(['data', 'import', 'Toy', doccano(join(files, 'train.jsonl'), toyDocuments(40, 1, 't')), '--split', 'train', ...d])
    writeFileSync(join(files, 'pretrain.json'), JSON.stringify({ model: TINY_BERT, maxSteps: 6, batchSize: 8, maxLength: 32, learningRate: 1e-3 }))
    const out = join(files, 'pretrained')
    const r = await cli(['pretrain', 'Toy', '--config', join(files, 'pretrain.json'), '--out', out, '--backend', 'wasm', '--json', ...d])
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    const outcome = JSON.parse(r.out)
    expect(outcome).toMatchObject({ outDir: out, texts: 40, steps: 6, status: 'completed' })
    expect(Number.isFinite(outcome.finalLoss)).toBe(true)
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))
    expect(config.architectures).toEqual(['BertForMaskedLM'])
    writeFileSync(join(files, 'run.json'), JSON.stringify({ epochs: 1, batchSize: 8, maxLength: 32 }))
    const train = await cli(['train', 'Toy', '--config', join(files, 'run.json'), '--model', out, '--backend', 'wasm', '--json', ...d])
    expect(JSON.parse(train.out.trim()).status).toBe('completed')
    // Without --out the result goes into the model library, where Train and the Models view find it.
    const kept = await cli(['pretrain', 'Toy', '--config', join(files, 'pretrain.json'), '--backend', 'wasm', '--json', ...d])
    expect(kept.code).toBe(0)
    const registered = JSON.parse(kept.out)
    expect(registered.libraryId).toMatch(/^\d+$/)
    expect(registered.outDir.startsWith(join(dir, 'models', registered.libraryId))).toBe(true)
    const listed = JSON.parse((await cli(['models', 'list', '--json', ...d])).out) as { id: string; path: string; source: { kind: string; projectName?: string } }[]
    expect(listed.find((m) => m.id === registered.libraryId)).toMatchObject({ path: registered.outDir, source: { kind: 'pretrain', projectName: 'Toy' } })
    const bad = await cli(['pretrain', 'Toy', '--config', join(files, 'run.json'), ...d])
    expect(bad.code).toBe(1)
    expect(bad.err).toMatch(/model/)
  })
})
