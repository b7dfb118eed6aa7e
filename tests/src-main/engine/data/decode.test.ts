// Token probabilities -> word tags and character spans.
import { describe, expect, it } from 'vitest'
import { buildTagSet, decodeSpans, encodeDocument, leastWordConfidence, softmaxRows, tokenTags, type NerDocument, type TagSet, type TrainingScheme } from '../../../../src-main/engine/data'
import { getEntities } from '../../../../src-shared/domain/seqeval'
import { oneHot, tinyTokenizer } from './tiny'

const tok = tinyTokenizer()

function spansOf(text: string, ...parts: Array<[string, string?]>): NerDocument {
  let t = ''
  const spans: NerDocument['spans'][number][] = []
  for (const [s, label] of parts) {
    if (label) spans.push({ start: t.length, end: t.length + s.length, label })
    t += s
  }
  expect(t).toBe(text)
  return { id: text, text, spans: spans as NerDocument['spans'] }
}

const DOCS: NerDocument[] = [
  spansOf('George Washington visited New York City and Paris .', ['George Washington', 'PER'], [' visited '], ['New York City', 'LOC'], [' and '], ['Paris', 'LOC'], [' .']),
  spansOf('Washington met Ada Lovelace', ['Washington', 'PER'], [' met '], ['Ada Lovelace', 'PER']),
  spansOf('Paris Washington', ['Paris', 'LOC'], [' '], ['Washington', 'PER']),
  spansOf('我在𠮷野家住，北京和上海。', ['我在'], ['𠮷野家', 'LOC'], ['住，'], ['北京', 'LOC'], ['和'], ['上海', 'LOC'], ['。']),
  spansOf('𠮷在北京', ['𠮷', 'PER'], ['在'], ['北京', 'LOC']),
]

