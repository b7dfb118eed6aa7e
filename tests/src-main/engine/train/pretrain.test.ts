import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { RunConfig } from '../../../../src-shared/domain/run-config'
import { buildTagSet } from '../../../../src-main/engine/data'
import { CLASSIFIER_WEIGHT } from '../../../../src-main/engine/heads/token-classification'
import { hasMlmHead, initMlmHead, MLM_BIAS, MLM_DENSE_WEIGHT, MLM_HEAD_NAMES, removeMlmHead } from '../../../../src-main/engine/heads/mlm'
import { bertParamShapes, disposeParams, type BertModel } from '../../../../src-main/engine/model/bert'
import { parseBertConfig } from '../../../../src-main/engine/model/bert-config'
import { createTokenClassifier, loadTokenClassifier, readConfig, readParams } from '../../../../src-main/engine/model/io'
import { parseSafetensors } from '../../../../src-main/engine/model/safetensors'
import { loadBertTokenizer } from '../../../../src-main/engine/tokenizer'
import { trainTokenClassifier, TrainingError } from '../../../../src-main/engine/train/loop'
import { evaluateMlm, loadMlmHead, pretrainMlm, type PretrainConfig } from '../../../../src-main/engine/train/pretrain'
import { useWasm } from '../../../helpers/tf'
import { useTempDirs } from '../../../helpers/temp-dir'
import { TINY_BERT, tinyTokenizer, toyDocuments } from '../../../helpers/toy-ner'

const tempDir = useTempDirs()
const tagSet = buildTagSet(['PER', 'LOC'], 'iob2')
const texts = toyDocuments(48, 1, 't').map((d) => d.text)
const heldOut = toyDocuments(24, 2, 'h').map((d) => d.text)
const tok = tinyTokenizer()

const pretrainConfig = (over: Partial<PretrainConfig> = {}): PretrainConfig => ({
  epochs: 1,
  maxSteps: 30,
  batchSize: 8,
  learningRate: 5e-3,
  warmupRatio: 0.1,
  weightDecay: 0.01,
  maxLength: 32,
  seed: 7,
  wholeWordMasking: true,
  maskProbability: 0.15,
  dropout: 0,
  ...over,
})

function scratchModel(seed = 3) {
  const bert = parseBertConfig(JSON.parse(JSON.stringify(readConfig(TINY_BERT))))
  return createTokenClassifier(bert, tagSet.tags as string[], seed)
}

beforeAll(async () => {
  await useWasm()
})

