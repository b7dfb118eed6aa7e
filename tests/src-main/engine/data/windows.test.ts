// Long documents: windows with the configured overlap, and their predictions merged back.
import { describe, expect, it } from 'vitest'
import {
  buildTagSet,
  decodeSpans,
  encodeDocument,
  MAX_WORD_BACKOFF,
  mergeByDocument,
  mergeWindowPredictions,
  planWindows,
  type EncodedDocument,
  type NerDocument,
  type NerSpan,
} from '../../../../src-main/engine/data'
import { seededRandom } from '../../../../src-shared/domain/splits'
import { oneHot, tinyTokenizer } from './tiny'

const tok = tinyTokenizer()
const tagSet = buildTagSet(['PER', 'LOC'], 'iob2')
const numTags = tagSet.tags.length

/** `n` sentences with entities; Washington and Lovelace are three pieces each. */
function longEnglish(n: number): NerDocument {
  let text = ''
  const spans: NerSpan[] = []
  const add = (s: string, label?: string) => {
    if (label) spans.push({ start: text.length, end: text.length + s.length, label })
    text += s
  }
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) {
      add('George Washington', 'PER'), add(' visited '), add('New York City', 'LOC'), add(' and '), add('Paris', 'LOC'), add(' . ')
    } else {
      add('Ada Lovelace', 'PER'), add(' lives in '), add('Paris', 'LOC'), add(' , the City . ')
    }
  }
  return { id: 'long', text, spans }
}

function longChinese(n: number): NerDocument {
  const unit = '我在北京和上海住。'
  const text = unit.repeat(n)
  const spans: NerSpan[] = []
  for (let i = 0; i < n; i++) spans.push({ start: i * unit.length + 2, end: i * unit.length + 4, label: 'LOC' }, { start: i * unit.length + 5, end: i * unit.length + 7, label: 'LOC' })
  return { id: 'zh', text, spans }
}

/** Random probability rows, seeded. */
function randomProbs(rows: number, seed: number): Float32Array {
  const random = seededRandom(seed)
  const out = new Float32Array(rows * numTags)
  for (let r = 0; r < rows; r++) {
    let sum = 0
    for (let j = 0; j < numTags; j++) sum += out[r * numTags + j] = random()
    for (let j = 0; j < numTags; j++) out[r * numTags + j] = out[r * numTags + j]! / sum
  }
  return out
}

/** Per-window rows cut from document rows, with random rows for [CLS]/[SEP] (the model's, ignored). */
function windowRows(e: EncodedDocument, docProbs: Float32Array): Float32Array[] {
  return e.windows.map((w, i) => {
    const rows = randomProbs(w.length, 1000 + i)
    rows.set(docProbs.subarray(w.tokenStart * numTags, (w.tokenStart + w.length - 2) * numTags), numTags)
    return rows
  })
}

