/**
 * Trains a BERT token classifier from scratch on a real dataset and prints dev entity F1
 * (seqeval, default mode) and the wall time.
 *
 *   npm run bench:ner -- --data ../shared/data/resume-ner --hidden 128 --layers 2 --epochs 3
 *
 * Options: --vocab FILE (default: bert-base-chinese's for Chinese data, else bert-base-cased's),
 * --heads N (default hidden/64, at least 2), --seq N (128), --batch N (32), --lr X (1e-3),
 * --max-train N (the first N training sentences), --seed N, --backend wasm|cpu|auto,
 * --pretrained DIR (start from a model folder instead of scratch).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { initBackend, type BackendPreference } from '../src-main/engine/backend'
import { buildTagSet } from '../src-main/engine/data'
import { trainTokenClassifier } from '../src-main/engine/train/loop'
import { loadStartingModel } from '../src-main/trainer/model-source'
import { RunConfig } from '../src-shared/domain/run-config'
import { formatReport } from '../src-shared/domain/ner-eval'
import { loadNerBenchData } from './lib/ner-data'

const { values: v } = parseArgs({
  options: {
    data: { type: 'string', default: resolve(import.meta.dirname, '../../shared/data/resume-ner') },
    vocab: { type: 'string' },
    hidden: { type: 'string', default: '128' },
    layers: { type: 'string', default: '2' },
    heads: { type: 'string' },
    epochs: { type: 'string', default: '3' },
    seq: { type: 'string', default: '128' },
    batch: { type: 'string', default: '32' },
    lr: { type: 'string', default: '1e-3' },
    'max-train': { type: 'string' },
    seed: { type: 'string', default: '42' },
    backend: { type: 'string', default: 'auto' },
    pretrained: { type: 'string' },
  },
})

const backend = await initBackend(v.backend as BackendPreference)
const data = await loadNerBenchData(v.data!, { maxTrain: v['max-train'] ? Number(v['max-train']) : undefined, vocab: v.vocab })
const { dir, types, chinese, vocab } = data
const trainDocs = data.train
const hidden = Number(v.hidden)
const heads = v.heads ? Number(v.heads) : Math.max(2, Math.round(hidden / 64))
const config = RunConfig.parse({
  model: v.pretrained
    ? resolve(v.pretrained)
    : { scratch: { vocab, hiddenSize: hidden, numLayers: Number(v.layers), numHeads: heads, maxPositions: Math.max(512, Number(v.seq)), lowercase: chinese } },
  epochs: Number(v.epochs),
  batchSize: Number(v.batch),
  learningRate: Number(v.lr),
  warmupRatio: 0.1,
  maxLength: Number(v.seq),
  seed: Number(v.seed),
  evalEvery: 'epoch',
  evalBatchSize: 64,
})
const tagSet = buildTagSet(types, config.scheme)
const starting = loadStartingModel(config.model!, [...tagSet.tags], config.seed)
const out = mkdtempSync(join(tmpdir(), 'tagtune-bench-ner-'))
console.log(`${dir}: ${trainDocs.length} training and ${data.dev.length} dev sentences, ${types.length} entity types (${types.join(', ')})`)
console.log(`model: ${starting.description}; backend ${backend.label}${backend.threads ? `, ${backend.threads} thread(s)` : ''}`)

const started = performance.now()
let peakRss = 0
let lastLine = 0
const result = await trainTokenClassifier({
  model: starting.model,
  tokenizer: starting.tokenizer,
  tagSet,
  train: trainDocs,
  dev: data.dev,
  config,
  outDir: out,
  callbacks: {
    onStep: (p) => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss)
      if (performance.now() - lastLine > 5000 || p.step === p.totalSteps) {
        lastLine = performance.now()
        process.stderr.write(`\rstep ${p.step}/${p.totalSteps}  loss ${p.loss.toFixed(4)}  ${Math.round(p.tokensPerSecond)} tok/s  ETA ${Math.round(p.etaMs / 1000)} s   `)
      }
    },
    onEval: (e) => void process.stderr.write(`\nepoch ${e.epoch.toFixed(1)}: dev F1 ${(e.evaluation.f1 * 100).toFixed(2)}${e.isBest ? ' (best)' : ''}\n`),
  },
})
const seconds = (performance.now() - started) / 1000
rmSync(out, { recursive: true, force: true })
if (result.bestEvaluation) console.log(`\nBest dev report (step ${result.bestStep}):\n${formatReport(result.bestEvaluation)}`)
console.log(`dev entity F1 ${((result.bestMetric ?? 0) * 100).toFixed(2)} after ${result.steps} steps in ${seconds.toFixed(0)} s`)
console.log(
  JSON.stringify({
    data: dir,
    trainSentences: trainDocs.length,
    devSentences: data.dev.length,
    model: starting.description,
    params: result.totalParams,
    epochs: config.epochs,
    steps: result.steps,
    backend: backend.name,
    threads: backend.threads ?? null,
    devF1: result.bestMetric,
    bestStep: result.bestStep,
    wallSeconds: Number(seconds.toFixed(1)),
    peakRssMB: Math.round(peakRss / 2 ** 20),
  }),
)
