import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { RunConfig, type RunConfigInput } from '../../../../src-shared/domain/run-config'
import { buildTagSet, type NerDocument } from '../../../../src-main/engine/data'
import { createTokenClassifier, loadTokenClassifier, readConfig } from '../../../../src-main/engine/model/io'
import { trainTokenClassifier, TrainingError, type StepProgress } from '../../../../src-main/engine/train/loop'
import { hasResumeState, readResumeState } from '../../../../src-main/engine/train/checkpoint'
import { predictDocuments } from '../../../../src-main/engine/infer/predict'
import { CLASSIFIER_BIAS } from '../../../../src-main/engine/heads/token-classification'
import { parseBertConfig } from '../../../../src-main/engine/model/bert-config'
import { useWasm } from '../../../helpers/tf'
import { useTempDirs } from '../../../helpers/temp-dir'
import { TINY_BERT, tinyTokenizer, toyDocuments } from '../../../helpers/toy-ner'

const tempDir = useTempDirs()
const tagSet = buildTagSet(['PER', 'LOC'], 'iob2')
const train = toyDocuments(64, 1, 't')
const dev = toyDocuments(16, 2, 'v')

const config = (over: RunConfigInput = {}): RunConfig =>
  RunConfig.parse({ batchSize: 8, learningRate: 3e-3, warmupRatio: 0.1, epochs: 3, maxLength: 32, seed: 7, dropout: 0, evalEvery: 'epoch', ...over })

/** A from-scratch model of the fixture's shape (the toy task is learnable from nothing). */
function scratchModel(seed = 3) {
  const bert = parseBertConfig(JSON.parse(JSON.stringify(readConfig(TINY_BERT))))
  return createTokenClassifier(bert, tagSet.tags as string[], seed)
}

beforeAll(async () => {
  await useWasm()
})

