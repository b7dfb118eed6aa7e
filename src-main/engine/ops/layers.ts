/**
 * The differentiable building blocks of the encoder, written for speed on every backend and
 * above all on wasm, where only plain, untransposed 2-D matMul takes the fast (XNNPACK) path
 * and many other ops are slow scalar or cache-unfriendly loops:
 *
 * - linear: gradients with plain 2-D matMuls and explicit transposes (tf.matMul's own gradient
 *   uses the transposed flags, about 9x slower for a whole step); the bias gradient is a column
 *   sum, not a first-axis tf.sum (which transposes first).
 * - transpose2d, columnSum, blockMatMul (attention), gatherRows (embeddings), gelu and layerNorm
 *   use the engine's wasm kernels (wasm-kernels.ts, wasm-simd.ts) when they are registered,
 *   and plain tf ops otherwise; values and gradients are the same within float32 rounding.
 * - layerNorm and gelu have hand-written backward passes (autodiff would be about 20 and 10
 *   small ops).
 */
import * as tf from '@tensorflow/tfjs'
import { BLOCK_MATMUL, COLUMN_SUM, GATHER_ROWS, GELU, LAYER_NORM, LAYER_NORM_GRAD, TRANSPOSE_2D } from './wasm-kernels'

const onWasm = (): boolean => tf.getBackend() === 'wasm'

/** The largest of 32, 16, 8, 4, 2 that divides n (1 when none does). */
function tile(n: number): number {
  for (const b of [32, 16, 8, 4, 2]) if (n % b === 0) return b
  return 1
}

const hasKernel = (name: string): boolean => tf.getKernel(name, tf.getBackend()) !== undefined

/**
 * x[rows, cols] transposed. tfjs-wasm's own 2-D transpose walks the output column by column
 * (9 ms for 1024x1024). On wasm this is a SIMD pass by 4x4 register blocks when both sizes are
 * multiples of 4, else a 4-D transpose of 32x32 tiles ([r/32, 32, c/32, 32] -> [c/32, 32, r/32,
 * 32], 3.5 ms for 1024x1024).
 */
export function transpose2d(x: tf.Tensor2D): tf.Tensor2D {
  const [r, c] = x.shape
  if (!onWasm()) return tf.transpose(x)
  if (r % 4 === 0 && c % 4 === 0 && x.dtype === 'float32' && hasKernel(TRANSPOSE_2D)) return tf.engine().runKernel(TRANSPOSE_2D, { x }, {}) as tf.Tensor2D
  const br = tile(r)
  const bc = tile(c)
  if (r < 64 || c < 64 || br < 8 || bc < 8) return tf.transpose(x)
  return tf.transpose(x.reshape([r / br, br, c / bc, bc]), [2, 3, 0, 1]).reshape([c, r])
}

/**
 * Column sums of x[rows, cols] -> [cols] (not differentiable; for gradients). On wasm a
 * first-axis tf.sum transposes first (2.3 ms for 1024x256); this is one SIMD pass, or
 * ones[1, rows] · x when cols is not a multiple of 4.
 */
export function columnSum(x: tf.Tensor2D): tf.Tensor1D {
  const [r, c] = x.shape
  if (!onWasm()) return tf.sum(x, 0)
  if (c % 4 === 0 && x.dtype === 'float32' && hasKernel(COLUMN_SUM)) return tf.engine().runKernel(COLUMN_SUM, { x }, {}) as tf.Tensor1D
  return tf.matMul(tf.ones([1, r]) as tf.Tensor2D, x).reshape([c])
}

/** The last two axes of a 3-D tensor swapped. */
export const transposeBlocks = (x: tf.Tensor3D): tf.Tensor3D => tf.transpose(x, [0, 2, 1])

/**
 * A batch of independent plain matMuls: out[i] = a[i] · b[i], a [n, m, k], b [n, k, p]. On
 * wasm each block takes XNNPACK's path (see wasm-kernels.ts); elsewhere it is tf.matMul.
 */
export function blockMatMul(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  if (tf.getKernel(BLOCK_MATMUL, tf.getBackend())) return tf.engine().runKernel(BLOCK_MATMUL, { a, b }, {}) as tf.Tensor3D
  return tf.matMul(a, b)
}

let blockGradRegistered = false
/** The gradient of the BlockMatMul kernel, so blockMatMul also works under plain autodiff. */
export function registerBlockMatMulGradient(): void {
  if (blockGradRegistered || tf.getGradient(BLOCK_MATMUL)) return
  tf.registerGradient({
    kernelName: BLOCK_MATMUL,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [tf.Tensor3D, tf.Tensor3D]
      const d = dy as tf.Tensor3D
      return { a: () => blockMatMul(d, transposeBlocks(b)), b: () => blockMatMul(transposeBlocks(a), d) }
    },
  })
  blockGradRegistered = true
}
registerBlockMatMulGradient()

/**
 * Rows of table[rows, ...] at int32 indices (an embedding lookup): out [...indices, ...]. The
 * same as tf.gather(table, indices), with a fast kernel on wasm; the gradient is the usual
 * unsorted segment sum into a dense [rows, ...] table.
 */
