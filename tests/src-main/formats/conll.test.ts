import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SHARED_DATA, sharedDataAvailable } from '../../helpers/shared-data'
import { readConll, writeConll, DETECT_SENTENCES } from '../../../src-main/formats/conll'
import { openTextFile, textSourceFromString } from '../../../src-main/formats/text-source'
import type { ConllReadOptions, ConllWriteOptions, DocumentRecord, Problem, ReadSummary } from '../../../src-main/formats/types'

async function readLines(lines: AsyncIterable<string>, options: ConllReadOptions = {}, file = 'test.conll') {
  const problems: Problem[] = []
  const gen = readConll(lines, options, { file, report: (p) => problems.push(p) })
  const docs: DocumentRecord[] = []
  for (;;) {
    const r = await gen.next()
    if (r.done) return { docs, summary: r.value as ReadSummary, problems }
    docs.push(r.value)
  }
}

const read = (text: string, options: ConllReadOptions = {}) => readLines(textSourceFromString(text, 'test.conll').lines(), options)

async function write(docs: Iterable<DocumentRecord> | AsyncIterable<DocumentRecord>, options: ConllWriteOptions): Promise<string> {
  const parts: string[] = []
  for await (const chunk of writeConll(docs, options)) parts.push(chunk)
  return parts.join('')
}

/** What must survive a round trip. */
const essence = (docs: DocumentRecord[]) => docs.map((d) => ({ text: d.text, spans: d.spans, tokens: d.tokens, meta: d.meta }))

const spanTexts = (d: DocumentRecord) => d.spans.map((s) => `${d.text.slice(s.start, s.end)}/${s.label}`)

const doc = (text: string, spans: DocumentRecord['spans'] = [], extra: Partial<DocumentRecord> = {}): DocumentRecord => ({
  text,
  spans,
  meta: {},
  source: { file: 'mem' },
  ...extra,
})

