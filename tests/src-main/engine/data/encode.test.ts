// Spans -> token labels on a tiny vocabulary, and the spans that do not fit the tokenizer.
import { describe, expect, it } from 'vitest'
import {
  alignDocument,
  buildTagSet,
  checkAlignment,
  encodeDocument,
  encodeDocuments,
  IGNORE_LABEL,
  type NerDocument,
  type NerSpan,
} from '../../../../src-main/engine/data'
import { seededRandom } from '../../../../src-shared/domain/splits'
import { tagNames, tinyTokenizer } from './tiny'

const tok = tinyTokenizer()
const iob2 = buildTagSet(['PER', 'LOC'], 'iob2')
const iobes = buildTagSet(['PER', 'LOC'], 'iobes')

/** A document from text with the spans given by their text (first occurrence at or after `from`). */
function doc(text: string, ...spans: Array<[string, string, number?]>): NerDocument {
  return {
    id: text,
    text,
    spans: spans.map(([s, label, from]) => {
      const start = text.indexOf(s, from ?? 0)
      if (start < 0) throw new Error(`${s} not in ${text}`)
      return { start, end: start + s.length, label }
    }),
  }
}

/** [token, tag] pairs of the single window, without [CLS]/[SEP]. */
function tagged(d: NerDocument, tagSet = iob2, labelAllSubtokens = false): Array<[string, string]> {
  const e = encodeDocument(d, tok, tagSet, { maxLength: 64, labelAllSubtokens })
  expect(e.windows).toHaveLength(1)
  const w = e.windows[0]!
  expect(w.inputIds[0]).toBe(tok.cls.id)
  expect(w.inputIds[w.length - 1]).toBe(tok.sep.id)
  expect(w.labels[0]).toBe(IGNORE_LABEL)
  expect(w.labels[w.length - 1]).toBe(IGNORE_LABEL)
  const names = tagNames(w.labels, tagSet)
  return Array.from(w.inputIds.subarray(1, w.length - 1), (id, k) => [tok.vocab.idToToken[id]!, names[k + 1]!])
}

