/**
 * The tfjs export format: TensorFlow.js's own weights loader reads what we write (the same bytes
 * a browser's tf.io.loadWeights fetches), the names and shapes are Hugging Face's, Tagtune loads
 * the folder back to the very same logits (float32) or close ones (int8), and broken folders are
 * refused naming the file.
 */
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { loadTokenClassifier } from '../../../../src-main/engine/model/io'
import { parseSafetensors } from '../../../../src-main/engine/model/safetensors'
import { disposeParams } from '../../../../src-main/engine/model/bert'
import { classifierForward, type TokenClassifier } from '../../../../src-main/engine/heads/token-classification'
import { loadTfjsTokenClassifier, QUANT_SCALE_SUFFIX, readTfjsWeights, writeTfjsExport, type TfjsModelJson } from '../../../../src-main/engine/model/tfjs-format'
import { maxAbsDiff, useWasm } from '../../../helpers/tf'
import { useTempDirs } from '../../../helpers/temp-dir'
import { TINY_BERT } from '../../../helpers/toy-ner'

const tempDir = useTempDirs()
const ref = JSON.parse(readFileSync(join(TINY_BERT, 'reference.json'), 'utf8')) as { input_ids: number[][]; attention_mask: number[][]; token_type_ids: number[][]; logits: number[][][] }
const fixtureTensors = parseSafetensors(new Uint8Array(readFileSync(join(TINY_BERT, 'model.safetensors'))))

function logits(model: TokenClassifier): Float32Array {
  return tf.tidy(() => {
    const inputs = { inputIds: tf.tensor2d(ref.input_ids, undefined, 'int32'), attentionMask: tf.tensor2d(ref.attention_mask, undefined, 'int32'), tokenTypeIds: tf.tensor2d(ref.token_type_ids, undefined, 'int32') }
    return classifierForward(model, inputs, { training: false }).logits.dataSync() as Float32Array
  })
}

/** Logits at real (unpadded) positions. */
function real(values: ArrayLike<number>): number[] {
  const out: number[] = []
  ref.attention_mask.flat().forEach((m, i) => {
    if (m) for (let j = 0; j < 5; j++) out.push(values[i * 5 + j]!)
  })
  return out
}

/** What a browser gets from tf.io.loadWeights: tfjs's own loader, fed the shard files from disk. */
async function tfjsLoad(dir: string): Promise<{ json: TfjsModelJson; weights: tf.NamedTensorMap }> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as TfjsModelJson
  const load = tf.io.weightsLoaderFactory(async (paths) => paths.map((p) => new Uint8Array(readFileSync(p)).buffer as ArrayBuffer))
  return { json, weights: await load(json.weightsManifest, `${dir}/`) }
}

let floatLogits: Float32Array

beforeAll(async () => {
  await useWasm()
  const m = loadTokenClassifier(TINY_BERT).model
  floatLogits = logits(m)
  disposeParams(m.params)
})

describe('the tfjs export (float32)', () => {
  it('is a standard tfjs weights manifest that tfjs decodes to the checkpoint\'s exact tensors, under Hugging Face names', async () => {
    const dir = tempDir()
    const r = writeTfjsExport(TINY_BERT, dir, { quantize: false, generatedBy: 'test' })
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'group1-shard1of1.bin', 'model.json', 'special_tokens_map.json', 'tokenizer_config.json', 'vocab.txt'])
    expect(r.files.map((f) => f.name).sort()).toEqual(readdirSync(dir).sort())
    const { json, weights } = await tfjsLoad(dir)
    expect(json.format).toBe('tagtune-token-classifier')
    expect(json.tagtune).toMatchObject({ formatVersion: 1, architecture: 'BertForTokenClassification', weightLayout: 'pytorch', labels: ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'], head: 'softmax', adapters: null, quantization: null })
    expect(Object.keys(weights).sort()).toEqual([...fixtureTensors.keys()].sort())
    for (const [name, t] of fixtureTensors) {
      expect(weights[name]!.shape, name).toEqual(t.shape)
      expect(maxAbsDiff(weights[name]!.dataSync(), t.data), name).toBe(0)
    }
    expect(r.weightBytes).toBe(r.floatWeightBytes)
    expect(r.weightBytes).toBe([...fixtureTensors.values()].reduce((n, t) => n + t.data.length * 4, 0))
    tf.dispose(Object.values(weights))
    expect(JSON.parse(readFileSync(join(dir, 'special_tokens_map.json'), 'utf8'))).toEqual({ unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]' })
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(TINY_BERT, 'config.json'), 'utf8')))
  })

  it('loads back into the engine with exactly the same logits (and the PyTorch reference\'s within 1e-4), leaking nothing', () => {
    const dir = tempDir()
    writeTfjsExport(TINY_BERT, dir, { quantize: false, generatedBy: 'test' })
    const before = tf.memory().numTensors
    const { model } = loadTfjsTokenClassifier(dir)
    const got = logits(model)
    disposeParams(model.params)
    expect(tf.memory().numTensors).toBe(before)
    expect(maxAbsDiff(got, floatLogits)).toBe(0)
    expect(maxAbsDiff(real(got), real(ref.logits.flat(2)))).toBeLessThan(1e-4)
  })

  it('cuts the weights in shards of the given size; tfjs and Tagtune read them across the cuts', async () => {
    const dir = tempDir()
    const r = writeTfjsExport(TINY_BERT, dir, { quantize: false, generatedBy: 'test', shardBytes: 10_000 })
    const shards = readdirSync(dir).filter((f) => f.endsWith('.bin')).sort()
    expect(shards.length).toBe(Math.ceil(r.weightBytes / 10_000))
    expect(shards).toEqual(Array.from({ length: shards.length }, (_, i) => `group1-shard${i + 1}of${shards.length}.bin`).sort())
    const { weights } = await tfjsLoad(dir)
    const word = fixtureTensors.get('bert.embeddings.word_embeddings.weight')!
    expect(maxAbsDiff(weights['bert.embeddings.word_embeddings.weight']!.dataSync(), word.data)).toBe(0)
    tf.dispose(Object.values(weights))
    const { model } = loadTfjsTokenClassifier(dir)
    expect(maxAbsDiff(logits(model), floatLogits)).toBe(0)
    disposeParams(model.params)
  })
})

