import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { AdamW, clipByGlobalNorm } from '../../../../src-main/engine/optim/adamw'
import { learningRate } from '../../../../src-main/engine/optim/schedule'
import { maxAbsDiff, useWasm } from '../../../helpers/tf'

beforeAll(async () => {
  await useWasm()
})

/** torch.optim.AdamW's update for one scalar, written out. */
function referenceAdamW(p: number, grads: number[], lrs: number[], wd: number): number {
  let m = 0
  let v = 0
  grads.forEach((g, i) => {
    const t = i + 1
    const lr = lrs[i]!
    p *= 1 - lr * wd
    m = 0.9 * m + 0.1 * g
    v = 0.999 * v + 0.001 * g * g
    const denom = Math.sqrt(v) / Math.sqrt(1 - 0.999 ** t) + 1e-8
    p -= (lr / (1 - 0.9 ** t)) * (m / denom)
  })
  return p
}

describe('AdamW', () => {
  it('matches torch.optim.AdamW, with decay only where it belongs', () => {
    const params = new Map([
      ['layer.dense.weight', tf.variable(tf.tensor1d([0.5, -1.5]))],
      ['layer.dense.bias', tf.variable(tf.tensor1d([0.25, 2]))],
    ])
    const opt = new AdamW({ weightDecay: 0.1 })
    const gs = [
      [0.3, -0.2],
      [0.1, 0.4],
      [-0.5, 0.05],
    ]
    const lrs = [0.01, 0.02, 0.005]
    gs.forEach((g, i) => {
      opt.apply(params, new Map([['layer.dense.weight', tf.tensor1d(g)], ['layer.dense.bias', tf.tensor1d(g)]]), lrs[i]!)
    })
    const w = params.get('layer.dense.weight')!.dataSync()
    const b = params.get('layer.dense.bias')!.dataSync()
    expect(maxAbsDiff(w, [referenceAdamW(0.5, gs.map((g) => g[0]!), lrs, 0.1), referenceAdamW(-1.5, gs.map((g) => g[1]!), lrs, 0.1)])).toBeLessThan(1e-6)
    expect(maxAbsDiff(b, [referenceAdamW(0.25, gs.map((g) => g[0]!), lrs, 0), referenceAdamW(2, gs.map((g) => g[1]!), lrs, 0)])).toBeLessThan(1e-6)
  })

  it('resumes from its saved state exactly', () => {
    const run = (resume: boolean): Float32Array => {
      const params = new Map([['w', tf.variable(tf.tensor1d([1, 2, 3]))]])
      let opt = new AdamW({ weightDecay: 0.01 })
      for (let i = 0; i < 4; i++) {
        if (resume && i === 2) {
          const state = opt.state()
          opt.dispose()
          opt = new AdamW({ weightDecay: 0.01 })
          opt.restore(state)
        }
        opt.apply(params, new Map([['w', tf.tensor1d([0.1 * i, -0.2, 0.3])]]), 0.1)
      }
      return params.get('w')!.dataSync() as Float32Array
    }
    expect(Array.from(run(true))).toEqual(Array.from(run(false)))
  })

  it('leaves parameters without a gradient untouched (frozen)', () => {
    const params = new Map([['frozen', tf.variable(tf.tensor1d([1, 2]))], ['trained', tf.variable(tf.tensor1d([1, 2]))]])
    new AdamW({ weightDecay: 0.5 }).apply(params, new Map([['trained', tf.tensor1d([1, 1])]]), 0.1)
    expect(Array.from(params.get('frozen')!.dataSync())).toEqual([1, 2])
    expect(params.get('trained')!.dataSync()[0]).not.toBe(1)
  })
})

describe('clipByGlobalNorm', () => {
  it('scales all gradients together to the maximum norm', () => {
    const { norm, grads } = clipByGlobalNorm(new Map([['a', tf.tensor1d([3, 0])], ['b', tf.tensor1d([0, 4])]]), 1)
    expect(norm).toBeCloseTo(5, 5)
    expect(maxAbsDiff(grads.get('a')!.dataSync(), [0.6, 0])).toBeLessThan(1e-5)
    expect(maxAbsDiff(grads.get('b')!.dataSync(), [0, 0.8])).toBeLessThan(1e-5)
  })

  it('leaves small gradients alone', () => {
    const g = tf.tensor1d([0.1])
    expect(clipByGlobalNorm(new Map([['a', g]]), 1).grads.get('a')).toBe(g)
  })
})

describe('learning-rate schedules', () => {
  const s = { peak: 1, warmupSteps: 4, totalSteps: 12 }
  it('warm up linearly from 0 like transformers', () => {
    expect([0, 1, 2, 3, 4].map((i) => learningRate({ ...s, kind: 'linear' }, i))).toEqual([0, 0.25, 0.5, 0.75, 1])
  })
  it('decay linearly, by half-cosine, or stay constant', () => {
    expect(learningRate({ ...s, kind: 'linear' }, 8)).toBeCloseTo(0.5)
    expect(learningRate({ ...s, kind: 'linear' }, 12)).toBe(0)
    expect(learningRate({ ...s, kind: 'cosine' }, 8)).toBeCloseTo(0.5)
    expect(learningRate({ ...s, kind: 'cosine' }, 6)).toBeCloseTo(0.5 * (1 + Math.cos(Math.PI / 4)))
    expect(learningRate({ ...s, kind: 'constant' }, 11)).toBe(1)
  })
})
