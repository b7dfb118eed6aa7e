/**
 * The engine's own wasm kernels (ops/wasm-kernels.ts, ops/wasm-simd.ts) and the fast paths in
 * ops/layers.ts and ops/attention.ts give what the plain tf ops give, values and gradients.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { blockMatMul, columnSum, gatherRows, gelu, layerNorm, transpose2d } from '../../../../src-main/engine/ops/layers'
import { selfAttention } from '../../../../src-main/engine/ops/attention'
import { simdSupported } from '../../../../src-main/engine/ops/wasm-simd'
import { ADAMW, BLOCK_MATMUL, COLUMN_SUM, GATHER_ROWS, GELU, LAYER_NORM, LAYER_NORM_GRAD, TRANSPOSE_2D } from '../../../../src-main/engine/ops/wasm-kernels'
import { AdamW } from '../../../../src-main/engine/optim/adamw'
import { maxAbsDiff, useWasm } from '../../../helpers/tf'

beforeAll(async () => {
  await useWasm()
})

const seeded = (shape: number[], seed: number, scale = 1): tf.Tensor => tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale))
const diff = (a: tf.Tensor, b: tf.Tensor): number => maxAbsDiff(a.dataSync(), b.dataSync())

describe('the wasm kernels', () => {
  it('are all registered (the SIMD module validates on this runtime)', () => {
    expect(simdSupported()).toBe(true)
    for (const k of [BLOCK_MATMUL, GATHER_ROWS, ADAMW, COLUMN_SUM, GELU, TRANSPOSE_2D, LAYER_NORM, LAYER_NORM_GRAD]) expect(tf.getKernel(k, 'wasm'), k).toBeDefined()
  })

  it('transpose and column sums match tf for every shape, multiple of 4 or not', () => {
    for (const [r, c] of [[64, 96], [4, 4], [8, 12], [1024, 9], [6, 8], [7, 5], [256, 768]] as const) {
      const x = seeded([r, c], r * 31 + c) as tf.Tensor2D
      expect(diff(transpose2d(x), tf.transpose(x)), `transpose ${r}x${c}`).toBe(0)
      expect(diff(columnSum(x), tf.sum(x, 0)), `column sum ${r}x${c}`).toBeLessThan(1e-5)
    }
  })

  it('blockMatMul multiplies block by block, with gradients', () => {
    const a = seeded([6, 5, 8], 1) as tf.Tensor3D
    const b = seeded([6, 8, 4], 2) as tf.Tensor3D
    expect(diff(blockMatMul(a, b), tf.matMul(a, b))).toBeLessThan(1e-5)
    const dy = seeded([6, 5, 4], 3)
    const mine = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(blockMatMul(x as tf.Tensor3D, y as tf.Tensor3D), dy)))([a, b])
    const ref = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D), dy)))([a, b])
    expect(diff(mine[0]!, ref[0]!)).toBeLessThan(1e-5)
    expect(diff(mine[1]!, ref[1]!)).toBeLessThan(1e-5)
  })

  it('gatherRows is tf.gather, and its gradient sums repeated ids', () => {
    const table = seeded([50, 8], 4)
    const ids = tf.tensor2d([[3, 7, 3], [49, 0, 3]], undefined, 'int32')
    expect(diff(gatherRows(table, ids), tf.gather(table, ids))).toBe(0)
    const w = seeded([2, 3, 8], 5)
    const [g1] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(gatherRows(t, ids), w)))([table])
    const [g2] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), w)))([table])
    expect(diff(g1!, g2!)).toBeLessThan(1e-6)
    expect(() => gatherRows(table, tf.tensor1d([50], 'int32'))).toThrow(/index 50/)
  })

  it('GELU is the erf form within float32 rounding, derivative included', () => {
    const x = tf.concat([tf.linspace(-10, 10, 4001), tf.tensor1d([0, -0, 1e-30, -3e-38, 30, -30, 1e6, -1e6, 0.5])]) // 4010 values: a tail of 2
    const exact = (v: tf.Tensor): tf.Tensor => tf.mul(tf.mul(v, 0.5), tf.add(tf.erf(tf.mul(v, Math.SQRT1_2)), 1))
    expect(diff(gelu(x), exact(x))).toBeLessThan(1e-6)
    const [g1] = tf.grads((v: tf.Tensor) => tf.sum(gelu(v)))([x])
    const [g2] = tf.grads((v: tf.Tensor) => tf.sum(exact(v)))([x])
    expect(diff(g1!, g2!)).toBeLessThan(1e-6)
    // Without the kernel (a wasm build the SIMD module cannot run on), the tf-op form.
    const kernel = tf.getKernel(GELU, 'wasm')!
    tf.unregisterKernel(GELU, 'wasm')
    try {
      expect(diff(gelu(x), exact(x))).toBeLessThan(1e-6)
      const [g3] = tf.grads((v: tf.Tensor) => tf.sum(gelu(v)))([x])
      expect(diff(g3!, g2!)).toBeLessThan(1e-6)
    } finally {
      tf.registerKernel(kernel)
    }
  })

  it('LayerNorm matches the tf-op formula, gradients of x, gamma and beta included', () => {
    const reference = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor => {
      const { mean, variance } = tf.moments(x, 1, true)
      return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-12))), g), b)
    }
    for (const [r, c] of [[64, 32], [5, 12], [7, 9]] as const) {
      const x = tf.add(seeded([r, c], 6, 3), 1)
      const g = tf.add(seeded([c], 7, 0.2), 1)
      const b = seeded([c], 8, 0.2)
      const dy = seeded([r, c], 9)
      const f = (norm: (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(norm(x, g, b), dy))
      const mine = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor => layerNorm(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-12)
      expect(diff(mine(x, g, b), reference(x, g, b))).toBeLessThan(1e-5)
      const g1 = tf.grads(f(mine))([x, g, b])
      const g2 = tf.grads(f(reference))([x, g, b])
      for (let i = 0; i < 3; i++) expect(diff(g1[i]!, g2[i]!), `${r}x${c} gradient ${i}`).toBeLessThan(1e-4)
    }
  })

  it('the fused AdamW update gives the same bits as the tf-op one', () => {
    const shapes = [[1027], [64, 33], [5], [3]]
    const run = (fused: boolean): number[][] => {
      const saved = tf.getKernel(ADAMW, 'wasm')!
      if (!fused) tf.unregisterKernel(ADAMW, 'wasm')
      try {
        const params = new Map(shapes.map((s, i) => [`p${i}${i % 2 ? '.bias' : '.weight'}`, tf.variable(seeded(s, i + 1))]))
        const opt = new AdamW({ weightDecay: 0.01 })
        for (let step = 0; step < 4; step++) {
          const grads = new Map([...params].map(([n, p], i) => [n, seeded(p.shape, 100 * step + i + 1, 0.1 * (step + 1))]))
          opt.apply(params, grads, 1e-3 * (step + 1))
        }
        return [...params.values()].map((p) => Array.from(p.dataSync()))
      } finally {
        if (!fused) tf.registerKernel(saved)
      }
    }
    expect(run(true)).toEqual(run(false))
  })
})

describe('selfAttention', () => {
  const B = 3
  const S = 8
  const NH = 2
  const H = 16
  const dh = H / NH
  const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0, 0, 0], [1, 1, 0, 0, 0, 0, 0, 0]], undefined, 'float32')
  const bias = tf.mul(tf.sub(1, mask), -1e9).reshape([B, 1, 1, S])

  /** The textbook computation (batched, transposed matMuls), heads in the same layout. */
  function reference(x: tf.Tensor2D, rate: number, seed: number): tf.Tensor {
    const t = tf.transpose(x.reshape([B * S, 3 * NH, dh]), [1, 0, 2]).reshape([3, NH * B, S, dh])
    const [q, k, v] = tf.unstack(t) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D]
    const scores = tf.add(tf.matMul(tf.mul(q, 1 / Math.sqrt(dh)), k, false, true).reshape([NH, B, S, S]), bias.reshape([1, B, 1, S]))
    let p = tf.softmax(scores).reshape([NH * B, S, S])
    if (rate > 0) p = tf.mul(p, tf.div(tf.floor(tf.add(tf.randomUniform([NH * B, S, S], 0, 1, 'float32', seed), 1 - rate)), 1 - rate))
    return tf.transpose(tf.matMul(p as tf.Tensor3D, v).reshape([NH, B * S, dh]), [1, 0, 2]).reshape([B * S, H])
  }

  it('gives the reference values and gradients, with and without dropout', () => {
    const qkv = seeded([B * S, 3 * H], 11) as tf.Tensor2D
    const r = seeded([B * S, H], 12)
    for (const rate of [0, 0.3]) {
      const mine = (x: tf.Tensor): tf.Tensor => selfAttention(x as tf.Tensor2D, bias, { batch: B, seq: S, heads: NH }, rate, 7)
      expect(diff(mine(qkv), reference(qkv, rate, 7))).toBeLessThan(1e-5)
      const [g1] = tf.grads((x: tf.Tensor) => tf.sum(tf.mul(mine(x), r)))([qkv])
      const [g2] = tf.grads((x: tf.Tensor) => tf.sum(tf.mul(reference(x as tf.Tensor2D, rate, 7), r)))([qkv])
      expect(diff(g1!, g2!), `rate ${rate}`).toBeLessThan(1e-5)
    }
  })
})

describe('clipByGlobalNorm on wasm', () => {
  it('measures the global norm as the tf ops do', async () => {
    const { clipByGlobalNorm } = await import('../../../../src-main/engine/optim/adamw')
    const grads = () => new Map([['a', seeded([1027], 21)], ['b', seeded([64, 33], 22, 3)], ['c', seeded([3], 23)], ['d', seeded([21128, 8], 24, 0.01)]])
    const g = grads()
    const expected = Math.sqrt([...g.values()].reduce((s, t) => s + Array.from(t.dataSync()).reduce((a, x) => a + x * x, 0), 0))
    const { norm } = clipByGlobalNorm(g, 0)
    expect(Math.abs(norm - expected) / expected).toBeLessThan(1e-6)
  })
})
