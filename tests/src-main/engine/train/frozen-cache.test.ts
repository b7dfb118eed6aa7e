/**
 * Reusing the frozen part's outputs across epochs: the same training (losses and weights) as
 * recomputing them every step, computed once per window, and refused where the frozen part is
 * not deterministic.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { RunConfig, type RunConfigInput } from '../../../../src-shared/domain/run-config'
import { buildTagSet } from '../../../../src-main/engine/data'
import { loadTokenClassifier } from '../../../../src-main/engine/model/io'
import { preparePeft } from '../../../../src-main/engine/peft'
import { trainTokenClassifier } from '../../../../src-main/engine/train/loop'
import { frozenPrefixLayers } from '../../../../src-main/engine/train/frozen-cache'
import { maxAbsDiff, useWasm } from '../../../helpers/tf'
import { TINY_BERT, tinyTokenizer, toyDocuments } from '../../../helpers/toy-ner'

const tagSet = buildTagSet(['PER', 'LOC'], 'iob2')
const train = toyDocuments(48, 1, 't')
const config = (over: RunConfigInput): RunConfig => RunConfig.parse({ batchSize: 8, learningRate: 1e-2, maxLength: 32, seed: 3, dropout: 0, epochs: 3, ...over })

beforeAll(useWasm)

async function trainWith(peft: RunConfigInput['peft'], over: RunConfigInput = {}) {
  const model = loadTokenClassifier(TINY_BERT).model
  const losses: number[] = []
  const logs: string[] = []
  const tensorsBefore = tf.memory().numTensors
  await trainTokenClassifier({
    model,
    tokenizer: tinyTokenizer(),
    tagSet,
    train,
    dev: [],
    config: config({ peft, ...over }),
    callbacks: { onStep: (p) => void losses.push(p.loss), onLog: (_l, m) => void logs.push(m) },
  })
  const leaked = tf.memory().numTensors - tensorsBefore
  const params = new Map([...model.params].map(([n, v]) => [n, v.dataSync().slice() as Float32Array]))
  for (const v of model.params.values()) v.dispose()
  return { losses, logs, params, leaked }
}

describe('frozen-output cache', () => {
  it('counts the bottom layers that are frozen together with the embeddings', () => {
    const count = (peft: RunConfigInput['peft']): number => {
      const m = loadTokenClassifier(TINY_BERT).model
      const trainable = preparePeft(m, RunConfig.parse({ peft }).peft, 1)
      const k = frozenPrefixLayers(m, [...trainable])
      for (const v of m.params.values()) v.dispose()
      return k
    }
    expect(count({ method: 'freeze', embeddings: true, layers: 1 })).toBe(1)
    expect(count({ method: 'freeze', embeddings: true, layers: -1 })).toBe(1)
    expect(count({ method: 'freeze', embeddings: false, layers: 1 })).toBe(0)
    expect(count({ method: 'lora', rank: 2, targets: ['query'] })).toBe(0)
  })

  it('trains exactly as recomputing the frozen layers, computing each window once', async () => {
    const cached = await trainWith({ method: 'freeze', embeddings: true, layers: 1 })
    const plain = await trainWith({ method: 'freeze', embeddings: true, layers: 1, cacheOutputs: false })
    expect(cached.losses).toHaveLength(18)
    expect(maxAbsDiff(cached.losses, plain.losses)).toBeLessThan(1e-5)
    // Every weight agrees, except the key bias: its gradient is exactly 0 in theory (softmax ignores
    // a shift shared by all keys), so Adam divides float noise by its own size in both runs.
    const H = 32
    for (const [name, value] of plain.params) {
      const keep = (_: number, i: number): boolean => !(name.endsWith('qkv.bias') && i >= H && i < 2 * H)
      expect(maxAbsDiff(cached.params.get(name)!.filter(keep), value.filter(keep)), name).toBeLessThan(1e-5)
    }
    // 48 windows computed in the first epoch, reused in the two others.
    expect(cached.logs.find((m) => m.startsWith('Frozen-output cache'))).toMatch(/48 windows \(.* MB\), 96 reused, 48 computed/)
    expect(plain.logs.some((m) => m.startsWith('Frozen-output cache'))).toBe(false)
    expect(cached.leaked).toBe(0)
  })

  it('recomputes the frozen layers when they are not deterministic, and says why', async () => {
    const withDropout = await trainWith({ method: 'freeze', embeddings: true, layers: 1 }, { dropout: 0.1, maxSteps: 2 })
    expect(withDropout.logs).toContain("The frozen layers' outputs are recomputed every step: dropout is 0.1 (the frozen layers' outputs change from step to step).")
    const adversarial = await trainWith({ method: 'freeze', embeddings: true, layers: 1 }, { adversarial: { method: 'fgm', epsilon: 0.5 }, maxSteps: 2 })
    expect(adversarial.logs).toContain("The frozen layers' outputs are recomputed every step: adversarial training perturbs the embeddings.")
  })
})
