import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { covered, drain, expectRoundTrip, join, readAll, readText, type ReadResult } from '../../helpers/format-testkit'
import { SHARED_DATA, sharedDataAvailable } from '../../helpers/shared-data'
import { readBrat, writeBrat } from '../../../src-main/formats/brat'
import { readCluener, writeCluener } from '../../../src-main/formats/cluener'
import { readDoccano, writeDoccano } from '../../../src-main/formats/doccano'
import { readLabelStudio, writeLabelStudio } from '../../../src-main/formats/label-studio'
import { readSpacy, writeSpacy } from '../../../src-main/formats/spacy'
import { openTextFile } from '../../../src-main/formats/text-source'
import type { DocumentRecord, Problem } from '../../../src-main/formats/types'

const TRAIN = resolve(SHARED_DATA, 'cluener2020/train.json')
const dataAvailable = sharedDataAvailable('the CLUENER2020 real-data tests')

const FILE = 'train.json'

const read = (text: string) => readText(readCluener, text, FILE)
const write = (docs: Iterable<DocumentRecord>): Promise<string> => join(writeCluener(docs))

describe('readCluener', () => {
  it('reads inclusive code-point offsets grouped by type and entity string, sorted', async () => {
    const line = '{"text": "浙商银行企业信贷部叶老桂博士则从另一个角度对五道门槛进行了解读。叶老桂认为，", "label": {"name": {"叶老桂": [[9, 11],[32, 34]]}, "company": {"浙商银行": [[0, 3]]}}}'
    const { docs, problems, notes } = await read(line)
    expect(problems).toEqual([])
    expect(notes).toEqual([])
    expect(docs[0]!.spans).toEqual([
      { start: 0, end: 4, label: 'company' },
      { start: 9, end: 12, label: 'name' },
      { start: 32, end: 35, label: 'name' },
    ])
    expect(docs[0]!.meta).toEqual({})
    expect(docs[0]!.source).toEqual({ file: FILE, line: 1 })
  })

  it('converts astral characters (code points) to UTF-16 and keeps other keys in meta', async () => {
    // Code points: 😀=0, 𠮷野家=1..3 (inclusive end 3), 在=4, 北京=5..6.
    const line = JSON.stringify({ id: 4, text: '😀𠮷野家在北京', label: { company: { 𠮷野家: [[1, 3]] }, address: { 北京: [[5, 6]] }, emoji: { '😀': [[0, 0]] } } })
    const { docs, problems } = await read(line)
    expect(problems).toEqual([])
    expect(covered(docs[0]!)).toEqual(['😀/emoji', '𠮷野家/company', '北京/address'])
    expect(docs[0]!.spans[1]).toEqual({ start: 2, end: 6, label: 'company' })
    expect(docs[0]!.meta).toEqual({ id: 4 })
  })

  it('reads records without "label" (the official test set) without spans, and says so', async () => {
    const { docs, notes, problems } = await read('{"id": 0, "text": "四川敦煌学”。"}\n{"id": 1, "text": "尼日利亚", "label": null}')
    expect(problems).toEqual([])
    expect(docs.map((d) => d.spans.length)).toEqual([0, 0])
    expect(notes).toEqual(['2 records have no "label" (read without spans).'])
  })

  it('reports every problem with its line and field, and keeps reading', async () => {
    const lines = [
      '{"text": "北京", "label": {', // 1 syntax
      '[1, 2]', // 2 syntax
      '{"label": {}}', // 3 field text
      '{"text": "", "label": {}}', // 4 empty-document
      '{"text": "北京", "label": []}', // 5 field label
      '{"text": "北京", "label": {"address": [[0, 1]]}}', // 6 field label.address
      '{"text": "北京", "label": {"address": {"北京": [0, 1]}}}', // 7 field label.address["北京"][0] and [1]
      '{"text": "北京", "label": {"address": {"北京": [[0], [0, "1"], ["0", 1], 5]}}}', // 8
      '{"text": "北京上海", "label": {"address": {"北京": [[0, 1], [2, 3]], "上海": [[2, 9], [3, 1]]}}}', // 9
      '{"text": "北京", "label": {"my type": {"北京": [[0, 1]]}}}', // 10 ok, odd type name
    ]
    const { docs, problems } = await read(lines.join('\n'))
    const a = 'label.address["北京"]'
    expect(problems.map((p) => [p.kind, p.line, p.field])).toEqual([
      ['syntax', 1, undefined],
      ['syntax', 2, undefined],
      ['field', 3, 'text'],
      ['empty-document', 4, undefined],
      ['field', 5, 'label'],
      ['field', 6, 'label.address'],
      ['field', 7, `${a}[0]`],
      ['field', 7, `${a}[1]`],
      ['field', 8, `${a}[0]`],
      ['field', 8, `${a}[1][1]`],
      ['field', 8, `${a}[2][0]`],
      ['field', 8, `${a}[3]`],
      ['span-text-mismatch', 9, `${a}[1]`],
      ['span-out-of-range', 9, 'label.address["上海"][0]'],
      ['empty-span', 9, 'label.address["上海"][1]'],
    ])
    expect(problems[12]!.message).toBe(`${a}[1]: the text at [2, 3] is "上海", not the entity string "北京"; span skipped`)
    expect(problems[13]!.message).toContain('span [2, 9] (inclusive end) is outside the text (4 characters)')
    expect(docs.map((d) => [d.source.line, covered(d)])).toEqual([
      [5, []],
      [6, []],
      [7, []],
      [8, []],
      [9, ['北京/address']],
      [10, ['北京/my type']],
    ])
  })
})