describe('pretrainMlm', () => {
  it('lowers the held-out MLM loss, leaves the classifier alone, and leaks nothing', async () => {
    const start = tf.memory().numTensors
    const model = scratchModel()
    initMlmHead(model.params, model.config, 1)
    const evalConfig = { maxLength: 32, seed: 99, wholeWordMasking: false, maskProbability: 0.15 }
    const before = evaluateMlm(model, tok, heldOut, evalConfig)
    const classifier = Array.from(model.params.get(CLASSIFIER_WEIGHT)!.dataSync())
    const steps: number[] = []
    const result = await pretrainMlm({ model, tokenizer: tok, texts, config: pretrainConfig({ maxSteps: 40 }), callbacks: { onStep: (p) => void steps.push(p.loss) } })
    expect(result.status).toBe('completed')
    expect(result.steps).toBe(40)
    expect(result.losses).toEqual(steps)
    expect(result.finalLoss).toBe(steps.at(-1))
    expect(result.outDir).toBeUndefined()
    const after = evaluateMlm(model, tok, heldOut, evalConfig)
    expect(before.loss).toBeGreaterThan(4.4) // ~ln(128) = 4.85
    expect(after.loss).toBeLessThan(before.loss - 1)
    expect(after.maskedTokens).toBe(before.maskedTokens)
    expect(Array.from(model.params.get(CLASSIFIER_WEIGHT)!.dataSync())).toEqual(classifier)
    disposeParams(model.params)
    expect(tf.memory().numTensors).toBe(start)
  })

  it('runs for epochs, masking afresh each epoch; the same seed repeats exactly', async () => {
    const run = async (seed: number): Promise<number[]> => {
      const model = scratchModel()
      const r = await pretrainMlm({ model, tokenizer: tok, texts: texts.slice(0, 16), config: pretrainConfig({ maxSteps: 0, epochs: 3, seed }) })
      expect(r.steps).toBe(6) // 16 texts, batches of 8, 3 epochs
      disposeParams(model.params)
      return r.losses
    }
    const a = await run(1)
    expect(await run(1)).toEqual(a)
    expect(await run(2)).not.toEqual(a)
  })

  it('saves a BertForMaskedLM folder that loads for fine-tuning with the pretrained encoder', async () => {
    const start = tf.memory().numTensors
    const dir = join(tempDir(), 'pretrained')
    const model = scratchModel()
    const logs: string[] = []
    const result = await pretrainMlm({ model, tokenizer: tok, texts, config: pretrainConfig({ maxSteps: 5 }), outDir: dir, callbacks: { onLog: (_, m) => void logs.push(m) } })
    expect(result.outDir).toBe(dir)
    expect(logs.some((l) => l.includes('New MLM head'))).toBe(true)
    for (const f of ['config.json', 'model.safetensors', 'vocab.txt', 'tokenizer_config.json']) expect(existsSync(join(dir, f)), f).toBe(true)
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))
    expect(config.architectures).toEqual(['BertForMaskedLM'])
    expect(config.id2label).toBeUndefined()
    expect(config.hidden_dropout_prob).toBe(0.1) // the pretraining dropout override is not saved
    const tensors = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))), 'model.safetensors')
    const names = [...tensors.keys()]
    expect(names.filter((n) => n.startsWith('cls.')).sort()).toEqual([...MLM_HEAD_NAMES].sort())
    expect(names.some((n) => n.startsWith('classifier.'))).toBe(false)
    expect(names.filter((n) => !n.startsWith('cls.')).every((n) => n.startsWith('bert.'))).toBe(true)
    expect(tensors.get('bert.encoder.layer.0.attention.self.query.weight')!.shape).toEqual([32, 32])
    // The dense weight goes back to PyTorch's [out, in].
    const dense = model.params.get(MLM_DENSE_WEIGHT)!.dataSync()
    expect(tensors.get(MLM_DENSE_WEIGHT)!.data[1]).toBe(dense[32])

    // Loads as a token classifier (head ignored, a new classifier) with the pretrained encoder exactly.
    const loaded = loadTokenClassifier(dir, { labels: [...tagSet.tags], seed: 1 })
    expect(loaded.headLoaded).toBe(false)
    const encoder = [...bertParamShapes(model.config).keys()]
    const ours = readParams(model.params, encoder)
    const theirs = readParams(loaded.model.params, encoder)
    for (const name of encoder) expect(Array.from(theirs.get(name)!.data), name).toEqual(Array.from(ours.get(name)!.data))
    expect(hasMlmHead(loaded.model.params)).toBe(false)
    expect(loadBertTokenizer(dir).tokenizer.vocab.size).toBe(tok.vocab.size)

    // The MLM head can be read back for continued pretraining.
    const again: BertModel = { config: loaded.model.config, params: loaded.model.params }
    expect(loadMlmHead(dir, again)).toBe(true)
    expect(Array.from(again.params.get(MLM_DENSE_WEIGHT)!.dataSync())).toEqual(Array.from(dense))
    expect(loadMlmHead(TINY_BERT, again)).toBe(false)
    removeMlmHead(again.params)

    // And fine-tunes.
    const train = await trainTokenClassifier({
      model: loaded.model,
      tokenizer: tok,
      tagSet,
      train: toyDocuments(16, 3, 'f'),
      dev: toyDocuments(8, 4, 'v'),
      config: RunConfig.parse({ batchSize: 8, learningRate: 3e-3, maxSteps: 4, maxLength: 32, seed: 1, dropout: 0, evalEvery: 'epoch' }),
    })
    expect(train.steps).toBe(4)
    expect(train.lastEvaluation).not.toBeNull()
    disposeParams(loaded.model.params)
    disposeParams(model.params)
    expect(tf.memory().numTensors).toBe(start)
  })

  it("with outputVocabulary 'corpus' trains over the corpus's tokens and lowers the others' bias", async () => {
    const model = scratchModel()
    const r = await pretrainMlm({ model, tokenizer: tok, texts, config: pretrainConfig({ maxSteps: 40, outputVocabulary: 'corpus', wholeWordMasking: false }) })
    const first = r.losses.slice(0, 4).reduce((a, b) => a + b) / 4
    const last = r.losses.slice(-4).reduce((a, b) => a + b) / 4
    expect(first).toBeLessThan(Math.log(tok.vocab.size)) // a softmax over fewer tokens
    expect(last).toBeLessThan(first - 0.5)
    const seen = new Set(texts.flatMap((t) => tok.encode(t).ids))
    const bias = Array.from(model.params.get(MLM_BIAS)!.dataSync())
    const seenBias = bias.filter((_, i) => seen.has(i))
    const unseen = bias.filter((_, i) => !seen.has(i))
    expect(new Set(unseen).size).toBe(1)
    expect(unseen[0]).toBeCloseTo(Math.min(...seenBias) - Math.log(tok.vocab.size), 4)
    // The full-vocabulary loss is still low: the unseen tokens take little probability.
    const full = evaluateMlm(model, tok, heldOut, { maxLength: 32, seed: 99, wholeWordMasking: false })
    expect(full.loss).toBeLessThan(Math.log(tok.vocab.size) - 1)
    disposeParams(model.params)
  })

  it('stops when asked, and on a non-finite loss', async () => {
    const model = scratchModel()
    let steps = 0
    const r = await pretrainMlm({ model, tokenizer: tok, texts, config: pretrainConfig(), callbacks: { onStep: () => void steps++, shouldStop: () => steps >= 3 } })
    expect(r.status).toBe('cancelled')
    expect(r.steps).toBe(3)
    const start = tf.memory().numTensors
    const bad = pretrainMlm({ model, tokenizer: tok, texts, config: pretrainConfig({ learningRate: Number.NaN, warmupRatio: 0 }) })
    await expect(bad).rejects.toThrow(TrainingError)
    await expect(bad).rejects.toThrow(/step 2/)
    // The optimizer's moments are released even when the run fails.
    expect(tf.memory().numTensors).toBe(start)
    disposeParams(model.params)
  })

  it('refuses sequences longer than the model and an empty corpus', async () => {
    const model = scratchModel()
    await expect(pretrainMlm({ model, tokenizer: tok, texts, config: pretrainConfig({ maxLength: 128 }) })).rejects.toThrow(/positions/)
    await expect(pretrainMlm({ model, tokenizer: tok, texts: ['', ' '], config: pretrainConfig() })).rejects.toThrow(/no text/)
    disposeParams(model.params)
  })
})
