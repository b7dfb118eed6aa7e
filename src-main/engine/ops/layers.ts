/**
 * The differentiable building blocks of the encoder, written for speed on every backend:
 * the wasm backend only takes its fast (XNNPACK) path for plain, untransposed 2-D matMul, so
 * `linear` computes its gradients with explicit transposes instead of tf.matMul's transposed
 * flags (about 9x faster for a whole training step there).
 */
import * as tf from '@tensorflow/tfjs'

/** x[N, in] · w[in, out] (+ b[out]) with gradients that use only plain 2-D matMuls. */
export const matMul2d = tf.customGrad((x, w, save) => {
  const a = x as tf.Tensor2D
  const b = w as tf.Tensor2D
  ;(save as tf.GradSaveFunc)([a, b])
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D]
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy as tf.Tensor2D)]
    },
  }
}) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D

/** A dense layer over the last axis of x (any rank), weights [in, out]. */
export function linear(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor {
  const inner = x.shape[x.shape.length - 1]!
  const flat = x.rank === 2 ? (x as tf.Tensor2D) : x.reshape([-1, inner]) as tf.Tensor2D
  let y: tf.Tensor = matMul2d(flat, w)
  if (b) y = tf.add(y, b)
  return x.rank === 2 ? y : y.reshape([...x.shape.slice(0, -1), w.shape[1]])
}

/** LayerNorm over the last axis, as torch.nn.LayerNorm (biased variance, eps inside the root). */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor {
  const axis = x.rank - 1
  const { mean, variance } = tf.moments(x, axis, true)
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gamma), beta)
}

const SQRT_HALF = Math.SQRT1_2
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI)

/** Exact GELU: x/2 · (1 + erf(x/√2)), as transformers' "gelu". */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, SQRT_HALF)), 1))
}

/** The tanh approximation, transformers' "gelu_new". */
export function geluNew(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), SQRT_2_OVER_PI)
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1))
}

export function activation(name: 'gelu' | 'gelu_new' | 'relu'): (x: tf.Tensor) => tf.Tensor {
  return name === 'gelu' ? gelu : name === 'gelu_new' ? geluNew : tf.relu
}

/**
 * Inverted dropout with an explicit seed, so a run repeats exactly: the caller derives a
 * different seed per step and per call site.
 */
export function dropout(x: tf.Tensor, rate: number, seed: number | undefined): tf.Tensor {
  if (rate <= 0 || seed === undefined) return x
  return tf.dropout(x, rate, undefined, seed)
}
