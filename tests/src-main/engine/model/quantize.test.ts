/**
 * Per-row symmetric int8: hand-computed cases, the error bound (half a step per value), and, on
 * the tiny-bert fixture's real weights, that it moves them less than tfjs's per-tensor uint8.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { affineUint8RoundTrip, dequantizeInt8PerRow, isQuantizable, quantizeInt8PerRow, squaredError } from '../../../../src-main/engine/model/quantize'
import { parseSafetensors } from '../../../../src-main/engine/model/safetensors'
import { TINY_BERT } from '../../../helpers/toy-ner'

const t = (shape: number[], values: number[]) => ({ shape, data: new Float32Array(values) })

describe('int8 quantization with one scale per row', () => {
  it('scales each row by its own largest magnitude', () => {
    const q = quantizeInt8PerRow(t([2, 3], [1.27, -0.6, 0, 0.03, 0.01, -0.04]))
    expect(Array.from(q.scales)).toEqual([Math.fround(0.01), Math.fround(0.04 / 127)])
    // 0.03 / (0.04 / 127) = 95.25; 0.01 / (0.04 / 127) = 31.75
    expect(Array.from(q.values)).toEqual([127, -60, 0, 95, 32, -127])
    const back = dequantizeInt8PerRow(q.values, q.scales, q.shape)
    expect(back[0]).toBeCloseTo(1.27, 6)
    expect(back[5]).toBeCloseTo(-0.04, 7)
  })

  it('keeps a row of zeros at zero (scale 0) and refuses values that are not finite', () => {
    const q = quantizeInt8PerRow(t([2, 2], [0, 0, 3, -3]))
    expect(Array.from(q.scales)).toEqual([0, Math.fround(3 / 127)])
    expect(Array.from(dequantizeInt8PerRow(q.values, q.scales, q.shape)).slice(0, 2)).toEqual([0, 0])
    expect(() => quantizeInt8PerRow(t([1, 2], [1, Number.NaN]))).toThrow(/row 0 .*not finite/)
    expect(() => quantizeInt8PerRow(t([1, 2], [1, Number.POSITIVE_INFINITY]))).toThrow(/not finite/)
    expect(() => quantizeInt8PerRow(t([4], [1, 2, 3, 4]))).toThrow(/2-D/)
  })

  it('moves no value by more than half a step of its row', () => {
    let seed = 7
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1
    const rows = 50
    const cols = 40
    const data = Array.from({ length: rows * cols }, (_, i) => random() * (1 + (i % rows)))
    const q = quantizeInt8PerRow(t([rows, cols], data))
    const back = dequantizeInt8PerRow(q.values, q.scales, q.shape)
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c
        expect(Math.abs(back[i]! - data[i]!)).toBeLessThanOrEqual(q.scales[r]! / 2 + 1e-6 * Math.abs(data[i]!))
      }
    }
  })

  it('quantizes 2-D weights and embeddings, never LayerNorm, biases or the CRF scores', () => {
    expect(isQuantizable('bert.encoder.layer.0.attention.self.query.weight', [32, 32])).toBe(true)
    expect(isQuantizable('bert.embeddings.word_embeddings.weight', [128, 32])).toBe(true)
    expect(isQuantizable('classifier.weight', [5, 32])).toBe(true)
    expect(isQuantizable('bert.embeddings.LayerNorm.weight', [32])).toBe(false)
    expect(isQuantizable('bert.encoder.layer.0.output.dense.bias', [32])).toBe(false)
    expect(isQuantizable('crf.transitions', [5, 5])).toBe(false)
  })

  it('is more accurate than tfjs\'s per-tensor uint8 on every quantized tensor of the fixture', () => {
    const path = join(TINY_BERT, 'model.safetensors')
    const tensors = parseSafetensors(new Uint8Array(readFileSync(path)), path)
    let perRow = 0
    let perTensor = 0
    let compared = 0
    for (const [name, tensor] of tensors) {
      if (!isQuantizable(name, tensor.shape)) continue
      const q = quantizeInt8PerRow(tensor)
      const a = squaredError(tensor.data, dequantizeInt8PerRow(q.values, q.scales, q.shape))
      const b = squaredError(tensor.data, affineUint8RoundTrip(tensor.data))
      expect(a, name).toBeLessThan(b)
      perRow += a
      perTensor += b
      compared++
    }
    expect(compared).toBe(16)
    // The fixture's weights are random normal, so its rows have similar ranges: the gain is
    // about 2x here; rows of trained embeddings and projections differ more.
    expect(perTensor / perRow).toBeGreaterThan(1.5)
  })
})
