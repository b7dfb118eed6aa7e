/**
 * Houlsby adapters (Houlsby et al. 2019): a bottleneck h + up(gelu(down(h))) after the
 * attention output projection and after the FFN output projection of every layer, before the
 * residual and LayerNorm. `up` starts at zero, so at step 0 the model computes exactly the base
 * model's outputs. Variables: `<site>.adapter.down.weight` [H, m], `.down.bias`,
 * `.adapter.up.weight` [m, H], `.up.bias`, with site `encoder.layer.i.attention.output` or
 * `encoder.layer.i.output`.
 */
import * as tf from '@tensorflow/tfjs'
import type { BertConfig } from '../model/bert-config'
import { layerPrefix, type ParamMap } from '../model/bert'
import { gelu, linear } from '../ops/layers'
import { variableFrom } from '../ops/variables'

export function addAdapters(params: ParamMap, config: BertConfig, size: number, seed: number): void {
  const H = config.hidden_size
  let n = 0
  for (let l = 0; l < config.num_hidden_layers; l++) {
    for (const site of [`${layerPrefix(l)}.attention.output`, `${layerPrefix(l)}.output`]) {
      params.set(`${site}.adapter.down.weight`, variableFrom(tf.randomNormal([H, size], 0, 1e-2, 'float32', seed * 7919 + 53 * n++)))
      params.set(`${site}.adapter.down.bias`, variableFrom(tf.zeros([size])))
      params.set(`${site}.adapter.up.weight`, variableFrom(tf.zeros([size, H])))
      params.set(`${site}.adapter.up.bias`, variableFrom(tf.zeros([H])))
    }
  }
}

/** h + up(gelu(down(h))) when `site` has an adapter, else h. */
export function applyAdapter(params: ParamMap, site: string, h: tf.Tensor): tf.Tensor {
  const down = params.get(`${site}.adapter.down.weight`) as tf.Variable<tf.Rank.R2> | undefined
  if (!down) return h
  const mid = gelu(linear(h, down, params.get(`${site}.adapter.down.bias`) as tf.Variable<tf.Rank.R1>))
  return tf.add(h, linear(mid, params.get(`${site}.adapter.up.weight`) as tf.Variable<tf.Rank.R2>, params.get(`${site}.adapter.up.bias`) as tf.Variable<tf.Rank.R1>))
}
