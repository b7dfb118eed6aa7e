/**
 * A Hugging Face BERT config.json, validated: the fields BertModel reads, with the library's
 * defaults (transformers' BertConfig) for the optional ones. Errors name the file and the field.
 */
import { ModelFileError } from './errors'

export type BertHiddenAct = 'gelu' | 'gelu_new' | 'relu'

export interface BertConfig {
  model_type: 'bert'
  architectures: string[]
  vocab_size: number
  hidden_size: number
  num_hidden_layers: number
  num_attention_heads: number
  intermediate_size: number
  hidden_act: BertHiddenAct
  hidden_dropout_prob: number
  attention_probs_dropout_prob: number
  max_position_embeddings: number
  type_vocab_size: number
  layer_norm_eps: number
  initializer_range: number
  /** null when the config says there is no padding token. */
  pad_token_id: number | null
  position_embedding_type: 'absolute'
  id2label?: Record<number, string>
  label2id?: Record<string, number>
}

/** transformers' BertConfig defaults for the optional fields. */
export const BERT_CONFIG_DEFAULTS = {
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
  initializer_range: 0.02,
  pad_token_id: 0,
  position_embedding_type: 'absolute',
} as const

/** Shape-defining sizes with no safe default: a config.json without them is not trusted. */
const REQUIRED_SIZES = ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size'] as const

const HIDDEN_ACTS: readonly string[] = ['gelu', 'gelu_new', 'relu']

export function parseBertConfig(json: unknown, file = 'config.json'): BertConfig {
  const fail = (message: string): never => {
    throw new ModelFileError(file, message)
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('is not a JSON object')
  const o = json as Record<string, unknown>
  const show = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v) ?? String(v))

  // architectures first: it is the fallback evidence for a missing model_type.
  let architectures: string[] = []
  if (o.architectures !== undefined && o.architectures !== null) {
    if (!Array.isArray(o.architectures) || !o.architectures.every((a) => typeof a === 'string')) {
      fail(`architectures must be a list of class names, not ${show(o.architectures)}`)
    }
    architectures = [...(o.architectures as string[])]
  }

  if (o.model_type === undefined) {
    // Very old configs have no model_type; transformers then guesses. Accept only plain BERT.
    const foreign = architectures.find((a) => !a.startsWith('Bert'))
    if (foreign !== undefined) {
      fail(`model_type is missing and architectures names ${foreign}; Tagtune currently reads only BERT models (model_type 'bert')`)
    }
  } else if (o.model_type !== 'bert') {
    fail(`model_type ${show(o.model_type)} is not supported; Tagtune currently reads only BERT models (model_type 'bert')`)
  }

  const positiveInt = (field: string, fallback?: number): number => {
    const v = o[field]
    if (v === undefined || v === null) {
      if (fallback === undefined) fail(`${field} is missing`)
      return fallback!
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) fail(`${field} (${show(v)}) must be a positive integer`)
    return v as number
  }
  const probability = (field: string, fallback: number): number => {
    const v = o[field] ?? fallback
    if (typeof v !== 'number' || !(v >= 0 && v < 1)) fail(`${field} (${show(v)}) must be a number from 0 up to (not including) 1`)
    return v as number
  }
  const positiveNumber = (field: string, fallback: number): number => {
    const v = o[field] ?? fallback
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(`${field} (${show(v)}) must be a positive number`)
    return v as number
  }

  const [vocab_size, hidden_size, num_hidden_layers, num_attention_heads, intermediate_size] = REQUIRED_SIZES.map((f) =>
    positiveInt(f),
  ) as [number, number, number, number, number]
  if (hidden_size % num_attention_heads !== 0) {
    fail(`hidden_size (${hidden_size}) must be divisible by num_attention_heads (${num_attention_heads})`)
  }

  const hidden_act = o.hidden_act ?? BERT_CONFIG_DEFAULTS.hidden_act
  if (typeof hidden_act !== 'string' || !HIDDEN_ACTS.includes(hidden_act)) {
    fail(`hidden_act ${show(hidden_act)} is not supported (use one of ${HIDDEN_ACTS.map((a) => `'${a}'`).join(', ')})`)
  }

  const position_embedding_type = o.position_embedding_type ?? BERT_CONFIG_DEFAULTS.position_embedding_type
  if (position_embedding_type !== 'absolute') {
    fail(`position_embedding_type ${show(position_embedding_type)} is not supported (only 'absolute' is)`)
  }

  let pad_token_id: number | null = BERT_CONFIG_DEFAULTS.pad_token_id
  if (o.pad_token_id === null) pad_token_id = null
  else if (o.pad_token_id !== undefined) {
    const p = o.pad_token_id
    if (typeof p !== 'number' || !Number.isSafeInteger(p) || p < 0 || p >= vocab_size) {
      fail(`pad_token_id (${show(p)}) must be an integer from 0 to vocab_size - 1 (${vocab_size - 1})`)
    }
    pad_token_id = p as number
  }

  const config: BertConfig = {
    model_type: 'bert',
    architectures,
    vocab_size,
    hidden_size,
    num_hidden_layers,
    num_attention_heads,
    intermediate_size,
    hidden_act: hidden_act as BertHiddenAct,
    hidden_dropout_prob: probability('hidden_dropout_prob', BERT_CONFIG_DEFAULTS.hidden_dropout_prob),
    attention_probs_dropout_prob: probability('attention_probs_dropout_prob', BERT_CONFIG_DEFAULTS.attention_probs_dropout_prob),
    max_position_embeddings: positiveInt('max_position_embeddings', BERT_CONFIG_DEFAULTS.max_position_embeddings),
    type_vocab_size: positiveInt('type_vocab_size', BERT_CONFIG_DEFAULTS.type_vocab_size),
    layer_norm_eps: positiveNumber('layer_norm_eps', BERT_CONFIG_DEFAULTS.layer_norm_eps),
    initializer_range: positiveNumber('initializer_range', BERT_CONFIG_DEFAULTS.initializer_range),
    pad_token_id,
    position_embedding_type: 'absolute',
  }

  if (o.id2label !== undefined && o.id2label !== null) {
    if (typeof o.id2label !== 'object' || Array.isArray(o.id2label)) fail('id2label must be an object mapping ids to labels')
    const id2label: Record<number, string> = {}
    for (const [k, v] of Object.entries(o.id2label as Record<string, unknown>)) {
      const id = Number(k)
      if (!/^\d+$/.test(k) || !Number.isSafeInteger(id)) fail(`id2label key ${show(k)} is not a non-negative integer`)
      if (typeof v !== 'string') fail(`id2label[${k}] (${show(v)}) must be a string`)
      id2label[id] = v as string
    }
    config.id2label = id2label
  }
  if (o.label2id !== undefined && o.label2id !== null) {
    if (typeof o.label2id !== 'object' || Array.isArray(o.label2id)) fail('label2id must be an object mapping labels to ids')
    const label2id: Record<string, number> = {}
    for (const [k, v] of Object.entries(o.label2id as Record<string, unknown>)) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`label2id[${show(k)}] (${show(v)}) must be a non-negative integer`)
      label2id[k] = v as number
    }
    config.label2id = label2id
  }
  return config
}
