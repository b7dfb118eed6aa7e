/**
 * Shared by the export tests: one host with the toy project, tiny runs trained through the run
 * service, and what a loaded model predicts (spans with confidences, and raw logits on a batch).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { createHost, type Host } from '../../../../src-main/host/create-host'
import { loadTokenClassifier } from '../../../../src-main/engine/model/io'
import { loadTfjsTokenClassifier } from '../../../../src-main/engine/model/tfjs-format'
import { disposeParams } from '../../../../src-main/engine/model/bert'
import { classifierForward, type TokenClassifier } from '../../../../src-main/engine/heads/token-classification'
import { encodeDocuments, makeBatches, tagSetFromId2Label } from '../../../../src-main/engine/data'
import { batchInputs } from '../../../../src-main/engine/train/step'
import { predictDocuments } from '../../../../src-main/engine/infer/predict'
import { loadBertTokenizer } from '../../../../src-main/engine/tokenizer'
import type { RunSummary } from '../../../../src-shared/domain/run'
import { TINY_BERT, toyDocuments, toyProject } from '../../../helpers/toy-ner'

export const CONFIG = { model: TINY_BERT, epochs: 3, batchSize: 8, learningRate: 5e-3, maxLength: 32, dropout: 0, seed: 1, evalEvery: 'epoch' }

export interface ToyHost {
  host: Host
  dataDir: string
  /** A scratch folder for export destinations, removed with the host. */
  scratch: () => string
  projectId: number
  close(): void
}

export async function openToyHost(): Promise<ToyHost> {
  const root = mkdtempSync(join(tmpdir(), 'tagtune-export-'))
  const dataDir = join(root, 'data')
  const host = createHost({ dataDir, kind: 'cli', backend: 'cpu' })
  const projectId = await toyProject(host, mkdtempSync(join(root, 'src-')))
  let n = 0
  return {
    host,
    dataDir,
    projectId,
    scratch: () => join(root, `out-${++n}`),
    close() {
      host.close()
      rmSync(root, { recursive: true, force: true })
    },
  }
}

export async function trainRun(t: ToyHost, over: Record<string, unknown> = {}, name = 'tiny'): Promise<RunSummary> {
  const started = await t.host.call('run.start', { projectId: t.projectId, name, config: { ...CONFIG, ...over }, backend: 'wasm' })
  const run = await t.host.runs.waitFor(started.id)
  if (run.status !== 'completed') throw new Error(`the toy run did not complete: ${run.status} ${run.error ?? ''}`)
  return run
}

/** Test documents (as the run's test split) plus texts the model never saw. */
export const PROBE_DOCS = [
  ...toyDocuments(12, 3, 's'),
  { id: 'x1', text: 'mary smith visited paris and berlin yesterday', spans: [] },
  { id: 'x2', text: 'hello john, the old man from beijing', spans: [] },
  { id: 'x3', text: 'zzyzx qq', spans: [] },
]

export interface Behaviour {
  spans: { id: string | number; spans: { start: number; end: number; label: string; confidence: number }[] }[]
  /** [rows, seq, tags] flat, for the batch below. */
  logits: Float32Array
  inputIds: number[][]
  attentionMask: number[][]
}

/** How `model` (tokenizer from `tokenizerDir`) labels PROBE_DOCS, and its logits on one batch of them. */
export function behaviour(model: TokenClassifier, tokenizerDir: string): Behaviour {
  const { tokenizer } = loadBertTokenizer(tokenizerDir)
  const tagSet = tagSetFromId2Label(model.labels)
  const predictions = predictDocuments(model, tokenizer, tagSet, PROBE_DOCS, { maxLength: 32, batchSize: 32, labelAllSubtokens: false })
  const { windows } = encodeDocuments(PROBE_DOCS, tokenizer, tagSet, { maxLength: 32 })
  const batch = makeBatches(windows, { batchSize: windows.length, seed: 1, shuffle: false, bucketByLength: false, padId: tokenizer.pad.id })[0]!
  const logits = tf.tidy(() => classifierForward(model, batchInputs(batch), { training: false }).logits.dataSync() as Float32Array)
  const rows = (a: Int32Array): number[][] => Array.from({ length: batch.batchSize }, (_, r) => Array.from(a.subarray(r * batch.seqLength, (r + 1) * batch.seqLength)))
  return {
    spans: predictions.map((p) => ({ id: p.docId, spans: p.spans.map((s) => ({ start: s.start, end: s.end, label: s.label, confidence: s.confidence })) })),
    logits,
    inputIds: rows(batch.inputIds),
    attentionMask: rows(batch.attentionMask),
  }
}

/** Loads a folder the way its format is loaded (and frees the model afterwards). */
export function behaviourOf(dir: string, how: 'safetensors' | 'tfjs' | 'trainable' = 'safetensors'): Behaviour {
  const model = how === 'tfjs' ? loadTfjsTokenClassifier(dir).model : loadTokenClassifier(dir, how === 'trainable' ? { peft: 'trainable' } : {}).model
  try {
    return behaviour(model, dir)
  } finally {
    disposeParams(model.params)
  }
}

/** Spans as "start:end:label" per document, confidences left out. */
export const spanKeys = (b: Behaviour): string[][] => b.spans.map((d) => d.spans.map((s) => `${s.start}:${s.end}:${s.label}`))
