import { describe, expect, it } from 'vitest'
import { covered, expectRoundTrip, join, jsonl, readText } from '../../helpers/format-testkit'
import { readSpacy, writeSpacy } from '../../../src-main/formats/spacy'
import type { DocumentRecord } from '../../../src-main/formats/types'

const FILE = 'prodigy.jsonl'

const read = (text: string) => readText(readSpacy, text, FILE)
const write = (docs: Iterable<DocumentRecord>): Promise<string> => join(writeSpacy(docs))

// Code points: 😀=0, Apple=2..7, updates=8..15, 𠮷野家=16..19.
const TEXT = '😀 Apple updates 𠮷野家'
const PRODIGY = {
  text: TEXT,
  tokens: [
    { text: '😀', start: 0, end: 1, id: 0, ws: true },
    { text: 'Apple', start: 2, end: 7, id: 1, ws: true },
    { text: 'updates', start: 8, end: 15, id: 2, ws: true },
    { text: '𠮷野家', start: 16, end: 19, id: 3, ws: false },
  ],
  spans: [
    { start: 16, end: 19, token_start: 3, token_end: 3, label: 'ORG' },
    { start: 2, end: 7, token_start: 1, token_end: 1, label: 'ORG' },
  ],
  answer: 'accept',
  _input_hash: 123,
  _task_hash: 456,
  _annotator_id: 'ner-alex',
}

describe('readSpacy', () => {
  it('reads a Prodigy task: code-point spans and tokens to UTF-16, annotator, other keys in meta', async () => {
    const { docs, problems } = await read(jsonl([PRODIGY]))
    expect(problems).toEqual([])
    const d = docs[0]!
    expect(covered(d)).toEqual(['Apple/ORG', '𠮷野家/ORG'])
    expect(d.spans).toEqual([
      { start: 3, end: 8, label: 'ORG' },
      { start: 17, end: 21, label: 'ORG' },
    ])
    expect(d.tokens?.map((t) => d.text.slice(t.start, t.end))).toEqual(['😀', 'Apple', 'updates', '𠮷野家'])
    expect(d.annotator).toBe('ner-alex')
    expect(d.meta).toEqual({ answer: 'accept', _input_hash: 123, _task_hash: 456 })
    expect(d.source).toEqual({ file: FILE, line: 1 })
  })

  it('skips rejected and ignored answers and says so in the notes', async () => {
    const { docs, notes, problems } = await read(
      jsonl([
        { text: 'a', spans: [], answer: 'reject' },
        { text: 'b', spans: [], answer: 'ignore' },
        { text: 'c', spans: [], answer: 'reject' },
        { text: 'd', spans: [] },
      ]),
    )
    expect(problems).toEqual([])
    expect(docs.map((d) => [d.text, d.source.line])).toEqual([['d', 4]])
    expect(notes).toEqual(['Skipped 2 rejected and 1 ignored Prodigy answer(s): only accepted records are annotations.'])
  })

  it('reports every problem with its line and field, and keeps reading', async () => {
    const lines = [
      '{"text": "x", "spans": [}', // 1 syntax
      '"just a string"', // 2 syntax
      '{"spans": []}', // 3 field text
      '{"text": "x", "answer": "maybe"}', // 4 field answer
      '{"text": ""}', // 5 empty-document
      JSON.stringify({ text: 'Paris', spans: [{ start: 0, end: 5 }, { start: '0', end: 5, label: 'LOC' }, 'LOC', { start: 0, end: 5, label: 'LOC', text: 'Pari' }] }), // 6
      JSON.stringify({ text: 'Paris', spans: [{ start: 0, end: 6, label: 'LOC' }, { start: 2, end: 2, label: 'LOC' }] }), // 7
      JSON.stringify({ text: 'Paris', tokens: [{ start: 0, end: 9 }], spans: { start: 0 } }), // 8
      JSON.stringify({ text: 'Paris', tokens: [{ start: 0 }], spans: [{ start: 0, end: 5, label: 'LOC' }] }), // 9
    ]
    const { docs, problems } = await read(lines.join('\n'))
    expect(problems.map((p) => [p.kind, p.line, p.field])).toEqual([
      ['syntax', 1, undefined],
      ['syntax', 2, undefined],
      ['field', 3, 'text'],
      ['field', 4, 'answer'],
      ['empty-document', 5, undefined],
      ['field', 6, 'spans[0].label'],
      ['field', 6, 'spans[1].start'],
      ['field', 6, 'spans[2]'],
      ['span-text-mismatch', 6, 'spans[3].text'],
      ['span-out-of-range', 7, 'spans[0]'],
      ['empty-span', 7, 'spans[1]'],
      ['field', 8, 'spans'],
      ['span-out-of-range', 8, 'tokens[0]'],
      ['field', 9, 'tokens[0]'],
    ])
    expect(problems[8]!.message).toContain('the text at [0, 5) is "Paris" but the span says "Pari"')
    expect(docs.map((d) => [d.source.line, covered(d), d.tokens])).toEqual([
      [6, [], undefined],
      [7, [], undefined],
      [8, [], undefined],
      [9, ['Paris/LOC'], undefined],
    ])
  })
})

