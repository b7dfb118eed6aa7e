import { existsSync, openSync, readSync, closeSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { join, jsonl } from '../../helpers/format-testkit'
import { SHARED_DATA, sharedDataAvailable } from '../../helpers/shared-data'
import { detectFormat } from '../../../src-main/formats/detect'
import { writeCluener } from '../../../src-main/formats/cluener'
import { writeDoccano } from '../../../src-main/formats/doccano'
import { writeLabelStudio } from '../../../src-main/formats/label-studio'
import { writeSpacy } from '../../../src-main/formats/spacy'
import { writePlainText } from '../../../src-main/formats/plain-text'
import type { DocumentRecord } from '../../../src-main/formats/types'

const DATA = SHARED_DATA
const dataAvailable = sharedDataAvailable('the real-data format detection tests')

const formatOf = (sample: string, name = 'data.jsonl') => detectFormat(sample, name).format

describe('detectFormat', () => {
  it('detects brat from an .ann file name, whatever the content', () => {
    expect(detectFormat('T1\tORG 0 4\tSony\n', 'doc1.ann')).toEqual({ format: 'brat', reason: expect.stringContaining('.ann') })
    expect(formatOf('', 'DOC.ANN')).toBe('brat')
  })

  it('detects Label Studio: an array of tasks, pretty-printed, a single task, JSON_MIN, tasks without annotations', () => {
    const task = { id: 1, data: { text: 'Apple' }, annotations: [{ result: [] }] }
    expect(formatOf(JSON.stringify([task]), 'export.json')).toBe('label-studio')
    expect(formatOf(JSON.stringify([task, task], null, 2), 'export.json')).toBe('label-studio')
    expect(formatOf(JSON.stringify(task, null, 2), 'task.json')).toBe('label-studio')
    expect(formatOf(JSON.stringify(task), 'task.json')).toBe('label-studio')
    expect(formatOf(JSON.stringify([{ data: { text: 'a' }, predictions: [] }]))).toBe('label-studio')
    expect(formatOf(JSON.stringify([{ data: { text: 'a' } }]))).toBe('label-studio')
    const min = detectFormat(JSON.stringify([{ id: 1, text: 'Apple', label: [{ start: 0, end: 5, text: 'Apple', labels: ['ORG'] }] }]), 'min.json')
    expect(min).toEqual({ format: 'label-studio', reason: expect.stringContaining('JSON_MIN') })
  })

  it('detects Label Studio from a sample cut in the middle of the array', () => {
    const task = { id: 1, data: { text: '中文 '.repeat(50) }, annotations: [{ result: [] }] }
    const full = JSON.stringify(Array.from({ length: 50 }, () => task))
    expect(formatOf(full.slice(0, 3000), 'export.json')).toBe('label-studio')
    const pretty = JSON.stringify(Array.from({ length: 50 }, () => task), null, 2)
    expect(formatOf(pretty.slice(0, 3000), 'export.json')).toBe('label-studio')
  })

  it('detects CLUENER, spaCy/Prodigy and doccano JSON lines', () => {
    expect(detectFormat(jsonl([{ text: '北京', label: { address: { 北京: [[0, 1]] } } }]), 'train.json')).toEqual({
      format: 'cluener',
      reason: 'Every line is JSON with "text" and "label" as {type: {entity: [[start, end]]}} (CLUENER).',
    })
    expect(formatOf(jsonl([{ text: 'a', spans: [] }]))).toBe('spacy')
    expect(formatOf(jsonl([{ text: 'a b', tokens: [{ text: 'a', start: 0, end: 1, id: 0 }] }]))).toBe('spacy')
    expect(formatOf(jsonl([{ text: 'EU', label: [[0, 2, 'ORG']] }]))).toBe('doccano')
    expect(formatOf(jsonl([{ text: 'EU', labels: [[0, 2, 'ORG']] }]))).toBe('doccano')
    expect(formatOf(jsonl([{ text: 'EU', entities: [{ id: 0, start_offset: 0, end_offset: 2, label: 'ORG' }], relations: [] }]))).toBe('doccano')
  })

  it('decides from the first line that has annotations, and reads text-only lines as doccano', () => {
    expect(formatOf(jsonl([{ text: 'a', label: [] }, { text: 'b' }, { text: 'c', label: { x: {} } }]))).toBe('cluener')
    expect(detectFormat(jsonl([{ id: 0, text: 'a' }, { id: 1, text: 'b' }]), 'test.json')).toEqual({ format: 'doccano', reason: expect.stringContaining('no annotations') })
  })

  it('handles a UTF-8 byte order mark and CRLF line ends', () => {
    expect(formatOf('\uFEFF' + jsonl([{ text: 'a', spans: [] }, { text: 'b', spans: [] }]).replace(/\n/g, '\r\n'))).toBe('spacy')
    expect(formatOf('\uFEFF-DOCSTART- -X- -X- O\r\n\r\nEU NNP B-NP B-ORG\r\nrejects VBZ B-VP O\r\n', 'eng.txt')).toBe('conll')
    expect(formatOf('\uFEFF[\r\n  {"data": {"text": "a"}, "annotations": []}\r\n]\r\n', 'x.json')).toBe('label-studio')
  })

  it('ignores a last line cut by the sample', () => {
    const sample = jsonl([{ text: 'a', spans: [] }, { text: 'b', spans: [] }]) + '{"text": "c", "sp'
    expect(formatOf(sample)).toBe('spacy')
  })

  it('detects CoNLL columns: IOB, BMES, BILOU, tab-separated, with -DOCSTART-', () => {
    expect(detectFormat('-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP B-MISC\n', 'eng.train')).toEqual({
      format: 'conll',
      reason: 'Every non-blank line has a token and a last column with a tag such as O, B-X or I-X (CoNLL columns).',
    })
    expect(formatOf('叶 B-NAME\n老 M-NAME\n桂 E-NAME\n说 S-X\n\n', 'a.bmes')).toBe('conll')
    expect(formatOf('New\tB-LOC\nYork\tL-LOC\nis\tO\nbig\tU-X\n', 'a.tsv')).toBe('conll')
    expect(formatOf('科0\tB-PER.NAM\n比1\tI-PER.NAM\n', 'weibo')).toBe('conll')
  })

  it('falls back to plain text for prose, and for mostly untagged columns', () => {
    const prose = detectFormat('The first document.\nAnother one, with O at the end O\n\n第三行。\n', 'notes.txt')
    expect(prose).toEqual({ format: 'text', reason: expect.stringContaining('plain text') })
    expect(formatOf('a O\nb O\nc d\nd e\n', 'x.txt')).toBe('text')
  })

  it('explains what it cannot read', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['  \n\n', /empty/],
      ['[]', /empty JSON array/],
      ['[\n]\n', /empty JSON array/],
      ['{"text": "a", "label"', /not valid JSON/],
      ['[1, 2, 3]', /not Label Studio tasks/],
      [JSON.stringify({ text: 'a', label: [[0, 1, 'X']] }, null, 2), /not Label Studio tasks/],
      [jsonl([{ text: 'good movie', label: ['POSITIVE'] }]), /text classification/],
      [jsonl([{ data: { text: 'a' }, annotations: [] }, { data: { text: 'b' }, annotations: [] }]), /one Label Studio task per line/],
      [jsonl([{ sentence: 'a' }]), /without a "text" field/],
    ]
    for (const [sample, reason] of cases) {
      const d = detectFormat(sample, 'x.json')
      expect(d.format, sample).toBeNull()
      expect(d.reason, sample).toMatch(reason)
      expect(d.reason, sample).toMatch(/\.$/)
    }
  })

  it('detects what the writers produce', async () => {
    const docs: DocumentRecord[] = [{ text: '😀 Apple', spans: [{ start: 3, end: 8, label: 'ORG' }], meta: {}, source: { file: 'x' } }]
    expect(formatOf(await join(writeDoccano(docs)))).toBe('doccano')
    expect(formatOf(await join(writeSpacy(docs)))).toBe('spacy')
    expect(formatOf(await join(writeCluener(docs)))).toBe('cluener')
    expect(formatOf(await join(writeLabelStudio(docs)), 'x.json')).toBe('label-studio')
    expect(formatOf(await join(writePlainText(docs)), 'x.txt')).toBe('text')
  })
})

/** The first 64 KB of a file, decoded as the app's sample would be. */
function sampleOf(path: string): string {
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.alloc(64 * 1024)
    const n = readSync(fd, buf, 0, buf.length, 0)
    return new TextDecoder('utf-8').decode(buf.subarray(0, n))
  } finally {
    closeSync(fd)
  }
}

describe.skipIf(!dataAvailable)('detectFormat on the shared datasets', () => {
  it.each([
    ['cluener2020/train.json', 'cluener'],
    ['conll2003/eng.train', 'conll'],
    ['conll2003/eng.testa', 'conll'],
    ['resume-ner/train.char.bmes', 'conll'],
    ['weibo-ner/weiboNER_2nd_conll.train', 'conll'],
    ['wnut17/wnut17train.conll', 'conll'],
    ['peoples-daily-ner/example.dev', 'conll'],
  ])('%s is %s', (file, format) => {
    const path = resolve(DATA, file)
    expect(detectFormat(sampleOf(path), file.split('/').pop()!).format).toBe(format)
  })
})
