import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { buildTagSet, encodeDocuments, makeBatches } from '../../../../src-main/engine/data'
import { loadTokenClassifier } from '../../../../src-main/engine/model/io'
import { adversarialLossAndGradients, embeddingPerturbation, l2Norm, predictPerturbed } from '../../../../src-main/engine/adversarial/embedding-attack'
import { lossAndGradients } from '../../../../src-main/engine/train/step'
import { disposeGrads } from '../../../../src-main/engine/train/step'
import { useWasm } from '../../../helpers/tf'
import { TINY_BERT, tinyTokenizer, toyDocuments } from '../../../helpers/toy-ner'
import type { TokenClassifier } from '../../../../src-main/engine/heads/token-classification'

const tagSet = buildTagSet(['PER', 'LOC'], 'iob2')
let model: TokenClassifier
let batch: ReturnType<typeof makeBatches>[number]

beforeAll(async () => {
  await useWasm()
  model = loadTokenClassifier(TINY_BERT).model
  const { windows } = encodeDocuments(toyDocuments(8, 4), tinyTokenizer(), tagSet, { maxLength: 32 })
  batch = makeBatches(windows, { batchSize: 8, seed: 1, shuffle: false, bucketByLength: false, padId: 0 })[0]!
})

describe('embedding perturbations', () => {
  it('FGM has exactly the configured norm; PGD stays inside the epsilon ball', () => {
    for (const epsilon of [0.1, 1, 3]) {
      const fgm = embeddingPerturbation(model, batch, { method: 'fgm', epsilon }, { training: false })
      expect(l2Norm(fgm)).toBeCloseTo(epsilon, 4)
      fgm.dispose()
      const pgd = embeddingPerturbation(model, batch, { method: 'pgd', epsilon, alpha: epsilon / 2, steps: 4 }, { training: false })
      expect(l2Norm(pgd)).toBeLessThanOrEqual(epsilon * (1 + 1e-5))
      pgd.dispose()
    }
  })

  it('raises the loss, and PGD at least as much as FGM', () => {
    const before = tf.memory().numTensors
    const fgm = adversarialLossAndGradients(model, batch, ['classifier.weight'], { seed: 1, attack: { method: 'fgm', epsilon: 2 } })
    const pgd = adversarialLossAndGradients(model, batch, ['classifier.weight'], { seed: 1, attack: { method: 'pgd', epsilon: 2, alpha: 1, steps: 5 } })
    expect(fgm.adversarialLoss).toBeGreaterThan(fgm.loss)
    expect(pgd.adversarialLoss).toBeGreaterThan(fgm.loss)
    // The clean part equals the ordinary loss.
    const plain = lossAndGradients(model, batch, ['classifier.weight'], { seed: 1 })
    expect(fgm.loss).toBeCloseTo(plain.loss, 5)
    for (const r of [fgm, pgd, plain]) disposeGrads(r.grads)
    expect(tf.memory().numTensors).toBe(before)
  })

  it('never modifies the embedding table: only the optimizer does', () => {
    const table = model.params.get('embeddings.word_embeddings.weight')!
    const copy = table.dataSync().slice()
    const r = adversarialLossAndGradients(model, batch, [...model.params.keys()], { seed: 2, attack: { method: 'pgd', epsilon: 1, steps: 3 } })
    expect(r.grads.get('embeddings.word_embeddings.weight')).toBeDefined()
    disposeGrads(r.grads)
    expect(Array.from(table.dataSync())).toEqual(Array.from(copy))
  })

  it('perturbed predictions differ from clean ones', () => {
    const a = predictPerturbed(model, batch, { method: 'fgm', epsilon: 0 + 1e-9 })
    const b = predictPerturbed(model, batch, { method: 'fgm', epsilon: 5 })
    let diff = 0
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!))
    expect(diff).toBeGreaterThan(1e-3)
  })
})