describe('windows', () => {
  it('splits a long document into windows of at most maxLength with the configured overlap, not cutting words', () => {
    const d = longEnglish(12)
    const maxLength = 24
    const stride = 6
    const e = encodeDocument(d, tok, tagSet, { maxLength, stride })
    expect(e.tokenCount).toBeGreaterThan(100)
    expect(e.windows.length).toBeGreaterThan(5)
    expect(e.windows[0]!.tokenStart).toBe(0)
    const last = e.windows[e.windows.length - 1]!
    expect(last.tokenStart + last.length - 2).toBe(e.tokenCount)
    for (const [i, w] of e.windows.entries()) {
      expect(w.windowIndex).toBe(i)
      expect(w.length).toBeLessThanOrEqual(maxLength)
      expect(w.inputIds[0]).toBe(tok.cls.id)
      expect(w.inputIds[w.length - 1]).toBe(tok.sep.id)
      // The window's labels and word starts are the document's, between -100 for [CLS]/[SEP].
      expect(Array.from(w.labels.subarray(1, w.length - 1))).toEqual(Array.from(e.tokenLabels.subarray(w.tokenStart, w.tokenStart + w.length - 2)))
      expect(Array.from(w.wordStarts.subarray(1, w.length - 1))).toEqual(Array.from(e.wordStarts.subarray(w.tokenStart, w.tokenStart + w.length - 2)))
      // Words stay whole: each window starts on a word's first token and ends before one.
      expect(e.wordStarts[w.tokenStart]).toBe(1)
      const end = w.tokenStart + w.length - 2
      if (end < e.tokenCount) expect(e.wordStarts[end]).toBe(1)
      if (i > 0) {
        const prev = e.windows[i - 1]!
        const overlap = prev.tokenStart + prev.length - 2 - w.tokenStart
        expect(overlap).toBeGreaterThanOrEqual(stride)
        expect(overlap).toBeLessThanOrEqual(stride + 2) // a word has at most 3 pieces here
      }
    }
  })

  it('overlaps by exactly the stride when every token is a word (Chinese), windows full but the last', () => {
    const e = encodeDocument(longChinese(10), tok, tagSet, { maxLength: 20, stride: 5 })
    expect(e.tokenCount).toBe(90)
    expect(e.windows.map((w) => [w.tokenStart, w.length - 2])).toEqual([
      [0, 18],
      [13, 18],
      [26, 18],
      [39, 18],
      [52, 18],
      [65, 18],
      [78, 12],
    ])
  })

  it('a document that fits is one window; the default stride is a quarter of maxLength', () => {
    const short = encodeDocument(longChinese(1), tok, tagSet, { maxLength: 11 })
    expect(short.windows.map((w) => [w.tokenStart, w.length])).toEqual([[0, 11]])
    const e = encodeDocument(longChinese(10), tok, tagSet, { maxLength: 40 })
    expect(e.windows[0]!.length - 2 - e.windows[1]!.tokenStart).toBe(10)
  })

  it('planWindows cuts a word longer than the back-off allows, and always advances', () => {
    const count = 200
    const wordStarts = new Uint8Array(count) // one huge word
    wordStarts[0] = 1
    const w = planWindows(count, 30, 10, wordStarts)
    expect(w[0]).toEqual([0, 30])
    expect(w[1]).toEqual([20, 50])
    expect(w[w.length - 1]![1]).toBe(count)
    for (let i = 1; i < w.length; i++) expect(w[i]![0]).toBeGreaterThan(w[i - 1]![0])
    // Words just longer than the back-off at every edge: still progress and coverage.
    const ws = Uint8Array.from({ length: count }, (_, k) => (k % (MAX_WORD_BACKOFF + 3) === 0 ? 1 : 0))
    for (const [size, stride] of [[40, 10], [5, 4], [3, 0], [64, 16]] as const) {
      const v = planWindows(count, size, stride, ws)
      expect(v[0]![0]).toBe(0)
      expect(v[v.length - 1]![1]).toBe(count)
      for (let i = 1; i < v.length; i++) {
        expect(v[i]![0]).toBeGreaterThan(v[i - 1]![0])
        expect(v[i - 1]![1] - v[i]![0]).toBeGreaterThanOrEqual(stride)
      }
      for (const [s, e] of v) expect(e - s).toBeLessThanOrEqual(size)
    }
  })
})

