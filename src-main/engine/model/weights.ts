/**
 * The parameters of transformers' BertModel, by their Hugging Face names and PyTorch shapes
 * (Linear weights are [out, in]), and matching a checkpoint's tensors against them.
 */
import type { BertConfig } from './bert-config'

type Dims = Pick<
  BertConfig,
  'vocab_size' | 'hidden_size' | 'num_hidden_layers' | 'intermediate_size' | 'max_position_embeddings' | 'type_vocab_size'
>

/** Present in BertModel(add_pooling_layer=True) checkpoints, absent from token-classification ones. */
export const OPTIONAL_BERT_WEIGHTS: readonly string[] = ['pooler.dense.weight', 'pooler.dense.bias']

/** Heads of BertFor* models; the encoder does not use them. */
const HEAD_PREFIXES = ['cls.', 'classifier.']
/** Non-parameter buffers some checkpoints carry (older transformers saved position_ids). */
const HARMLESS_BUFFERS = ['embeddings.position_ids', 'embeddings.token_type_ids']

/** Every BertModel parameter name (without the 'bert.' prefix) and its shape, pooler included. */
export function expectedBertWeights(config: Dims): Map<string, number[]> {
  const H = config.hidden_size
  const I = config.intermediate_size
  const m = new Map<string, number[]>()
  const linear = (name: string, out: number, inp: number): void => {
    m.set(`${name}.weight`, [out, inp])
    m.set(`${name}.bias`, [out])
  }
  const layerNorm = (name: string): void => {
    m.set(`${name}.weight`, [H])
    m.set(`${name}.bias`, [H])
  }
  m.set('embeddings.word_embeddings.weight', [config.vocab_size, H])
  m.set('embeddings.position_embeddings.weight', [config.max_position_embeddings, H])
  m.set('embeddings.token_type_embeddings.weight', [config.type_vocab_size, H])
  layerNorm('embeddings.LayerNorm')
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `encoder.layer.${i}`
    linear(`${p}.attention.self.query`, H, H)
    linear(`${p}.attention.self.key`, H, H)
    linear(`${p}.attention.self.value`, H, H)
    linear(`${p}.attention.output.dense`, H, H)
    layerNorm(`${p}.attention.output.LayerNorm`)
    linear(`${p}.intermediate.dense`, I, H)
    linear(`${p}.output.dense`, H, I)
    layerNorm(`${p}.output.LayerNorm`)
  }
  linear('pooler.dense', H, H)
  return m
}

export interface WeightMatch<T extends { shape: number[] }> {
  /** Tensors by their canonical BertModel name (no prefix, weight/bias), with the expected shapes. */
  weights: Map<string, T>
  /** Required parameters not found (canonical names). */
  missing: string[]
  /** Optional parameters (the pooler) not found: not an error. */
  missingOptional: string[]
  /** Tensors that are neither BertModel parameters nor known heads (names as in the file). */
  unexpected: string[]
  /** Known heads and buffers (cls.*, classifier.*, position_ids), left out harmlessly (names as in the file). */
  ignored: string[]
  misshaped: { name: string; expected: number[]; actual: number[] }[]
  /** The prefix the checkpoint's encoder names carry: 'bert.' for BertFor* models. */
  prefix: '' | 'bert.'
  /** No required parameter is missing or misshaped. */
  ok: boolean
}

/** Old TF-converted checkpoints name LayerNorm parameters gamma and beta. */
function canonical(name: string): string {
  if (name.endsWith('.gamma')) return `${name.slice(0, -'.gamma'.length)}.weight`
  if (name.endsWith('.beta')) return `${name.slice(0, -'.beta'.length)}.bias`
  return name
}

const isHarmless = (name: string): boolean =>
  HEAD_PREFIXES.some((p) => name.startsWith(p)) || HARMLESS_BUFFERS.includes(name)

export function matchWeights<T extends { shape: number[] }>(tensors: Map<string, T>, config: Dims): WeightMatch<T> {
  const expected = expectedBertWeights(config)
  // The prefix is whichever form names more of the expected parameters.
  let withPrefix = 0
  let without = 0
  for (const name of tensors.keys()) {
    if (name.startsWith('bert.') && expected.has(canonical(name.slice(5)))) withPrefix++
    else if (expected.has(canonical(name))) without++
  }
  const prefix: '' | 'bert.' = withPrefix > without ? 'bert.' : ''

  const weights = new Map<string, T>()
  const unexpected: string[] = []
  const ignored: string[] = []
  const misshaped: WeightMatch<T>['misshaped'] = []
  for (const [name, tensor] of tensors) {
    const bare = prefix && name.startsWith(prefix) ? name.slice(prefix.length) : prefix ? null : name
    const key = bare === null ? null : canonical(bare)
    const shape = key === null ? undefined : expected.get(key)
    if (key === null || shape === undefined) {
      if (isHarmless(name) || (bare !== null && isHarmless(bare))) ignored.push(name)
      else unexpected.push(name)
      continue
    }
    if (weights.has(key) || misshaped.some((m) => m.name === key)) {
      unexpected.push(name) // the same parameter twice (e.g. both gamma and weight)
      continue
    }
    if (tensor.shape.length !== shape.length || tensor.shape.some((d, i) => d !== shape[i])) {
      misshaped.push({ name: key, expected: shape, actual: [...tensor.shape] })
      continue
    }
    weights.set(key, tensor)
  }

  const missing: string[] = []
  const missingOptional: string[] = []
  for (const name of expected.keys()) {
    if (weights.has(name) || misshaped.some((m) => m.name === name)) continue
    if (OPTIONAL_BERT_WEIGHTS.includes(name)) missingOptional.push(name)
    else missing.push(name)
  }
  return { weights, missing, missingOptional, unexpected, ignored, misshaped, prefix, ok: missing.length === 0 && misshaped.length === 0 }
}

const LIST_LIMIT = 10

function list(items: string[]): string {
  const shown = items.slice(0, LIST_LIMIT).map((s) => `  - ${s}`)
  if (items.length > LIST_LIMIT) shown.push(`  … and ${items.length - LIST_LIMIT} more`)
  return shown.join('\n')
}

/** A user-facing account of what does not match, naming at most 10 tensors per list. */
export function describeMismatch(result: Omit<WeightMatch<{ shape: number[] }>, 'weights'>): string {
  const lines: string[] = []
  if (result.ok) {
    lines.push('The weights match the BERT model described by config.json.')
  } else {
    lines.push('The weights do not match the BERT model described by config.json.')
  }
  if (result.missing.length > 0) {
    lines.push(`${result.missing.length} missing tensor${result.missing.length === 1 ? '' : 's'}:`, list(result.missing))
  }
  if (result.misshaped.length > 0) {
    lines.push(
      `${result.misshaped.length} tensor${result.misshaped.length === 1 ? '' : 's'} with the wrong shape:`,
      list(result.misshaped.map((m) => `${m.name}: expected [${m.expected.join(', ')}], found [${m.actual.join(', ')}]`)),
    )
  }
  if (result.unexpected.length > 0) {
    lines.push(
      `${result.unexpected.length} unexpected tensor${result.unexpected.length === 1 ? '' : 's'} (not part of a BERT encoder):`,
      list(result.unexpected),
    )
  }
  if (result.ignored.length > 0) {
    lines.push(`${result.ignored.length} head or buffer tensor${result.ignored.length === 1 ? '' : 's'} ignored (harmless):`, list(result.ignored))
  }
  return lines.join('\n')
}
