/**
 * Large matMuls split across a helper thread give exactly (bit for bit) what one thread gives,
 * for plain products and for a whole training step's loss and gradients; products that are
 * transposed, batched or small are left to tfjs's own kernel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { disableMatMulThreads, enableMatMulThreads, matMulThreadStats } from '../../../../src-main/engine/ops/matmul-threads'
import { parseBertConfig } from '../../../../src-main/engine/model/bert-config'
import { createTokenClassifier } from '../../../../src-main/engine/model/io'
import { lossAndGradients, predictBatch, type TensorBatch } from '../../../../src-main/engine/train/step'
import { useWasm } from '../../../helpers/tf'

beforeAll(useWasm)
afterAll(disableMatMulThreads)

function batch(rows: number, seq: number, vocab: number, labels: number): TensorBatch {
  let x = 7
  const next = (n: number): number => ((x = (x * 1103515245 + 12345) % 2147483648), x % n)
  const n = rows * seq
  return {
    inputIds: Int32Array.from({ length: n }, () => next(vocab)),
    attentionMask: Int32Array.from({ length: n }, (_, i) => (i % seq < seq - (Math.floor(i / seq) % 7) ? 1 : 0)),
    tokenTypeIds: new Int32Array(n),
    labels: Int32Array.from({ length: n }, () => next(labels)),
    batchSize: rows,
    seqLength: seq,
  }
}

describe('matMuls on two threads', () => {
  it('gives the same bits as one thread, for products and for a training step and a prediction', async () => {
    const shapes: [number, number, number][] = [[512, 128, 384], [511, 256, 128], [64, 512, 512]]
    const inputs = shapes.map(([m, k, n], i) => [tf.randomUniform([m, k], -1, 1, 'float32', i + 1), tf.randomUniform([k, n], -1, 1, 'float32', i + 11)] as const)
    const config = parseBertConfig({ model_type: 'bert', vocab_size: 500, hidden_size: 128, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 512, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0, max_position_embeddings: 64 })
    const model = createTokenClassifier(config, ['O', 'B-X', 'I-X'], 3)
    const trainable = [...model.params.keys()]
    const b = batch(16, 64, 500, 3)
    const run = () => {
      const products = inputs.map(([x, y]) => tf.tidy(() => tf.matMul(x, y).dataSync() as Float32Array))
      const step = lossAndGradients(model, b, trainable, { seed: 1 })
      const grads = new Map([...step.grads].map(([name, g]) => [name, g.dataSync() as Float32Array]))
      for (const g of step.grads.values()) g.dispose()
      return { products, loss: step.loss, grads, probs: predictBatch(model, b) }
    }
    const one = run()
    expect(await enableMatMulThreads({ cpus: 2 })).toBe(true)
    const two = run()
    const stats = matMulThreadStats()!
    disableMatMulThreads()
    expect(stats.split).toBeGreaterThan(10)
    two.products.forEach((p, i) => expect(Buffer.from(p.buffer).equals(Buffer.from(one.products[i]!.buffer)), `product ${i}`).toBe(true))
    expect(two.loss).toBe(one.loss)
    for (const [name, g] of one.grads) expect(Buffer.from(two.grads.get(name)!.buffer).equals(Buffer.from(g.buffer)), name).toBe(true)
    expect(Buffer.from(two.probs.buffer).equals(Buffer.from(one.probs.buffer))).toBe(true)
    for (const [x, y] of inputs) (x.dispose(), y.dispose())
    for (const v of model.params.values()) v.dispose()
  })

  it('leaves transposed, batched and small products to tfjs, and does nothing on one core', async () => {
    expect(await enableMatMulThreads({ cpus: 1 })).toBe(false)
    expect(matMulThreadStats()).toBeNull()
    expect(await enableMatMulThreads({ cpus: 2 })).toBe(true)
    const a = tf.randomUniform([512, 256], -1, 1, 'float32', 5)
    const before = matMulThreadStats()!
    tf.tidy(() => {
      tf.matMul(a, a, false, true).dataSync()
      tf.matMul(a.reshape([2, 256, 256]), a.reshape([2, 256, 256])).dataSync()
      tf.matMul(a.slice([0, 0], [8, 256]), a.slice([0, 0], [256, 16])).dataSync()
    })
    const after = matMulThreadStats()!
    expect(after.split).toBe(before.split)
    disableMatMulThreads()
    a.dispose()
  })
})
