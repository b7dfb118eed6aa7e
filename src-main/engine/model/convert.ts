/**
 * Converting between Hugging Face tensors (PyTorch layout, [out, in] Linear weights, separate
 * query/key/value) and the engine's parameters ([in, out], fused qkv). Pure data shuffling on
 * Float32Arrays, so it is exact and testable without a backend.
 */
import type { BertConfig } from './bert-config'
import { layerPrefix } from './bert'
import { matchWeights, describeMismatch } from './weights'
import { ModelFileError } from './errors'

export interface HostTensor {
  shape: number[]
  data: Float32Array
}

/** [rows, cols] → [cols, rows] */
export function transpose2d(t: HostTensor): HostTensor {
  const [r, c] = t.shape as [number, number]
  const out = new Float32Array(r * c)
  const src = t.data
  for (let i = 0; i < r; i++) {
    const row = i * c
    for (let j = 0; j < c; j++) out[j * r + i] = src[row + j]!
  }
  return { shape: [c, r], data: out }
}

/** Concatenates [in, out_k] matrices along the columns. */
function concatColumns(parts: HostTensor[]): HostTensor {
  const rows = parts[0]!.shape[0]!
  const widths = parts.map((p) => p.shape[1]!)
  const total = widths.reduce((a, b) => a + b, 0)
  const out = new Float32Array(rows * total)
  let col = 0
  for (const p of parts) {
    const w = p.shape[1]!
    for (let i = 0; i < rows; i++) out.set(p.data.subarray(i * w, (i + 1) * w), i * total + col)
    col += w
  }
  return { shape: [rows, total], data: out }
}

function sliceColumns(t: HostTensor, from: number, width: number): HostTensor {
  const [rows, cols] = t.shape as [number, number]
  const out = new Float32Array(rows * width)
  for (let i = 0; i < rows; i++) out.set(t.data.subarray(i * cols + from, i * cols + from + width), i * width)
  return { shape: [rows, width], data: out }
}

const LINEARS = ['attention.output.dense', 'intermediate.dense', 'output.dense'] as const
const QKV = ['query', 'key', 'value'] as const

/**
 * The engine's BertModel parameters from a checkpoint's tensors (with or without the `bert.`
 * prefix, old gamma/beta names accepted). Throws a ModelFileError naming missing, unexpected
 * and mis-shaped tensors when they do not describe `config`'s model.
 */
export function bertFromHuggingFace(tensors: Map<string, HostTensor>, config: BertConfig, file = 'model.safetensors'): Map<string, HostTensor> {
  const match = matchWeights(tensors, config)
  if (!match.ok) throw new ModelFileError(file, describeMismatch(match))
  const w = match.weights
  const get = (name: string): HostTensor => w.get(name)!
  const out = new Map<string, HostTensor>()
  for (const name of ['embeddings.word_embeddings.weight', 'embeddings.position_embeddings.weight', 'embeddings.token_type_embeddings.weight', 'embeddings.LayerNorm.weight', 'embeddings.LayerNorm.bias']) {
    out.set(name, get(name))
  }
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = layerPrefix(i)
    out.set(`${p}.attention.self.qkv.weight`, concatColumns(QKV.map((k) => transpose2d(get(`${p}.attention.self.${k}.weight`)))))
    const biases = QKV.map((k) => get(`${p}.attention.self.${k}.bias`))
    const qkvBias = new Float32Array(3 * config.hidden_size)
    biases.forEach((b, j) => qkvBias.set(b.data, j * config.hidden_size))
    out.set(`${p}.attention.self.qkv.bias`, { shape: [3 * config.hidden_size], data: qkvBias })
    for (const l of LINEARS) {
      out.set(`${p}.${l}.weight`, transpose2d(get(`${p}.${l}.weight`)))
      out.set(`${p}.${l}.bias`, get(`${p}.${l}.bias`))
    }
    for (const ln of ['attention.output.LayerNorm', 'output.LayerNorm']) {
      out.set(`${p}.${ln}.weight`, get(`${p}.${ln}.weight`))
      out.set(`${p}.${ln}.bias`, get(`${p}.${ln}.bias`))
    }
  }
  return out
}

/** The engine's parameters back in Hugging Face's names and layout, prefixed (e.g. 'bert.'). */
export function bertToHuggingFace(params: Map<string, HostTensor>, config: BertConfig, prefix = 'bert.'): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>()
  const H = config.hidden_size
  const get = (name: string): HostTensor => {
    const t = params.get(name)
    if (!t) throw new Error(`the model has no parameter ${name}`)
    return t
  }
  for (const name of ['embeddings.word_embeddings.weight', 'embeddings.position_embeddings.weight', 'embeddings.token_type_embeddings.weight', 'embeddings.LayerNorm.weight', 'embeddings.LayerNorm.bias']) {
    out.set(prefix + name, get(name))
  }
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = layerPrefix(i)
    const qkv = get(`${p}.attention.self.qkv.weight`)
    const qkvBias = get(`${p}.attention.self.qkv.bias`)
    QKV.forEach((k, j) => {
      out.set(`${prefix}${p}.attention.self.${k}.weight`, transpose2d(sliceColumns(qkv, j * H, H)))
      out.set(`${prefix}${p}.attention.self.${k}.bias`, { shape: [H], data: qkvBias.data.slice(j * H, (j + 1) * H) })
    })
    for (const l of LINEARS) {
      out.set(`${prefix}${p}.${l}.weight`, transpose2d(get(`${p}.${l}.weight`)))
      out.set(`${prefix}${p}.${l}.bias`, get(`${p}.${l}.bias`))
    }
    for (const ln of ['attention.output.LayerNorm', 'output.LayerNorm']) {
      out.set(`${prefix}${p}.${ln}.weight`, get(`${p}.${ln}.weight`))
      out.set(`${prefix}${p}.${ln}.bias`, get(`${p}.${ln}.bias`))
    }
  }
  return out
}