describe('the int8 export', () => {
  it('stores each 2-D weight as one byte per value that tfjs decodes to integers, with a float scale per row', async () => {
    const dir = tempDir()
    const r = writeTfjsExport(TINY_BERT, dir, { quantize: true, generatedBy: 'test' })
    const { json, weights } = await tfjsLoad(dir)
    const q = json.tagtune.quantization!
    expect(q.method).toBe('int8-symmetric-per-row')
    expect(q.tensors).toHaveLength(16)
    expect(q.tensors).toContain('bert.embeddings.word_embeddings.weight')
    expect(q.tensors.some((n) => n.includes('LayerNorm') || n.endsWith('.bias'))).toBe(false)
    for (const name of q.tensors) {
      const values = weights[name]!.dataSync()
      expect(values.every((v) => Number.isInteger(v) && v >= -127 && v <= 127), name).toBe(true)
      const scales = weights[`${name}${QUANT_SCALE_SUFFIX}`]!
      expect(scales.shape).toEqual([fixtureTensors.get(name)!.shape[0]])
      // q * scale is within half a step of the original weight.
      const original = fixtureTensors.get(name)!
      const s = scales.dataSync()
      const cols = original.shape[1]!
      for (let i = 0; i < values.length; i++) expect(Math.abs(values[i]! * s[Math.floor(i / cols)]! - original.data[i]!)).toBeLessThanOrEqual(s[Math.floor(i / cols)]! / 2 + 1e-7)
    }
    // Biases and LayerNorm are left exactly as they were.
    expect(maxAbsDiff(weights['bert.embeddings.LayerNorm.weight']!.dataSync(), fixtureTensors.get('bert.embeddings.LayerNorm.weight')!.data)).toBe(0)
    tf.dispose(Object.values(weights))
    expect(r.weightBytes).toBeLessThan(0.35 * r.floatWeightBytes)
  })

  it('loads back dequantized, with logits close to the float model\'s', () => {
    const dir = tempDir()
    writeTfjsExport(TINY_BERT, dir, { quantize: true, generatedBy: 'test' })
    const { model, notes } = loadTfjsTokenClassifier(dir)
    expect(notes.join(' ')).toContain('16 weights were stored as int8')
    const got = logits(model)
    disposeParams(model.params)
    const diff = maxAbsDiff(real(got), real(floatLogits))
    expect(diff).toBeGreaterThan(0)
    // The fixture's logits reach ±1.45; int8 moves them by 0.026 at most (deterministic: no randomness involved).
    expect(diff).toBeLessThan(0.05)
  })
})

describe('broken tfjs folders', () => {
  function exported(): string {
    const dir = tempDir()
    writeTfjsExport(TINY_BERT, dir, { quantize: false, generatedBy: 'test' })
    return dir
  }

  it('names a missing model.json or shard', () => {
    const dir = exported()
    rmSync(join(dir, 'group1-shard1of1.bin'))
    expect(() => readTfjsWeights(dir)).toThrow(/group1-shard1of1\.bin: not found \(listed in model\.json\)/)
    rmSync(join(dir, 'model.json'))
    expect(() => readTfjsWeights(dir)).toThrow(/model\.json: not found/)
  })

  it('refuses shards shorter or longer than the manifest says', () => {
    const dir = exported()
    const shard = join(dir, 'group1-shard1of1.bin')
    const bytes = readFileSync(shard)
    writeFileSync(shard, bytes.subarray(0, bytes.length - 4))
    expect(() => readTfjsWeights(dir)).toThrow(/the shards end inside weight/)
    writeFileSync(shard, Buffer.concat([bytes, Buffer.alloc(4)]))
    expect(() => readTfjsWeights(dir)).toThrow(/hold \d+ bytes but the manifest describes \d+/)
  })

  it('refuses a model.json that Tagtune did not write, or whose labels disagree with config.json', () => {
    const dir = exported()
    const path = join(dir, 'model.json')
    const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
    writeFileSync(path, JSON.stringify({ ...json, tagtune: undefined, format: 'layers-model' }))
    expect(() => readTfjsWeights(dir)).toThrow(/no "tagtune" section: it is not a model exported by Tagtune \(format "layers-model"\)/)
    writeFileSync(path, JSON.stringify({ ...json, tagtune: { ...(json.tagtune as object), labels: ['O', 'B-X'] } }))
    expect(() => loadTfjsTokenClassifier(dir)).toThrow(/tagtune\.labels \(O, B-X\) differ from config\.json's id2label/)
    writeFileSync(path, JSON.stringify({ ...json, weightsManifest: [{ paths: ['../../etc/passwd'], weights: [] }] }))
    expect(() => readTfjsWeights(dir)).toThrow(/paths are not plain file names/)
  })
})