describe('writeCluener', () => {
  it('groups spans by type, then entity string, with inclusive code-point ends', async () => {
    const doc: DocumentRecord = {
      text: '叶老桂和𠮷野家的叶老桂',
      spans: [
        { start: 0, end: 3, label: 'name' },
        { start: 4, end: 8, label: 'company' },
        { start: 9, end: 12, label: 'name' },
      ],
      meta: { id: 9 },
      source: { file: 'x' },
    }
    expect(await write([doc])).toBe('{"id":9,"text":"叶老桂和𠮷野家的叶老桂","label":{"name":{"叶老桂":[[0,2],[8,10]]},"company":{"𠮷野家":[[4,6]]}}}\n')
  })

  it('keeps labels and entities named like Object.prototype members as plain keys', async () => {
    const doc: DocumentRecord = { text: 'constructor', spans: [{ start: 0, end: 11, label: '__proto__' }], meta: {}, source: { file: 'x' } }
    const text = await write([doc])
    expect(text).toBe('{"text":"constructor","label":{"__proto__":{"constructor":[[0,10]]}}}\n')
    expect((await read(text)).docs[0]!.spans).toEqual(doc.spans)
  })

  it('round-trips read → write → read to identical documents, astral characters included', async () => {
    const input = [
      JSON.stringify({ text: '😀𠮷野家在北京', label: { company: { 𠮷野家: [[1, 3]] }, address: { 北京: [[5, 6]] } } }),
      JSON.stringify({ text: '👍🏽🇫🇷法国', label: { scene: { '👍🏽': [[0, 1]] }, address: { 法国: [[4, 5]], '🇫🇷': [[2, 3]] } } }),
      JSON.stringify({ text: '没有实体', label: {} }),
    ].join('\n')
    const { docs } = await expectRoundTrip(read, write, input)
    expect(covered(docs[1]!)).toEqual(['👍🏽/scene', '🇫🇷/address', '法国/address'])
  })
})

/** CLUENER → doccano → spaCy → Label Studio → brat → CLUENER, checking the documents at every step. */
async function convertChain(start: DocumentRecord[]): Promise<{ step: string; docs: DocumentRecord[]; problems: Problem[] }[]> {
  const steps: { step: string; docs: DocumentRecord[]; problems: Problem[] }[] = []
  let docs = start
  const step = async (name: string, result: Promise<ReadResult>): Promise<void> => {
    const { docs: out, problems } = await result
    docs = out
    steps.push({ step: name, docs, problems })
  }
  await step('doccano', readText(readDoccano, await join(writeDoccano(docs)), 'doccano'))
  await step('spacy', readText(readSpacy, await join(writeSpacy(docs)), 'spacy'))
  await step('label-studio', readAll(readLabelStudio, await join(writeLabelStudio(docs)), 'label-studio'))
  await step('brat', readAll(readBrat, await drain(writeBrat(docs)), 'brat'))
  await step('cluener', readText(readCluener, await write(docs), 'cluener'))
  return steps
}

const textAndSpans = (docs: DocumentRecord[]): { text: string; spans: DocumentRecord['spans'] }[] => docs.map((d) => ({ text: d.text, spans: d.spans }))

describe('conversion between formats', () => {
  it('keeps texts and spans identical through every format, astral characters included', async () => {
    const { docs } = await read(
      [
        JSON.stringify({ text: '😀𠮷野家在北京', label: { company: { 𠮷野家: [[1, 3]] }, address: { 北京: [[5, 6]] } } }),
        JSON.stringify({ text: '👍🏽 Ann Lee 🇫🇷', label: { name: { 'Ann Lee': [[3, 9]] }, flag: { '🇫🇷': [[11, 12]] }, emoji: { '👍🏽': [[0, 1]] } } }),
      ].join('\n'),
    )
    for (const { step, docs: out, problems } of await convertChain(docs)) {
      expect(problems, step).toEqual([])
      expect(textAndSpans(out), step).toEqual(textAndSpans(docs))
    }
  })
})

describe.skipIf(!dataAvailable)('CLUENER2020 train (real data)', () => {
  const load = async () => readAll(readCluener, (await openTextFile(TRAIN)).lines(), FILE)

  it('reads 10748 documents and the per-type span counts of SOURCE.md', async () => {
    const { docs, problems, notes } = await load()
    expect(problems).toEqual([])
    expect(notes).toEqual([])
    expect(docs).toHaveLength(10748)
    const counts: Record<string, number> = {}
    for (const d of docs) for (const s of d.spans) counts[s.label] = (counts[s.label] ?? 0) + 1
    expect(counts).toEqual({
      name: 3756,
      organization: 3210,
      position: 3141,
      company: 2980,
      address: 2891,
      game: 2376,
      government: 1835,
      scene: 1521,
      book: 1139,
      movie: 1123,
    })
    expect(docs.reduce((n, d) => n + d.spans.length, 0)).toBe(23972)
    expect(docs[0]!.source).toEqual({ file: 'train.json', line: 1 })
    expect(covered(docs[1]!)).toEqual(['CSOL/game'])
  })

  it('round-trips through writeCluener to identical documents', async () => {
    const { docs } = await load()
    const text = await write(docs)
    expect(text.split('\n')).toHaveLength(10749)
    const again = await read(text)
    expect(again.problems).toEqual([])
    expect(again.docs).toEqual(docs)
  })

  it('converts CLUENER → doccano → spaCy → Label Studio → brat → CLUENER with identical spans', async () => {
    const { docs } = await load()
    for (const { step, docs: out, problems } of await convertChain(docs)) {
      expect(problems, step).toEqual([])
      expect(out, step).toHaveLength(docs.length)
      expect(textAndSpans(out), step).toEqual(textAndSpans(docs))
    }
  })
})