describe('decodeSpans', () => {
  const cases: Array<[TrainingScheme, boolean]> = [
    ['iob2', false],
    ['iob2', true],
    ['iobes', false],
    ['iobes', true],
  ]
  it.each(cases)('round-trips gold spans, English and Chinese with 𠮷 (%s, labelAllSubtokens %s)', (scheme, labelAllSubtokens) => {
    const tagSet = buildTagSet(['PER', 'LOC'], scheme)
    for (const [i, d] of DOCS.entries()) {
      const e = encodeDocument(d, tok, tagSet, { maxLength: 64, labelAllSubtokens })
      expect(e.alignment).toEqual([])
      // Unlabelled pieces get a random tag: they must not matter.
      const probs = oneHot(e.tokenLabels, tagSet.tags.length, 100 + i)
      const spans = decodeSpans(d.text, e.offsets, probs, tagSet, { wordStarts: e.wordStarts, labelAllSubtokens })
      expect(spans).toEqual(d.spans.map((s) => ({ ...s, confidence: 1 })))
      expect(tokenTags(probs, tagSet, { wordStarts: e.wordStarts, labelAllSubtokens })).toEqual(e.wordTags)
    }
  })

  it('gives one tag per word (not per piece), as run_ner evaluates', () => {
    const tagSet = buildTagSet(['PER', 'LOC'], 'iob2')
    const d = DOCS[1]!
    const e = encodeDocument(d, tok, tagSet, { maxLength: 64 })
    expect(e.tokenCount).toBe(8) // Wash ##ing ##ton met Ada Lo ##ve ##lace
    const tags = tokenTags(oneHot(e.tokenLabels, tagSet.tags.length), tagSet, { wordStarts: e.wordStarts })
    expect(tags).toEqual(['B-PER', 'O', 'B-PER', 'I-PER'])
  })

  /** Probabilities for word tags, one word per token (Chinese characters), `p` on the tag and the rest spread evenly. */
  function wordProbs(tagSet: TagSet, tags: string[], p = 1): Float32Array {
    const n = tagSet.tags.length
    const out = new Float32Array(tags.length * n).fill((1 - p) / (n - 1))
    tags.forEach((t, k) => (out[k * n + tagSet.index.get(t)!] = p))
    return out
  }

  it('repairs invalid sequences as seqeval reads them: I- after O starts an entity, a type change splits', () => {
    const tagSet = buildTagSet(['PER', 'LOC'], 'iob2')
    const text = '我在北京和上海住。'
    const e = encodeDocument({ id: 1, text, spans: [] }, tok, tagSet, { maxLength: 64 })
    const tags = ['O', 'O', 'I-LOC', 'I-LOC', 'O', 'B-PER', 'I-LOC', 'O', 'O']
    const spans = decodeSpans(text, e.offsets, wordProbs(tagSet, tags), tagSet, { wordStarts: e.wordStarts })
    expect(spans.map((s) => [text.slice(s.start, s.end), s.label])).toEqual([
      ['北京', 'LOC'],
      ['上', 'PER'],
      ['海', 'LOC'],
    ])
    expect(spans.map((s) => [s.start, s.end])).toEqual(getEntities(tags).map(([, a, b]) => [a, b + 1]))
  })

  it('repairs IOBES the same way: B- without E- still ends, a stray E- is an entity', () => {
    const tagSet = buildTagSet(['LOC'], 'iobes')
    const text = '北京上海和'
    const e = encodeDocument({ id: 1, text, spans: [] }, tok, tagSet, { maxLength: 64 })
    const spans = decodeSpans(text, e.offsets, wordProbs(tagSet, ['B-LOC', 'I-LOC', 'O', 'E-LOC', 'S-LOC']), tagSet, { wordStarts: e.wordStarts })
    expect(spans.map((s) => text.slice(s.start, s.end))).toEqual(['北京', '海', '和'])
  })

  it("a span's confidence is the mean over its words of the chosen tag's probability", () => {
    const tagSet = buildTagSet(['LOC'], 'iob2')
    const text = '我在北京和上海'
    const e = encodeDocument({ id: 1, text, spans: [] }, tok, tagSet, { maxLength: 64 })
    const probs = wordProbs(tagSet, ['O', 'O', 'B-LOC', 'I-LOC', 'O', 'B-LOC', 'I-LOC'], 0.5)
    probs[3 * 3 + 2] = 0.9 // 京: I-LOC 0.9
    probs[3 * 3 + 0] = 0.05
    probs[3 * 3 + 1] = 0.05
    const spans = decodeSpans(text, e.offsets, probs, tagSet, { wordStarts: e.wordStarts })
    expect(spans).toHaveLength(2)
    expect(spans[0]!.confidence).toBeCloseTo((0.5 + 0.9) / 2, 6)
    expect(spans[1]!.confidence).toBeCloseTo(0.5, 6)
  })

  it("a document's confidence is its least sure word's, an unsure O included", () => {
    const tagSet = buildTagSet(['LOC'], 'iob2')
    const text = '我在北京'
    const e = encodeDocument({ id: 1, text, spans: [] }, tok, tagSet, { maxLength: 64 })
    const probs = wordProbs(tagSet, ['O', 'O', 'B-LOC', 'I-LOC'], 0.9)
    expect(leastWordConfidence(probs, tagSet, { wordStarts: e.wordStarts })).toBeCloseTo(0.9, 6)
    probs.set([0.4, 0.35, 0.25], 1 * 3) // 在: O at 0.4 only
    expect(leastWordConfidence(probs, tagSet, { wordStarts: e.wordStarts })).toBeCloseTo(0.4, 6)
    expect(leastWordConfidence(new Float32Array(0), tagSet, { wordStarts: new Uint8Array(0) })).toBe(1)
  })

  it('with labelAllSubtokens, IOBES reads a word from its first and last pieces; confidence averages the pieces', () => {
    const tagSet = buildTagSet(['PER'], 'iobes')
    const text = 'Washington met'
    const e = encodeDocument({ id: 1, text, spans: [] }, tok, tagSet, { maxLength: 64, labelAllSubtokens: true })
    const n = tagSet.tags.length
    const probs = new Float32Array(4 * n)
    const set = (k: number, tag: string, p: number) => {
      probs.fill((1 - p) / (n - 1), k * n, (k + 1) * n)
      probs[k * n + tagSet.index.get(tag)!] = p
    }
    set(0, 'B-PER', 0.8)
    set(1, 'I-PER', 0.6)
    set(2, 'E-PER', 0.7)
    set(3, 'O', 0.9)
    expect(tokenTags(probs, tagSet, { wordStarts: e.wordStarts, labelAllSubtokens: true })).toEqual(['S-PER', 'O'])
    const [span] = decodeSpans(text, e.offsets, probs, tagSet, { wordStarts: e.wordStarts, labelAllSubtokens: true })
    expect(span).toMatchObject({ start: 0, end: 10, label: 'PER' })
    expect(span!.confidence).toBeCloseTo(0.7, 6)
    // Without labelAllSubtokens only the first piece counts: B-PER then O, an entity all the same.
    const [first] = decodeSpans(text, e.offsets, probs, tagSet, { wordStarts: e.wordStarts })
    expect(first).toMatchObject({ start: 0, end: 10, label: 'PER' })
    expect(first!.confidence).toBeCloseTo(0.8, 6)
  })

  it('checks its inputs', () => {
    const tagSet = buildTagSet(['LOC'], 'iob2')
    const e = encodeDocument({ id: 1, text: '北京', spans: [] }, tok, tagSet, { maxLength: 64 })
    expect(() => decodeSpans('北京', e.offsets, new Float32Array(5), tagSet, { wordStarts: e.wordStarts })).toThrow(/5 probabilities for 2 tokens of 3 tags/)
    expect(() => decodeSpans('北', e.offsets, new Float32Array(6), tagSet, { wordStarts: e.wordStarts })).toThrow(/outside the text/)
    expect(() => decodeSpans('北京', e.offsets, new Float32Array(6), tagSet, { wordStarts: e.wordStarts, mode: 'viterbi' as 'greedy' })).toThrow(/viterbi/)
  })
})

describe('softmaxRows', () => {
  it('turns each row of logits into probabilities, stable for large logits', () => {
    const p = softmaxRows(Float32Array.from([0, 0, 0, 1000, 1000, 0]), 3)
    expect(Array.from(p.subarray(0, 3)).map((x) => x.toFixed(4))).toEqual(['0.3333', '0.3333', '0.3333'])
    expect(Array.from(p.subarray(3)).map((x) => x.toFixed(4))).toEqual(['0.5000', '0.5000', '0.0000'])
    expect(() => softmaxRows(new Float32Array(4), 3)).toThrow(/not rows of 3/)
  })
})
