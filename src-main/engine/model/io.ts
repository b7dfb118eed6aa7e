/**
 * Loading and saving token-classification models as Hugging Face folders: config.json (with
 * id2label/label2id), vocab.txt, tokenizer_config.json and model.safetensors under
 * BertForTokenClassification's names, so a saved folder loads in transformers unchanged and a
 * transformers folder loads here.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { variableFrom } from '../ops/variables'
import { mergeLora, type LoraSettings } from '../peft/lora'
import { allowedTransitions } from '../heads/crf'
import { tagSetFromId2Label } from '../data/labels'
import { parseBertConfig, type BertConfig } from './bert-config'
import { initBertParams, type ParamMap } from './bert'
import { bertFromHuggingFace, bertToHuggingFace, transpose2d, type HostTensor } from './convert'
import { inspectModelFolder, MODEL_FILES, type ModelFolder } from './folder'
import { parseSafetensors, writeSafetensors } from './safetensors'
import { CLASSIFIER_BIAS, CLASSIFIER_WEIGHT, initClassifierHead, type TokenClassifier } from '../heads/token-classification'
import type { BertTokenizer } from '../tokenizer'
import type { BertTokenizerOptions } from '../tokenizer'

/** Where PEFT weights live beside model.safetensors (which always holds the merged, transformers-ready model). */
export const PEFT_WEIGHTS = 'peft.safetensors'
export const PEFT_CONFIG = 'peft_config.json'
/** A CRF head's scores (transformers has no CRF: model.safetensors stays a plain token classifier). */
export const CRF_WEIGHTS = 'crf.safetensors'

export interface PeftFileConfig {
  method: 'lora' | 'adapter'
  lora?: LoraSettings & { targets: string[] }
  adapterSize?: number
}

export interface LoadOptions {
  /**
   * 'merged' (default): LoRA updates as merged into model.safetensors, for prediction.
   * 'trainable': LoRA restored as separate A/B variables over the unmerged base weights, to resume training.
   * Adapters are always restored (they cannot be merged).
   */
  peft?: 'merged' | 'trainable'
  /**
   * The tags to train. When given and different from the checkpoint's id2label, the
   * checkpoint's head (if any) is left out and a fresh one is initialised.
   */
  labels?: string[]
  /** Seed of a freshly initialised head. */
  seed?: number
}

export interface LoadedModel {
  model: TokenClassifier
  folder: ModelFolder
  /** Whether the classifier came from the checkpoint (a fine-tuned model) or is new. */
  headLoaded: boolean
  notes: string[]
}

function labelsOf(config: BertConfig): string[] | undefined {
  if (!config.id2label) return undefined
  const ids = Object.keys(config.id2label).map(Number).sort((a, b) => a - b)
  if (ids.some((id, i) => id !== i)) return undefined
  return ids.map((id) => config.id2label![id]!)
}

function variables(host: Map<string, HostTensor>): ParamMap {
  const params: ParamMap = new Map()
  for (const [name, t] of host) params.set(name, variableFrom(tf.tensor(t.data, t.shape, 'float32')))
  return params
}

/** A model with random weights for `config` (training from scratch). */
export function createTokenClassifier(config: BertConfig, labels: string[], seed: number): TokenClassifier {
  const params = initBertParams(config, seed)
  initClassifierHead(params, config.hidden_size, labels.length, config.initializer_range, seed)
  return { config: withLabels(config, labels), params, labels }
}

