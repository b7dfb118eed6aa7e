import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { RunConfig, type RunConfigInput } from '../../../../src-shared/domain/run-config'
import { buildTagSet, encodeDocuments, makeBatches } from '../../../../src-main/engine/data'
import { loadTokenClassifier } from '../../../../src-main/engine/model/io'
import { classifierForward, type TokenClassifier } from '../../../../src-main/engine/heads/token-classification'
import { frozenLinearWeights, preparePeft } from '../../../../src-main/engine/peft'
import { trainTokenClassifier } from '../../../../src-main/engine/train/loop'
import { batchInputs } from '../../../../src-main/engine/train/step'
import { predictDocuments } from '../../../../src-main/engine/infer/predict'
import { useWasm } from '../../../helpers/tf'
import { useTempDirs } from '../../../helpers/temp-dir'
import { TINY_BERT, tinyTokenizer, toyDocuments } from '../../../helpers/toy-ner'

const tempDir = useTempDirs()
const tagSet = buildTagSet(['PER', 'LOC'], 'iob2')
const train = toyDocuments(48, 1, 't')
const config = (over: RunConfigInput): RunConfig => RunConfig.parse({ batchSize: 8, learningRate: 1e-2, maxLength: 32, seed: 3, dropout: 0, maxSteps: 6, ...over })
let batch: ReturnType<typeof makeBatches>[number]

beforeAll(async () => {
  await useWasm()
  const { windows } = encodeDocuments(toyDocuments(8, 5), tinyTokenizer(), tagSet, { maxLength: 32 })
  batch = makeBatches(windows, { batchSize: 8, seed: 1, shuffle: false, bucketByLength: false, padId: 0 })[0]!
})

const base = (): TokenClassifier => loadTokenClassifier(TINY_BERT).model
const logits = (m: TokenClassifier): Float32Array => tf.tidy(() => classifierForward(m, batchInputs(batch), { training: false }).logits.dataSync() as Float32Array)
const snapshot = (m: TokenClassifier): Map<string, Float32Array> => new Map([...m.params].map(([n, v]) => [n, v.dataSync().slice() as Float32Array]))
function changed(before: Map<string, Float32Array>, m: TokenClassifier): string[] {
  return [...m.params.keys()].filter((n) => {
    const a = before.get(n)
    const b = m.params.get(n)!.dataSync()
    return !a || a.some((x, i) => x !== b[i])
  })
}

