import { describe, expect, it } from 'vitest'
import { describeBackend, describeModel, describeRecipe, runDurationMs } from '../../../src-shared/domain/run-describe'

describe('describing runs', () => {
  it('names the recipe from the config', () => {
    expect(describeRecipe({ peft: null, adversarial: null, augmentation: null, classWeights: null, maxSteps: 0 })).toBe('full')
    expect(describeRecipe({})).toBe('full')
    expect(describeRecipe({ peft: { method: 'lora', rank: 8, alpha: 16 } })).toBe('LoRA r8')
    expect(describeRecipe({ adversarial: { method: 'fgm', epsilon: 1 } })).toBe('FGM')
    expect(describeRecipe({ peft: { method: 'adapter', size: 32 }, adversarial: { method: 'pgd' }, augmentation: { copies: 1 } })).toBe('adapter 32 + PGD + augmentation')
    expect(describeRecipe({ peft: { method: 'freeze', embeddings: true, layers: 6 } })).toBe('frozen embeddings + 6 layers')
    expect(describeRecipe({ peft: { method: 'bitfit' }, classWeights: 'balanced', maxSteps: 30 })).toBe('BitFit + class weights + 30 steps')
    expect(describeRecipe(null)).toBe('full')
  })

  it('names the model, the backend and the duration', () => {
    expect(describeModel({ kind: 'folder', path: '/m/bert-base-cased', name: 'bert-base-cased' })).toBe('bert-base-cased')
    expect(describeModel({ kind: 'scratch', hiddenSize: 256, numLayers: 4, vocab: '/v.txt' })).toBe('scratch 256×4')
    expect(describeModel(null)).toBe('–')
    expect(describeBackend({ name: 'wasm', device: 'CPU', label: 'wasm (CPU)' })).toBe('wasm (CPU)')
    expect(describeBackend({ name: 'tensorflow', device: 'GPU: A5000' })).toBe('tensorflow (GPU: A5000)')
    expect(describeBackend(null)).toBe('–')
    expect(runDurationMs({ startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:01:30.000Z' })).toBe(90_000)
    expect(runDurationMs({ startedAt: '2026-01-01T00:00:00.000Z', endedAt: null })).toBeNull()
  })
})
