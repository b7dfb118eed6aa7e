/**
 * Exporting runs trained with LoRA, adapters or a CRF head: LoRA is merged and predicts as the
 * unmerged model does; adapters cannot be merged into BertForTokenClassification, so the Hugging
 * Face folder carries them apart and says so (and without them the model really differs), while
 * the tfjs export holds them; a CRF run keeps its scores beside the weights and decodes the same.
 */
import { cpSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseSafetensors } from '../../../../src-main/engine/model/safetensors'
import { safetensorsShapes } from '../../../../src-main/services/export/hf'
import type { RunSummary } from '../../../../src-shared/domain/run'
import { maxAbsDiff, useWasm } from '../../../helpers/tf'
import { TINY_BERT } from '../../../helpers/toy-ner'
import { behaviourOf, openToyHost, spanKeys, trainRun, type ToyHost } from './helpers'

let t: ToyHost
const runs: Record<'lora' | 'adapter' | 'crf', RunSummary> = {} as never
const bestOf = (r: RunSummary): string => join(r.checkpointDir!, 'best')

beforeAll(async () => {
  await useWasm()
  t = await openToyHost()
  runs.lora = await trainRun(t, { learningRate: 2e-2, peft: { method: 'lora', rank: 4, targets: ['query', 'value', 'ffn'] } }, 'lora')
  runs.adapter = await trainRun(t, { learningRate: 2e-2, peft: { method: 'adapter', size: 8 } }, 'adapter')
  runs.crf = await trainRun(t, { head: 'crf' }, 'crf')
}, 300_000)
afterAll(() => t?.close())

describe('a LoRA run', () => {
  it('exports merged: the Hugging Face folder is a plain BERT that predicts as the unmerged model', async () => {
    const run = runs.lora
    const peft = parseSafetensors(new Uint8Array(readFileSync(join(bestOf(run), 'peft.safetensors'))))
    const b = [...peft].filter(([n]) => n.endsWith('.lora_B'))
    expect(b.length).toBe(8)
    // The run did learn low-rank updates (B starts at zero).
    expect(b.some(([, t]) => t.data.some((x) => Math.abs(x) > 1e-3))).toBe(true)

    const dir = t.scratch()
    const r = await t.host.call('run.export', { id: run.id, format: 'hf', path: dir })
    expect(r.files.map((f) => f.name)).toEqual(['README.md', 'config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer_config.json', 'vocab.txt'])
    expect(r.warnings).toEqual([])
    expect(Object.fromEntries(safetensorsShapes(join(dir, 'model.safetensors')))).toEqual(Object.fromEntries(safetensorsShapes(join(TINY_BERT, 'model.safetensors'))))
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain('Trained with LoRA; the low-rank updates are merged into the weights here')

    const unmerged = behaviourOf(bestOf(run), 'trainable')
    const merged = behaviourOf(dir)
    expect(spanKeys(merged)).toEqual(spanKeys(unmerged))
    expect(spanKeys(merged).flat().length).toBeGreaterThan(5)
    expect(maxAbsDiff(merged.logits, unmerged.logits)).toBeLessThan(1e-4)
    const tfjs = t.scratch()
    await t.host.call('run.export', { id: run.id, format: 'tfjs', path: tfjs })
    expect(maxAbsDiff(behaviourOf(tfjs, 'tfjs').logits, merged.logits)).toBe(0)
  })
})

