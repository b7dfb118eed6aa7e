/**
 * The Hugging Face export of a checkpoint: a folder transformers loads as
 * BertForTokenClassification. The checkpoint's model.safetensors already holds exactly that
 * state dict (LoRA merged in), so it is checked tensor by tensor from its header and copied;
 * config.json, the tokenizer files and special_tokens_map.json are written beside it. What
 * transformers cannot hold stays in Tagtune's own files: a CRF head's scores (crf.safetensors)
 * and adapters (peft.safetensors with peft_config.json). No tfjs here: plain file work.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs'
import { copyFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseBertConfig, type BertConfig } from '../../engine/model/bert-config'
import { expectedBertWeights, OPTIONAL_BERT_WEIGHTS } from '../../engine/model/weights'
import { AppError } from '../../../src-shared/ipc/errors'

export interface CheckpointInfo {
  config: BertConfig
  rawConfig: Record<string, unknown>
  labels: string[]
  tokenizerConfig: Record<string, unknown>
  head: 'softmax' | 'crf'
  peft: { method: 'lora' | 'adapter'; detail: Record<string, unknown> } | null
}

function readJsonObject(path: string): Record<string, unknown> {
  let json: unknown
  try {
    json = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new AppError('FAILED', `The checkpoint file ${path} cannot be read (${(err as Error).message}).`)
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new AppError('FAILED', `The checkpoint file ${path} is not a JSON object.`)
  return json as Record<string, unknown>
}

/** The tensor names and shapes of a safetensors file, from its header only (the weights are not read). */
export function safetensorsShapes(path: string): Map<string, number[]> {
  const fd = openSync(path, 'r')
  try {
    const head = Buffer.alloc(8)
    if (readSync(fd, head, 0, 8, 0) !== 8) throw new Error('truncated')
    const n = Number(head.readBigUInt64LE(0))
    if (n < 2 || n > 100_000_000) throw new Error(`header length ${n} is not plausible`)
    const buf = Buffer.alloc(n)
    if (readSync(fd, buf, 0, n, 8) !== n) throw new Error('truncated header')
    const header = JSON.parse(buf.toString('utf8')) as Record<string, { shape?: number[] }>
    const out = new Map<string, number[]>()
    for (const [name, v] of Object.entries(header)) if (name !== '__metadata__') out.set(name, [...(v.shape ?? [])])
    return out
  } catch (err) {
    throw new AppError('FAILED', `${path} is not a readable safetensors file (${(err as Error).message}).`)
  } finally {
    closeSync(fd)
  }
}

/** Every tensor of transformers' BertForTokenClassification state dict and its shape. */
export function tokenClassificationStateDict(config: BertConfig, numLabels: number): Map<string, number[]> {
  const out = new Map<string, number[]>()
  for (const [name, shape] of expectedBertWeights(config)) if (!OPTIONAL_BERT_WEIGHTS.includes(name)) out.set(`bert.${name}`, shape)
  out.set('classifier.weight', [numLabels, config.hidden_size])
  out.set('classifier.bias', [numLabels])
  return out
}

export function readCheckpoint(dir: string): CheckpointInfo {
  const configPath = join(dir, 'config.json')
  const rawConfig = readJsonObject(configPath)
  let config: BertConfig
  try {
    config = parseBertConfig(rawConfig, configPath)
  } catch (err) {
    throw new AppError('FAILED', (err as Error).message)
  }
  const ids = Object.keys(config.id2label ?? {}).map(Number).sort((a, b) => a - b)
  if (ids.length === 0 || ids.some((id, i) => id !== i)) throw new AppError('FAILED', `${configPath} does not list the model's tags (id2label 0..n-1).`)
  const labels = ids.map((i) => config.id2label![i]!)
  const tokPath = join(dir, 'tokenizer_config.json')
  const tokenizerConfig = existsSync(tokPath) ? readJsonObject(tokPath) : {}
  const peftPath = join(dir, 'peft_config.json')
  let peft: CheckpointInfo['peft'] = null
  if (existsSync(peftPath) && existsSync(join(dir, 'peft.safetensors'))) {
    const p = readJsonObject(peftPath)
    if (p.method === 'lora' || p.method === 'adapter') peft = { method: p.method, detail: p }
  }
  return { config, rawConfig, labels, tokenizerConfig, head: existsSync(join(dir, 'crf.safetensors')) ? 'crf' : 'softmax', peft }
}

/** Compares the checkpoint's tensors with BertForTokenClassification's; the problems, or an empty list. */
export function stateDictProblems(actual: Map<string, number[]>, expected: Map<string, number[]>): string[] {
  const problems: string[] = []
  for (const [name, shape] of expected) {
    const got = actual.get(name)
    if (!got) problems.push(`missing ${name}`)
    else if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) problems.push(`${name} is [${got.join(', ')}], expected [${shape.join(', ')}]`)
  }
  for (const name of actual.keys()) if (!expected.has(name)) problems.push(`unexpected ${name}`)
  return problems
}

export interface HfExport {
  files: string[]
  warnings: string[]
}

export const SPECIAL_TOKENS = [['unk_token', '[UNK]'], ['sep_token', '[SEP]'], ['pad_token', '[PAD]'], ['cls_token', '[CLS]'], ['mask_token', '[MASK]']] as const

/** Writes the Hugging Face folder (all but README.md) into `outDir`. */
export async function writeHuggingFaceFolder(checkpointDir: string, outDir: string, info: CheckpointInfo): Promise<HfExport> {
  const weights = join(checkpointDir, 'model.safetensors')
  const problems = stateDictProblems(safetensorsShapes(weights), tokenClassificationStateDict(info.config, info.labels.length))
  if (problems.length > 0) {
    throw new AppError('FAILED', `${weights} is not a complete BertForTokenClassification state dict:\n${problems.slice(0, 10).map((p) => `  - ${p}`).join('\n')}`)
  }
  const files: string[] = []
  const warnings: string[] = []
  const json = (name: string, value: unknown): void => {
    writeFileSync(join(outDir, name), `${JSON.stringify(value, null, 2)}\n`)
    files.push(name)
  }
  const copy = async (name: string): Promise<void> => {
    await copyFile(join(checkpointDir, name), join(outDir, name))
    files.push(name)
  }
  json('config.json', { ...info.rawConfig, architectures: ['BertForTokenClassification'], model_type: 'bert' })
  await copy('model.safetensors')
  await copy('vocab.txt')
  json('tokenizer_config.json', { tokenizer_class: 'BertTokenizer', ...info.tokenizerConfig })
  json('special_tokens_map.json', Object.fromEntries(SPECIAL_TOKENS.map(([k, d]) => [k, info.tokenizerConfig[k] ?? d])))
  if (info.head === 'crf') {
    await copy('crf.safetensors')
    warnings.push('CRF head: transformers has no CRF layer. model.safetensors loads as BertForTokenClassification and predicts with the argmax of its logits, which can differ from the Viterbi decoding Tagtune uses; the CRF scores are in crf.safetensors (crf.transitions [from, to], crf.start, crf.end).')
  }
  if (info.peft?.method === 'adapter') {
    await copy('peft.safetensors')
    await copy('peft_config.json')
    warnings.push('Adapters: Houlsby adapters cannot be merged into BertForTokenClassification. They are in peft.safetensors (with peft_config.json); loaded in plain transformers, model.safetensors is the model WITHOUT its adapters and will not predict what this run learned. Use the tfjs export, or Tagtune, for this model.')
  }
  return { files, warnings }
}
