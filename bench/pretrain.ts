/**
 * Does domain-adaptive MLM pretraining help? On a real dataset of ../shared/data, the same small
 * model (same random initialisation) is
 *   (a) pretrained with masked-language modelling on unlabeled text for --pretrain-steps steps,
 *       saved as a BertForMaskedLM folder, loaded back and fine-tuned;
 *   (b) fine-tuned from scratch;
 * both with the same fine-tuning budget (epochs, batch, learning rate, seed). Prints both dev
 * entity F1s (seqeval, default mode: best epoch and last epoch) and wall times, then one JSON line.
 *
 *   npx tsx bench/pretrain.ts --pretrain-steps 800 --finetune-epochs 3          (~11 min here)
 *   npx tsx bench/pretrain.ts --pretrain-steps 1000 --max-train 500 --finetune-epochs 10
 *
 * The unlabeled text is the text of the whole training file (its labels are not used), so with
 * --max-train the fine-tuning set is a labelled subset of a larger unlabeled corpus, the
 * situation pretraining is for; dev text is never pretrained on. --cluener adds CLUENER 2020's
 * training texts (news, a different domain).
 *
 * Options: --data DIR (resume-ner), --vocab FILE, --hidden N (128), --layers N (2), --heads N,
 * --seq N (fine-tuning maxLength, 128), --batch N (32), --lr X (fine-tuning, 1e-3),
 * --finetune-epochs N (3), --scratch-epochs N (the baseline's epochs, default the same: more
 * gives it the compute that pretraining took), --max-train N, --pretrain-steps N (1000), --pretrain-batch N (32),
 * --pretrain-lr X (1e-3), --pretrain-seq N (64), --whole-word (whole-word masking with words
 * found in the corpus, see data/mlm.ts), --mask-prob X (0.15), --cluener, --no-pack (one
 * sentence per sequence instead of packing consecutive ones), --output-vocab corpus|all (the
 * MLM softmax over the corpus's tokens, ~2x faster steps, or over the whole vocabulary; see
 * PretrainConfig.outputVocabulary), --only pretrained|scratch, --save-pretrained DIR (keep the
 * pretrained folder), --use-pretrained DIR (skip pretraining, fine-tune that folder), --seed N
 * (42), --backend wasm|cpu|auto.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { initBackend, type BackendPreference } from '../src-main/engine/backend'
import { buildTagSet, type NerDocument, type TagSet } from '../src-main/engine/data'
import { dictionarySegmenter, discoverChineseWords } from '../src-main/engine/data/mlm'
import { initMlmHead } from '../src-main/engine/heads/mlm'
import { disposeParams } from '../src-main/engine/model/bert'
import { trainTokenClassifier } from '../src-main/engine/train/loop'
import { evaluateMlm, pretrainMlm } from '../src-main/engine/train/pretrain'
import { loadStartingModel } from '../src-main/trainer/model-source'
import { RunConfig, type ModelSource } from '../src-shared/domain/run-config'
import { loadNerBenchData } from './lib/ner-data'

const { values: v } = parseArgs({
  options: {
    data: { type: 'string', default: resolve(import.meta.dirname, '../../shared/data/resume-ner') },
    vocab: { type: 'string' },
    hidden: { type: 'string', default: '128' },
    layers: { type: 'string', default: '2' },
    heads: { type: 'string' },
    seq: { type: 'string', default: '128' },
    batch: { type: 'string', default: '32' },
    lr: { type: 'string', default: '1e-3' },
    'finetune-epochs': { type: 'string', default: '3' },
    'scratch-epochs': { type: 'string' },
    'max-train': { type: 'string' },
    'pretrain-steps': { type: 'string', default: '1000' },
    'pretrain-batch': { type: 'string', default: '32' },
    'pretrain-lr': { type: 'string', default: '1e-3' },
    'pretrain-seq': { type: 'string', default: '64' },
    'mask-prob': { type: 'string', default: '0.15' },
    'whole-word': { type: 'boolean', default: false },
    cluener: { type: 'boolean', default: false },
    'no-pack': { type: 'boolean', default: false },
    'output-vocab': { type: 'string', default: 'corpus' },
    'save-pretrained': { type: 'string' },
    'use-pretrained': { type: 'string' },
    only: { type: 'string' },
    seed: { type: 'string', default: '42' },
    backend: { type: 'string', default: 'auto' },
  },
})

const backend = await initBackend(v.backend as BackendPreference)
const data = await loadNerBenchData(v.data!, { maxTrain: v['max-train'] ? Number(v['max-train']) : undefined, vocab: v.vocab })
const { dir, types, chinese, vocab } = data
const trainDocs = data.train
const hidden = Number(v.hidden)
const layers = Number(v.layers)
const heads = v.heads ? Number(v.heads) : Math.max(2, Math.round(hidden / 64))
const seed = Number(v.seed)
const seq = Number(v.seq)
const pretrainSeq = Number(v['pretrain-seq'])
const scratch: ModelSource = { scratch: { vocab, hiddenSize: hidden, numLayers: layers, numHeads: heads, maxPositions: Math.max(512, seq, pretrainSeq), lowercase: chinese } }

// Unlabeled text: the whole training file (labels unused), plus CLUENER's texts when asked.
const texts = data.allTrain.map((d) => d.text)
if (v.cluener) {
  const path = resolve(import.meta.dirname, '../../shared/data/cluener2020/train.json')
  for (const line of readFileSync(path, 'utf8').split('\n')) if (line.trim()) texts.push((JSON.parse(line) as { text: string }).text)
}
const unlabeledChars = texts.reduce((a, t) => a + t.length, 0)

const fineTuneConfig = RunConfig.parse({
  model: scratch,
  epochs: Number(v['finetune-epochs']),
  batchSize: Number(v.batch),
  learningRate: Number(v.lr),
  warmupRatio: 0.1,
  maxLength: seq,
  seed,
  evalEvery: 'epoch',
  evalBatchSize: 64,
})
const tagSet: TagSet = buildTagSet(types, fineTuneConfig.scheme)

console.log(`${dir}: ${trainDocs.length} training and ${data.dev.length} dev sentences, ${types.length} entity types; unlabeled text: ${texts.length} texts, ${unlabeledChars.toLocaleString('en-US')} characters${v.cluener ? ' (train + CLUENER)' : ' (the training file)'}`)
console.log(`model: hidden ${hidden}, ${layers} layers, ${heads} heads, vocabulary ${vocab}; backend ${backend.label}${backend.threads ? `, ${backend.threads} thread(s)` : ''}`)

let lastLine = 0
const progress = (line: string, force = false): void => {
  if (force || performance.now() - lastLine > 5000) {
    lastLine = performance.now()
    process.stderr.write(`\r${line}   `)
  }
}

interface FineTuneOutcome {
  bestF1: number
  lastF1: number
  bestEpoch: number
  f1ByEpoch: number[]
  seconds: number
  steps: number
}

async function fineTune(source: ModelSource, label: string, docs: readonly NerDocument[], epochs = fineTuneConfig.epochs): Promise<FineTuneOutcome> {
  const starting = loadStartingModel(source, [...tagSet.tags], seed)
  const f1ByEpoch: number[] = []
  const started = performance.now()
  const result = await trainTokenClassifier({
    model: starting.model,
    tokenizer: starting.tokenizer,
    tagSet,
    train: docs,
    dev: data.dev,
    config: { ...fineTuneConfig, model: source, epochs },
    callbacks: {
      onStep: (p) => progress(`[${label}] fine-tune step ${p.step}/${p.totalSteps}  loss ${p.loss.toFixed(4)}  ${Math.round(p.tokensPerSecond)} tok/s  ETA ${Math.round(p.etaMs / 1000)} s`),
      onEval: (e) => {
        f1ByEpoch.push(e.evaluation.f1)
        process.stderr.write(`\n[${label}] epoch ${e.epoch.toFixed(1)}: dev F1 ${(e.evaluation.f1 * 100).toFixed(2)}${e.isBest ? ' (best)' : ''}\n`)
      },
    },
  })
  const seconds = (performance.now() - started) / 1000
  disposeParams(starting.model.params)
  const best = Math.max(...f1ByEpoch)
  return { bestF1: best, lastF1: f1ByEpoch.at(-1) ?? 0, bestEpoch: f1ByEpoch.indexOf(best) + 1, f1ByEpoch, seconds, steps: result.steps }
}

const pct = (x: number): string => (x * 100).toFixed(2)
const only = v.only

// (a) pretrain, save, load back, fine-tune.
let pretrained: { seconds: number; steps: number; firstLoss: number; finalLoss: number; devMlmBefore: number; devMlmAfter: number; words: number; finetune: FineTuneOutcome } | undefined
if (only !== 'scratch' && v['use-pretrained']) {
  const finetune = await fineTune(resolve(v['use-pretrained']), 'pretrained', trainDocs)
  pretrained = { seconds: NaN, steps: NaN, firstLoss: NaN, finalLoss: NaN, devMlmBefore: NaN, devMlmAfter: NaN, words: NaN, finetune }
} else if (only !== 'scratch') {
  const start = loadStartingModel(scratch, [...tagSet.tags], seed)
  const folder = v['save-pretrained'] ? resolve(v['save-pretrained']) : mkdtempSync(join(tmpdir(), 'tagtune-bench-pretrain-'))
  const t0 = performance.now()
  const words = v['whole-word'] && chinese ? discoverChineseWords(texts) : []
  if (v['whole-word']) console.log(`whole-word masking: ${words.length} words found in the corpus (most frequent: ${words.slice(0, 12).join(' ')})`)
  const pretrainConfig = {
    epochs: 1,
    maxSteps: Number(v['pretrain-steps']),
    batchSize: Number(v['pretrain-batch']),
    learningRate: Number(v['pretrain-lr']),
    warmupRatio: 0.06,
    weightDecay: 0.01,
    maxLength: pretrainSeq,
    seed,
    wholeWordMasking: v['whole-word']!,
    maskProbability: Number(v['mask-prob']),
    chineseSegmenter: words.length > 0 ? dictionarySegmenter(words) : undefined,
    pack: !v['no-pack'],
    outputVocabulary: v['output-vocab'] === 'all' ? ('all' as const) : ('corpus' as const),
  }
  // A held-out MLM measure: dev text with a fixed mask (the dev labels are not used here either).
  const devTexts = data.dev.map((d) => d.text)
  initMlmHead(start.model.params, start.model.config, seed)
  const devMlmBefore = evaluateMlm(start.model, start.tokenizer, devTexts, { ...pretrainConfig, seed: 1234, batchSize: 64 }).loss
  const r = await pretrainMlm({
    model: start.model,
    tokenizer: start.tokenizer,
    texts,
    config: pretrainConfig,
    outDir: folder,
    callbacks: {
      onStart: (i) => console.log(`pretraining: ${i.sequences} sequences (${i.tokens.toLocaleString('en-US')} tokens), ${i.totalSteps} steps of ${pretrainConfig.batchSize} x <= ${pretrainSeq} tokens (${((i.totalSteps * pretrainConfig.batchSize) / i.sequences).toFixed(2)} epochs)`),
      onStep: (p) => progress(`[pretrain] step ${p.step}/${p.totalSteps}  MLM loss ${p.loss.toFixed(4)}  ${Math.round(p.tokensPerSecond)} tok/s  ETA ${Math.round(p.etaMs / 1000)} s`, p.step === p.totalSteps),
    },
  })
  const devMlmAfter = evaluateMlm(start.model, start.tokenizer, devTexts, { ...pretrainConfig, seed: 1234, batchSize: 64 }).loss
  const pretrainSeconds = (performance.now() - t0) / 1000
  const firstLoss = r.losses.slice(0, 20).reduce((a, b) => a + b, 0) / Math.min(20, r.losses.length)
  const finalLoss = r.losses.slice(-20).reduce((a, b) => a + b, 0) / Math.min(20, r.losses.length)
  process.stderr.write('\n')
  console.log(`pretraining: ${r.steps} steps in ${pretrainSeconds.toFixed(0)} s; train MLM loss ${firstLoss.toFixed(3)} (first 20 steps) -> ${finalLoss.toFixed(3)} (last 20); dev MLM loss ${devMlmBefore.toFixed(3)} -> ${devMlmAfter.toFixed(3)}`)
  disposeParams(start.model.params)
  const finetune = await fineTune(folder, 'pretrained', trainDocs)
  if (!v['save-pretrained']) rmSync(folder, { recursive: true, force: true })
  pretrained = { seconds: pretrainSeconds, steps: r.steps, firstLoss, finalLoss, devMlmBefore, devMlmAfter, words: words.length, finetune }
}

// (b) the same model, same initialisation, fine-tuned from scratch.
const scratchEpochs = v['scratch-epochs'] ? Number(v['scratch-epochs']) : fineTuneConfig.epochs
const fromScratch = only !== 'pretrained' ? await fineTune(scratch, 'scratch', trainDocs, scratchEpochs) : undefined

console.log('')
if (pretrained) {
  const what = v['use-pretrained'] ? `the pretrained folder ${v['use-pretrained']}` : `MLM-pretrained (${pretrained.steps} steps, ${pretrained.seconds.toFixed(0)} s)`
  console.log(`(a) ${what} + fine-tuned ${fineTuneConfig.epochs} epochs (${pretrained.finetune.seconds.toFixed(0)} s): dev entity F1 ${pct(pretrained.finetune.bestF1)} (best, epoch ${pretrained.finetune.bestEpoch}), ${pct(pretrained.finetune.lastF1)} (last)`)
}
if (fromScratch) {
  console.log(`(b) fine-tuned from scratch, ${scratchEpochs} epochs (${fromScratch.seconds.toFixed(0)} s): dev entity F1 ${pct(fromScratch.bestF1)} (best, epoch ${fromScratch.bestEpoch}), ${pct(fromScratch.lastF1)} (last)`)
}
if (pretrained && fromScratch) {
  const d = pretrained.finetune.bestF1 - fromScratch.bestF1
  console.log(`difference (a) - (b): ${d >= 0 ? '+' : ''}${(d * 100).toFixed(2)} F1 points (best), ${((pretrained.finetune.lastF1 - fromScratch.lastF1) * 100).toFixed(2)} (last)`)
}
console.log(
  JSON.stringify({
    data: dir,
    trainSentences: trainDocs.length,
    devSentences: data.dev.length,
    unlabeledTexts: texts.length,
    unlabeledChars,
    cluener: v.cluener,
    model: { hidden, layers, heads },
    backend: backend.name,
    threads: backend.threads ?? null,
    finetune: { epochs: fineTuneConfig.epochs, batch: fineTuneConfig.batchSize, lr: fineTuneConfig.learningRate, maxLength: seq, seed },
    pretrain: pretrained && v['use-pretrained']
      ? { folder: resolve(v['use-pretrained']) }
      : pretrained
      ? {
          steps: pretrained.steps,
          batch: Number(v['pretrain-batch']),
          lr: Number(v['pretrain-lr']),
          maxLength: pretrainSeq,
          wholeWord: v['whole-word'],
          discoveredWords: pretrained.words,
          packed: !v['no-pack'],
          outputVocabulary: v['output-vocab'],
          trainLossStart: Number(pretrained.firstLoss.toFixed(4)),
          trainLossEnd: Number(pretrained.finalLoss.toFixed(4)),
          devMlmLossBefore: Number(pretrained.devMlmBefore.toFixed(4)),
          devMlmLossAfter: Number(pretrained.devMlmAfter.toFixed(4)),
          wallSeconds: Number(pretrained.seconds.toFixed(1)),
        }
      : null,
    pretrainedDevF1: pretrained?.finetune.bestF1 ?? null,
    pretrainedDevF1Last: pretrained?.finetune.lastF1 ?? null,
    pretrainedF1ByEpoch: pretrained?.finetune.f1ByEpoch.map((f) => Number(f.toFixed(4))) ?? null,
    pretrainedFinetuneSeconds: pretrained ? Number(pretrained.finetune.seconds.toFixed(1)) : null,
    scratchEpochs,
    scratchDevF1: fromScratch?.bestF1 ?? null,
    scratchDevF1Last: fromScratch?.lastF1 ?? null,
    scratchF1ByEpoch: fromScratch?.f1ByEpoch.map((f) => Number(f.toFixed(4))) ?? null,
    scratchFinetuneSeconds: fromScratch ? Number(fromScratch.seconds.toFixed(1)) : null,
  }),
)