describe('readConll', () => {
  it('reads tab-separated token/tag lines; a line of only a tab ends a sentence (WNUT-17)', async () => {
    const { docs, summary, problems } = await read('@paul\tO\nNew\tB-location\nYork\tI-location\n\t\nIt\tO\n\'s\tO\n')
    expect(problems).toEqual([])
    expect(docs.map((d) => d.text)).toEqual(["@paul New York", "It 's"])
    expect(docs[0]!.spans).toEqual([{ start: 6, end: 14, label: 'location' }])
    expect(docs[0]!.tokens).toEqual([
      { start: 0, end: 5 },
      { start: 6, end: 9 },
      { start: 10, end: 14 },
    ])
    expect(docs.map((d) => d.source)).toEqual([
      { file: 'test.conll', line: 1 },
      { file: 'test.conll', line: 5 },
    ])
    expect(summary.scheme).toBe('iob2')
    expect(summary.notes.join('\n')).toMatch(/detected IOB2 from the whole file/)
  })

  const conll2003 = [
    '-DOCSTART- -X- -X- O',
    '',
    'EU NNP B-NP I-ORG',
    'rejects VBZ B-VP O',
    'German JJ B-NP I-MISC',
    'call NN I-NP O',
    '. . O O',
    '',
    'Peter NNP B-NP I-PER',
    'Blackburn NNP I-NP I-PER',
    '',
    '-DOCSTART- -X- -X- O',
    '',
    'BRUSSELS NNP B-NP I-LOC',
    'Spain NNP B-NP B-LOC',
    '',
    '',
  ].join('\n')

  it('reads space-separated columns, keeps the middle ones, and marks -DOCSTART- documents', async () => {
    const { docs, summary, problems } = await read(conll2003)
    expect(problems).toEqual([])
    expect(docs.map((d) => d.text)).toEqual(['EU rejects German call .', 'Peter Blackburn', 'BRUSSELS Spain'])
    expect(docs.map(spanTexts)).toEqual([['EU/ORG', 'German/MISC'], ['Peter Blackburn/PER'], ['BRUSSELS/LOC', 'Spain/LOC']])
    expect(docs.map((d) => d.meta)).toEqual([{ docStart: true }, {}, { docStart: true }])
    expect(docs[0]!.tokens![0]).toEqual({ start: 0, end: 2, columns: ['NNP', 'B-NP'] })
    expect(docs[0]!.source.line).toBe(3)
    expect(summary.scheme).toBe('iob1')
    expect(summary.notes).toContain('skipped 2 -DOCSTART- lines')
  })

  it('round-trips -DOCSTART- and the extra columns exactly', async () => {
    const { docs } = await read(conll2003)
    expect(await write(docs, { scheme: 'iob1' })).toBe(conll2003)
    const noColumns = await write(docs, { scheme: 'iob2', keepColumns: false, docStart: false, separator: 'tab' })
    expect(noColumns.split('\n').slice(0, 3)).toEqual(['EU\tB-ORG', 'rejects\tO', 'German\tB-MISC'])
    expect(noColumns).not.toMatch(/DOCSTART/)
  })

  it('tolerates leading and repeated blank lines, a -DOCSTART- without a blank line, and a trailing -DOCSTART-', async () => {
    const { docs, summary } = await read('\n\n\nA O\n-DOCSTART- O\nB B-X\n\n\n\nC O\n-DOCSTART- O\n\n')
    expect(docs.map((d) => [d.text, d.meta])).toEqual([
      ['A', {}],
      ['B', { docStart: true }],
      ['C', {}],
    ])
    expect(summary.notes.join('\n')).toMatch(/skipped 2 -DOCSTART- lines \(the last one ends the file/)
  })

  it('reads CRLF files', async () => {
    const { docs, problems } = await read('EU\tB-ORG\r\nrejects\tO\r\n\r\nOK\tO\r\n')
    expect(problems).toEqual([])
    expect(docs.map((d) => d.text)).toEqual(['EU rejects', 'OK'])
    expect(docs[0]!.spans).toEqual([{ start: 0, end: 2, label: 'ORG' }])
  })

  it('joins CJK characters without spaces', async () => {
    const chars = (s: string, tags: string) => [...s].map((c, i) => `${c} ${tags.split(' ')[i]}`).join('\n')
    const { docs } = await read(`${chars('我在北京', 'O O B-LOC I-LOC')}\n\n${chars('2018年。A', 'O O O O O O O')}\n`)
    expect(docs.map((d) => d.text)).toEqual(['我在北京', '2018年。A']) // character-per-line sentences join with nothing
    expect(docs[0]!.spans).toEqual([{ start: 2, end: 4, label: 'LOC' }])
    // Word tokens: no space only between two CJK tokens.
    const words = '我们 O\n喜欢 O\nNLP B-X\n和 O\nこんにちは O\n한국어 O\n。 O\n'
    expect((await read(words)).docs[0]!.text).toBe('我们喜欢 NLP 和こんにちは한국어。')
    expect((await read(words, { joiner: 'space' })).docs[0]!.text).toBe('我们 喜欢 NLP 和 こんにちは 한국어 。')
    expect((await read(words, { joiner: 'none' })).docs[0]!.text).toBe('我们喜欢NLP和こんにちは한국어。')
    expect((await read('I O\nam O\n')).docs[0]!.text).toBe('I am')
  })

  it('drops the Weibo segmentation digits, including two-digit ones', async () => {
    const url = [...'看wwwwwwwwwxy'].map((c, i) => `${c}${i}\tO`).join('\n') // one 12-character word: x10, y11
    const { docs, problems, summary } = await read(`科0\tO\n技1\tO\n北0\tB-GPE.NAM\n京1\tI-GPE.NAM\n\n${url}\n`, { weiboDigits: true })
    expect(problems).toEqual([])
    expect(docs.map((d) => d.text)).toEqual(['科技北京', '看wwwwwwwwwxy'])
    expect(docs[0]!.spans).toEqual([{ start: 2, end: 4, label: 'GPE.NAM' }])
    expect(summary.notes.join('\n')).toMatch(/2 tokens had a two-digit segmentation index/)
  })

  it('keeps astral characters (emoji, 𠮷) whole, with UTF-16 offsets, and writes them back exactly', async () => {
    const input = '𠮷\tB-PER\n野\tI-PER\n家\tO\n😀\tO\n\nI\tO\nlove\tO\n😀👍\tB-EMO\n🇯🇵\tI-EMO\n\n'
    const { docs, problems } = await read(input)
    expect(problems).toEqual([])
    expect(docs.map((d) => d.text)).toEqual(['𠮷野家😀', 'I love 😀👍 🇯🇵'])
    expect(docs[0]!.spans).toEqual([{ start: 0, end: 3, label: 'PER' }])
    expect(docs[1]!.spans).toEqual([{ start: 7, end: 16, label: 'EMO' }])
    expect(await write(docs, { scheme: 'iob2', separator: 'tab' })).toBe(input)
  })

  it('reports syntax problems with their line numbers and goes on', async () => {
    const { docs, problems } = await read('EU B-ORG\nrejects\n\nGerman B-MISC\n')
    expect(docs.map((d) => d.text)).toEqual(['EU', 'German'])
    expect(problems).toEqual([{ kind: 'syntax', file: 'test.conll', line: 2, message: expect.stringMatching(/one column/) }])

    const tabs = await read('EU\tB-ORG\n\tO\n \tO\n\u3000\tO\n')
    expect(tabs.problems.map((p) => [p.kind, p.line])).toEqual([
      ['syntax', 2],
      ['syntax', 3],
      ['syntax', 4],
    ])
    expect(tabs.problems[0]!.message).toMatch(/empty token/)
    expect(tabs.problems[2]!.message).toMatch(/whitespace-only/)

    const spaced = await read('\u3000 O\n  EU  B-ORG  \n', { separator: 'space' })
    expect(spaced.docs.map((d) => d.text)).toEqual(['EU'])
    expect(spaced.problems.map((p) => [p.kind, p.line, p.message])).toEqual([['syntax', 1, expect.stringMatching(/whitespace-only/)]])

    const weibo = await read('科0\tO\n0\tO\n\u30000\tO\n', { weiboDigits: true })
    expect(weibo.docs.map((d) => d.text)).toEqual(['科'])
    expect(weibo.problems.map((p) => [p.kind, p.line])).toEqual([
      ['syntax', 2],
      ['syntax', 3],
    ])
  })

  it('skips sentences with no tokens silently', async () => {
    const { docs, problems } = await read('\n\nonly\n\nA O\n')
    expect(docs.map((d) => d.text)).toEqual(['A'])
    expect(problems.map((p) => p.kind)).toEqual(['syntax'])
  })

  it('uses the tag column given, keeping the columns between token and tag', async () => {
    const { docs, summary } = await read('EU NNP B-ORG x\nrejects VBZ O x\n', { tagColumn: 2 })
    expect(spanTexts(docs[0]!)).toEqual(['EU/ORG'])
    expect(docs[0]!.tokens![0]!.columns).toEqual(['NNP'])
    expect(summary.notes).toContain('columns after the tag column are not kept')
    const line = (await read('EU NNP B-ORG\n', { tagColumn: 5 })).problems[0]
    expect(line).toMatchObject({ kind: 'syntax', line: 1 })
    await expect(read('EU O\n', { tagColumn: 0 })).rejects.toThrow(/tagColumn 0/)
  })

  it('repairs or rejects invalid sequences, reporting the line of the offending token', async () => {
    const text = 'in\tO\nYork\tI-LOC\ncity\tO\n\nParis\tB-LOC\n'
    const repaired = await read(text, { scheme: 'iob2' })
    expect(repaired.docs.map(spanTexts)).toEqual([['York/LOC'], ['Paris/LOC']])
    expect(repaired.problems).toEqual([
      { kind: 'invalid-tag-sequence', file: 'test.conll', line: 2, field: 'tag', message: expect.stringMatching(/I-LOC after O/), repaired: true },
    ])
    expect(repaired.summary).toEqual({ scheme: 'iob2', notes: ['scheme IOB2 (given)', '2 sentences, 4 tokens, 2 entities', '1 tag problems (repaired)'] })

    const rejected = await read(text, { scheme: 'iob2', invalidTags: 'reject' })
    expect(rejected.docs.map(spanTexts)).toEqual([[], ['Paris/LOC']])
    expect(rejected.problems).toEqual([expect.objectContaining({ kind: 'invalid-tag-sequence', line: 2, repaired: false })])

    const bmes = await read('北 B-LOC\n京 M-LOC\n\n市 M-LOC\n长 E-LOC\n', { invalidTags: 'repair' })
    expect(bmes.summary.scheme).toBe('bmes')
    expect(bmes.problems.map((p) => [p.kind, p.line])).toEqual([
      ['invalid-tag-sequence', 2],
      ['invalid-tag-sequence', 4],
    ])
  })

  it('reports unknown tags and tags of another scheme', async () => {
    const { docs, problems } = await read('Ada PER\nLovelace S-PER\n', { scheme: 'iob2' })
    expect(problems.map((p) => [p.kind, p.line])).toEqual([
      ['unknown-tag', 1],
      ['mixed-scheme', 2],
    ])
    expect(problems[0]!.message).toMatch(/unknown tag "PER"/)
    expect(spanTexts(docs[0]!)).toEqual(['Lovelace/PER'])
  })

  it(`detects the scheme from the first ${DETECT_SENTENCES} sentences and reports later tags that contradict it`, async () => {
    async function* lines() {
      for (let i = 0; i < DETECT_SENTENCES; i++) yield* ['Ada\tB-PER', 'spoke\tO', '']
      yield* ['Ada\tS-PER', 'spoke\tO']
    }
    const { docs, problems, summary } = await readLines(lines())
    expect(docs).toHaveLength(DETECT_SENTENCES + 1)
    expect(summary.scheme).toBe('iob2')
    expect(summary.notes[0]).toMatch(`detected IOB2 from the first ${DETECT_SENTENCES} sentences`)
    expect(problems).toEqual([expect.objectContaining({ kind: 'mixed-scheme', line: 3 * DETECT_SENTENCES + 1, repaired: true })])
    expect(spanTexts(docs.at(-1)!)).toEqual(['Ada/PER'])
  })

  it('yields the first sentences before the input ends when the scheme is given', async () => {
    let pulled = 0
    async function* lines() {
      for (let i = 0; i < 10_000; i++) {
        pulled++
        yield 'A\tO'
        yield ''
      }
    }
    const gen = readConll(lines(), { scheme: 'iob2' }, { file: 'x', report: () => {} })
    await gen.next()
    expect(pulled).toBeLessThan(10)
    await gen.return(undefined as never)
  })
})

describe('writeConll', () => {
  it('tokenizes a text without tokens: whitespace, punctuation, each CJK character', async () => {
    const d = doc("Hello, world! Don't pay 3.5 USD. 我爱北京", [
      { start: 0, end: 5, label: 'X' },
      { start: 35, end: 37, label: 'LOC' },
    ])
    const out = await write([d], { scheme: 'iob2' })
    expect(out.split('\n')).toEqual([
      ...['Hello B-X', ', O', 'world O', '! O', "Don't O", 'pay O', '3.5 O', 'USD O', '. O'],
      ...['我 O', '爱 O', '北 B-LOC', '京 I-LOC', '', ''],
    ])
    const back = (await read(out)).docs[0]!
    expect(spanTexts(back)).toEqual(['Hello/X', '北京/LOC'])
  })

  it('splits tokens at span boundaries, so no span is lost', async () => {
    const d = doc('NewYorkCity is big', [{ start: 3, end: 7, label: 'LOC' }])
    expect(await write([d], { scheme: 'iobes' })).toBe('New O\nYork S-LOC\nCity O\nis O\nbig O\n\n')
    // Given tokens are split as well, keeping their columns.
    const t = doc('NewYorkCity', [{ start: 3, end: 7, label: 'LOC' }], { tokens: [{ start: 0, end: 11, columns: ['NNP'] }] })
    expect(await write([t], { scheme: 'bilou' })).toBe('New NNP O\nYork NNP U-LOC\nCity NNP O\n\n')
    const u = doc('NewYorkCity', [{ start: 3, end: 11, label: 'LOC' }], { tokens: [{ start: 0, end: 11 }] })
    expect(await write([u], { scheme: 'bilou' })).toBe('New O\nYorkCity U-LOC\n\n')
  })

  it('writes text the tokens do not cover, filling missing columns with _', async () => {
    const d = doc('EU rejects it', [{ start: 11, end: 13, label: 'X' }], { tokens: [{ start: 0, end: 2, columns: ['NNP'] }] })
    expect(await write([d], { scheme: 'iob2' })).toBe('EU NNP O\nrejects _ O\nit _ B-X\n\n')
  })

  it('splits a token holding whitespace the separator cannot carry', async () => {
    const d = doc('New York', [{ start: 0, end: 8, label: 'LOC' }], { tokens: [{ start: 0, end: 8 }] })
    const spaced = await write([d], { scheme: 'iob2' })
    expect(spaced).toBe('New B-LOC\nYork I-LOC\n\n')
    expect(essence((await read(spaced)).docs)[0]).toMatchObject({ text: 'New York', spans: [{ start: 0, end: 8, label: 'LOC' }] })
    const tabbed = await write([d], { scheme: 'iob2', separator: 'tab' })
    expect(tabbed).toBe('New York\tB-LOC\n\n')
    expect(essence((await read(tabbed)).docs)).toEqual(essence([d]))
    // A tab or line break inside a token always splits it.
    const tab = doc('a\tb\nc', [], { tokens: [{ start: 0, end: 5 }] })
    expect(await write([tab], { scheme: 'iob2', separator: 'tab' })).toBe('a\tO\nb\tO\nc\tO\n\n')
  })

  it('refuses overlapping (nested) spans with an error naming the document', async () => {
    const d = doc('Bank of England', [
      { start: 0, end: 15, label: 'ORG' },
      { start: 8, end: 15, label: 'LOC' },
    ], { meta: { id: 42 } })
    await expect(write([d], { scheme: 'iob2' })).rejects.toThrow(/document 42: .*overlap; nested spans cannot be written as CoNLL tags/)
    const ws = doc('a   b', [{ start: 1, end: 3, label: 'X' }], { source: { file: 'in.jsonl', record: 3 } })
    await expect(write([ws], { scheme: 'iob2' })).rejects.toThrow(/in\.jsonl, record 3: .*only whitespace/)
  })

  it('writes -DOCSTART- before documents that had one; an empty document passes it on', async () => {
    const docs = [doc('', [], { meta: { docStart: true } }), doc('A'), doc('B', [], { meta: { docStart: true } })]
    expect(await write(docs, { scheme: 'iob2' })).toBe('-DOCSTART- -X- -X- O\n\nA O\n\n-DOCSTART- -X- -X- O\n\nB O\n\n')
    expect(await write(docs, { scheme: 'iob2', separator: 'tab' })).toMatch(/^-DOCSTART-\t-X-\t-X-\tO\n\nA\tO\n/)
    expect(await write(docs, { scheme: 'iob2', docStart: false })).toBe('A O\n\nB O\n\n')
  })

  it('streams: the first chunk comes before the input is exhausted', async () => {
    let produced = 0
    async function* many(): AsyncGenerator<DocumentRecord> {
      for (let i = 0; i < 200_000; i++) {
        produced++
        yield doc(`Sentence ${i} .`, [{ start: 0, end: 8, label: 'X' }])
      }
    }
    const gen = writeConll(many(), { scheme: 'iob2' })
    const first = await gen.next()
    expect(first.value).toBe('Sentence B-X\n0 O\n. O\n\n')
    expect(produced).toBeLessThan(10)
    await gen.return(undefined)
  })
})

// ---------------------------------------------------------------------------------------------
// Real data: counts from each folder's SOURCE.md, then a write/read round trip.

const DATA = SHARED_DATA
const dataAvailable = sharedDataAvailable('the real-data CoNLL tests')

interface DataCase {
  file: string
  options: ConllReadOptions
  scheme: string
  sentences: number
  tokens: number
  entities: Record<string, number>
  separator: 'space' | 'tab'
  /** Problems the file really has (hand-checked), as kind@line. */
  problems?: string[]
  /** Lines the writer changes because their tags were repaired, as `line: before -> after`. */
  repairedLines?: string[]
  /** How the written file compares with the original. */
  bytes: 'exact' | 'blank-lines' | 'sentences' | 'none'
}

const dataCases: DataCase[] = [
  {
    file: 'wnut17/wnut17train.conll',
    options: {},
    scheme: 'iob2',
    sentences: 3394,
    tokens: 62730,
    entities: { person: 660, location: 548, corporation: 221, product: 142, 'creative-work': 140, group: 264 },
    separator: 'tab',
    bytes: 'blank-lines', // 2394 of its sentences end with a line holding one tab; the writer writes an empty line
  },
  {
    file: 'wnut17/emerging.dev.conll',
    options: {},
    scheme: 'iob2',
    sentences: 1009,
    tokens: 15733,
    entities: { person: 470, location: 74, corporation: 34, product: 114, 'creative-work': 105, group: 39 },
    separator: 'tab',
    bytes: 'exact',
  },
  {
    file: 'conll2003/eng.train',
    options: {},
    scheme: 'iob1',
    sentences: 14041,
    tokens: 203621,
    entities: { LOC: 7140, PER: 6600, ORG: 6321, MISC: 3438 },
    separator: 'space',
    bytes: 'sentences',
  },
  {
    file: 'conll2003/eng.testa',
    options: {},
    scheme: 'iob1',
    sentences: 3250,
    tokens: 51362,
    entities: { LOC: 1837, PER: 1842, ORG: 1341, MISC: 922 },
    separator: 'space',
    bytes: 'sentences',
  },
  {
    file: 'resume-ner/train.char.bmes',
    options: {},
    scheme: 'bmes',
    sentences: 3821,
    tokens: 124099,
    // SOURCE.md: ORG 4611, 13438 in all. It counts B-/S- tags. Two sentences of train are cut inside
    // an ORG entity (lines 62386-62390 end on M-ORG; 62392 and 64414 start with M-ORG): repairing
    // makes each half an entity, so ORG is 4611 + 2 here, and 4611 - 2 when rejecting.
    entities: { TITLE: 6308, ORG: 4611 + 2, NAME: 952, EDU: 858, CONT: 260, PRO: 287, RACE: 115, LOC: 47 },
    separator: 'space',
    problems: ['invalid-tag-sequence@62390', 'invalid-tag-sequence@62392', 'invalid-tag-sequence@64412', 'invalid-tag-sequence@64414'],
    repairedLines: ['62390: 。 M-ORG -> 。 E-ORG', '62392: 彼 M-ORG -> 彼 B-ORG', '64412: 。 M-ORG -> 。 E-ORG', '64414: 深 M-ORG -> 深 B-ORG'],
    bytes: 'exact',
  },
  {
    file: 'resume-ner/dev.char.bmes',
    options: {},
    scheme: 'bmes',
    sentences: 463,
    tokens: 13890,
    entities: { TITLE: 690, ORG: 523, NAME: 110, EDU: 106, CONT: 33, PRO: 18, RACE: 15, LOC: 2 },
    separator: 'space',
    bytes: 'exact',
  },
  {
    file: 'peoples-daily-ner/example.dev',
    options: {},
    scheme: 'iob2',
    sentences: 2318,
    tokens: 109870,
    entities: { LOC: 1951, ORG: 984, PER: 884 },
    separator: 'space',
    bytes: 'exact',
  },
  {
    file: 'weibo-ner/weiboNER_2nd_conll.train',
    options: { weiboDigits: true },
    scheme: 'iob2',
    sentences: 1350,
    tokens: 73778,
    // SOURCE.md: PER.NOM 766, PER.NAM 574, 1885 in all, counting B- tags. Ten entities start with I-
    // (an IOB2 error; conlleval and seqeval count them too): 6 PER.NOM and 4 PER.NAM more when repairing.
    entities: { 'PER.NOM': 766 + 6, 'PER.NAM': 574 + 4, 'GPE.NAM': 205, 'ORG.NAM': 183, 'LOC.NAM': 56, 'LOC.NOM': 51, 'ORG.NOM': 42, 'GPE.NOM': 8 },
    separator: 'tab',
    problems: [1266, 22000, 24537, 28617, 35046, 35119, 49249, 62980, 62990, 69376].map((l) => `invalid-tag-sequence@${l}`),
    bytes: 'none', // the segmentation digits are not written back
  },
  {
    file: 'weibo-ner/weiboNER_2nd_conll.dev',
    options: { weiboDigits: true },
    scheme: 'iob2',
    sentences: 270,
    tokens: 14509,
    entities: { 'PER.NOM': 208, 'PER.NAM': 90, 'GPE.NAM': 26, 'ORG.NAM': 47, 'LOC.NAM': 6, 'LOC.NOM': 6, 'ORG.NOM': 5, 'GPE.NOM': 1 },
    separator: 'tab',
    bytes: 'none',
  },
]

function countLabels(docs: DocumentRecord[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const d of docs) for (const s of d.spans) out[s.label] = (out[s.label] ?? 0) + 1
  return out
}

/** Sentences of a CoNLL text as blocks of lines, -DOCSTART- blocks left out. */
function sentenceBlocks(text: string): string[] {
  return text
    .split(/\n\n+/)
    .map((b) => b.trim())
    .filter((b) => b !== '' && !b.startsWith('-DOCSTART-'))
}

describe.skipIf(!dataAvailable)('real datasets in /work/shared/data', () => {
  it.each(dataCases)('$file: counts as in SOURCE.md, and a write/read round trip', async (c) => {
    const path = resolve(DATA, c.file)
    const src = await openTextFile(path)
    const { docs, summary, problems } = await readLines(src.lines(), c.options, src.file)
    expect(summary.scheme).toBe(c.scheme)
    expect(problems.map((p) => `${p.kind}@${p.line}`)).toEqual(c.problems ?? [])
    expect(docs).toHaveLength(c.sentences)
    expect(docs.reduce((n, d) => n + d.tokens!.length, 0)).toBe(c.tokens)
    expect(countLabels(docs)).toEqual(c.entities)

    const written = await write(docs, { scheme: c.scheme as ConllWriteOptions['scheme'], separator: c.separator })
    const again = await read(written, { ...c.options, weiboDigits: false, scheme: 'auto' })
    expect(again.problems).toEqual([]) // the repaired tags are written
    expect(essence(again.docs)).toEqual(essence(docs))

    const original = readFileSync(path, 'utf8')
    if (c.bytes === 'exact') {
      // Byte for byte, except the lines whose tags were repaired.
      const a = written.split('\n')
      const b = original.split('\n')
      expect(a.length).toBe(b.length)
      const changed = a.flatMap((line, i) => (line === b[i] ? [] : [`${i + 1}: ${b[i]} -> ${line}`]))
      expect(changed).toEqual(c.repairedLines ?? [])
    }
    if (c.bytes === 'blank-lines') expect(written === original.replace(/^[ \t]+$/gm, '')).toBe(true)
    if (c.bytes === 'sentences') expect(sentenceBlocks(written)).toEqual(sentenceBlocks(original))
  })

  it('CoNLL-2003 eng.train: documents and notes', async () => {
    const src = await openTextFile(resolve(DATA, 'conll2003/eng.train'))
    const { docs, summary } = await readLines(src.lines(), {}, src.file)
    // 946 -DOCSTART- lines; the first document has none and the last line of the file is one.
    expect(docs.filter((d) => d.meta['docStart'])).toHaveLength(945)
    expect(summary.notes).toContain('14041 sentences, 203621 tokens, 23499 entities')
    expect(summary.notes).toContain('skipped 946 -DOCSTART- lines (the last one ends the file, with no sentence after it)')
    expect(docs[0]!.tokens![0]).toEqual({ start: 0, end: 2, columns: ['NNP', 'I-NP'] })
  })

  it('Resume NER and Weibo NER under the reject policy count what SOURCE.md counts, less the broken entities', async () => {
    const resume = await openTextFile(resolve(DATA, 'resume-ner/train.char.bmes'))
    const r = await readLines(resume.lines(), { invalidTags: 'reject' }, resume.file)
    expect(countLabels(r.docs)['ORG']).toBe(4611 - 2)
    expect(r.problems.every((p) => p.repaired === false)).toBe(true)
    const weibo = await openTextFile(resolve(DATA, 'weibo-ner/weiboNER_2nd_conll.train'))
    const w = await readLines(weibo.lines(), { weiboDigits: true, invalidTags: 'reject' }, weibo.file)
    expect(r.docs.length + w.docs.length).toBe(3821 + 1350)
    expect(countLabels(w.docs)).toMatchObject({ 'PER.NOM': 766, 'PER.NAM': 574 })
    expect(w.docs.reduce((n, d) => n + d.spans.length, 0)).toBe(1885)
    expect(w.docs[0]!.text.startsWith('科技全方位资讯智能')).toBe(true)
  })
})
