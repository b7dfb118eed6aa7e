// Seeded, length-bucketed, padded batches.
import { describe, expect, it } from 'vitest'
import { countTokens, IGNORE_LABEL, makeBatches, paddingWaste, splitBatchOutput, type Batch, type BatchOptions, type EncodedWindow } from '../../../../src-main/engine/data'
import { seededRandom } from '../../../../src-shared/domain/splits'
import { fakeWindow } from './tiny'

/** Windows of varied lengths, like sentences of a real corpus: mostly short, some long. */
function variedWindows(n: number, seed = 3): EncodedWindow[] {
  const random = seededRandom(seed)
  return Array.from({ length: n }, (_, i) => fakeWindow(i, 0, 3 + Math.floor(random() ** 2 * 126)))
}

const PAD = 0
const base: BatchOptions = { batchSize: 16, seed: 1, shuffle: true, bucketByLength: true, padId: PAD }
/** Everything a batch holds, cheap to compare (deep equality of many typed arrays is slow). */
const fingerprint = (bs: Batch[]) =>
  bs.map((b) => [b.batchSize, b.seqLength, b.inputIds.join(), b.attentionMask.join(), b.tokenTypeIds.join(), b.labels.join()].join('|')).join('\n')
const summary = (bs: Batch[]) => bs.map((b) => b.windows.map((w) => w.docId))

describe('makeBatches', () => {
  const windows = variedWindows(1000)

  it('is deterministic for a seed and differs between seeds (epochs pass seed + epoch)', () => {
    for (const bucketByLength of [true, false]) {
      const a = makeBatches(windows, { ...base, bucketByLength })
      const b = makeBatches(windows, { ...base, bucketByLength })
      expect(fingerprint(b)).toBe(fingerprint(a))
      expect(summary(b)).toEqual(summary(a))
      const c = makeBatches(windows, { ...base, bucketByLength, seed: base.seed + 1 })
      expect(summary(c)).not.toEqual(summary(a))
    }
  })

  it.each([
    [true, true],
    [true, false],
    [false, true],
    [false, false],
  ])('puts every window in exactly one batch per epoch (shuffle %s, bucketByLength %s)', (shuffle, bucketByLength) => {
    const batches = makeBatches(windows, { ...base, shuffle, bucketByLength })
    const seen = new Map<EncodedWindow, number>()
    for (const b of batches) for (const w of b.windows) seen.set(w, (seen.get(w) ?? 0) + 1)
    expect(seen.size).toBe(windows.length)
    expect([...seen.values()].every((c) => c === 1)).toBe(true)
    expect(batches.length).toBe(Math.ceil(windows.length / base.batchSize))
    // 1000 = 62 x 16 + 8: one batch of 8, wherever the shuffle put it.
    expect(batches.map((b) => b.batchSize).sort((x, y) => x - y)).toEqual([8, ...new Array(62).fill(16)])
  })

  it('without shuffling or bucketing keeps the given order', () => {
    expect(summary(makeBatches(windows.slice(0, 40), { ...base, shuffle: false, bucketByLength: false }))).toEqual([
      Array.from({ length: 16 }, (_, i) => i),
      Array.from({ length: 16 }, (_, i) => 16 + i),
      Array.from({ length: 8 }, (_, i) => 32 + i),
    ])
  })

  it('pads each batch only to its own longest window: pad ids, mask 0, labels -100, type ids 0', () => {
    for (const b of makeBatches(windows, base)) {
      expect(b.seqLength).toBe(Math.max(...b.windows.map((w) => w.length)))
      expect(b.inputIds.length).toBe(b.batchSize * b.seqLength)
      expect(b.labels.length).toBe(b.batchSize * b.seqLength)
      expect(b.tokenTypeIds.every((x) => x === 0)).toBe(true)
      expect(b.attentionMask.reduce((s, x) => s + x, 0)).toBe(countTokens(b))
      b.windows.forEach((w, r) => {
        const row = (a: Int32Array) => Array.from(a.subarray(r * b.seqLength, (r + 1) * b.seqLength))
        const pad = b.seqLength - w.length
        expect(row(b.inputIds)).toEqual([...w.inputIds, ...new Array(pad).fill(PAD)])
        expect(row(b.labels)).toEqual([...w.labels, ...new Array(pad).fill(IGNORE_LABEL)])
        expect(row(b.attentionMask)).toEqual([...new Array(w.length).fill(1), ...new Array(pad).fill(0)])
      })
    }
  })

  it('wastes much less on padding with length bucketing than without', () => {
    const bucketed = paddingWaste(makeBatches(windows, base))
    const plain = paddingWaste(makeBatches(windows, { ...base, bucketByLength: false }))
    expect(plain).toBeGreaterThan(0.4)
    expect(bucketed).toBeLessThan(0.05)
    expect(bucketed).toBeLessThan(plain / 8)
  })

  it('pads to a multiple when asked, and refuses bad sizes', () => {
    for (const b of makeBatches(windows, { ...base, padToMultipleOf: 8 })) {
      expect(b.seqLength % 8).toBe(0)
      expect(b.seqLength - Math.max(...b.windows.map((w) => w.length))).toBeLessThan(8)
    }
    expect(() => makeBatches(windows, { ...base, batchSize: 0 })).toThrow(/batchSize 0/)
    expect(makeBatches([], base)).toEqual([])
  })

  it('splitBatchOutput cuts the model output back into rows per window', () => {
    const [b] = makeBatches(windows.slice(0, 5), base)
    const numTags = 3
    const out = Float32Array.from({ length: b!.batchSize * b!.seqLength * numTags }, (_, i) => i)
    const parts = splitBatchOutput(b!, out, numTags)
    parts.forEach((p, r) => {
      expect(p.length).toBe(b!.windows[r]!.length * numTags)
      expect(p[0]).toBe(r * b!.seqLength * numTags)
    })
    expect(() => splitBatchOutput(b!, out.subarray(1), numTags)).toThrow(/the batch needs/)
  })
})