describe('writeSpacy', () => {
  it('writes text, Prodigy tokens and spans with token indices when the document has tokens', async () => {
    const doc: DocumentRecord = {
      text: 'New York 😀 is big',
      tokens: [
        { start: 0, end: 3 },
        { start: 4, end: 8 },
        { start: 9, end: 11 },
        { start: 12, end: 14 },
        { start: 15, end: 18 },
      ],
      spans: [
        { start: 0, end: 8, label: 'GPE' },
        { start: 13, end: 18, label: 'ODD' }, // not on token edges: no token indices
      ],
      annotator: 'me',
      meta: { answer: 'accept', spans: 'clash' },
      source: { file: 'x' },
    }
    const out = JSON.parse(await write([doc]))
    expect(out).toEqual({
      text: 'New York 😀 is big',
      tokens: [
        { text: 'New', start: 0, end: 3, id: 0, ws: true },
        { text: 'York', start: 4, end: 8, id: 1, ws: true },
        { text: '😀', start: 9, end: 10, id: 2, ws: true },
        { text: 'is', start: 11, end: 13, id: 3, ws: true },
        { text: 'big', start: 14, end: 17, id: 4, ws: false },
      ],
      spans: [
        { start: 0, end: 8, label: 'GPE', token_start: 0, token_end: 1 },
        { start: 12, end: 17, label: 'ODD' },
      ],
      _annotator_id: 'me',
      answer: 'accept',
    })
  })

  it('writes only text and spans for a document without tokens', async () => {
    const doc: DocumentRecord = { text: '𠮷野家', spans: [{ start: 0, end: 4, label: 'ORG' }], meta: {}, source: { file: 'x' } }
    expect(await write([doc])).toBe('{"text":"𠮷野家","spans":[{"start":0,"end":3,"label":"ORG"}]}\n')
  })

  it('round-trips read → write → read to identical documents, astral characters included', async () => {
    const input = jsonl([PRODIGY, { text: '👍🏽 ok 🇫🇷 France', spans: [{ start: 0, end: 2, label: 'EMOJI' }, { start: 6, end: 8, label: 'FLAG' }, { start: 9, end: 15, label: 'LOC' }] }, { text: 'no spans' }])
    const { docs, written } = await expectRoundTrip(read, write, input)
    expect(covered(docs[1]!)).toEqual(['👍🏽/EMOJI', '🇫🇷/FLAG', 'France/LOC'])
    // Token indices written back match the source.
    expect(JSON.parse(written.split('\n')[0]!).spans).toEqual([
      { start: 2, end: 7, label: 'ORG', token_start: 1, token_end: 1 },
      { start: 16, end: 19, label: 'ORG', token_start: 3, token_end: 3 },
    ])
  })
})
