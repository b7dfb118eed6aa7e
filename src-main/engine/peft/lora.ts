/**
 * LoRA (Hu et al. 2021): a frozen projection W gains a trainable low-rank update,
 * y = xW + (alpha/r)·dropout(x)·A·B, with A [in, r] random and B [r, out] zero, so at step 0
 * the model computes exactly what the base model does. Adapters live beside their projection
 * as `<projection>.lora_A` / `.lora_B`. For export, `mergeLora` folds (alpha/r)·A·B into W,
 * giving an ordinary BERT checkpoint with the same predictions.
 *
 * Target names follow the user's view of the model (query, key, value, attention_output, ffn);
 * query/key/value map onto the column blocks of the engine's fused qkv projection.
 */
import * as tf from '@tensorflow/tfjs'
import type { BertConfig } from '../model/bert-config'
import { layerPrefix, type ParamMap } from '../model/bert'
import type { HostTensor } from '../model/convert'
import { matMul2d, dropout } from '../ops/layers'
import { variableFrom } from '../ops/variables'
import type { LORA_TARGETS } from '../../../src-shared/domain/run-config'

export type LoraTarget = (typeof LORA_TARGETS)[number]

export interface LoraSettings {
  rank: number
  alpha: number
  dropout: number
}

/** Projections (engine names, without .weight) a target adapts, with their [in, out] sizes and, for q/k/v, the column block of qkv. */
function sites(config: BertConfig, layer: number, target: LoraTarget): { name: string; inDim: number; outDim: number }[] {
  const H = config.hidden_size
  const I = config.intermediate_size
  const p = layerPrefix(layer)
  switch (target) {
    case 'query':
    case 'key':
    case 'value':
      return [{ name: `${p}.attention.self.${target}`, inDim: H, outDim: H }]
    case 'attention_output':
      return [{ name: `${p}.attention.output.dense`, inDim: H, outDim: H }]
    case 'ffn':
      return [
        { name: `${p}.intermediate.dense`, inDim: H, outDim: I },
        { name: `${p}.output.dense`, inDim: I, outDim: H },
      ]
  }
}

/** Adds LoRA variables for `targets` in every layer. A ~ N(0, 1/r) (seeded), B = 0. */
export function addLora(params: ParamMap, config: BertConfig, targets: readonly LoraTarget[], rank: number, seed: number): void {
  let n = 0
  for (let l = 0; l < config.num_hidden_layers; l++) {
    for (const t of targets) {
      for (const s of sites(config, l, t)) {
        params.set(`${s.name}.lora_A`, variableFrom(tf.randomNormal([s.inDim, rank], 0, 1 / Math.sqrt(rank), 'float32', seed * 7919 + 31 * n++)))
        params.set(`${s.name}.lora_B`, variableFrom(tf.zeros([rank, s.outDim])))
      }
    }
  }
}

export function hasLora(params: ParamMap): boolean {
  for (const n of params.keys()) if (n.endsWith('.lora_A')) return true
  return false
}

/** (alpha/r)·dropout(x)·A·B for the projection `site` (engine name without .weight), or undefined when it has no LoRA. */
export function loraDelta(params: ParamMap, site: string, x: tf.Tensor2D, settings: LoraSettings | undefined, seed: number | undefined): tf.Tensor2D | undefined {
  const a = params.get(`${site}.lora_A`) as tf.Variable<tf.Rank.R2> | undefined
  const b = params.get(`${site}.lora_B`) as tf.Variable<tf.Rank.R2> | undefined
  if (!a || !b || !settings) return undefined
  const input = settings.dropout > 0 && seed !== undefined ? (dropout(x, settings.dropout, seed) as tf.Tensor2D) : x
  return tf.mul(matMul2d(matMul2d(input, a), b), settings.alpha / settings.rank) as tf.Tensor2D
}

/** The fused qkv output plus the LoRA updates of whichever of query/key/value have one. */
export function loraQkv(params: ParamMap, layerPrefixName: string, x: tf.Tensor2D, qkv: tf.Tensor2D, settings: LoraSettings | undefined, seed: number | undefined): tf.Tensor2D {
  if (!settings) return qkv
  const deltas = (['query', 'key', 'value'] as const).map((t, j) => loraDelta(params, `${layerPrefixName}.attention.self.${t}`, x, settings, seed === undefined ? undefined : seed + j))
  if (deltas.every((d) => d === undefined)) return qkv
  const H = qkv.shape[1] / 3
  const parts = deltas.map((d) => d ?? tf.zeros([x.shape[0], H]))
  return tf.add(qkv, tf.concat(parts, 1)) as tf.Tensor2D
}

/**
 * The engine parameters with every LoRA update merged into its base weight (and the lora_*
 * variables left out): W' = W + (alpha/r)·A·B, on the host, exact up to float rounding.
 */
export function mergeLora(values: Map<string, HostTensor>, settings: LoraSettings): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>()
  for (const [name, t] of values) if (!name.includes('.lora_')) out.set(name, { shape: [...t.shape], data: t.data.slice() })
  const scale = settings.alpha / settings.rank
  for (const [name, a] of values) {
    if (!name.endsWith('.lora_A')) continue
    const site = name.slice(0, -'.lora_A'.length)
    const b = values.get(`${site}.lora_B`)!
    const [inDim, r] = a.shape as [number, number]
    const outDim = b.shape[1]!
    const m = /^(.*)\.attention\.self\.(query|key|value)$/.exec(site)
    const targetName = m ? `${m[1]}.attention.self.qkv.weight` : `${site}.weight`
    const w = out.get(targetName)
    if (!w) throw new Error(`LoRA adapter ${site} has no base weight ${targetName}`)
    const cols = w.shape[1]!
    const offset = m ? ['query', 'key', 'value'].indexOf(m[2]!) * outDim : 0
    for (let i = 0; i < inDim; i++) {
      for (let k = 0; k < r; k++) {
        const aik = a.data[i * r + k]! * scale
        if (aik === 0) continue
        const row = i * cols + offset
        for (let j = 0; j < outDim; j++) w.data[row + j]! += aik * b.data[k * outDim + j]!
      }
    }
  }
  return out
}
