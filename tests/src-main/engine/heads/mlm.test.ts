import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { buildMlmExamples, maskExamples } from '../../../../src-main/engine/data/mlm'
import { collate, type Batch, type EncodedWindow } from '../../../../src-main/engine/data'
import {
  hasMlmHead,
  initMlmHead,
  maskedPositions,
  MLM_BIAS,
  MLM_DENSE_BIAS,
  MLM_DENSE_WEIGHT,
  MLM_HEAD_NAMES,
  MLM_LN_BIAS,
  MLM_LN_WEIGHT,
  mlmHeadFromHuggingFace,
  mlmHeadToHuggingFace,
  mlmLogitsAt,
  mlmLoss,
  mlmLossAndGradients,
  removeMlmHead,
} from '../../../../src-main/engine/heads/mlm'
import { bertForward, bertParamShapes, disposeParams, initBertParams, type BertModel } from '../../../../src-main/engine/model/bert'
import type { BertConfig } from '../../../../src-main/engine/model/bert-config'
import { readConfig, readParams } from '../../../../src-main/engine/model/io'
import { activation, layerNorm } from '../../../../src-main/engine/ops/layers'
import { AdamW } from '../../../../src-main/engine/optim/adamw'
import { batchInputs, disposeGrads, type TensorBatch } from '../../../../src-main/engine/train/step'
import { maxAbsDiff, useWasm } from '../../../helpers/tf'
import { TINY_BERT, tinyTokenizer } from '../../../helpers/toy-ner'

const tok = tinyTokenizer()
const config = { ...readConfig(TINY_BERT), hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 }

function tinyModel(seed = 1, c: BertConfig = config): BertModel {
  const params = initBertParams(c, seed)
  initMlmHead(params, c, seed)
  return { config: c, params }
}

/** Wide enough for the blocked transposes of ops/layers.ts (both sides >= 64). */
const wider: BertConfig = { ...config, hidden_size: 64, intermediate_size: 128, vocab_size: 256 }

const TEXTS = ['john lives in paris', 'mary visited london yesterday', 'the old man from berlin was born in china', 'anna works at the bank in new york today', 'hello world']

function maskedBatch(seed: number, probability = 0.3): Batch {
  const examples = buildMlmExamples(TEXTS, tok, { maxLength: 24 })
  const masked = maskExamples(examples, { clsId: tok.cls.id, sepId: tok.sep.id, maskId: tok.mask!.id, vocabSize: config.vocab_size, specialIds: new Set([tok.pad.id, tok.unk.id, tok.mask!.id]), probability, wholeWord: false, seed })
  const windows: EncodedWindow[] = masked.map((m, i) => ({ docId: i, windowIndex: 0, inputIds: m.inputIds, labels: m.labels, tokenStart: 0, length: m.length, wordStarts: new Uint8Array(m.length), docTokenCount: m.length - 2 }))
  return collate(windows, tok.pad.id)
}

/** The same loss written plainly: the head at every position, logits = h · Eᵀ with tf.matMul's transposeB, -100 masked out. */
function referenceLoss(model: BertModel, batch: TensorBatch): tf.Scalar {
  const config = model.config
  const p = (n: string): tf.Tensor => model.params.get(n)!
  const h = bertForward(model, batchInputs(batch), { training: false }).lastHidden.reshape([-1, config.hidden_size]) as tf.Tensor2D
  let x = tf.add(tf.matMul(h, p(MLM_DENSE_WEIGHT) as tf.Tensor2D), p(MLM_DENSE_BIAS))
  x = activation(config.hidden_act)(x)
  x = layerNorm(x, p(MLM_LN_WEIGHT) as tf.Tensor1D, p(MLM_LN_BIAS) as tf.Tensor1D, config.layer_norm_eps)
  const logits = tf.add(tf.matMul(x as tf.Tensor2D, p('embeddings.word_embeddings.weight') as tf.Tensor2D, false, true), p(MLM_BIAS))
  const labels = tf.tensor1d(batch.labels!, 'int32')
  const active = tf.cast(tf.greaterEqual(labels, 0), 'float32')
  const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(tf.maximum(labels, tf.scalar(0, "int32")) as tf.Tensor1D, config.vocab_size), tf.logSoftmax(logits)), -1))
  return tf.div(tf.sum(tf.mul(nll, active)), tf.sum(active)) as tf.Scalar
}

