import { describe, expect, it } from 'vitest'
import { expectRoundTrip, join, readText } from '../../helpers/format-testkit'
import { readPlainText, writePlainText } from '../../../src-main/formats/plain-text'
import type { DocumentRecord } from '../../../src-main/formats/types'

const read = (text: string) => readText(readPlainText, text, 'in.txt')
const write = (docs: Iterable<DocumentRecord>): Promise<string> => join(writePlainText(docs))

describe('readPlainText', () => {
  it('makes one document per non-empty line, skipping and counting blank lines', async () => {
    const { docs, notes, problems } = await read('\uFEFFFirst line.\r\n\r\n   \r\n  indented 😀 𠮷\r\nlast')
    expect(problems).toEqual([])
    expect(docs).toEqual([
      { text: 'First line.', spans: [], meta: {}, source: { file: 'in.txt', line: 1 } },
      { text: '  indented 😀 𠮷', spans: [], meta: {}, source: { file: 'in.txt', line: 4 } },
      { text: 'last', spans: [], meta: {}, source: { file: 'in.txt', line: 5 } },
    ])
    expect(notes).toEqual(['Skipped 2 blank lines.'])
  })

  it('has no notes when there is no blank line', async () => {
    expect((await read('a\nb\n')).notes).toEqual([])
  })
})

describe('writePlainText', () => {
  it('writes one line per document, line breaks inside a document become one space, spans are dropped', async () => {
    const doc = (text: string): DocumentRecord => ({ text, spans: [{ start: 0, end: 1, label: 'X' }], meta: {}, source: { file: 'x' } })
    expect(await write([doc('a\r\nb\nc\rd'), doc('😀 𠮷\ttab')])).toBe('a b c d\n😀 𠮷\ttab\n')
  })

  it('round-trips read → write → read to identical documents', async () => {
    await expectRoundTrip(read, write, 'one 😀\ntwo 𠮷野家\nthree')
  })
})
