import { describe, expect, it } from 'vitest'
import { covered, expectRoundTrip, join, readText } from '../../helpers/format-testkit'
import { readDoccano, writeDoccano } from '../../../src-main/formats/doccano'
import type { DocumentRecord } from '../../../src-main/formats/types'

const FILE = 'in.jsonl'

const read = (text: string) => readText(readDoccano, text, FILE)
const write = (docs: Iterable<DocumentRecord>): Promise<string> => join(writeDoccano(docs))

// Code points: 😀=0, Apple=2..7, 𠮷野家=12..15, Paris=19..24 (UTF-16: +1 after 😀, +2 after 𠮷).
const ASTRAL = '😀 Apple and 𠮷野家 in Paris'

describe('readDoccano', () => {
  it('reads `label` triples, converting code points to UTF-16, sorted, keeping id and other keys in meta', async () => {
    const line = JSON.stringify({ id: 7, text: ASTRAL, label: [[19, 24, 'LOC'], [2, 7, 'ORG'], [12, 15, 'ORG']], comments: ['ok'] })
    const { docs, problems } = await read(line + '\n')
    expect(problems).toEqual([])
    expect(docs).toHaveLength(1)
    const d = docs[0]!
    expect(covered(d)).toEqual(['Apple/ORG', '𠮷野家/ORG', 'Paris/LOC'])
    expect(d.spans[0]).toEqual({ start: 3, end: 8, label: 'ORG' })
    expect(d.meta).toEqual({ id: 7, comments: ['ok'] })
    expect(d.source).toEqual({ file: FILE, line: 1 })
  })

  it('reads the older `labels` key and the entities/relations export, counting relations in the notes', async () => {
    const a = { text: 'EU rejects German call', labels: [[0, 2, 'ORG'], [11, 17, 'MISC']] }
    const b = {
      id: 3,
      text: 'Google was founded by Larry Page.',
      entities: [
        { id: 0, start_offset: 0, end_offset: 6, label: 'ORG' },
        { id: 2, start_offset: 22, end_offset: 32, label: 'PERSON' },
      ],
      relations: [{ from_id: 0, to_id: 2, type: 'foundedBy' }],
    }
    const { docs, notes, problems } = await read([a, b].map((r) => JSON.stringify(r)).join('\n'))
    expect(problems).toEqual([])
    expect(covered(docs[0]!)).toEqual(['EU/ORG', 'German/MISC'])
    expect(covered(docs[1]!)).toEqual(['Google/ORG', 'Larry Page/PERSON'])
    expect(docs[1]!.meta).toEqual({ id: 3 })
    expect(docs[1]!.source.line).toBe(2)
    expect(notes).toEqual(['1 relation ignored: Tagtune keeps entity spans only.'])
  })

  it('handles a BOM, CRLF line ends, blank lines and records without annotations', async () => {
    const { docs, problems } = await read('\uFEFF{"text": "a b", "label": [[0, 1, "X"]]}\r\n\r\n{"text": "no spans"}\r\n')
    expect(problems).toEqual([])
    expect(docs.map((d) => [d.text, d.spans.length, d.source.line])).toEqual([
      ['a b', 1, 1],
      ['no spans', 0, 3],
    ])
  })

  it('reports every problem with its line and field, and keeps reading', async () => {
    const lines = [
      '{"text": "bad json",', // 1 syntax
      '["not", "an", "object"]', // 2 syntax
      '{"label": []}', // 3 field text
      '{"text": 5}', // 4 field text
      '{"text": "   "}', // 5 empty-document
      '{"text": "Paris is nice", "label": [[0, 5, "LOC"], [0, 5], [6, "8", "X"], [0, 5, ""]]}', // 6
      '{"text": "Paris", "label": [[0, 9, "LOC"], [3, 3, "LOC"], [4, 2, "LOC"], [-1, 2, "LOC"]]}', // 7
      '{"text": "Paris", "entities": [{"start_offset": 0, "label": "LOC"}], "label": "LOC"}', // 8
      '{"text": "ok", "label": [[0, 2, "X"]]}', // 9
    ]
    const { docs, problems } = await read(lines.join('\n'))
    const brief = problems.map((p) => [p.kind, p.line, p.field])
    expect(brief).toEqual([
      ['syntax', 1, undefined],
      ['syntax', 2, undefined],
      ['field', 3, 'text'],
      ['field', 4, 'text'],
      ['empty-document', 5, undefined],
      ['field', 6, 'label[1]'],
      ['field', 6, 'label[2][1]'],
      ['field', 6, 'label[3][2]'],
      ['span-out-of-range', 7, 'label[0]'],
      ['empty-span', 7, 'label[1]'],
      ['empty-span', 7, 'label[2]'],
      ['span-out-of-range', 7, 'label[3]'],
      ['field', 8, 'label'],
      ['field', 8, 'entities[0].end_offset'],
    ])
    expect(problems.every((p) => p.file === FILE)).toBe(true)
    expect(problems[0]!.message).toMatch(/^not valid JSON: .+/)
    expect(problems[0]!.message).toContain(errorOf('{"text": "bad json",'))
    expect(problems[2]!.message).toBe('the "text" field is missing')
    expect(problems[6]!.message).toContain('label[2][1] must be an integer offset, got "8"')
    expect(problems[8]!.message).toContain('[0, 9) is outside the text (5 characters)')
    // Records with bad spans are still read, without those spans.
    expect(docs.map((d) => [d.source.line, covered(d)])).toEqual([
      [6, ['Paris/LOC']],
      [7, []],
      [8, []],
      [9, ['ok/X']],
    ])
  })
})

function errorOf(json: string): string {
  try {
    JSON.parse(json)
  } catch (e) {
    return (e as Error).message
  }
  return ''
}

describe('writeDoccano', () => {
  it('writes id, text, label in code points, then the other meta keys', async () => {
    const doc: DocumentRecord = {
      text: ASTRAL,
      spans: [
        { start: 3, end: 8, label: 'ORG' },
        { start: 13, end: 17, label: 'ORG' },
      ],
      meta: { source: 'web', id: 'a-1', text: 'clash', entities: [] },
      source: { file: 'x' },
    }
    expect(await write([doc])).toBe(`{"id":"a-1","text":"${ASTRAL}","label":[[2,7,"ORG"],[12,15,"ORG"]],"source":"web"}\n`)
  })

  it('refuses a span that splits a surrogate pair instead of writing a corrupt file', async () => {
    const doc: DocumentRecord = { text: '😀x', spans: [{ start: 1, end: 3, label: 'X' }], meta: {}, source: { file: 'x' } }
    await expect(write([doc])).rejects.toThrow(RangeError)
  })

  it('round-trips read → write → read to identical documents, astral characters included', async () => {
    const input = [
      { id: 1, text: ASTRAL, label: [[0, 1, 'EMOJI'], [2, 7, 'ORG'], [12, 15, 'ORG'], [19, 24, 'LOC']] },
      { text: '👍🏽👍🏽 𠮷', label: [[2, 4, 'EMOJI'], [5, 6, 'CJK']], meta: { lang: 'zh' } },
      { text: 'nothing here', label: [] },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n')
    const { docs } = await expectRoundTrip(read, write, input)
    expect(covered(docs[1]!)).toEqual(['👍🏽/EMOJI', '𠮷/CJK'])
  })
})