describe('an adapter run', () => {
  it('keeps the adapters apart in the Hugging Face folder and warns that plain transformers would load the model without them', async () => {
    const run = runs.adapter
    const dir = t.scratch()
    const r = await t.host.call('run.export', { id: run.id, format: 'hf', path: dir })
    expect(r.files.map((f) => f.name)).toContain('peft.safetensors')
    expect(r.files.map((f) => f.name)).toContain('peft_config.json')
    expect(r.warnings).toHaveLength(1)
    expect(r.warnings[0]).toContain('Houlsby adapters cannot be merged into BertForTokenClassification')
    expect(r.warnings[0]).toContain('will not predict what this run learned')
    const card = readFileSync(join(dir, 'README.md'), 'utf8')
    expect(card).toContain('## Read this first')
    expect(card).toContain(r.warnings[0])
    // model.safetensors alone is still exactly BertForTokenClassification's state dict...
    expect(Object.fromEntries(safetensorsShapes(join(dir, 'model.safetensors')))).toEqual(Object.fromEntries(safetensorsShapes(join(TINY_BERT, 'model.safetensors'))))
    // ...and Tagtune, reading peft.safetensors too, predicts exactly as the run.
    const trained = behaviourOf(bestOf(run))
    expect(maxAbsDiff(behaviourOf(dir).logits, trained.logits)).toBe(0)
    // Without the adapters (what transformers loads), the model is a different one: the warning is true.
    const plain = t.scratch()
    cpSync(dir, plain, { recursive: true })
    rmSync(join(plain, 'peft.safetensors'))
    expect(maxAbsDiff(behaviourOf(plain).logits, trained.logits)).toBeGreaterThan(1e-2)
  })

  it('holds the adapters in the tfjs export ([out, in] like every weight) and predicts exactly as the run', async () => {
    const run = runs.adapter
    const dir = t.scratch()
    const r = await t.host.call('run.export', { id: run.id, format: 'tfjs', path: dir })
    expect(r.warnings.join(' ')).toContain('apply h + up(gelu(down(h)))')
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'))
    expect(json.tagtune.adapters).toEqual({ size: 8 })
    const shapes = Object.fromEntries(json.weightsManifest[0].weights.map((w: { name: string; shape: number[] }) => [w.name, w.shape]))
    expect(shapes['bert.encoder.layer.0.attention.output.adapter.down.weight']).toEqual([8, 32])
    expect(shapes['bert.encoder.layer.1.output.adapter.up.weight']).toEqual([32, 8])
    expect(Object.keys(shapes).filter((n) => n.includes('.adapter.'))).toHaveLength(16)
    const trained = behaviourOf(bestOf(run))
    const again = behaviourOf(dir, 'tfjs')
    expect(again.spans).toEqual(trained.spans)
    expect(maxAbsDiff(again.logits, trained.logits)).toBe(0)
    // int8 quantizes the adapter weights too, and stays close.
    const int8 = t.scratch()
    const q = await t.host.call('run.export', { id: run.id, format: 'int8', path: int8 })
    expect(JSON.parse(readFileSync(join(int8, 'model.json'), 'utf8')).tagtune.quantization.tensors).toContain('bert.encoder.layer.0.output.adapter.down.weight')
    expect(Math.abs(q.quantization!.difference)).toBeLessThan(0.1)
  })
})

describe('a CRF run', () => {
  it('keeps crf.safetensors beside the Hugging Face weights, says transformers has no CRF, and decodes the same from every format', async () => {
    const run = runs.crf
    const trained = behaviourOf(bestOf(run))
    expect(spanKeys(trained).flat().length).toBeGreaterThan(5)
    const hf = t.scratch()
    const r = await t.host.call('run.export', { id: run.id, format: 'hf', path: hf })
    expect(r.files.map((f) => f.name)).toContain('crf.safetensors')
    expect(r.warnings[0]).toMatch(/^CRF head: transformers has no CRF layer/)
    expect(readFileSync(join(hf, 'README.md'), 'utf8')).toContain('with a CRF over the tags, decoded with Viterbi')
    expect(behaviourOf(hf).spans).toEqual(trained.spans)

    const tfjs = t.scratch()
    await t.host.call('run.export', { id: run.id, format: 'tfjs', path: tfjs })
    const json = JSON.parse(readFileSync(join(tfjs, 'model.json'), 'utf8'))
    expect(json.tagtune.head).toBe('crf')
    expect(json.weightsManifest[0].weights.filter((w: { name: string }) => w.name.startsWith('crf.')).map((w: { name: string; shape: number[] }) => [w.name, w.shape])).toEqual([
      ['crf.end', [5]],
      ['crf.start', [5]],
      ['crf.transitions', [5, 5]],
    ])
    expect(behaviourOf(tfjs, 'tfjs').spans).toEqual(trained.spans)
  })
})