export function gatherRows(table: tf.Tensor, indices: tf.Tensor): tf.Tensor {
  if (indices.dtype === 'int32' && tf.getKernel(GATHER_ROWS, tf.getBackend())) {
    return tf.engine().runKernel(GATHER_ROWS, { x: table, indices }, { numRows: table.shape[0]! }) as tf.Tensor
  }
  return tf.gather(table, indices)
}

let gatherGradRegistered = false
export function registerGatherRowsGradient(): void {
  if (gatherGradRegistered || tf.getGradient(GATHER_ROWS)) return
  tf.registerGradient({
    kernelName: GATHER_ROWS,
    inputsToSave: ['indices'],
    gradFunc: (dy, saved, attrs) => {
      const [indices] = saved as [tf.Tensor]
      const numRows = (attrs as unknown as { numRows: number }).numRows
      const d = dy as tf.Tensor
      const inner = d.shape.slice(indices.rank)
      return {
        x: () => tf.unsortedSegmentSum(d.reshape([indices.size, ...inner]), indices.reshape([indices.size]) as tf.Tensor1D, numRows),
        indices: () => tf.zerosLike(indices),
      }
    },
  })
  gatherGradRegistered = true
}
registerGatherRowsGradient()

/** x[N, in] · w[in, out] with gradients that use only plain 2-D matMuls. */
export const matMul2d = tf.customGrad((x, w, save) => {
  const a = x as tf.Tensor2D
  const b = w as tf.Tensor2D
  ;(save as tf.GradSaveFunc)([a, b])
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D]
      return [tf.matMul(dy as tf.Tensor2D, transpose2d(sb)), tf.matMul(transpose2d(sa), dy as tf.Tensor2D)]
    },
  }
}) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D

/** x[N, in] · w[in, out] + b[out], the bias gradient as a column sum. */
const affine2d = tf.customGrad((x, w, b, save) => {
  const a = x as tf.Tensor2D
  const m = w as tf.Tensor2D
  ;(save as tf.GradSaveFunc)([a, m])
  return {
    value: tf.add(tf.matMul(a, m), b as tf.Tensor1D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sm] = saved as [tf.Tensor2D, tf.Tensor2D]
      const d = dy as tf.Tensor2D
      return [tf.matMul(d, transpose2d(sm)), tf.matMul(transpose2d(sa), d), columnSum(d)]
    },
  }
}) as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D

/** A dense layer over the last axis of x (any rank), weights [in, out]. */
export function linear(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor {
  const inner = x.shape[x.shape.length - 1]!
  const flat = x.rank === 2 ? (x as tf.Tensor2D) : x.reshape([-1, inner]) as tf.Tensor2D
  const y: tf.Tensor = b ? affine2d(flat, w, b) : matMul2d(flat, w)
  return x.rank === 2 ? y : y.reshape([...x.shape.slice(0, -1), w.shape[1]])
}

type LayerNorm2d = (x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D) => tf.Tensor2D
const layerNorms = new Map<number, LayerNorm2d>()

/** LayerNorm of x[rows, H] with its backward pass written out (one function per eps). */
function layerNorm2d(eps: number): LayerNorm2d {
  let f = layerNorms.get(eps)
  if (f) return f
  f = tf.customGrad((x, gamma, beta, save) => {
    const a = x as tf.Tensor2D
    const g = gamma as tf.Tensor1D
    if (a.shape[1] % 4 === 0 && a.dtype === 'float32' && hasKernel(LAYER_NORM) && hasKernel(LAYER_NORM_GRAD)) {
      // One SIMD pass forward and one backward (wasm), against about 8 and 14 tf ops.
      const [y, xhat, rstd] = tf.engine().runKernel(LAYER_NORM, { x: a, gamma: g, beta: beta as tf.Tensor1D }, { eps }) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]
      ;(save as tf.GradSaveFunc)([xhat, rstd, g])
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sxhat, srstd, sgamma] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D]
          return tf.engine().runKernel(LAYER_NORM_GRAD, { dy, xhat: sxhat, rstd: srstd, gamma: sgamma }, {}) as tf.Tensor[]
        },
      }
    }
    const mean = tf.mean(a, 1, true)
    const centred = tf.sub(a, mean)
    const variance = tf.mean(tf.square(centred), 1, true)
    const rstd = tf.rsqrt(tf.add(variance, eps))
    const xhat = tf.mul(centred, rstd)
    ;(save as tf.GradSaveFunc)([xhat, rstd, g])
    return {
      value: tf.add(tf.mul(xhat, g), beta as tf.Tensor1D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sxhat, srstd, sgamma] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D]
        const d = dy as tf.Tensor2D
        // dx = rstd · (g - mean(g) - xhat · mean(g · xhat)), g = dy · gamma
        const gd = tf.mul(d, sgamma)
        const dx = tf.mul(tf.sub(tf.sub(gd, tf.mean(gd, 1, true)), tf.mul(sxhat, tf.mean(tf.mul(gd, sxhat), 1, true))), srstd)
        return [dx, columnSum(tf.mul(d, sxhat) as tf.Tensor2D), columnSum(d)]
      },
    }
  }) as LayerNorm2d
  layerNorms.set(eps, f)
  return f
}

