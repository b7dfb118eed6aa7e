/**
 * Model export: how long each format takes and how big it is for a BERT-base-shaped checkpoint
 * (random weights: the sizes and times do not depend on the values), and how far int8 moves a
 * trained model, per-row int8 (what the export writes) against tfjs's per-tensor uint8.
 *
 *   npx tsx bench/export.ts [--vocab 30522 --hidden 768 --layers 12 --labels 9] [--skip-big]
 *
 * Part 2 trains the toy run of the tests (tiny-bert fixture, 48 sentences) in a trainer process
 * and compares, on its 12 test sentences, the float model with both int8 variants: entity F1 and
 * the largest logit difference.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { copyFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { seededRandom } from '../src-shared/domain/splits'
import { writeSafetensors } from '../src-main/engine/model/safetensors'
import { expectedBertWeights } from '../src-main/engine/model/weights'
import { readTfjsWeights, writeTfjsExport, checkpointTensors } from '../src-main/engine/model/tfjs-format'
import { affineUint8RoundTrip, dequantizeInt8PerRow, isQuantizable, quantizeInt8PerRow } from '../src-main/engine/model/quantize'
import { loadTokenClassifier } from '../src-main/engine/model/io'
import { disposeParams } from '../src-main/engine/model/bert'
import { classifierForward, type TokenClassifier } from '../src-main/engine/heads/token-classification'
import { encodeDocuments, makeBatches, tagSetFromId2Label } from '../src-main/engine/data'
import { batchInputs } from '../src-main/engine/train/step'
import { evaluateEncoded } from '../src-main/engine/train/loop'
import { loadBertTokenizer } from '../src-main/engine/tokenizer'
import { initBackend } from '../src-main/engine/backend'
import { createHost } from '../src-main/host/create-host'
import { TINY_BERT, toyDocuments, toyProject } from '../tests/helpers/toy-ner'

const { values: flags } = parseArgs({
  options: { vocab: { type: 'string', default: '30522' }, hidden: { type: 'string', default: '768' }, layers: { type: 'string', default: '12' }, labels: { type: 'string', default: '9' }, 'skip-big': { type: 'boolean', default: false } },
})
const mb = (n: number): string => `${(n / 1024 ** 2).toFixed(1)} MB`
const time = async <T>(f: () => T | Promise<T>): Promise<[T, number]> => {
  const t = performance.now()
  const r = await f()
  return [r, (performance.now() - t) / 1000]
}

async function bigCheckpoint(): Promise<void> {
  const H = Number(flags.hidden)
  const L = Number(flags.layers)
  const V = Number(flags.vocab)
  const labels = Number(flags.labels)
  const config = { architectures: ['BertForTokenClassification'], model_type: 'bert', vocab_size: V, hidden_size: H, num_hidden_layers: L, num_attention_heads: Math.max(1, H / 64), intermediate_size: 4 * H, max_position_embeddings: 512, type_vocab_size: 2, id2label: Object.fromEntries(Array.from({ length: labels }, (_, i) => [i, i === 0 ? 'O' : `${i % 2 ? 'B' : 'I'}-T${Math.ceil(i / 2)}`])) }
  const root = mkdtempSync(join(tmpdir(), 'tagtune-bench-export-'))
  try {
    const ckpt = join(root, 'best')
    mkdirSync(ckpt)
    const random = seededRandom(1)
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>()
    const add = (name: string, shape: number[]): void => {
      const data = new Float32Array(shape.reduce((a, d) => a * d, 1))
      for (let i = 0; i < data.length; i++) data[i] = (random() - 0.5) * 0.08
      tensors.set(name, { shape, data })
    }
    for (const [name, shape] of expectedBertWeights(config)) if (!name.startsWith('pooler.')) add(`bert.${name}`, shape)
    add('classifier.weight', [labels, H])
    add('classifier.bias', [labels])
    writeFileSync(join(ckpt, 'model.safetensors'), writeSafetensors(tensors, { format: 'pt' }))
    tensors.clear()
    writeFileSync(join(ckpt, 'config.json'), JSON.stringify(config))
    writeFileSync(join(ckpt, 'vocab.txt'), Array.from({ length: V }, (_, i) => (i < 5 ? ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'][i] : `w${i}`)).join('\n') + '\n')
    writeFileSync(join(ckpt, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true }))
    const floatBytes = statSync(join(ckpt, 'model.safetensors')).size
    const params = floatBytes / 4
    console.log(`\nBERT shape: vocab ${V}, hidden ${H}, ${L} layers, ${labels} tags: ${(params / 1e6).toFixed(1)} M parameters, model.safetensors ${mb(floatBytes)}`)
    const [, hfSeconds] = await time(() => copyFile(join(ckpt, 'model.safetensors'), join(root, 'hf-model.safetensors')))
    const [tfjs, tfjsSeconds] = await time(() => writeTfjsExport(ckpt, join(root, 'tfjs'), { quantize: false, generatedBy: 'bench' }))
    const [int8, int8Seconds] = await time(() => writeTfjsExport(ckpt, join(root, 'int8'), { quantize: true, generatedBy: 'bench' }))
    const [, readFloat] = await time(() => readTfjsWeights(join(root, 'tfjs')))
    const [, readInt8] = await time(() => readTfjsWeights(join(root, 'int8')))
    console.log('format   write (s)   read (s)   weights      shards   size ratio')
    console.log(`hf       ${hfSeconds.toFixed(2).padStart(8)}          –   ${mb(floatBytes).padStart(9)}        –        1.000   (model.safetensors copied)`)
    console.log(`tfjs     ${tfjsSeconds.toFixed(2).padStart(8)}   ${readFloat.toFixed(2).padStart(8)}   ${mb(tfjs.weightBytes).padStart(9)}   ${String(tfjs.files.filter((f) => f.name.endsWith('.bin')).length).padStart(6)}   ${(tfjs.weightBytes / tfjs.floatWeightBytes).toFixed(3).padStart(10)}`)
    console.log(`int8     ${int8Seconds.toFixed(2).padStart(8)}   ${readInt8.toFixed(2).padStart(8)}   ${mb(int8.weightBytes).padStart(9)}   ${String(int8.files.filter((f) => f.name.endsWith('.bin')).length).padStart(6)}   ${(int8.weightBytes / int8.floatWeightBytes).toFixed(3).padStart(10)}`)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

/** A copy of the checkpoint whose quantizable weights went through `roundTrip`. */
function variant(best: string, out: string, roundTrip: (name: string, t: { shape: number[]; data: Float32Array }) => Float32Array): void {
  mkdirSync(out, { recursive: true })
  const exp = checkpointTensors(best)
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>()
  for (const [name, t] of exp.tensors) tensors.set(name, isQuantizable(name, t.shape) ? { shape: t.shape, data: roundTrip(name, t) } : t)
  writeFileSync(join(out, 'model.safetensors'), writeSafetensors(tensors, { format: 'pt' }))
  for (const f of ['config.json', 'vocab.txt', 'tokenizer_config.json']) writeFileSync(join(out, f), readFileSync(join(best, f)))
}

