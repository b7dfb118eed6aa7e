import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { gelu, layerNorm, linear, matMul2d } from '../../../../src-main/engine/ops/layers'
import { unsortedSegmentSumRows } from '../../../../src-main/engine/ops/wasm-kernels'
import { maxAbsDiff, useWasm } from '../../../helpers/tf'

beforeAll(async () => {
  await useWasm()
})

function seeded(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed)
}

describe('matMul2d', () => {
  it('gives tf.matMul values and gradients with plain matMuls only', () => {
    const x = seeded([7, 5], 1)
    const w = seeded([5, 3], 2)
    const dy = seeded([7, 3], 3)
    const mine = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(matMul2d(a as tf.Tensor2D, b as tf.Tensor2D), dy)))([x, w])
    const ref = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), dy)))([x, w])
    expect(maxAbsDiff(matMul2d(x as tf.Tensor2D, w as tf.Tensor2D).dataSync(), tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D).dataSync())).toBeLessThan(1e-5)
    expect(maxAbsDiff(mine[0]!.dataSync(), ref[0]!.dataSync())).toBeLessThan(1e-5)
    expect(maxAbsDiff(mine[1]!.dataSync(), ref[1]!.dataSync())).toBeLessThan(1e-5)
  })

  it('linear keeps leading dimensions', () => {
    const y = linear(seeded([2, 4, 5], 4), seeded([5, 3], 5) as tf.Tensor2D, tf.zeros([3]) as tf.Tensor1D)
    expect(y.shape).toEqual([2, 4, 3])
  })
})

describe('layerNorm and gelu', () => {
  it('normalise like torch (biased variance, eps inside the root)', () => {
    const x = tf.tensor2d([[1, 2, 3, 4]])
    const y = layerNorm(x, tf.ones([4]) as tf.Tensor1D, tf.zeros([4]) as tf.Tensor1D, 1e-12).dataSync()
    const sd = Math.sqrt(1.25)
    expect(maxAbsDiff(y, [-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd])).toBeLessThan(1e-6)
  })

  it('gelu is the exact erf form', () => {
    // torch.nn.functional.gelu(torch.tensor([-2., -0.5, 0., 1., 3.]))
    const y = gelu(tf.tensor1d([-2, -0.5, 0, 1, 3])).dataSync()
    expect(maxAbsDiff(y, [-0.04550027, -0.15426877, 0, 0.8413447, 2.9959502])).toBeLessThan(1e-6)
  })
})

describe('the gather gradient on wasm', () => {
  it('sums repeated ids like the cpu backend', async () => {
    const table = tf.variable(seeded([50, 8], 6))
    const ids = tf.tensor1d([3, 7, 3, 3, 49, 0, 7, 12, 3, 0], 'int32')
    const w = seeded([10, 8], 7)
    const grad = (): Float32Array => {
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.tanh(tf.gather(table, ids)), w)) as tf.Scalar, [table])
      return grads[table.name]!.dataSync() as Float32Array
    }
    const onWasm = grad()
    await tf.setBackend('cpu')
    const onCpu = grad()
    await tf.setBackend('wasm')
    expect(maxAbsDiff(onWasm, onCpu)).toBeLessThan(1e-5)
    // Rows never looked up get no gradient.
    expect(Array.from(onWasm.slice(1 * 8, 2 * 8))).toEqual(new Array(8).fill(0))
  })

  it('drops ids outside the table, as TensorFlow does', () => {
    expect(Array.from(unsortedSegmentSumRows([1, 2, 3], [0, 5, 0], 1, 2))).toEqual([4, 0])
  })
})
