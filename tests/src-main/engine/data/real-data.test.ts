// The real WNUT-17 training set through the real bert-base-cased vocabulary: space-joined CoNLL
// tokens make documents and spans; encoding, windowing, merging and decoding the gold labels
// must give back every span. Also the real Chinese vocabulary on text with an astral character.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  buildTagSet,
  checkAlignment,
  decodeSpans,
  encodeDocuments,
  makeBatches,
  mergeWindowPredictions,
  paddingWaste,
  tokenTags,
  type NerDocument,
  type NerSpan,
  type TrainingScheme,
} from '../../../../src-main/engine/data'
import { SHARED_DATA, sharedDataAvailable } from '../../../helpers/shared-data'
import { sharedTokenizer } from '../tokenizer/shared-vocabs'
import { oneHot } from './tiny'

const available = sharedDataAvailable('WNUT-17 and the BERT vocabularies for the NER data pipeline test')

const WNUT_TYPES = ['person', 'location', 'corporation', 'product', 'creative-work', 'group']

/** Sentences of a CoNLL file (token<TAB>tag, blank line between sentences) as documents: tokens joined by spaces, IOB2 entities as spans. */
function conllDocuments(file: string): NerDocument[] {
  const docs: NerDocument[] = []
  let text = ''
  let spans: NerSpan[] = []
  let prev = 'O'
  const flush = () => {
    if (text.length > 0) docs.push({ id: docs.length, text, spans })
    text = ''
    spans = []
    prev = 'O'
  }
  for (const line of readFileSync(join(SHARED_DATA, file), 'utf8').split('\n')) {
    if (line.trim() === '') {
      flush()
      continue
    }
    const [token, tag = 'O'] = line.split('\t')
    if (text.length > 0) text += ' '
    const start = text.length
    text += token!
    // B-X starts an entity; I-X continues an X entity, or starts one after O or another type.
    const continues = tag.startsWith('I-') && prev !== 'O' && prev.slice(2) === tag.slice(2)
    if (continues) spans[spans.length - 1]!.end = text.length
    else if (tag !== 'O') spans.push({ start, end: text.length, label: tag.slice(2) })
    prev = tag
  }
  flush()
  return docs
}

describe.skipIf(!available)('real data', () => {
  const docs = available ? conllDocuments('wnut17/wnut17train.conll') : []
  const tok = available ? sharedTokenizer('bert-base-cased', { doLowerCase: false }) : undefined!

  it('WNUT-17 train: every space-joined token span aligns with the cased tokenizer', () => {
    expect(docs).toHaveLength(3394)
    expect(docs.reduce((n, d) => n + d.spans.length, 0)).toBe(1975)
    const issues = checkAlignment(docs, tok)
    console.info(`WNUT-17 train, bert-base-cased: ${issues.length} alignment issues in ${docs.length} documents`)
    expect(issues).toEqual([])
  })

  const cases: Array<[TrainingScheme, boolean]> = [
    ['iob2', false],
    ['iobes', true],
  ]
  it.each(cases)('WNUT-17 train: gold labels through windows, merge and decode give back every span (%s, labelAllSubtokens %s)', (scheme, labelAllSubtokens) => {
    const tagSet = buildTagSet(WNUT_TYPES, scheme)
    const numTags = tagSet.tags.length
    // A small maxLength, so that many sentences are split into windows.
    const { documents, windows, alignment } = encodeDocuments(docs, tok, tagSet, { maxLength: 32, stride: 8, labelAllSubtokens })
    expect(alignment).toEqual([])
    expect(windows.length).toBeGreaterThan(docs.length)
    const problems: string[] = []
    let split = 0
    documents.forEach((e, i) => {
      const d = docs[i]!
      if (e.windows.length > 1) split++
      // The model's output, if it learned the labels perfectly (random rows where labels are ignored).
      const rows = e.windows.map((w, k) => oneHot(w.labels, numTags, i * 31 + k))
      const probs = mergeWindowPredictions(e.windows, rows, numTags)
      const spans = decodeSpans(d.text, e.offsets, probs, tagSet, { wordStarts: e.wordStarts, labelAllSubtokens }).map(({ start, end, label }) => ({ start, end, label }))
      if (JSON.stringify(spans) !== JSON.stringify(d.spans)) problems.push(`${d.id}: ${JSON.stringify(spans)} != ${JSON.stringify(d.spans)}`)
      const tags = tokenTags(probs, tagSet, { wordStarts: e.wordStarts, labelAllSubtokens })
      if (tags.join() !== e.wordTags.join()) problems.push(`${d.id}: word tags ${tags} != ${e.wordTags}`)
    })
    expect(problems.slice(0, 10)).toEqual([])
    expect(split).toBeGreaterThan(100)
  })

  it('WNUT-17 train: length bucketing cuts padding', () => {
    const tagSet = buildTagSet(WNUT_TYPES, 'iob2')
    const { windows } = encodeDocuments(docs, tok, tagSet, { maxLength: 128 })
    const options = { batchSize: 32, seed: 5, shuffle: true, padId: tok.pad.id }
    const bucketed = paddingWaste(makeBatches(windows, { ...options, bucketByLength: true }))
    const plain = paddingWaste(makeBatches(windows, { ...options, bucketByLength: false }))
    console.info(`WNUT-17 train, batch 32: padding ${(100 * plain).toFixed(1)}% without bucketing, ${(100 * bucketed).toFixed(1)}% with`)
    expect(bucketed).toBeLessThan(plain / 4)
  })

  it('bert-base-chinese: spans over CJK text with 𠮷 round-trip', () => {
    const zh = sharedTokenizer('bert-base-chinese', { doLowerCase: false })
    const tagSet = buildTagSet(['LOC', 'ORG'], 'iobes')
    const text = '我在𠮷野家吃饭，然后去了北京大学。'
    const at = (s: string) => text.indexOf(s)
    const doc: NerDocument = { id: 'zh', text, spans: [{ start: at('𠮷野家'), end: at('𠮷野家') + 4, label: 'ORG' }, { start: at('北京大学'), end: at('北京大学') + 4, label: 'ORG' }] }
    const { documents, alignment } = encodeDocuments([doc], zh, tagSet, { maxLength: 12, stride: 3 })
    expect(alignment).toEqual([])
    const e = documents[0]!
    expect(e.windows.length).toBeGreaterThan(1)
    const probs = mergeWindowPredictions(e.windows, e.windows.map((w) => oneHot(w.labels, tagSet.tags.length)), tagSet.tags.length)
    expect(decodeSpans(text, e.offsets, probs, tagSet, { wordStarts: e.wordStarts })).toEqual(doc.spans.map((s) => ({ ...s, confidence: 1 })))
  })
})