describe('merging window predictions', () => {
  it('gives exactly the rows of a single long window when the windows agree, so the same argmax and spans', () => {
    const d = longEnglish(12)
    const e = encodeDocument(d, tok, tagSet, { maxLength: 24, stride: 6 })
    const single = randomProbs(e.tokenCount, 7)
    expect(mergeWindowPredictions(e.windows, windowRows(e, single), numTags)).toEqual(single)
    // Windows in any order, padded rows past [SEP] allowed.
    const rows = windowRows(e, single).map((r) => Float32Array.from([...r, 9, 9, 9, 9, 9]))
    const order = e.windows.map((_, i) => i).reverse()
    expect(mergeWindowPredictions(order.map((i) => e.windows[i]!), order.map((i) => rows[i]!), numTags)).toEqual(single)
    // Gold one-hot rows through windows -> the gold spans.
    const gold = oneHot(e.tokenLabels, numTags)
    const merged = mergeWindowPredictions(e.windows, windowRows(e, gold), numTags)
    const spans = decodeSpans(d.text, e.offsets, merged, tagSet, { wordStarts: e.wordStarts })
    expect(spans.map(({ start, end, label }) => ({ start, end, label }))).toEqual(d.spans)
  })

  it('in an overlap, takes the window where the token is farther from the edge (ties: the earlier window)', () => {
    const e = encodeDocument(longChinese(10), tok, tagSet, { maxLength: 20, stride: 6 })
    // Window i predicts tag i % numTags everywhere: the merged argmax tells which window won.
    const rows = e.windows.map((w) => oneHot(new Array(w.length).fill(w.windowIndex % numTags), numTags))
    const merged = mergeWindowPredictions(e.windows, rows, numTags)
    for (let t = 0; t < e.tokenCount; t++) {
      let best = -1
      let bestDist = -1
      for (const w of e.windows) {
        const p = t - w.tokenStart
        const n = w.length - 2
        if (p < 0 || p >= n) continue
        const dist = Math.min(p, n - 1 - p)
        if (dist > bestDist) (best = w.windowIndex), (bestDist = dist)
      }
      expect(merged.subarray(t * numTags, (t + 1) * numTags).indexOf(1)).toBe(best % numTags)
    }
    // Windows [0,18) and [12,30) share 12..17: 12..14 sit near the second window's start (the first wins),
    // 15..17 near the first window's end (the second wins).
    expect(e.windows[1]!.tokenStart).toBe(12)
    const winner = (m: Float32Array, t: number) => m.subarray(t * numTags, (t + 1) * numTags).indexOf(1)
    expect([12, 13, 14, 15, 16, 17].map((t) => winner(merged, t))).toEqual([0, 0, 0, 1, 1, 1])
    // An odd overlap: [0,18) and [13,31) share 13..17; token 15 is 2 from both edges, and the earlier window wins.
    const odd = encodeDocument(longChinese(10), tok, tagSet, { maxLength: 20, stride: 5 })
    const oddMerged = mergeWindowPredictions(odd.windows, odd.windows.map((w) => oneHot(new Array(w.length).fill(w.windowIndex % numTags), numTags)), numTags)
    expect([13, 14, 15, 16, 17].map((t) => winner(oddMerged, t))).toEqual([0, 0, 0, 1, 1])
  })

  it('refuses windows of two documents, missing windows and short rows; mergeByDocument groups them', () => {
    const a = encodeDocument(longChinese(4), tok, tagSet, { maxLength: 12, stride: 2 })
    const b = encodeDocument({ ...longEnglish(3), id: 'b' }, tok, tagSet, { maxLength: 12, stride: 2 })
    const ra = windowRows(a, oneHot(a.tokenLabels, numTags))
    const rb = windowRows(b, oneHot(b.tokenLabels, numTags))
    expect(() => mergeWindowPredictions([...a.windows, ...b.windows], [...ra, ...rb], numTags)).toThrow(/merge one document at a time/)
    expect(() => mergeWindowPredictions(a.windows.slice(1), ra.slice(1), numTags)).toThrow(/token 0 of document "zh" is in none of the windows/)
    expect(() => mergeWindowPredictions(a.windows.slice(0, -1), ra.slice(0, -1), numTags)).toThrow(/token \d+ of document "zh" is in none of the windows/)
    expect(() => mergeWindowPredictions(a.windows, [ra[0]!.subarray(0, 5), ...ra.slice(1)], numTags)).toThrow(/window 0 .* has 12 positions/)
    const byDoc = mergeByDocument([...b.windows, ...a.windows].reverse(), [...rb, ...ra].reverse(), numTags)
    expect([...byDoc.keys()]).toEqual(['zh', 'b'])
    expect(byDoc.get('b')).toEqual(oneHot(b.tokenLabels, numTags))
  })
})
