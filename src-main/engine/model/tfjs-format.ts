/**
 * The tfjs export of a token classifier: TensorFlow.js's standard weights manifest (model.json
 * with `weightsManifest`, weights in group1-shardNofM.bin files, exactly what
 * `tf.io.loadWeights(manifest, prefix)` reads in a browser) holding the weights under Hugging
 * Face's names and PyTorch layout (Linear weights [out, in]), plus the tokenizer and label
 * files, so that a JS program can run the model and Tagtune can load it back.
 *
 * Folder:
 *   model.json                 { format, generatedBy, convertedBy, weightsManifest, tagtune }
 *   group1-shard1of1.bin ...   the weights, float32 little-endian, in manifest order, cut in 4 MB shards
 *   config.json                the Hugging Face BERT config (sizes, id2label/label2id)
 *   vocab.txt, tokenizer_config.json, special_tokens_map.json   the tokenizer as trained
 *
 * Weights (sorted by name): `bert.embeddings.*`, `bert.encoder.layer.N.*` with separate
 * query/key/value, `classifier.weight` [labels, hidden] and `.bias`; adapter runs add
 * `bert.encoder.layer.N.{attention.output,output}.adapter.{down,up}.{weight,bias}` (weights
 * [out, in] too); CRF runs add `crf.transitions` [tags, tags] (from row tag to column tag),
 * `crf.start` and `crf.end` [tags]. LoRA is always merged into the weights.
 *
 * int8 variant: every 2-D weight that is not a LayerNorm (Linear weights, embeddings, the
 * classifier, adapters) is stored as one byte per value: the manifest entry has
 * `quantization: { dtype: 'uint8', scale: 1, min: -128 }`, so tfjs decodes it to the integers
 * q in [-127, 127], and a float32 entry `<name>.quant_scale` [rows] holds each row's scale:
 * weight = q * scale[row] (in tfjs: `tf.mul(q, scale.expandDims(1))`). `tagtune.quantization`
 * lists the quantized names.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { parseBertConfig, type BertConfig } from './bert-config'
import { bertFromHuggingFace, transpose2d, type HostTensor } from './convert'
import { ModelFileError } from './errors'
import { f16ToF32, parseSafetensors } from './safetensors'
import { matchWeights, describeMismatch } from './weights'
import { dequantizeInt8PerRow, isQuantizable, quantizeInt8PerRow } from './quantize'
import { variableFrom } from '../ops/variables'
import { allowedTransitions } from '../heads/crf'
import { tagSetFromId2Label } from '../data/labels'
import type { ParamMap } from './bert'
import type { TokenClassifier } from '../heads/token-classification'

export const TFJS_MODEL_JSON = 'model.json'
export const TFJS_FORMAT = 'tagtune-token-classifier'
/** tensorflowjs_converter's default shard size. */
export const SHARD_BYTES = 4 * 1024 * 1024
export const QUANT_SCALE_SUFFIX = '.quant_scale'
export const INT8_METHOD = 'int8-symmetric-per-row'
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
/** The tokenizer and config files copied beside the weights. */
export const TOKENIZER_EXPORT_FILES = ['config.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json'] as const

const CHECKPOINT_FILES = { config: 'config.json', weights: 'model.safetensors', peft: 'peft.safetensors', peftConfig: 'peft_config.json', crf: 'crf.safetensors', vocab: 'vocab.txt', tokenizerConfig: 'tokenizer_config.json' }

export interface TfjsWeightEntry {
  name: string
  shape: number[]
  dtype: 'float32'
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number; original_dtype?: 'float32' }
}

export interface TagtuneTfjsMetadata {
  formatVersion: 1
  architecture: 'BertForTokenClassification'
  /** Linear weights are [out, in], as in PyTorch and the safetensors file. */
  weightLayout: 'pytorch'
  /** Tags by id (config.json's id2label). */
  labels: string[]
  /** 'crf': decode with Viterbi over crf.* (argmax of the logits is not what the model was trained for). */
  head: 'softmax' | 'crf'
  /** Houlsby adapters after attention and after the FFN of each layer: h + up(gelu(down(h))). */
  adapters: { size: number } | null
  quantization: { method: typeof INT8_METHOD; scaleSuffix: typeof QUANT_SCALE_SUFFIX; tensors: string[] } | null
  files: { config: string; vocab: string; tokenizerConfig: string; specialTokensMap: string }
}

