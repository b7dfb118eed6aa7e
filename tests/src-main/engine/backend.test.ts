import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { initBackend } from '../../../src-main/engine/backend'

const installed = (pkg: string): boolean => {
  try {
    createRequire(import.meta.url).resolve(pkg)
    return true
  } catch {
    return false
  }
}

describe('compute backend', () => {
  it('picks the best available backend and says why others were passed over', async () => {
    const info = await initBackend('auto')
    const tf = await import('@tensorflow/tfjs')
    expect(tf.getBackend()).toBe(info.name)
    if (installed('@tensorflow/tfjs-node-gpu')) {
      expect(info.name).toBe('tensorflow')
    } else {
      // The machines this is developed on cannot install tfjs-node(-gpu): wasm is the answer there.
      expect(info).toMatchObject({ name: 'wasm', device: 'CPU', label: 'wasm (CPU)' })
      expect(info.notes).toContain('tfjs-node-gpu: not installed')
      expect(info.threads).toBeGreaterThanOrEqual(1)
    }
    // The backend really computes.
    expect(Array.from(await tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).data())).toEqual([11])
  })

  it('honours a forced backend, and falls back with a note when it cannot load', async () => {
    expect((await initBackend('cpu')).name).toBe('cpu')
    if (!installed('@tensorflow/tfjs-node')) {
      const info = await initBackend('tensorflow')
      expect(info.name).toBe('wasm')
      expect(info.notes).toEqual(['tfjs-node: not installed'])
    }
  })
})