async function trainedToy(): Promise<void> {
  await initBackend('wasm')
  const root = mkdtempSync(join(tmpdir(), 'tagtune-bench-export-toy-'))
  const host = createHost({ dataDir: join(root, 'data'), kind: 'cli', backend: 'wasm' })
  try {
    const projectId = await toyProject(host, mkdtempSync(join(root, 'src-')))
    const started = await host.call('run.start', { projectId, config: { model: TINY_BERT, epochs: 3, batchSize: 8, learningRate: 5e-3, maxLength: 32, dropout: 0, seed: 1 }, backend: 'wasm' })
    const run = await host.runs.waitFor(started.id)
    const best = join(run.checkpointDir!, 'best')
    variant(best, join(root, 'per-row'), (_, t) => {
      const q = quantizeInt8PerRow(t)
      return dequantizeInt8PerRow(q.values, q.scales, q.shape)
    })
    variant(best, join(root, 'per-tensor'), (_, t) => affineUint8RoundTrip(t.data))
    const docs = toyDocuments(12, 3, 's')
    const { tokenizer } = loadBertTokenizer(best)
    const measure = (dir: string): { f1: number; logits: Float32Array } => {
      const model: TokenClassifier = loadTokenClassifier(dir).model
      const tagSet = tagSetFromId2Label(model.labels)
      const encoded = encodeDocuments(docs, tokenizer, tagSet, { maxLength: 32 })
      const { evaluation } = evaluateEncoded(model, tokenizer, tagSet, docs, encoded.documents, { maxLength: 32, evalBatchSize: 32, labelAllSubtokens: false, evalMode: 'default' })
      const batch = makeBatches(encoded.windows, { batchSize: 64, seed: 1, shuffle: false, bucketByLength: false, padId: 0 })[0]!
      const logits = tf.tidy(() => classifierForward(model, batchInputs(batch), { training: false }).logits.dataSync() as Float32Array)
      disposeParams(model.params)
      return { f1: evaluation.f1, logits }
    }
    const float = measure(best)
    const maxDiff = (a: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - float.logits[i]!)), 0)
    console.log(`\nTrained toy model (tiny-bert, 48 training sentences), 12 test sentences:`)
    console.log(`${'weights'.padEnd(40)}test F1   max |logit - float|`)
    console.log(`${'float32'.padEnd(40)}${(100 * float.f1).toFixed(1).padStart(7)}   –`)
    for (const [name, dir] of [['int8, one scale per row (exported)', 'per-row'], ['uint8, one scale+min per tensor (tfjs)', 'per-tensor']] as const) {
      const m = measure(join(root, dir))
      console.log(`${name.padEnd(40)}${(100 * m.f1).toFixed(1).padStart(7)}   ${maxDiff(m.logits).toFixed(4)}`)
    }
  } finally {
    host.close()
    rmSync(root, { recursive: true, force: true })
  }
}

if (!flags['skip-big']) await bigCheckpoint()
await trainedToy()