export interface TfjsModelJson {
  format: typeof TFJS_FORMAT
  generatedBy: string
  convertedBy: null
  weightsManifest: { paths: string[]; weights: TfjsWeightEntry[] }[]
  tagtune: TagtuneTfjsMetadata
}

export interface ExportedTensors {
  config: BertConfig
  /** config.json as saved (every key kept). */
  rawConfig: Record<string, unknown>
  labels: string[]
  /** Hugging Face names, PyTorch layout, sorted by name. */
  tensors: Map<string, HostTensor>
  head: 'softmax' | 'crf'
  adapters: { size: number } | null
}

function readJson(path: string): Record<string, unknown> {
  let json: unknown
  try {
    json = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new ModelFileError(path, existsSync(path) ? `is not valid JSON (${(err as Error).message})` : 'not found')
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ModelFileError(path, 'is not a JSON object')
  return json as Record<string, unknown>
}

function labelsOf(config: BertConfig, file: string): string[] {
  if (!config.id2label) throw new ModelFileError(file, 'has no id2label: the tags of a token classifier are needed')
  return tagSetFromId2Label(config.id2label).tags.slice()
}

const isAdapter = (name: string): boolean => name.includes('.adapter.')

/**
 * A checkpoint folder's weights as the export writes them: Hugging Face names and layout (LoRA
 * already merged by the checkpoint), adapters transposed to [out, in], the CRF scores as they are.
 */
export function checkpointTensors(dir: string): ExportedTensors {
  const configPath = join(dir, CHECKPOINT_FILES.config)
  const rawConfig = readJson(configPath)
  const config = parseBertConfig(rawConfig, configPath)
  const labels = labelsOf(config, configPath)
  const weightsPath = join(dir, CHECKPOINT_FILES.weights)
  if (!existsSync(weightsPath)) throw new ModelFileError(weightsPath, 'not found')
  const raw = parseSafetensors(new Uint8Array(readFileSync(weightsPath)), weightsPath, { skipUnsupported: true })
  const match = matchWeights(raw, config)
  if (!match.ok) throw new ModelFileError(weightsPath, describeMismatch(match))
  const tensors = new Map<string, HostTensor>()
  for (const [name, t] of match.weights) if (!name.startsWith('pooler.')) tensors.set(`bert.${name}`, { shape: t.shape, data: t.data })
  const w = raw.get('classifier.weight')
  const b = raw.get('classifier.bias')
  if (!w || !b || w.shape.length !== 2 || w.shape[0] !== labels.length || w.shape[1] !== config.hidden_size || b.shape[0] !== labels.length) {
    throw new ModelFileError(weightsPath, `has no classifier for the ${labels.length} tags of config.json (classifier.weight [${labels.length}, ${config.hidden_size}] and classifier.bias [${labels.length}])`)
  }
  tensors.set('classifier.weight', { shape: w.shape, data: w.data })
  tensors.set('classifier.bias', { shape: b.shape, data: b.data })

  let adapters: ExportedTensors['adapters'] = null
  const peftPath = join(dir, CHECKPOINT_FILES.peft)
  const peftConfigPath = join(dir, CHECKPOINT_FILES.peftConfig)
  if (existsSync(peftPath) && existsSync(peftConfigPath) && readJson(peftConfigPath).method === 'adapter') {
    for (const [name, t] of parseSafetensors(new Uint8Array(readFileSync(peftPath)), peftPath)) {
      if (!isAdapter(name)) continue
      tensors.set(`bert.${name}`, t.shape.length === 2 ? transpose2d(t) : { shape: t.shape, data: t.data })
      if (name.endsWith('.adapter.down.bias')) adapters = { size: t.shape[0]! }
    }
  }
  let head: ExportedTensors['head'] = 'softmax'
  const crfPath = join(dir, CHECKPOINT_FILES.crf)
  if (existsSync(crfPath)) {
    for (const [name, t] of parseSafetensors(new Uint8Array(readFileSync(crfPath)), crfPath)) tensors.set(name, { shape: t.shape, data: t.data })
    head = 'crf'
  }
  const sorted = new Map([...tensors].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  return { config, rawConfig, labels, tensors: sorted, head, adapters }
}

export interface EncodedWeights {
  entries: TfjsWeightEntry[]
  /** The weights buffer in pieces (concatenated, they are what the shards hold). */
  parts: Uint8Array[]
  byteLength: number
  /** Names of the quantized tensors (int8 only). */
  quantized: string[]
  /** Bytes the same tensors take as float32. */
  floatBytes: number
}

/** The weights as one tfjs weights buffer (little-endian), quantized to int8 per row when asked. */
export function encodeWeights(tensors: Map<string, HostTensor>, quantize: boolean): EncodedWeights {
  const entries: TfjsWeightEntry[] = []
  const parts: Uint8Array[] = []
  const quantized: string[] = []
  let floatBytes = 0
  const pushFloat = (name: string, shape: number[], data: Float32Array): void => {
    entries.push({ name, shape, dtype: 'float32' })
    if (LITTLE_ENDIAN_HOST) {
      parts.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
      return
    }
    const bytes = new Uint8Array(data.length * 4)
    const view = new DataView(bytes.buffer)
    for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true)
    parts.push(bytes)
  }
  for (const [name, t] of tensors) {
    floatBytes += t.data.length * 4
    if (!quantize || !isQuantizable(name, t.shape)) {
      pushFloat(name, t.shape, t.data)
      continue
    }
    const q = quantizeInt8PerRow(t)
    entries.push({ name, shape: q.shape, dtype: 'float32', quantization: { dtype: 'uint8', scale: 1, min: -128, original_dtype: 'float32' } })
    const bytes = new Uint8Array(q.values.length)
    for (let i = 0; i < q.values.length; i++) bytes[i] = q.values[i]! + 128
    parts.push(bytes)
    pushFloat(`${name}${QUANT_SCALE_SUFFIX}`, [q.scales.length], q.scales)
    quantized.push(name)
  }
  return { entries, parts, byteLength: parts.reduce((n, p) => n + p.length, 0), quantized, floatBytes }
}

/** Writes the pieces as consecutive shards of `shardBytes` (the last one shorter); returns the file names. */
function writeShards(parts: Uint8Array[], byteLength: number, outDir: string, shardBytes: number): string[] {
  const count = Math.max(1, Math.ceil(byteLength / shardBytes))
  const names = Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}.bin`)
  let shard = 0
  let fd = openSync(join(outDir, names[0]!), 'w')
  let room = shardBytes
  try {
    for (const part of parts) {
      let from = 0
      while (from < part.length) {
        if (room === 0) {
          closeSync(fd)
          fd = openSync(join(outDir, names[++shard]!), 'w')
          room = shardBytes
        }
        const n = Math.min(room, part.length - from)
        writeSync(fd, part, from, n)
        from += n
        room -= n
      }
    }
  } finally {
    closeSync(fd)
  }
  return names
}

export interface TfjsExportResult {
  files: { name: string; bytes: number }[]
  /** Bytes of the weight shards. */
  weightBytes: number
  /** What the same weights take as float32. */
  floatWeightBytes: number
  labels: string[]
  head: 'softmax' | 'crf'
  adapters: { size: number } | null
  quantizedTensors: number
}

/** The special_tokens_map.json that goes with a tokenizer_config.json. */
export function specialTokensMap(tokenizerConfig: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, fallback] of [['unk_token', '[UNK]'], ['sep_token', '[SEP]'], ['pad_token', '[PAD]'], ['cls_token', '[CLS]'], ['mask_token', '[MASK]']] as const) {
    out[key] = tokenizerConfig[key] ?? fallback
  }
  return out
}

/**
 * Writes the tfjs export of the checkpoint at `checkpointDir` into `outDir` (created; files
 * of the same names are replaced). Pure file work: no tfjs.
 */
export function writeTfjsExport(checkpointDir: string, outDir: string, options: { quantize: boolean; generatedBy: string; shardBytes?: number }): TfjsExportResult {
  const exp = checkpointTensors(checkpointDir)
  const enc = encodeWeights(exp.tensors, options.quantize)
  const shardBytes = options.shardBytes ?? SHARD_BYTES
  mkdirSync(outDir, { recursive: true })
  const paths = writeShards(enc.parts, enc.byteLength, outDir, shardBytes)
  const files: TfjsExportResult['files'] = paths.map((name, i) => ({ name, bytes: i < paths.length - 1 ? shardBytes : enc.byteLength - shardBytes * (paths.length - 1) }))
  const write = (name: string, data: string | Uint8Array): void => {
    writeFileSync(join(outDir, name), data)
    files.push({ name, bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.length })
  }
  const modelJson: TfjsModelJson = {
    format: TFJS_FORMAT,
    generatedBy: options.generatedBy,
    convertedBy: null,
    weightsManifest: [{ paths, weights: enc.entries }],
    tagtune: {
      formatVersion: 1,
      architecture: 'BertForTokenClassification',
      weightLayout: 'pytorch',
      labels: exp.labels,
      head: exp.head,
      adapters: exp.adapters,
      quantization: options.quantize ? { method: INT8_METHOD, scaleSuffix: QUANT_SCALE_SUFFIX, tensors: enc.quantized } : null,
      files: { config: 'config.json', vocab: 'vocab.txt', tokenizerConfig: 'tokenizer_config.json', specialTokensMap: 'special_tokens_map.json' },
    },
  }
  write(TFJS_MODEL_JSON, modelJsonText(modelJson))
  const config = { ...exp.rawConfig, architectures: ['BertForTokenClassification'], model_type: 'bert' }
  write('config.json', `${JSON.stringify(config, null, 2)}\n`)
  write('vocab.txt', readFileSync(join(checkpointDir, CHECKPOINT_FILES.vocab)))
  const tokPath = join(checkpointDir, CHECKPOINT_FILES.tokenizerConfig)
  const tokenizerConfig = existsSync(tokPath) ? readJson(tokPath) : { do_lower_case: true }
  write('tokenizer_config.json', `${JSON.stringify(tokenizerConfig, null, 2)}\n`)
  write('special_tokens_map.json', `${JSON.stringify(specialTokensMap(tokenizerConfig), null, 2)}\n`)
  return {
    files,
    weightBytes: enc.byteLength,
    floatWeightBytes: enc.floatBytes,
    labels: exp.labels,
    head: exp.head,
    adapters: exp.adapters,
    quantizedTensors: enc.quantized.length,
  }
}

/** model.json, indented, with one line per weight entry. */
function modelJsonText(m: TfjsModelJson): string {
  const groups = m.weightsManifest.map((g) => `    {\n      "paths": ${JSON.stringify(g.paths)},\n      "weights": [\n${g.weights.map((w) => `        ${JSON.stringify(w)}`).join(',\n')}\n      ]\n    }`)
  const head = JSON.stringify({ format: m.format, generatedBy: m.generatedBy, convertedBy: m.convertedBy }, null, 2).slice(0, -2)
  return `${head},\n  "weightsManifest": [\n${groups.join(',\n')}\n  ],\n  "tagtune": ${JSON.stringify(m.tagtune, null, 2).replace(/\n/g, '\n  ')}\n}\n`
}

export function isTfjsModelFolder(dir: string): boolean {
  return existsSync(join(dir, TFJS_MODEL_JSON))
}

const BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 }

function parseModelJson(path: string): TfjsModelJson {
  const json = readJson(path)
  const fail = (message: string): never => {
    throw new ModelFileError(path, message)
  }
  if (!Array.isArray(json.weightsManifest) || json.weightsManifest.length === 0) fail('has no weightsManifest')
  const meta = json.tagtune as TagtuneTfjsMetadata | undefined
  if (!meta || typeof meta !== 'object') fail(`has no "tagtune" section: it is not a model exported by Tagtune (format ${JSON.stringify(json.format ?? null)})`)
  if (meta!.formatVersion !== 1) fail(`tagtune.formatVersion ${JSON.stringify(meta!.formatVersion)} is not supported (this Tagtune reads version 1)`)
  if (meta!.weightLayout !== 'pytorch') fail(`tagtune.weightLayout ${JSON.stringify(meta!.weightLayout)} is not supported`)
  for (const group of json.weightsManifest as unknown[]) {
    const g = group as { paths?: unknown; weights?: unknown }
    if (!Array.isArray(g.paths) || !g.paths.every((p) => typeof p === 'string' && p.length > 0 && !p.includes('..') && !p.startsWith('/'))) fail('weightsManifest has a group whose paths are not plain file names')
    if (!Array.isArray(g.weights)) fail('weightsManifest has a group without weights')
    for (const w of g.weights as TfjsWeightEntry[]) {
      if (typeof w?.name !== 'string' || !Array.isArray(w.shape) || !w.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`weightsManifest has an entry with no name or an invalid shape (${JSON.stringify(w?.name)})`)
      if (w.dtype !== 'float32') fail(`weight "${w.name}" has dtype ${JSON.stringify(w.dtype)}; only float32 weights are read`)
      if (w.quantization && !(w.quantization.dtype in BYTES)) fail(`weight "${w.name}" has quantization ${JSON.stringify(w.quantization.dtype)} (tfjs knows uint8, uint16 and float16)`)
      if (w.quantization && w.quantization.dtype !== 'float16' && (typeof w.quantization.scale !== 'number' || typeof w.quantization.min !== 'number')) fail(`weight "${w.name}" is quantized without scale and min`)
    }
  }
  return json as unknown as TfjsModelJson
}

/** Decodes one manifest group's buffer as tfjs's decodeWeights does, into float32 host tensors. */
function decodeGroup(entries: TfjsWeightEntry[], bytes: Uint8Array, file: string): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>()
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let offset = 0
  for (const e of entries) {
    const size = e.shape.reduce((a, d) => a * d, 1)
    const width = e.quantization ? BYTES[e.quantization.dtype]! : 4
    if (offset + size * width > bytes.length) throw new ModelFileError(file, `the shards end inside weight "${e.name}" (${bytes.length} bytes for ${offset + size * width} needed)`)
    const q = e.quantization
    let data: Float32Array
    if (!q && LITTLE_ENDIAN_HOST) {
      // A copy: aligned, and independent of the shards' buffer.
      data = new Float32Array(bytes.slice(offset, offset + size * 4).buffer)
    } else if (!q) {
      data = new Float32Array(size)
      for (let i = 0; i < size; i++) data[i] = view.getFloat32(offset + i * 4, true)
    } else if (q.dtype === 'uint8') {
      data = new Float32Array(size)
      for (let i = 0; i < size; i++) data[i] = bytes[offset + i]! * q.scale! + q.min!
    } else {
      const raw = new Uint16Array(size)
      for (let i = 0; i < size; i++) raw[i] = view.getUint16(offset + i * 2, true)
      if (q.dtype === 'float16') data = f16ToF32(raw)
      else {
        data = new Float32Array(size)
        for (let i = 0; i < size; i++) data[i] = raw[i]! * q.scale! + q.min!
      }
    }
    out.set(e.name, { shape: [...e.shape], data })
    offset += size * width
  }
  if (offset !== bytes.length) throw new ModelFileError(file, `the shards hold ${bytes.length} bytes but the manifest describes ${offset}`)
  return out
}

export interface TfjsWeights {
  modelJson: TfjsModelJson
  config: BertConfig
  /** Float32, dequantized; Hugging Face names, PyTorch layout; the scale tensors consumed. */
  tensors: Map<string, HostTensor>
}

/** Reads and decodes a tfjs export folder (dequantizing the int8 weights). Pure. */
export function readTfjsWeights(dir: string): TfjsWeights {
  const jsonPath = join(dir, TFJS_MODEL_JSON)
  if (!existsSync(jsonPath)) throw new ModelFileError(jsonPath, 'not found; a tfjs export folder holds model.json beside its weight shards')
  const modelJson = parseModelJson(jsonPath)
  const configPath = join(dir, 'config.json')
  const config = parseBertConfig(readJson(configPath), configPath)
  const tensors = new Map<string, HostTensor>()
  for (const group of modelJson.weightsManifest) {
    const buffers = group.paths.map((p) => {
      const path = join(dir, p)
      if (!existsSync(path)) throw new ModelFileError(path, 'not found (listed in model.json)')
      return new Uint8Array(readFileSync(path))
    })
    const total = buffers.reduce((n, b) => n + b.length, 0)
    const all = new Uint8Array(total)
    let offset = 0
    for (const b of buffers) {
      all.set(b, offset)
      offset += b.length
    }
    for (const [name, t] of decodeGroup(group.weights, all, join(dir, group.paths[0]!))) tensors.set(name, t)
  }
  const q = modelJson.tagtune.quantization
  if (q) {
    for (const name of q.tensors) {
      const values = tensors.get(name)
      const scales = tensors.get(`${name}${q.scaleSuffix}`)
      if (!values || !scales) throw new ModelFileError(jsonPath, `quantized weight "${name}" or its scales "${name}${q.scaleSuffix}" are missing`)
      if (values.shape.length !== 2 || scales.shape.length !== 1 || scales.shape[0] !== values.shape[0]) {
        throw new ModelFileError(jsonPath, `quantized weight "${name}" [${values.shape.join(', ')}] does not have one scale per row ([${scales.shape.join(', ')}])`)
      }
      tensors.set(name, { shape: values.shape, data: dequantizeInt8PerRow(values.data, scales.data, values.shape) })
      tensors.delete(`${name}${q.scaleSuffix}`)
    }
  }
  return { modelJson, config, tensors }
}

export interface LoadedTfjsModel {
  model: TokenClassifier
  modelJson: TfjsModelJson
  notes: string[]
}

/** Loads a tfjs export folder as a token classifier the engine runs (predict, evaluate). */
export function loadTfjsTokenClassifier(dir: string): LoadedTfjsModel {
  const { modelJson, config, tensors } = readTfjsWeights(dir)
  const file = join(dir, TFJS_MODEL_JSON)
  const meta = modelJson.tagtune
  const labels = labelsOf(config, join(dir, 'config.json'))
  if (labels.length !== meta.labels.length || labels.some((l, i) => l !== meta.labels[i])) {
    throw new ModelFileError(file, `tagtune.labels (${meta.labels.join(', ')}) differ from config.json's id2label (${labels.join(', ')})`)
  }
  const bert = new Map<string, HostTensor>()
  const extra = new Map<string, HostTensor>()
  for (const [name, t] of tensors) {
    if (name.startsWith('bert.') && isAdapter(name)) extra.set(name.slice('bert.'.length), t)
    else if (name.startsWith('bert.')) bert.set(name, t)
    else extra.set(name, t)
  }
  const host = bertFromHuggingFace(bert, config, file)
  const w = extra.get('classifier.weight')
  const b = extra.get('classifier.bias')
  if (!w || !b || w.shape[0] !== labels.length || w.shape[1] !== config.hidden_size || b.shape[0] !== labels.length) {
    throw new ModelFileError(file, `has no classifier.weight [${labels.length}, ${config.hidden_size}] and classifier.bias [${labels.length}]`)
  }
  if (meta.head === 'crf' && !extra.has('crf.transitions')) throw new ModelFileError(file, 'tagtune.head is "crf" but there are no crf.* weights')
  const notes: string[] = []
  const params: ParamMap = new Map()
  const add = (name: string, t: HostTensor): void => void params.set(name, variableFrom(tf.tensor(t.data, t.shape, 'float32')))
  for (const [name, t] of host) add(name, t)
  add('classifier.weight', transpose2d(w))
  add('classifier.bias', b)
  for (const [name, t] of extra) {
    if (isAdapter(name)) add(name, t.shape.length === 2 ? transpose2d(t) : t)
    else if (name.startsWith('crf.')) add(name, t)
    else if (!name.startsWith('classifier.')) notes.push(`Weight "${name}" is not used.`)
  }
  const model: TokenClassifier = {
    config: { ...config, architectures: ['BertForTokenClassification'], id2label: Object.fromEntries(labels.map((l, i) => [i, l])), label2id: Object.fromEntries(labels.map((l, i) => [l, i])) },
    params,
    labels,
  }
  if (meta.head === 'crf') {
    model.crf = allowedTransitions(tagSetFromId2Label(labels))
    notes.push('CRF head: predictions are decoded with Viterbi.')
  }
  if (meta.quantization) notes.push(`${meta.quantization.tensors.length} weights were stored as int8 (one scale per row) and are dequantized to float32.`)
  return { model, modelJson, notes }
}