describe('parameter-efficient fine-tuning', () => {
  it('LoRA and adapters start as exactly the base model', () => {
    const reference = logits(base())
    for (const peft of [{ method: 'lora' as const, rank: 4, alpha: 8, dropout: 0, targets: ['query' as const, 'value' as const, 'ffn' as const] }, { method: 'adapter' as const, size: 8 }]) {
      const m = base()
      preparePeft(m, peft, 1)
      expect(Array.from(logits(m)), peft.method).toEqual(Array.from(reference))
    }
  })

  it('trains only the intended parameters, and reports the counts', async () => {
    const cases: [RunConfigInput['peft'], (name: string) => boolean][] = [
      [{ method: 'freeze', embeddings: true, layers: 1 }, (n) => !n.startsWith('embeddings.') && !n.startsWith('encoder.layer.0.')],
      [{ method: 'bitfit' }, (n) => n.endsWith('.bias') || n.startsWith('classifier.')],
      [{ method: 'lora', rank: 4, targets: ['query', 'value'] }, (n) => n.includes('.lora_') || n.startsWith('classifier.')],
      [{ method: 'adapter', size: 8 }, (n) => n.includes('.adapter.') || n.startsWith('classifier.') || (n.startsWith('encoder.') && n.includes('LayerNorm'))],
    ]
    for (const [peft, allowed] of cases) {
      const m = base()
      const before = snapshot(m)
      const result = await trainTokenClassifier({ model: m, tokenizer: tinyTokenizer(), tagSet, train, dev: [], config: config({ peft }) })
      const moved = changed(before, m)
      expect(moved.length, peft!.method).toBeGreaterThan(0)
      for (const n of moved) expect(allowed(n), `${peft!.method}: ${n} changed`).toBe(true)
      // Everything allowed that existed before moved (the frozen ones did not).
      expect(moved.filter((n) => before.has(n)).every(allowed)).toBe(true)
      expect(result.trainableParams).toBeLessThan(result.totalParams)
      expect(result.trainableParams).toBe([...m.params].filter(([n]) => allowed(n)).reduce((a, [, v]) => a + v.size, 0))
    }
  })

  it('a merged LoRA export predicts as the unmerged model, and resumes unmerged', async () => {
    const m = base()
    const dir = tempDir()
    await trainTokenClassifier({ model: m, tokenizer: tinyTokenizer(), tagSet, train, dev: [], config: config({ peft: { method: 'lora', rank: 4, alpha: 16, targets: ['query', 'key', 'value', 'attention_output', 'ffn'] } }), outDir: dir })
    const merged = loadTokenClassifier(join(dir, 'last')).model
    expect([...merged.params.keys()].some((n) => n.includes('lora'))).toBe(false)
    const a = logits(m)
    const b = logits(merged)
    let diff = 0
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!))
    expect(diff).toBeLessThan(1e-4)
    const docs = toyDocuments(10, 77, 'x')
    const opts = { maxLength: 32, batchSize: 8, labelAllSubtokens: false }
    expect(predictDocuments(merged, tinyTokenizer(), tagSet, docs, opts).map((p) => p.spans.map((s) => [s.start, s.end, s.label]))).toEqual(
      predictDocuments(m, tinyTokenizer(), tagSet, docs, opts).map((p) => p.spans.map((s) => [s.start, s.end, s.label])),
    )
    // For resuming, the same folder gives back the base weights and separate A/B.
    const trainable = loadTokenClassifier(join(dir, 'last'), { peft: 'trainable' }).model
    expect(trainable.lora).toEqual({ rank: 4, alpha: 16, dropout: 0 })
    const q = m.params.get('encoder.layer.0.attention.self.qkv.weight')!.dataSync()
    const q2 = trainable.params.get('encoder.layer.0.attention.self.qkv.weight')!.dataSync()
    let d2 = 0
    for (let i = 0; i < q.length; i++) d2 = Math.max(d2, Math.abs(q[i]! - q2[i]!))
    expect(d2).toBeLessThan(1e-5)
  })

  it('adapters are saved beside the model and restored for prediction', async () => {
    const m = base()
    const dir = tempDir()
    await trainTokenClassifier({ model: m, tokenizer: tinyTokenizer(), tagSet, train, dev: [], config: config({ peft: { method: 'adapter', size: 8 } }), outDir: dir })
    const loaded = loadTokenClassifier(join(dir, 'last')).model
    const a = logits(m)
    const b = logits(loaded)
    expect(Array.from(b)).toEqual(Array.from(a))
  })
})

describe('frozen weights', () => {
  it('skipping their gradients changes neither the loss nor the gradients of what trains', async () => {
    const { lossAndGradients, disposeGrads } = await import('../../../../src-main/engine/train/step')
    const run = (frozen: boolean): { loss: number; grads: Map<string, Float32Array> } => {
      const m = base()
      const trainable = preparePeft(m, { method: 'lora', rank: 4, alpha: 8, dropout: 0, targets: ['query', 'ffn'] }, 2)
      if (frozen) {
        const set = frozenLinearWeights(m.params.keys(), trainable)
        expect(set.size).toBe(8)
        m.frozenWeights = set
      }
      // B starts at zero: move it so the LoRA path carries gradient to A as well.
      for (const [n, v] of m.params) if (n.endsWith('.lora_B')) tf.tidy(() => v.assign(tf.randomNormal(v.shape, 0, 0.1, 'float32', 5)))
      const r = lossAndGradients(m, batch, trainable, { seed: 1 })
      const grads = new Map([...r.grads].map(([n, g]) => [n, g.dataSync().slice() as Float32Array]))
      disposeGrads(r.grads)
      return { loss: r.loss, grads }
    }
    const a = run(false)
    const b = run(true)
    expect(b.loss).toBeCloseTo(a.loss, 6)
    expect([...b.grads.keys()].sort()).toEqual([...a.grads.keys()].sort())
    for (const [n, g] of a.grads) {
      const h = b.grads.get(n)!
      let diff = 0
      for (let i = 0; i < g.length; i++) diff = Math.max(diff, Math.abs(g[i]! - h[i]!))
      expect(diff, n).toBeLessThan(1e-5)
    }
  })
})