beforeAll(async () => {
  await useWasm()
})

describe('MLM head', () => {
  it('adds its parameters under Hugging Face names, and removes them', () => {
    const params = initBertParams(config, 1)
    const before = tf.memory().numTensors
    initMlmHead(params, config, 1)
    expect(hasMlmHead(params)).toBe(true)
    expect(params.get(MLM_DENSE_WEIGHT)!.shape).toEqual([32, 32])
    expect(params.get(MLM_BIAS)!.shape).toEqual([config.vocab_size])
    expect(Array.from(params.get(MLM_LN_WEIGHT)!.dataSync()).every((v) => v === 1)).toBe(true)
    expect(tf.memory().numTensors).toBe(before + MLM_HEAD_NAMES.length)
    removeMlmHead(params)
    expect(hasMlmHead(params)).toBe(false)
    expect(tf.memory().numTensors).toBe(before)
    disposeParams(params)
  })

  it('gives a loss near ln(vocab) at initialisation', () => {
    const model = tinyModel(3)
    const batch = maskedBatch(1)
    const loss = tf.tidy(() => mlmLoss(model, batch).dataSync()[0]!)
    expect(Math.abs(loss - Math.log(config.vocab_size))).toBeLessThan(0.2)
    disposeParams(model.params)
  })

  it.each([
    ['the fixture shape', config],
    ['a wider shape', wider],
  ])('matches a plain all-positions reference in loss and every gradient, the tied embeddings included (%s)', (_, c) => {
    const model = tinyModel(4, c)
    const batch = maskedBatch(2)
    const names = [...bertParamShapes(c).keys(), ...MLM_HEAD_NAMES]
    const vars = names.map((n) => model.params.get(n)!)
    const ours = mlmLossAndGradients(model, batch, names, { seed: 5 })
    const ref = tf.tidy(() => tf.variableGrads(() => referenceLoss(model, batch), vars))
    expect(Math.abs(ours.loss - ref.value.dataSync()[0]!)).toBeLessThan(1e-4)
    for (let i = 0; i < names.length; i++) {
      const g = ours.grads.get(names[i]!)!
      const r = ref.grads[vars[i]!.name]!
      const scale = Math.max(1e-3, ...Array.from(r.dataSync()).map(Math.abs))
      expect(maxAbsDiff(g.dataSync(), r.dataSync()) / scale, names[i]).toBeLessThan(2e-3)
    }
    // The decoder is tied: rows of tokens absent from the batch still get a gradient (through the output layer only).
    const present = new Set(batch.inputIds)
    const absent = [...Array(c.vocab_size).keys()].find((id) => !present.has(id))!
    const row = tf.tidy(() => ours.grads.get('embeddings.word_embeddings.weight')!.slice([absent, 0], [1, c.hidden_size]).abs().sum().dataSync()[0]!)
    expect(row).toBeGreaterThan(0)
    expect(ours.maskedTokens).toBe(maskedPositions(batch.labels!).positions.length)
    disposeGrads(ours.grads)
    ref.value.dispose()
    Object.values(ref.grads).forEach((g) => g.dispose())
    disposeParams(model.params)
  })

  it('a few AdamW steps on a repeated tiny corpus bring the loss down markedly, without leaking', () => {
    const model = tinyModel(5)
    const names = [...bertParamShapes(config).keys(), ...MLM_HEAD_NAMES]
    const optimizer = new AdamW({ weightDecay: 0.01 })
    const losses: number[] = []
    const start = tf.memory().numTensors
    for (let step = 0; step < 40; step++) {
      const r = mlmLossAndGradients(model, maskedBatch(step % 4), names, { seed: step })
      losses.push(r.loss)
      optimizer.apply(model.params, r.grads, 1e-2)
      disposeGrads(r.grads)
    }
    expect(tf.memory().numTensors).toBe(start + optimizer.tensorCount())
    const first = losses.slice(0, 4).reduce((a, b) => a + b) / 4
    const last = losses.slice(-4).reduce((a, b) => a + b) / 4
    expect(first).toBeGreaterThan(4)
    expect(last).toBeLessThan(first / 2)
    optimizer.dispose()
    disposeParams(model.params)
  })

  it('scores a shortlist of candidates exactly as the full logits restricted to those columns', () => {
    const model = tinyModel(8)
    const batch = maskedBatch(3)
    const { positions, targets } = maskedPositions(batch.labels)
    const present = [...new Set(targets)]
    const candidates = Int32Array.from([...present, 40, 41, 42, 77].filter((v, i, a) => a.indexOf(v) === i))
    const [restricted, manual, full] = tf.tidy(() => {
      const logits = mlmLogitsAt(model, batch, positions)
      const sub = tf.gather(logits, tf.tensor1d(candidates, 'int32'), 1)
      const index = Array.from(targets, (t) => candidates.indexOf(t))
      const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(tf.tensor1d(index, 'int32'), candidates.length), tf.logSoftmax(sub))))
      return [mlmLoss(model, batch, { candidates }).dataSync()[0]!, tf.div(nll, positions.length).dataSync()[0]!, mlmLoss(model, batch).dataSync()[0]!]
    })
    expect(Math.abs(restricted! - manual!)).toBeLessThan(1e-5)
    expect(restricted!).toBeLessThan(full!)
    // Every id as a candidate is the full softmax.
    const all = Int32Array.from({ length: config.vocab_size }, (_, i) => i)
    expect(Math.abs(tf.tidy(() => mlmLoss(model, batch, { candidates: all }).dataSync()[0]!) - full!)).toBeLessThan(1e-5)
    expect(() => tf.tidy(() => mlmLoss(model, batch, { candidates: Int32Array.of(40) }))).toThrow(/not among/)
    disposeParams(model.params)
  })

  it('a batch with nothing masked gives 0 and zero gradients', () => {
    const model = tinyModel(6)
    const batch = { ...maskedBatch(1), labels: new Int32Array(maskedBatch(1).labels.length).fill(-100) }
    const r = mlmLossAndGradients(model, batch, [MLM_BIAS, 'embeddings.word_embeddings.weight'], { seed: 1 })
    expect(r.loss).toBe(0)
    for (const g of r.grads.values()) expect(Math.max(...Array.from(g.dataSync()).map(Math.abs))).toBe(0)
    disposeGrads(r.grads)
    disposeParams(model.params)
  })

  it('converts to and from BertForMaskedLM tensors (dense weight transposed, decoder tied)', () => {
    const model = tinyModel(7)
    const host = readParams(model.params)
    const hf = mlmHeadToHuggingFace(host)
    expect([...hf.keys()].sort()).toEqual([...MLM_HEAD_NAMES].sort())
    const w = host.get(MLM_DENSE_WEIGHT)!
    expect(hf.get(MLM_DENSE_WEIGHT)!.data[1]).toBe(w.data[32]) // [out, in] = [in, out]ᵀ
    expect(mlmHeadToHuggingFace(host, true).get('cls.predictions.decoder.weight')!.data).toBe(host.get('embeddings.word_embeddings.weight')!.data)
    const back = mlmHeadFromHuggingFace(hf, config)!
    for (const name of MLM_HEAD_NAMES) expect(Array.from(back.get(name)!.data)).toEqual(Array.from(host.get(name)!.data))
    hf.delete(MLM_BIAS)
    expect(mlmHeadFromHuggingFace(hf, config)).toBeUndefined()
    disposeParams(model.params)
  })
})
