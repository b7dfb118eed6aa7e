/**
 * The engine's BERT against an independent PyTorch reference (tests/fixtures/tiny-bert, made by
 * generate.py): embeddings, every layer's output, logits, the loss and gradients within 1e-4.
 */
import { copyFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { loadTokenClassifier } from '../../../../src-main/engine/model/io'
import { bertForward } from '../../../../src-main/engine/model/bert'
import { classifierForward, tokenCrossEntropy, type TokenClassifier } from '../../../../src-main/engine/heads/token-classification'
import { maxAbsDiff, useWasm } from '../../../helpers/tf'
import { useTempDirs } from '../../../helpers/temp-dir'

const tempDir = useTempDirs()

const FIXTURE = join(import.meta.dirname, '../../../fixtures/tiny-bert')

interface Reference {
  input_ids: number[][]
  attention_mask: number[][]
  token_type_ids: number[][]
  labels: number[][]
  embeddings: number[][][]
  hidden_states: number[][][][]
  last_hidden_state: number[][][]
  logits: number[][][]
  loss: number
  grads: {
    'classifier.weight': number[][]
    'bert.encoder.layer.0.attention.self.query.weight': number[][]
    'bert.embeddings.word_embeddings.weight': { ids: number[]; rows: number[][] }
  }
}

const ref = JSON.parse(readFileSync(join(FIXTURE, 'reference.json'), 'utf8')) as Reference
const flat = (x: unknown): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x as number])

function inputs(): { inputIds: tf.Tensor2D; attentionMask: tf.Tensor2D; tokenTypeIds: tf.Tensor2D } {
  return {
    inputIds: tf.tensor2d(ref.input_ids, undefined, 'int32'),
    attentionMask: tf.tensor2d(ref.attention_mask, undefined, 'int32'),
    tokenTypeIds: tf.tensor2d(ref.token_type_ids, undefined, 'int32'),
  }
}

/** Values at real (unpadded) positions only: padding rows are not compared by transformers either. */
function realPositions(values: ArrayLike<number>, width: number): number[] {
  const out: number[] = []
  ref.attention_mask.flat().forEach((m, i) => {
    if (m) for (let j = 0; j < width; j++) out.push(values[i * width + j]!)
  })
  return out
}

let model: TokenClassifier

beforeAll(async () => {
  await useWasm()
  model = loadTokenClassifier(FIXTURE).model
})

describe('BertModel numerics against PyTorch', () => {
  it('embeddings, each layer and the logits match within 1e-4', () => {
    tf.tidy(() => {
      const out = bertForward(model, inputs(), { training: false, hiddenStates: true })
      const hidden = out.hiddenStates!
      expect(hidden).toHaveLength(3)
      expect(maxAbsDiff(realPositions(hidden[0]!.dataSync(), 32), realPositions(flat(ref.embeddings), 32))).toBeLessThan(1e-4)
      for (let l = 0; l < 2; l++) {
        expect(maxAbsDiff(realPositions(hidden[l + 1]!.dataSync(), 32), realPositions(flat(ref.hidden_states[l]), 32))).toBeLessThan(1e-4)
      }
      expect(maxAbsDiff(realPositions(out.lastHidden.dataSync(), 32), realPositions(flat(ref.last_hidden_state), 32))).toBeLessThan(1e-4)
      const { logits } = classifierForward(model, inputs(), { training: false })
      expect(maxAbsDiff(realPositions(logits.dataSync(), 5), realPositions(flat(ref.logits), 5))).toBeLessThan(1e-4)
    })
  })

  it('padding does not change the outputs of real tokens', () => {
    tf.tidy(() => {
      const all = classifierForward(model, inputs(), { training: false }).logits
      const n = ref.attention_mask[2]!.reduce((a, b) => a + b, 0)
      const alone = classifierForward(
        model,
        {
          inputIds: tf.tensor2d([ref.input_ids[2]!.slice(0, n)], undefined, 'int32'),
          attentionMask: tf.ones([1, n], 'int32') as tf.Tensor2D,
          tokenTypeIds: tf.tensor2d([ref.token_type_ids[2]!.slice(0, n)], undefined, 'int32'),
        },
        { training: false },
      ).logits
      expect(maxAbsDiff(all.slice([2, 0, 0], [1, n, 5]).dataSync(), alone.dataSync())).toBeLessThan(1e-5)
    })
  })

  it('the loss and its gradients match PyTorch', () => {
    const labels = tf.tensor2d(ref.labels, undefined, 'int32')
    const names = ['classifier.weight', 'encoder.layer.0.attention.self.qkv.weight', 'embeddings.word_embeddings.weight']
    const vars = names.map((n) => model.params.get(n)!)
    const { value, grads } = tf.variableGrads(() => tokenCrossEntropy(classifierForward(model, inputs(), { training: false }).logits, labels), vars)
    expect(Math.abs(value.dataSync()[0]! - ref.loss)).toBeLessThan(1e-5)
    // classifier.weight: ours is [hidden, labels], PyTorch's [labels, hidden].
    const gClassifier = tf.transpose(grads[vars[0]!.name]!).dataSync()
    expect(maxAbsDiff(gClassifier, flat(ref.grads['classifier.weight']))).toBeLessThan(1e-4)
    // The query block of the fused qkv gradient, transposed back to [out, in].
    const gQuery = tf.transpose(grads[vars[1]!.name]!.slice([0, 0], [32, 32])).dataSync()
    expect(maxAbsDiff(gQuery, flat(ref.grads['bert.encoder.layer.0.attention.self.query.weight']))).toBeLessThan(1e-4)
    const gWords = grads[vars[2]!.name]!
    const { ids, rows } = ref.grads['bert.embeddings.word_embeddings.weight']
    expect(maxAbsDiff(tf.gather(gWords, ids).dataSync(), flat(rows))).toBeLessThan(1e-4)
    // Every other row is exactly zero.
    const total = tf.sum(tf.abs(gWords)).dataSync()[0]!
    const listed = tf.sum(tf.abs(tf.gather(gWords, ids))).dataSync()[0]!
    expect(Math.abs(total - listed)).toBeLessThan(1e-4)
  })

  it('F16 and BF16 checkpoints load with their expected precision', () => {
    for (const [file, tol] of [['model-f16.safetensors', 5e-3], ['model-bf16.safetensors', 3e-2]] as const) {
      const dir = tempDir()
      for (const f of ['config.json', 'vocab.txt', 'tokenizer_config.json']) copyFileSync(join(FIXTURE, f), join(dir, f))
      copyFileSync(join(FIXTURE, file), join(dir, 'model.safetensors'))
      const reduced = loadTokenClassifier(dir).model
      const diff = tf.tidy(() => maxAbsDiff(realPositions(classifierForward(reduced, inputs(), { training: false }).logits.dataSync(), 5), realPositions(flat(ref.logits), 5)))
      expect(diff, file).toBeLessThan(tol)
      expect(diff, `${file} is not read as the float32 weights`).toBeGreaterThan(0)
    }
  })
})