describe('trainTokenClassifier', () => {
  it('learns the toy task: the loss falls and dev entity F1 rises to near 1', async () => {
    const model = scratchModel()
    const steps: StepProgress[] = []
    const evals: number[] = []
    const result = await trainTokenClassifier({
      model,
      tokenizer: tinyTokenizer(),
      tagSet,
      train,
      dev,
      config: config({ epochs: 8 }),
      callbacks: { onStep: (s) => void steps.push(s), onEval: (e) => void evals.push(e.evaluation.f1) },
    })
    expect(result.status).toBe('completed')
    expect(result.steps).toBe(8 * 8)
    expect(evals).toHaveLength(8)
    const first = steps.slice(0, 4).reduce((a, s) => a + s.loss, 0) / 4
    const last = steps.slice(-4).reduce((a, s) => a + s.loss, 0) / 4
    expect(last).toBeLessThan(first / 4)
    expect(result.bestMetric!).toBeGreaterThan(0.9)
    expect(result.bestEvaluation!.report.perType.map((t) => t.type).sort()).toEqual(['LOC', 'PER'])
    // Warmup starts from 0 and the linear schedule ends near 0.
    expect(steps[0]!.learningRate).toBe(0)
    expect(steps.at(-1)!.learningRate).toBeLessThan(1e-4)
    expect(steps.every((s) => s.tokensPerSecond > 0 && s.etaMs >= 0)).toBe(true)
    // The trained model predicts spans with confidences on raw text.
    const [p] = predictDocuments(model, tinyTokenizer(), tagSet, [{ id: 'x', text: 'mary visited london yesterday', spans: [] }], { maxLength: 32, batchSize: 4, labelAllSubtokens: false })
    expect(p!.spans.map((s) => [s.label, s.start, s.end])).toEqual([['PER', 0, 4], ['LOC', 13, 19]])
    expect(p!.spans.every((s) => s.confidence > 0.5 && s.confidence <= 1)).toBe(true)
  })

  it('is repeatable: the same seed gives the same losses, another seed does not', async () => {
    const losses = async (seed: number): Promise<number[]> => {
      const out: number[] = []
      await trainTokenClassifier({ model: scratchModel(), tokenizer: tinyTokenizer(), tagSet, train, dev: [], config: config({ maxSteps: 5, seed, dropout: 0.1 }), callbacks: { onStep: (s) => void out.push(s.loss) } })
      return out
    }
    const a = await losses(11)
    expect(await losses(11)).toEqual(a)
    expect(await losses(12)).not.toEqual(a)
  })

  it('does not leak tensors across steps', async () => {
    const model = scratchModel()
    const counts: number[] = []
    const before = tf.memory().numTensors
    await trainTokenClassifier({
      model, tokenizer: tinyTokenizer(), tagSet, train, dev, config: config({ maxSteps: 12, evalEvery: 4 }), outDir: tempDir(),
      callbacks: { onStep: () => void counts.push(tf.memory().numTensors) },
    })
    // After the first step creates the Adam moments, the count stays flat...
    expect(new Set(counts.slice(1)).size).toBe(1)
    // ...and once the run is over (evaluations and checkpoints included) only the model is left.
    expect(tf.memory().numTensors).toBe(before)
  })

  it('stops with an error naming the step when the loss is not finite', async () => {
    const model = scratchModel()
    tf.tidy(() => model.params.get(CLASSIFIER_BIAS)!.assign(tf.fill([tagSet.tags.length], NaN)))
    const run = trainTokenClassifier({ model, tokenizer: tinyTokenizer(), tagSet, train, dev, config: config() })
    await expect(run).rejects.toThrow(TrainingError)
    await expect(trainTokenClassifier({ model, tokenizer: tinyTokenizer(), tagSet, train, dev, config: config() })).rejects.toThrow(/loss became NaN at step 1/)
  })

  it('can be cancelled between steps and keeps its last checkpoint', async () => {
    const dir = tempDir()
    let n = 0
    const result = await trainTokenClassifier({
      model: scratchModel(), tokenizer: tinyTokenizer(), tagSet, train, dev, config: config(), outDir: dir,
      callbacks: { onStep: () => void n++, shouldStop: () => n >= 3 },
    })
    expect(result.status).toBe('cancelled')
    expect(result.steps).toBe(3)
    expect(hasResumeState(join(dir, 'last'))).toBe(true)
    expect(readResumeState(join(dir, 'last')).state.step).toBe(3)
  })

  it('stops early when dev F1 stops improving', async () => {
    // A learning rate of ~0 never improves on the first evaluation.
    const result = await trainTokenClassifier({
      model: scratchModel(), tokenizer: tinyTokenizer(), tagSet, train, dev,
      config: config({ learningRate: 1e-12, epochs: 20, evalEvery: 2, earlyStopping: { patience: 2 } }),
    })
    expect(result.status).toBe('early-stopped')
    expect(result.steps).toBe(6)
    expect(result.bestStep).toBe(2)
  })

  it('resumes from the last checkpoint to the same weights as an uninterrupted run', async () => {
    const cfg = config({ maxSteps: 6, evalEvery: 3, epochs: 1 })
    const straight = scratchModel()
    await trainTokenClassifier({ model: straight, tokenizer: tinyTokenizer(), tagSet, train, dev, config: cfg })

    const dir = tempDir()
    let n = 0
    await trainTokenClassifier({ model: scratchModel(), tokenizer: tinyTokenizer(), tagSet, train, dev, config: cfg, outDir: dir, callbacks: { onStep: () => void n++, shouldStop: () => n >= 4 } })
    const last = join(dir, 'last')
    const resumed = loadTokenClassifier(last).model
    const result = await trainTokenClassifier({ model: resumed, tokenizer: tinyTokenizer(), tagSet, train, dev, config: cfg, outDir: dir, resume: readResumeState(last) })
    expect(result.steps).toBe(6)
    for (const [name, v] of straight.params) {
      const a = v.dataSync()
      const b = resumed.params.get(name)!.dataSync()
      let diff = 0
      for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!))
      expect(diff, name).toBeLessThan(1e-6)
    }
  })

  it('saves best and last as Hugging Face folders that load back with the same predictions', async () => {
    const dir = tempDir()
    const model = scratchModel()
    const result = await trainTokenClassifier({ model, tokenizer: tinyTokenizer(), tagSet, train, dev, config: config({ epochs: 2 }), outDir: dir })
    expect(result.bestDir).toBe(join(dir, 'best'))
    for (const f of ['config.json', 'model.safetensors', 'vocab.txt', 'tokenizer_config.json']) expect(existsSync(join(dir, 'best', f)), f).toBe(true)
    const saved = readConfig(join(dir, 'best'))
    expect(saved.architectures).toEqual(['BertForTokenClassification'])
    expect(saved.id2label).toEqual({ 0: 'O', 1: 'B-PER', 2: 'I-PER', 3: 'B-LOC', 4: 'I-LOC' })
    const last = loadTokenClassifier(join(dir, 'last'))
    expect(last.headLoaded).toBe(true)
    const docs = toyDocuments(8, 99, 'p')
    const opts = { maxLength: 32, batchSize: 4, labelAllSubtokens: false }
    expect(predictDocuments(last.model, tinyTokenizer(), tagSet, docs, opts)).toEqual(predictDocuments(model, tinyTokenizer(), tagSet, docs, opts))
  })
})