export function withLabels(config: BertConfig, labels: readonly string[]): BertConfig {
  return {
    ...config,
    architectures: ['BertForTokenClassification'],
    id2label: Object.fromEntries(labels.map((l, i) => [i, l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
  }
}

/** Reads a model folder's config and weights; errors name the file and the tensor. */
export function loadTokenClassifier(dir: string, options: LoadOptions = {}): LoadedModel {
  const folder = inspectModelFolder(dir)
  const config = folder.config
  const tensors = parseSafetensors(new Uint8Array(readFileSync(folder.weightsPath)), folder.weightsPath, { skipUnsupported: true })
  const host = bertFromHuggingFace(tensors, config, folder.weightsPath)
  const notes: string[] = []
  const stored = labelsOf(config)
  const labels = options.labels ?? stored
  if (!labels || labels.length === 0) throw new Error(`${folder.configPath}: no labels given and id2label does not list them`)
  const w = tensors.get(CLASSIFIER_WEIGHT)
  const b = tensors.get(CLASSIFIER_BIAS)
  const sameLabels = stored !== undefined && stored.length === labels.length && stored.every((l, i) => l === labels[i])
  const headFits = w !== undefined && b !== undefined && w.shape[0] === labels.length && w.shape[1] === config.hidden_size && b.shape[0] === labels.length
  const params = variables(host)
  let headLoaded = false
  if (sameLabels && headFits) {
    const hw = transpose2d(w)
    params.set(CLASSIFIER_WEIGHT, variableFrom(tf.tensor(hw.data, hw.shape, 'float32')))
    params.set(CLASSIFIER_BIAS, variableFrom(tf.tensor(b.data, b.shape, 'float32')))
    headLoaded = true
  } else {
    if (w !== undefined) notes.push(`The checkpoint's classifier (${stored?.length ?? w.shape[0]} tags) does not match the ${labels.length} tags to train; a new head is initialised.`)
    initClassifierHead(params, config.hidden_size, labels.length, config.initializer_range, options.seed ?? 0)
  }
  const model: TokenClassifier = { config: withLabels(config, labels), params, labels }
  restorePeft(dir, model, options.peft ?? 'merged', notes)
  const crfPath = join(dir, CRF_WEIGHTS)
  if (existsSync(crfPath) && headLoaded) {
    for (const [name, t] of parseSafetensors(new Uint8Array(readFileSync(crfPath)), crfPath)) model.params.set(name, variableFrom(tf.tensor(t.data, t.shape, 'float32')))
    model.crf = allowedTransitions(tagSetFromId2Label(labels))
    notes.push('CRF head restored: predictions are decoded with Viterbi.')
  }
  return { model, folder, headLoaded, notes }
}

/** Adds the folder's adapters (always) and LoRA (unmerged, when trainable) to `model`. */
function restorePeft(dir: string, model: TokenClassifier, mode: 'merged' | 'trainable', notes: string[]): void {
  const weightsPath = join(dir, PEFT_WEIGHTS)
  if (!existsSync(weightsPath) || !existsSync(join(dir, PEFT_CONFIG))) return
  const peft = JSON.parse(readFileSync(join(dir, PEFT_CONFIG), 'utf8')) as PeftFileConfig
  const tensors = parseSafetensors(new Uint8Array(readFileSync(weightsPath)), weightsPath)
  if (peft.method === 'adapter') {
    for (const [name, t] of tensors) if (name.includes('.adapter.')) model.params.set(name, variableFrom(tf.tensor(t.data, t.shape, 'float32')))
    notes.push(`Adapters (bottleneck ${peft.adapterSize}) restored from ${PEFT_WEIGHTS}.`)
    return
  }
  if (mode !== 'trainable' || !peft.lora) return
  // Unmerge: W = W' - (alpha/r)·A·B, then keep A and B as variables.
  const lora = new Map<string, HostTensor>()
  for (const [name, t] of tensors) if (name.includes('.lora_')) lora.set(name, t)
  const merged = readParams(model.params)
  const negated = new Map<string, HostTensor>([...merged])
  for (const [name, t] of lora) negated.set(name, name.endsWith('.lora_A') ? { shape: t.shape, data: t.data.map((x) => -x) } : t)
  const base = mergeLora(negated, peft.lora)
  for (const [name, t] of base) {
    const v = model.params.get(name)
    if (v && name.endsWith('.weight')) tf.tidy(() => v.assign(tf.tensor(t.data, t.shape, 'float32')))
  }
  for (const [name, t] of lora) model.params.set(name, variableFrom(tf.tensor(t.data, t.shape, 'float32')))
  ;(model as TokenClassifier & { lora?: LoraSettings }).lora = { rank: peft.lora.rank, alpha: peft.lora.alpha, dropout: peft.lora.dropout }
  notes.push(`LoRA (rank ${peft.lora.rank}) restored for training from ${PEFT_WEIGHTS}.`)
}

/** The variables' current values on the host. */
export function readParams(params: ParamMap, names?: Iterable<string>): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>()
  for (const name of names ?? params.keys()) {
    const v = params.get(name)
    if (!v) continue
    out.set(name, { shape: [...v.shape], data: v.dataSync() as Float32Array })
  }
  return out
}

/** The model's tensors under BertForTokenClassification's names and layout. */
export function huggingFaceTensors(model: TokenClassifier, params: Map<string, HostTensor> = readParams(model.params)): Map<string, HostTensor> {
  const out = bertToHuggingFace(params, model.config, 'bert.')
  const w = params.get(CLASSIFIER_WEIGHT)
  const b = params.get(CLASSIFIER_BIAS)
  if (!w || !b) throw new Error('the model has no token-classification head')
  out.set(CLASSIFIER_WEIGHT, transpose2d(w))
  out.set(CLASSIFIER_BIAS, b)
  return out
}

/** The tokenizer_config.json that reproduces `options` in transformers. */
export function tokenizerConfigJson(options: Readonly<BertTokenizerOptions>): Record<string, unknown> {
  return {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: options.doLowerCase,
    strip_accents: options.stripAccents,
    tokenize_chinese_chars: options.tokenizeChineseChars,
    unk_token: options.unkToken,
    cls_token: options.clsToken,
    sep_token: options.sepToken,
    pad_token: options.padToken,
    mask_token: options.maskToken,
    ...(options.modelMaxLength !== undefined ? { model_max_length: options.modelMaxLength } : {}),
  }
}

function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`
  writeFileSync(tmp, data)
  renameSync(tmp, path)
}

export interface SaveOptions {
  tokenizer: BertTokenizer
  /** Extra string metadata in the safetensors header. */
  metadata?: Record<string, string>
  /** Values from a snapshot taken earlier (e.g. the best checkpoint), instead of the live variables. */
  params?: Map<string, HostTensor>
}

/** Writes the folder (created if needed); each file is replaced atomically. */
export function saveTokenClassifier(model: TokenClassifier, dir: string, options: SaveOptions): void {
  mkdirSync(dir, { recursive: true })
  const config = { ...withLabels(model.config, model.labels), model_type: 'bert', torch_dtype: 'float32' }
  writeAtomic(join(dir, MODEL_FILES.config), `${JSON.stringify(config, null, 2)}\n`)
  const values = options.params ?? readParams(model.params)
  const lora = (model as TokenClassifier & { lora?: LoraSettings }).lora
  const peftTensors = new Map<string, HostTensor>()
  for (const [name, t] of values) if (name.includes('.lora_') || name.includes('.adapter.')) peftTensors.set(name, t)
  // model.safetensors is always what transformers can load: LoRA merged in.
  const tensors = huggingFaceTensors(model, lora && peftTensors.size > 0 ? mergeLora(values, lora) : values)
  writeAtomic(join(dir, MODEL_FILES.safetensors), writeSafetensors(tensors, { format: 'pt', ...options.metadata }))
  const crfTensors = new Map<string, HostTensor>()
  for (const [name, t] of values) if (name.startsWith('crf.')) crfTensors.set(name, t)
  if (crfTensors.size > 0) writeAtomic(join(dir, CRF_WEIGHTS), writeSafetensors(crfTensors, { format: 'tagtune' }))
  if (peftTensors.size > 0) {
    const adapter = [...peftTensors.keys()].find((n) => n.endsWith('.adapter.down.bias'))
    const peft: PeftFileConfig = lora
      ? { method: 'lora', lora: { ...lora, targets: [...new Set([...peftTensors.keys()].map((n) => n.replace(/^encoder\.layer\.\d+\./, '').replace(/\.lora_[AB]$/, '')))] } }
      : { method: 'adapter', adapterSize: adapter ? peftTensors.get(adapter)!.shape[0] : undefined }
    writeAtomic(join(dir, PEFT_WEIGHTS), writeSafetensors(peftTensors, { format: 'tagtune' }))
    writeAtomic(join(dir, PEFT_CONFIG), `${JSON.stringify(peft, null, 2)}\n`)
  }
  const vocab = options.tokenizer.vocab.idToToken.map((t, i) => t ?? `[unused_id_${i}]`)
  writeAtomic(join(dir, MODEL_FILES.vocabTxt), `${vocab.join('\n')}\n`)
  writeAtomic(join(dir, 'tokenizer_config.json'), `${JSON.stringify(tokenizerConfigJson(options.tokenizer.options), null, 2)}\n`)
}

/** Re-reads a config.json written by saveTokenClassifier (validation included). */
export function readConfig(dir: string): BertConfig {
  const path = join(dir, MODEL_FILES.config)
  return parseBertConfig(JSON.parse(readFileSync(path, 'utf8')), path)
}
