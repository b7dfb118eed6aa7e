import { describe, expect, it } from 'vitest'
import { readPlainText, writePlainText } from '../../../src-main/formats/plain-text'
import { textSourceFromString } from '../../../src-main/formats/text-source'
import type { DocumentRecord, Problem } from '../../../src-main/formats/types'

async function read(text: string) {
  const problems: Problem[] = []
  const gen = readPlainText(textSourceFromString(text, 'in.txt').lines(), { file: 'in.txt', report: (p) => problems.push(p) })
  const docs: DocumentRecord[] = []
  let r = await gen.next()
  while (!r.done) {
    docs.push(r.value)
    r = await gen.next()
  }
  return { docs, notes: r.value.notes, problems }
}

async function write(docs: Iterable<DocumentRecord>): Promise<string> {
  let out = ''
  for await (const c of writePlainText(docs)) out += c
  return out
}

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
    const first = await read('one 😀\ntwo 𠮷野家\nthree')
    const text = await write(first.docs)
    const second = await read(text)
    expect(second.docs).toEqual(first.docs)
  })
})
