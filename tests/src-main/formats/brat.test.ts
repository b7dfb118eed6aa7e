import { describe, expect, it } from 'vitest'
import { covered, drain, expectRoundTrip, readAll } from '../../helpers/format-testkit'
import { readBrat, writeBrat, type BratDocument } from '../../../src-main/formats/brat'
import type { DocumentRecord } from '../../../src-main/formats/types'

/** Given as an async iterable, like the pairs the registry reads from files. */
const read = (pairs: BratDocument[]) =>
  readAll(
    readBrat,
    (async function* () {
      yield* pairs
    })(),
    'brat',
  )
const write = (docs: Iterable<DocumentRecord>): Promise<BratDocument[]> => drain(writeBrat(docs))

// Code points: 😀=0, Sony=2..6, 𠮷野家=11..14, Sweden=18..24 (UTF-16 +1 after 😀, +2 after 𠮷).
const TEXT = '😀 Sony and 𠮷野家 in Sweden.\nSecond line.\n'

describe('readBrat', () => {
  it('reads T lines as spans (code points to UTF-16), counts other lines, keeps the name', async () => {
    const ann = [
      'T2\tOrganization 11 14\t𠮷野家',
      'T1\tOrganization 2 6\tSony',
      'T3\tCountry 18 24\tSweden',
      'R1\tOrigin Arg1:T2 Arg2:T3',
      'A1\tNegated T1',
      'N1\tReference T1 Wikipedia:534366\tSony',
      '#1\tAnnotatorNotes T1\tcheck spelling',
      'E1\tAttack:T1',
      '',
    ].join('\r\n')
    const { docs, notes, problems } = await read([{ name: 'doc1', text: TEXT, ann }])
    expect(problems).toEqual([])
    expect(docs).toHaveLength(1)
    expect(covered(docs[0]!)).toEqual(['Sony/Organization', '𠮷野家/Organization', 'Sweden/Country'])
    expect(docs[0]!.spans[0]).toEqual({ start: 3, end: 7, label: 'Organization' })
    expect(docs[0]!.text).toBe(TEXT)
    expect(docs[0]!.meta).toEqual({ name: 'doc1' })
    expect(docs[0]!.source).toEqual({ file: 'doc1.txt', record: 1 })
    expect(notes).toEqual(['Ignored annotation lines that are not entity spans (T): 1 relation, 1 attribute, 1 normalization, 1 note, 1 event.'])
  })

  it('reports a discontinuous span as a field problem naming the line, and skips only that span', async () => {
    const ann = 'T1\tLocation 0 5;10 15\tJapan today\nT2\tLocation 0 5\tJapan\n'
    const { docs, problems } = await read([{ name: 'jp', text: 'Japan and today', ann }])
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({ kind: 'field', file: 'jp.ann', line: 1, field: 'T1' })
    expect(problems[0]!.message).toBe('T1 is a discontinuous span (0 5;10 15), which Tagtune cannot represent; span skipped')
    expect(covered(docs[0]!)).toEqual(['Japan/Location'])
  })

  it('reports every other problem with its file, line and T id, and keeps reading', async () => {
    const ann = [
      'T1\tLOC 0 5\tParis', // 1 ok
      'T2\tLOC 0 5\tRome', // 2 span-text-mismatch
      'T3\tLOC 0 50\tParis', // 3 span-out-of-range
      'T4\tLOC 3 3\t', // 4 empty-span
      'T5\tLOC five six\tParis', // 5 field
      'garbage line', // 6 syntax
      'T7 LOC 0 5 Paris', // 7 syntax (spaces instead of tabs)
    ].join('\n')
    const { docs, problems } = await read([
      { name: 'a', text: '  \n', ann: 'T1\tX 0 1\t ' },
      { name: 'b', text: 'Paris is big', ann },
    ])
    expect(problems.map((p) => [p.kind, p.file, p.line, p.field])).toEqual([
      ['empty-document', 'a.txt', undefined, undefined],
      ['span-text-mismatch', 'b.ann', 2, 'T2'],
      ['span-out-of-range', 'b.ann', 3, 'T3'],
      ['empty-span', 'b.ann', 4, 'T4'],
      ['field', 'b.ann', 5, 'T5'],
      ['syntax', 'b.ann', 6, undefined],
      ['syntax', 'b.ann', 7, undefined],
    ])
    expect(problems[1]!.message).toBe('T2: the text at [0, 5) is "Paris" but the annotation says "Rome"; span skipped')
    expect(docs.map((d) => [d.source, covered(d)])).toEqual([[{ file: 'b.txt', record: 2 }, ['Paris/LOC']]])
  })

  it('reads a .txt without annotations as a document without spans', async () => {
    const { docs, problems } = await read([{ name: 'plain', text: 'Just text.', ann: '' }])
    expect(problems).toEqual([])
    expect(docs[0]!.spans).toEqual([])
  })
})

describe('writeBrat', () => {
  it('writes one T line per span in code points, with the covered text', async () => {
    const doc: DocumentRecord = {
      text: TEXT,
      spans: [
        { start: 3, end: 7, label: 'Organization' },
        { start: 12, end: 16, label: 'Org Name' },
      ],
      meta: { name: 'doc1' },
      source: { file: 'x' },
    }
    expect(await write([doc])).toEqual([{ name: 'doc1', text: TEXT, ann: 'T1\tOrganization 2 6\tSony\nT2\tOrg_Name 11 14\t𠮷野家\n' }])
  })

  it('names documents doc-<n> without meta.name, makes names safe and unique', async () => {
    const d = (meta: Record<string, unknown>): DocumentRecord => ({ text: 'x', spans: [], meta, source: { file: 'x' } })
    const out = await write([d({}), d({ name: '../../etc/passwd' }), d({ name: 'a' }), d({ name: 'a' }), d({ name: 7 })])
    expect(out.map((o) => o.name)).toEqual(['doc-1', '__.._etc_passwd', 'a', 'a-2', 'doc-5'])
  })

  it('round-trips read → write → read to identical documents, astral characters and line breaks in spans included', async () => {
    const pairs: BratDocument[] = [
      { name: 'doc1', text: TEXT, ann: 'T1\tORG 2 6\tSony\nT2\tORG 11 14\t𠮷野家\nT3\tLOC 18 24\tSweden\nT4\tEMOJI 0 1\t😀\n' },
      { name: 'doc2', text: '👍🏽 Ann\r\nLee 🇫🇷', ann: 'T1\tPER 3 11\tAnn  Lee\nT2\tFLAG 12 14\t🇫🇷\n' },
      { name: 'doc3', text: 'nothing', ann: '' },
    ]
    const { docs } = await expectRoundTrip(read, write, pairs)
    expect(covered(docs[1]!)).toEqual(['Ann\r\nLee/PER', '🇫🇷/FLAG'])
  })
})
