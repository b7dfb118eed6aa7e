/**
 * Weight-only int8 quantization for export: each row of a Linear weight ([out, in], PyTorch
 * layout: one row per output channel) or of an embedding table (one row per token) gets its own
 * symmetric scale, s = max|row| / 127, and q = round(w / s) in [-127, 127]. Biases, LayerNorm
 * parameters and the CRF scores stay float32. Dequantized: w ≈ q · s, with an error of at most
 * s / 2 per value.
 *
 * Also here, for comparison only: tfjs's own uint8 quantization (one affine scale and minimum
 * per tensor), which is what `tensorflowjs_converter --quantize_uint8` writes. Per-row scales are
 * more accurate wherever rows differ in range (embedding rows of frequent and rare tokens, output
 * channels of a fine-tuned projection), at the cost of one float per row.
 * Pure: Float32Arrays in and out.
 */
import type { HostTensor } from './convert'

export interface Int8Tensor {
  shape: number[]
  /** Row-major values in [-127, 127]. */
  values: Int8Array
  /** One scale per row (shape[0] of them); 0 for a row of zeros. */
  scales: Float32Array
}

/** Which tensors the int8 export quantizes: 2-D weights (Linear, embeddings, classifier, adapters), never LayerNorm. */
export function isQuantizable(name: string, shape: readonly number[]): boolean {
  return shape.length === 2 && name.endsWith('.weight') && !name.includes('LayerNorm')
}

/** Symmetric int8 with one scale per row (output channel). */
export function quantizeInt8PerRow(t: HostTensor): Int8Tensor {
  if (t.shape.length !== 2) throw new RangeError(`per-row quantization needs a 2-D tensor, not shape [${t.shape.join(', ')}]`)
  const [rows, cols] = t.shape as [number, number]
  const values = new Int8Array(rows * cols)
  const scales = new Float32Array(rows)
  for (let r = 0; r < rows; r++) {
    const base = r * cols
    let max = 0
    for (let c = 0; c < cols; c++) {
      const a = Math.abs(t.data[base + c]!)
      if (!Number.isFinite(a)) throw new RangeError(`row ${r} holds a value that is not finite (${t.data[base + c]})`)
      if (a > max) max = a
    }
    if (max === 0) continue
    // The scale is stored as float32; quantize with that very value so q·s is what the loader computes.
    const s = Math.fround(max / 127)
    scales[r] = s
    for (let c = 0; c < cols; c++) {
      const q = Math.round(t.data[base + c]! / s)
      values[base + c] = q > 127 ? 127 : q < -127 ? -127 : q
    }
  }
  return { shape: [rows, cols], values, scales }
}

/** q · s per row, as float32. */
export function dequantizeInt8PerRow(values: ArrayLike<number>, scales: ArrayLike<number>, shape: readonly number[]): Float32Array {
  const [rows, cols] = shape as [number, number]
  if (values.length !== rows * cols) throw new RangeError(`${values.length} values do not fill shape [${shape.join(', ')}]`)
  if (scales.length !== rows) throw new RangeError(`${scales.length} scales for ${rows} rows`)
  const out = new Float32Array(rows * cols)
  for (let r = 0; r < rows; r++) {
    const s = scales[r]!
    const base = r * cols
    for (let c = 0; c < cols; c++) out[base + c] = values[base + c]! * s
  }
  return out
}

/** tfjs's uint8 quantization of a whole tensor (scale and min as the manifest stores them), dequantized again. */
export function affineUint8RoundTrip(data: Float32Array): Float32Array {
  let min = Infinity
  let max = -Infinity
  for (const v of data) {
    if (v < min) min = v
    if (v > max) max = v
  }
  const scale = max > min ? (max - min) / 255 : 1
  const out = new Float32Array(data.length)
  for (let i = 0; i < data.length; i++) out[i] = Math.fround(Math.min(255, Math.max(0, Math.round((data[i]! - min) / scale))) * scale + min)
  return out
}

/** Sum of squared differences: how much a quantization moves a tensor. */
export function squaredError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!
    s += d * d
  }
  return s
}