/** LayerNorm over the last axis, as torch.nn.LayerNorm (biased variance, eps inside the root). */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor {
  const h = x.shape[x.rank - 1]!
  const flat = x.rank === 2 ? (x as tf.Tensor2D) : (x.reshape([-1, h]) as tf.Tensor2D)
  const y = layerNorm2d(eps)(flat, gamma, beta)
  return x.rank === 2 ? y : y.reshape(x.shape)
}

const SQRT_HALF = Math.SQRT1_2
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI)
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI)
// Abramowitz & Stegun 7.1.26: erfc(z) = t·(a1 + t·(a2 + t·(a3 + t·(a4 + t·a5))))·e^(-z²), t = 1/(1 + p·z), z ≥ 0, |error| ≤ 1.5e-7.
const AS_P = 0.3275911
const AS_A = [0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429] as const

/** Exact GELU as tf ops: x/2 · (1 + erf(x/√2)) (autodiff). */
function geluErf(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, SQRT_HALF)), 1))
}

/**
 * Exact GELU: x/2 · (1 + erf(x/√2)) = x·Φ(x), as transformers' "gelu" (torch's erf form, not
 * the tanh approximation). Backends other than wasm use tf.erf. On wasm, tf.erf and tf.exp are
 * scalar loops (about 20 and 8 ms per 1024x1024, forward and backward together about 27 ms), so
 * Φ is computed as erfc by Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7, the size of float32's
 * own rounding of the result): by the GELU SIMD kernel in one pass (about 3 ms), else from
 * vectorised tf ops with e^(-x²/2) = s / (1 - s), s = σ(-x²/2). The same exponential gives the
 * derivative Φ(x) + x·φ(x), kept from the forward pass, so the backward pass is one multiply.
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  return onWasm() ? geluWasm(x) : geluErf(x)
}

const geluWasm = tf.customGrad((x, save) => {
  const v = x as tf.Tensor
  if (v.dtype === 'float32' && hasKernel(GELU)) {
    // wasm: value and derivative in one SIMD pass (the same formulas, with a vectorised exp).
    const [y, d] = tf.engine().runKernel(GELU, { x: v }, {}) as [tf.Tensor, tf.Tensor]
    ;(save as tf.GradSaveFunc)([d])
    return { value: y, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, saved[0]!)] }
  }
  const z = tf.mul(tf.abs(v), SQRT_HALF)
  const t = tf.reciprocal(tf.add(tf.mul(z, AS_P), 1))
  let poly: tf.Tensor = tf.mul(t, AS_A[4])
  for (let i = 3; i >= 0; i--) poly = tf.mul(tf.add(poly, AS_A[i]!), t)
  const s = tf.sigmoid(tf.mul(tf.square(v), -0.5))
  const e = tf.div(s, tf.sub(1, s)) // e^(-x²/2)
  const erfc = tf.mul(poly, e) // erfc(|x|/√2)
  // Φ(x) = 1 - erfc/2 for x > 0, erfc/2 for x < 0, 1/2 at 0: with h = sign(x)/2, (1/2 + h) - h·erfc.
  const h = tf.clipByValue(tf.mul(v, 1e30), -0.5, 0.5)
  const cdf = tf.sub(tf.add(h, 0.5), tf.mul(h, erfc))
  ;(save as tf.GradSaveFunc)([tf.add(cdf, tf.mul(tf.mul(v, e), INV_SQRT_2PI))])
  return {
    value: tf.mul(v, cdf),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, saved[0]!)],
  }
}) as (x: tf.Tensor) => tf.Tensor

/** The tanh approximation, transformers' "gelu_new": x/2·(1 + tanh(u)) = x·σ(2u) (sigmoid is the fast op on wasm). */
export function geluNew(x: tf.Tensor): tf.Tensor {
  const u = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), 2 * SQRT_2_OVER_PI)
  return tf.mul(x, tf.sigmoid(u))
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

/**
 * A dense layer whose weight does not train (frozen, LoRA's base, BitFit's weights): the
 * backward pass gives the input's gradient and the bias's, and skips the weight's, the largest
 * matMul of a linear layer's backward.
 */
export function linearFrozenWeight(x: tf.Tensor, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor {
  const inner = x.shape[x.shape.length - 1]!
  const flat = x.rank === 2 ? (x as tf.Tensor2D) : (x.reshape([-1, inner]) as tf.Tensor2D)
  const f = tf.customGrad((input, bias, save) => {
    ;(save as tf.GradSaveFunc)([])
    return {
      value: tf.add(tf.matMul(input as tf.Tensor2D, w), bias as tf.Tensor1D),
      gradFunc: (dy: tf.Tensor) => [tf.matMul(dy as tf.Tensor2D, transpose2d(w)), columnSum(dy as tf.Tensor2D)],
    }
  }) as (x: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D
  const y = f(flat, b)
  return x.rank === 2 ? y : y.reshape([...x.shape.slice(0, -1), w.shape[1]])
}