describe('labels from spans', () => {
  it('a span on "New York" gets B-LOC I-LOC on its two tokens, O elsewhere', () => {
    expect(tagged(doc('Ada lives in New York .', ['New York', 'LOC']))).toEqual([
      ['Ada', 'O'],
      ['lives', 'O'],
      ['in', 'O'],
      ['New', 'B-LOC'],
      ['York', 'I-LOC'],
      ['.', 'O'],
    ])
  })

  it("only the first piece of Washington is labelled; the other pieces are -100", () => {
    expect(tagged(doc('George Washington visited Paris', ['George Washington', 'PER'], ['Paris', 'LOC']))).toEqual([
      ['George', 'B-PER'],
      ['Wash', 'I-PER'],
      ['##ing', '-'],
      ['##ton', '-'],
      ['visited', 'O'],
      ['Paris', 'B-LOC'],
    ])
  })

  it('labelAllSubtokens labels every piece: I- after a B- piece (IOB2)', () => {
    expect(tagged(doc('Washington visited Paris', ['Washington', 'PER']), iob2, true)).toEqual([
      ['Wash', 'B-PER'],
      ['##ing', 'I-PER'],
      ['##ton', 'I-PER'],
      ['visited', 'O'],
      ['Paris', 'O'],
    ])
  })

  it('IOBES: word tags on first pieces; with labelAllSubtokens a valid IOBES sequence over the pieces', () => {
    const d = doc('Ada Lovelace met George Washington in Paris', ['Ada Lovelace', 'PER'], ['George Washington', 'PER'], ['Paris', 'LOC'])
    expect(tagged(d, iobes).map(([t, g]) => `${t}/${g}`)).toEqual([
      'Ada/B-PER', 'Lo/E-PER', '##ve/-', '##lace/-', 'met/O', 'George/B-PER', 'Wash/E-PER', '##ing/-', '##ton/-', 'in/O', 'Paris/S-LOC',
    ])
    expect(tagged(d, iobes, true).map(([t, g]) => `${t}/${g}`)).toEqual([
      'Ada/B-PER', 'Lo/I-PER', '##ve/I-PER', '##lace/E-PER', 'met/O', 'George/B-PER', 'Wash/I-PER', '##ing/I-PER', '##ton/E-PER', 'in/O', 'Paris/S-LOC',
    ])
    // One multi-piece word: S- as a word, B- I- E- over its pieces.
    const one = doc('Washington visited', ['Washington', 'PER'])
    expect(tagged(one, iobes).map(([, g]) => g)).toEqual(['S-PER', '-', '-', 'O'])
    expect(tagged(one, iobes, true).map(([, g]) => g)).toEqual(['B-PER', 'I-PER', 'E-PER', 'O'])
  })

  it('gives the gold word tags (one per word) and the spans as encoded', () => {
    const d = doc('George Washington visited Paris', ['George Washington', 'PER'], ['Paris', 'LOC'])
    const e = encodeDocument(d, tok, iobes, { maxLength: 64, labelAllSubtokens: false })
    expect(e.wordTags).toEqual(['B-PER', 'E-PER', 'O', 'S-LOC'])
    expect(Array.from(e.wordStarts)).toEqual([1, 1, 0, 0, 1, 1])
    expect(e.tokenCount).toBe(6)
    expect(e.offsets[1]).toEqual([7, 11])
    expect(e.spans).toEqual(d.spans)
    expect(e.alignment).toEqual([])
  })

  it('counts CJK ideographs, the astral 𠮷 included, as words of their own', () => {
    expect(tagged(doc('我在𠮷野家住。', ['𠮷野家', 'LOC']))).toEqual([
      ['我', 'O'],
      ['在', 'O'],
      ['𠮷', 'B-LOC'],
      ['野', 'I-LOC'],
      ['家', 'I-LOC'],
      ['住', 'O'],
      ['。', 'O'],
    ])
  })

  it('throws for a label the tag set lacks and for a span outside the text', () => {
    expect(() => encodeDocument(doc('Ada lives', ['Ada', 'ORG']), tok, iob2, { maxLength: 16 })).toThrow(/label "ORG" is not in the tag set/)
    expect(() => encodeDocument({ id: 7, text: 'Ada', spans: [{ start: 1, end: 9, label: 'PER' }] }, tok, iob2, { maxLength: 16 })).toThrow(/document 7: span \[1, 9\)/)
    expect(() => encodeDocument(doc('Ada'), tok, iob2, { maxLength: 2 })).toThrow(/maxLength 2/)
    expect(() => encodeDocument(doc('Ada'), tok, iob2, { maxLength: 8, stride: 6 })).toThrow(/stride 6/)
  })

  it('an empty or whitespace-only document is one window [CLS] [SEP]', () => {
    const e = encodeDocument({ id: 'e', text: '  ', spans: [{ start: 0, end: 2, label: 'PER' }] }, tok, iob2, { maxLength: 16 })
    expect(e.windows).toHaveLength(1)
    expect(Array.from(e.windows[0]!.inputIds)).toEqual([tok.cls.id, tok.sep.id])
    expect(e.alignment.map((a) => a.reason)).toEqual(['no-tokens'])
  })
})