describe('training options', () => {
  const sameShape = (n: number): NerDocument[] =>
    Array.from({ length: n }, (_, i) => {
      const name = ['john', 'mary', 'anna'][i % 3]!
      const place = ['paris', 'london', 'berlin', 'china'][i % 4]!
      return { id: `s${i}`, text: `${name} lives in ${place}`, spans: [{ start: 0, end: name.length, label: 'PER' }, { start: name.length + 10, end: name.length + 10 + place.length, label: 'LOC' }] }
    })

  it('gradient accumulation gives the same update as one large batch', async () => {
    const docs = sameShape(16)
    const big = scratchModel()
    const small = scratchModel()
    const base = { maxSteps: 1, bucketByLength: false, warmupRatio: 0, learningRate: 1e-2 }
    await trainTokenClassifier({ model: big, tokenizer: tinyTokenizer(), tagSet, train: docs, dev: [], config: config({ ...base, batchSize: 16 }) })
    await trainTokenClassifier({ model: small, tokenizer: tinyTokenizer(), tagSet, train: docs, dev: [], config: config({ ...base, batchSize: 8, gradientAccumulation: 2 }) })
    for (const [name, v] of big.params) {
      const a = v.dataSync()
      const b = small.params.get(name)!.dataSync()
      let diff = 0
      for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!))
      expect(diff, name).toBeLessThan(2e-6)
    }
  })

  it('augments the training data afresh each epoch, repeatably', async () => {
    const logs: string[] = []
    const losses = async (): Promise<number[]> => {
      const out: number[] = []
      await trainTokenClassifier({
        model: scratchModel(), tokenizer: tinyTokenizer(), tagSet, train, dev: [],
        config: config({ epochs: 2, augmentation: { mentionReplacement: 0.5, shuffleWithinSegments: 0.3, copies: 1 } }),
        callbacks: { onStep: (s) => void out.push(s.loss), onLog: (_l, m) => void logs.push(m) },
      })
      return out
    }
    const a = await losses()
    expect(a).toHaveLength(2 * 16)
    expect(await losses()).toEqual(a)
    expect(logs.some((m) => /Augmentation: 128 windows per epoch \(64 original\)/.test(m))).toBe(true)
  })

  it('trains with FGM and PGD adversarial steps and still learns the task', async () => {
    for (const adversarial of [{ method: 'fgm' as const, epsilon: 0.5 }, { method: 'pgd' as const, epsilon: 0.5, steps: 2 }]) {
      const result = await trainTokenClassifier({ model: scratchModel(), tokenizer: tinyTokenizer(), tagSet, train, dev, config: config({ epochs: 6, adversarial }) })
      expect(result.bestMetric!, adversarial.method).toBeGreaterThan(0.8)
    }
  })

  it('weights rare tags more with balanced class weights', async () => {
    const logs: string[] = []
    await trainTokenClassifier({ model: scratchModel(), tokenizer: tinyTokenizer(), tagSet, train, dev: [], config: config({ maxSteps: 2, classWeights: 'balanced' }), callbacks: { onLog: (_l, m) => void logs.push(m) } })
    const line = logs.find((m) => m.startsWith('Class weights:'))!
    const weight = (tag: string): number => Number(new RegExp(`${tag} (\\d+\\.\\d+)`).exec(line)![1])
    expect(weight('O')).toBeLessThan(weight('B-PER'))
    expect(weight('I-PER')).toBeGreaterThan(weight('B-PER'))
    await expect(trainTokenClassifier({ model: scratchModel(), tokenizer: tinyTokenizer(), tagSet, train, dev: [], config: config({ maxSteps: 1, classWeights: { ORG: 2 } }) })).rejects.toThrow(/ORG.*not an entity type/)
  })
})

describe('CRF head', () => {
  it('learns the task, never predicts an invalid sequence, and saves and loads with its transitions', async () => {
    const dir = tempDir()
    const model = scratchModel()
    const result = await trainTokenClassifier({ model, tokenizer: tinyTokenizer(), tagSet, train, dev, config: config({ epochs: 8, head: 'crf' }), outDir: dir })
    expect(result.bestMetric!).toBeGreaterThan(0.8)
    expect(model.params.has('crf.transitions')).toBe(true)
    const docs = toyDocuments(20, 123, 'c')
    const opts = { maxLength: 32, batchSize: 8, labelAllSubtokens: false }
    const predictions = predictDocuments(model, tinyTokenizer(), tagSet, docs, opts)
    for (const p of predictions) {
      p.wordTags.forEach((tag, i) => {
        if (!tag.startsWith('I-')) return
        const prev = p.wordTags[i - 1]
        expect(prev && prev !== 'O' && prev.slice(2) === tag.slice(2), `${p.wordTags.join(' ')}`).toBe(true)
      })
    }
    const loaded = loadTokenClassifier(join(dir, 'last'))
    expect(loaded.model.crf).toBeDefined()
    expect(predictDocuments(loaded.model, tinyTokenizer(), tagSet, docs, opts)).toEqual(predictions)
  })
})