describe('alignment issues', () => {
  it('reports a span ending inside a token with its text, and trains it as the whole token', () => {
    const d = doc('Ada visited NewYork .', ['York', 'LOC'])
    const e = encodeDocument(d, tok, iob2, { maxLength: 64 })
    expect(e.alignment).toEqual([{ docId: d.id, span: d.spans[0], text: 'York', reason: 'partial-token', encodedAs: { start: 12, end: 19 } }])
    expect(tagged(d)).toEqual([
      ['Ada', 'O'],
      ['visited', 'O'],
      ['NewYork', 'B-LOC'],
      ['.', 'O'],
    ])
    expect(e.spans).toEqual([{ start: 12, end: 19, label: 'LOC' }])
  })

  it('reports a span that cuts a word between its pieces (partial-word), encoded as the whole word', () => {
    const d = doc('George Washington', ['Wash', 'PER'])
    const [issue] = encodeDocument(d, tok, iob2, { maxLength: 64 }).alignment
    expect(issue).toMatchObject({ text: 'Wash', reason: 'partial-word', encodedAs: { start: 7, end: 17 } })
  })

  it('reports a span over whitespace only (no-tokens), not encoded', () => {
    const d: NerDocument = { id: 1, text: 'Ada   Paris', spans: [{ start: 4, end: 5, label: 'LOC' }] }
    expect(encodeDocument(d, tok, iob2, { maxLength: 64 }).alignment).toEqual([{ docId: 1, span: d.spans[0], text: ' ', reason: 'no-tokens', encodedAs: null }])
  })

  it('keeps the longer of nested spans and reports the inner one with the span it collides with', () => {
    const d = doc('Ada visited New York City .', ['York', 'LOC'], ['New York City', 'LOC'], ['New York', 'PER'])
    const e = encodeDocument(d, tok, iob2, { maxLength: 64 })
    expect(e.spans).toEqual([{ start: 12, end: 25, label: 'LOC' }])
    expect(e.alignment).toEqual([
      { docId: d.id, span: d.spans[2], text: 'New York', reason: 'overlap', encodedAs: null, conflictsWith: d.spans[1] },
      { docId: d.id, span: d.spans[0], text: 'York', reason: 'overlap', encodedAs: null, conflictsWith: d.spans[1] },
    ])
    expect(tagged(d).map(([, g]) => g)).toEqual(['O', 'O', 'B-LOC', 'I-LOC', 'I-LOC', 'O'])
  })

  it('keeps the first of crossing spans, and the first of two identical ranges', () => {
    const d = doc('New York City', ['New York', 'LOC'], ['York City', 'PER'], ['New York', 'PER'])
    const e = encodeDocument(d, tok, iob2, { maxLength: 64 })
    expect(e.spans).toEqual([{ start: 0, end: 8, label: 'LOC' }])
    expect(e.alignment.map((a) => [a.text, a.span.label, a.reason])).toEqual([
      ['New York', 'PER', 'overlap'],
      ['York City', 'PER', 'overlap'],
    ])
  })

  it('two spans inside one token: the first is partial, the second collides with it', () => {
    const d = doc('NewYork', ['New', 'LOC'], ['York', 'LOC'])
    expect(encodeDocument(d, tok, iob2, { maxLength: 64 }).alignment.map((a) => [a.text, a.reason])).toEqual([
      ['New', 'partial-token'],
      ['York', 'overlap'],
    ])
  })

  it('checkAlignment lists the same issues as encoding, for a whole dataset', () => {
    const docs = [doc('Ada visited NewYork .', ['York', 'LOC']), doc('New York City', ['New York', 'LOC'], ['York City', 'PER']), doc('Ada lives in Paris', ['Paris', 'LOC'])]
    const issues = checkAlignment(docs, tok)
    expect(issues.map((a) => [a.docId, a.text, a.reason])).toEqual([
      ['Ada visited NewYork .', 'York', 'partial-token'],
      ['New York City', 'York City', 'overlap'],
    ])
    expect(encodeDocuments(docs, tok, iob2, { maxLength: 64 }).alignment).toEqual(issues)
  })

  it('nothing is dropped silently: every span is encoded exactly, or reported (random spans)', () => {
    const random = seededRandom(42)
    const text = 'Ada  Lovelace met George Washington in NewYork , Paris and 我在𠮷野家住。 the City .'
    for (let round = 0; round < 300; round++) {
      const spans: NerSpan[] = []
      const count = 1 + Math.floor(random() * 5)
      for (let i = 0; i < count; i++) {
        const a = Math.floor(random() * text.length)
        const b = Math.min(text.length, a + 1 + Math.floor(random() * 12))
        spans.push({ start: a, end: b, label: random() < 0.5 ? 'PER' : 'LOC' })
      }
      const d: NerDocument = { id: round, text, spans }
      const aligned = alignDocument(d, tok)
      for (const s of spans) {
        const kept = aligned.spans.filter((k) => k.span === s)
        const issues = aligned.issues.filter((i) => i.span === s)
        expect(kept.length + issues.length).toBeGreaterThan(0)
        expect(issues.length).toBeLessThanOrEqual(1)
        if (kept.length === 0) {
          expect(issues[0]!.encodedAs).toBeNull()
          continue
        }
        const k = kept[0]!
        if (issues.length === 1) expect(issues[0]!.encodedAs).toEqual({ start: k.start, end: k.end })
        // Encoded exactly: the same characters, less surrounding whitespace.
        else expect(text.slice(k.start, k.end)).toBe(text.slice(s.start, s.end).trim())
      }
      // Kept spans never share a word.
      for (let i = 1; i < aligned.spans.length; i++) expect(aligned.spans[i]!.wordStart).toBeGreaterThanOrEqual(aligned.spans[i - 1]!.wordEnd)
    }
  })
})
