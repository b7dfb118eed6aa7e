import { describe, expect, it } from 'vitest'
import { covered, drain, expectRoundTrip, readAll } from '../../helpers/format-testkit'
import { readLabelStudio, writeLabelStudio, type LabelStudioWriteOptions } from '../../../src-main/formats/label-studio'
import type { DocumentRecord } from '../../../src-main/formats/types'

const FILE = 'export.json'

const read = (text: string) => readAll(readLabelStudio, text, FILE)
const writeChunks = (docs: Iterable<DocumentRecord>, options?: LabelStudioWriteOptions): Promise<string[]> => drain(writeLabelStudio(docs, options))
const write = async (docs: Iterable<DocumentRecord>, options?: LabelStudioWriteOptions): Promise<string> => (await writeChunks(docs, options)).join('')

const region = (id: string, start: number, end: number, text: string, labels: string[], extra: object = {}) => ({
  id,
  from_name: 'label',
  to_name: 'text',
  type: 'labels',
  value: { start, end, text, labels },
  ...extra,
})

// UTF-16 offsets (Label Studio is JavaScript): 😀=0..2, Apple=3..8, Tim=15..18.
const TEXT = '😀 Apple hires Tim.'
const TASK = {
  id: 1,
  data: { text: TEXT, source: 'news' },
  annotations: [
    { id: 8, completed_by: 2, was_cancelled: false, result: [region('x', 3, 8, 'Apple', ['MISC'])] },
    {
      id: 9,
      completed_by: 1,
      lead_time: 4.2,
      result: [
        region('a2', 15, 18, 'Tim', ['PER']),
        region('a1', 3, 8, 'Apple', ['ORG'], { score: 0.5 }), // a score on a gold region is not kept
        { type: 'relation', from_id: 'a2', to_id: 'a1', direction: 'right', labels: ['works_for'] },
        { id: 'c', from_name: 'topic', to_name: 'text', type: 'choices', value: { choices: ['business'] } },
      ],
    },
    { id: 10, completed_by: 3, was_cancelled: true, result: [region('z', 0, 2, '😀', ['EMOJI'])] },
  ],
  predictions: [{ model_version: 'v1', score: 0.8, result: [region('p', 3, 8, 'Apple', ['ORG'], { score: 0.93 }), region('q', 15, 18, 'Tim', ['PER'])] }],
}

describe('readLabelStudio', () => {
  it('reads a JSON export: last non-cancelled annotation, annotator, predictions, UTF-16 offsets as they are', async () => {
    const { docs, notes, problems } = await read(JSON.stringify([TASK], null, 2))
    expect(problems).toEqual([])
    expect(docs).toHaveLength(1)
    const d = docs[0]!
    expect(covered(d)).toEqual(['Apple/ORG', 'Tim/PER'])
    expect(d.spans).toEqual([
      { start: 3, end: 8, label: 'ORG' },
      { start: 15, end: 18, label: 'PER' },
    ])
    expect(d.annotator).toBe('1')
    expect(d.predictions).toEqual([
      {
        model: 'v1',
        score: 0.8,
        spans: [
          { start: 3, end: 8, label: 'ORG', score: 0.93 },
          { start: 15, end: 18, label: 'PER' },
        ],
      },
    ])
    expect(d.meta).toEqual({ id: 1, data: { source: 'news' } })
    expect(d.source).toEqual({ file: FILE, record: 1 })
    expect(notes).toEqual([
      '1 task(s) have several annotations: the last one that was not cancelled was used.',
      '1 cancelled (skipped) annotation(s) ignored.',
      'Ignored results that are not entity spans: 1 relation, 1 choices.',
    ])
  })

  it('reads a single task object, older `completions`, a user object as completed_by, one span per label', async () => {
    const task = {
      data: { text: 'Paris Hilton' },
      completions: [{ completed_by: { id: 4, email: 'ann@example.org' }, result: [region('r', 0, 12, 'Paris Hilton', ['PER', 'BRAND'])] }],
    }
    const { docs, problems } = await read(JSON.stringify(task))
    expect(problems).toEqual([])
    expect(covered(docs[0]!)).toEqual(['Paris Hilton/BRAND', 'Paris Hilton/PER'])
    expect(docs[0]!.annotator).toBe('ann@example.org')
    expect(docs[0]!.meta).toEqual({})
  })

  it('takes the text from the first string field of data when data.text is absent, and says so', async () => {
    const tasks = [
      { id: 5, data: { page: 3, content: 'Berlin wins' }, annotations: [{ result: [region('r', 0, 6, 'Berlin', ['LOC'])] }] },
      { id: 6, data: { text: 'Rome' } },
    ]
    const { docs, notes, problems } = await read(JSON.stringify(tasks))
    expect(problems).toEqual([])
    expect(docs[0]!.text).toBe('Berlin wins')
    expect(docs[0]!.meta).toEqual({ id: 5, data: { page: 3 }, textKey: 'content' })
    expect(docs[1]!.spans).toEqual([])
    expect(notes).toEqual(['1 task(s) have no data.text: the text was taken from data.content.'])
    // Written back to the same field.
    const out = JSON.parse(await write(docs))
    expect(out[0].data).toEqual({ content: 'Berlin wins', page: 3 })
  })

  it('reads JSON_MIN (flat tasks, one key per from_name)', async () => {
    const min = [
      {
        id: 12,
        text: '😀 Apple',
        ner: [{ start: 3, end: 8, text: 'Apple', labels: ['ORG'] }],
        annotator: 'ann@example.org',
        annotation_id: 30,
        created_at: '2024-01-01T00:00:00Z',
        updated_at: '2024-01-01T00:00:00Z',
        lead_time: 3.1,
        lang: 'en',
      },
    ]
    const { docs, notes, problems } = await read(JSON.stringify(min))
    expect(problems).toEqual([])
    expect(covered(docs[0]!)).toEqual(['Apple/ORG'])
    expect(docs[0]!.annotator).toBe('ann@example.org')
    expect(docs[0]!.meta).toEqual({ id: 12, data: { lang: 'en' } })
    expect(notes).toEqual(['1 task(s) in JSON_MIN form (flat fields, one annotation each).'])
  })

  it('reports invalid JSON with the line of the error', async () => {
    const text = '[\n  {"data": {"text": "a"}},\n  {"data": {"text": "b"}\n]'
    const { docs, problems } = await read(text)
    expect(docs).toEqual([])
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({ kind: 'syntax', file: FILE, line: 4 })
    expect(problems[0]!.message).toMatch(/^not valid JSON: /)
  })

  it('reports a top level that is not tasks', async () => {
    const { problems } = await read('"text"')
    expect(problems.map((p) => [p.kind, p.message])).toEqual([['syntax', 'expected a JSON array of Label Studio tasks, got string']])
  })

  it('reports every problem with its record and field, and keeps reading', async () => {
    const tasks = [
      'not a task', // 1
      { data: { n: 1 } }, // 2 field data.text
      { data: { text: 5 } }, // 3 field data.text
      { data: 'x' }, // 4 field data
      { data: { text: ' ' } }, // 5 empty-document
      {
        data: { text: '😀 Apple' },
        annotations: [
          {
            result: [
              region('a', 3, 8, 'Apple', ['ORG']),
              { type: 'labels', value: { start: '3', end: 8, labels: ['ORG'] } },
              region('b', 3, 8, 'Apple', []),
              region('c', 3, 9, 'Apple', ['ORG']),
              region('d', 1, 3, '\uDE00 ', ['ORG']),
              region('e', 4, 4, '', ['ORG']),
              region('f', 3, 8, 'Appel', ['ORG']),
              'region',
            ],
          },
        ],
        predictions: [{ model_version: 'v2', result: [region('p', 3, 80, 'Apple', ['ORG'])] }, 7],
      }, // 6
      { data: { text: 'ok' }, annotations: {} }, // 7
    ]
    const { docs, problems } = await read(JSON.stringify(tasks))
    const r = 'annotations[0].result'
    expect(problems.map((p) => [p.kind, p.record, p.field])).toEqual([
      ['syntax', 1, undefined],
      ['field', 2, 'data.text'],
      ['field', 3, 'data.text'],
      ['field', 4, 'data'],
      ['empty-document', 5, undefined],
      ['field', 6, `${r}[1].value.start`],
      ['field', 6, `${r}[2].value.labels`],
      ['span-out-of-range', 6, `${r}[3].value`],
      ['span-out-of-range', 6, `${r}[4].value`],
      ['empty-span', 6, `${r}[5].value`],
      ['span-text-mismatch', 6, `${r}[6].value.text`],
      ['field', 6, `${r}[7]`],
      ['span-out-of-range', 6, 'predictions[0].result[0].value'],
      ['field', 6, 'predictions[1]'],
      ['field', 7, 'annotations'],
    ])
    expect(problems.every((p) => p.file === FILE)).toBe(true)
    expect(problems[8]!.message).toContain('splits a surrogate pair')
    expect(problems[10]!.message).toContain('the text at [3, 8) is "Apple" but the region says "Appel"; region skipped')
    expect(docs.map((d) => [d.source.record, covered(d), d.predictions?.length])).toEqual([
      [6, ['Apple/ORG'], 1],
      [7, [], undefined],
    ])
  })
})

describe('writeLabelStudio', () => {
  const doc: DocumentRecord = {
    text: TEXT,
    spans: [
      { start: 3, end: 8, label: 'ORG' },
      { start: 15, end: 18, label: 'PER' },
    ],
    annotator: '1',
    predictions: [{ model: 'v1', score: 0.8, spans: [{ start: 3, end: 8, label: 'ORG', score: 0.93 }] }],
    meta: { id: 1, data: { source: 'news' }, lang: 'en' },
    source: { file: 'x' },
  }

  it('writes a Label Studio import: data, annotation regions, predictions with scores; one chunk per task', async () => {
    const chunks = await writeChunks([doc, { ...doc, meta: {}, annotator: undefined, predictions: undefined, spans: [] }])
    expect(chunks).toHaveLength(4)
    const tasks = JSON.parse(chunks.join(''))
    expect(tasks[0]).toEqual({
      id: 1,
      data: { text: TEXT, source: 'news', lang: 'en' },
      annotations: [{ result: [region('r0', 3, 8, 'Apple', ['ORG']), region('r1', 15, 18, 'Tim', ['PER'])] }],
      predictions: [{ model_version: 'v1', score: 0.8, result: [region('p0-0', 3, 8, 'Apple', ['ORG'], { score: 0.93 })] }],
    })
    expect(tasks[1]).toEqual({ data: { text: TEXT }, annotations: [], predictions: [] })
  })

  it('writes completed_by only when asked (Label Studio refuses unknown users): ids as numbers, e-mails as objects', async () => {
    const by = async (annotator: string, options?: LabelStudioWriteOptions): Promise<unknown> =>
      JSON.parse(await write([{ ...doc, annotator }], options))[0].annotations[0].completed_by
    expect(await by('1')).toBeUndefined()
    expect(await by('1', { annotators: true })).toBe(1)
    expect(await by('ann@example.org', { annotators: true })).toEqual({ email: 'ann@example.org' })
    expect(await by('Ann', { annotators: true })).toBeUndefined()
  })

  it('writes a valid empty array for no documents', async () => {
    expect(JSON.parse(await write([]))).toEqual([])
  })

  it('round-trips read → write → read to identical documents, astral characters included', async () => {
    const tasks = [
      TASK,
      { id: 2, data: { text: '👍🏽 𠮷野家 🇫🇷' }, annotations: [{ completed_by: 5, result: [region('a', 0, 4, '👍🏽', ['EMOJI']), region('b', 5, 9, '𠮷野家', ['ORG']), region('c', 10, 14, '🇫🇷', ['FLAG'])] }] },
      { id: 3, data: { content: 'no spans' } },
    ]
    const { docs } = await expectRoundTrip(read, (d) => write(d, { annotators: true }), JSON.stringify(tasks))
    expect(covered(docs[1]!)).toEqual(['👍🏽/EMOJI', '𠮷野家/ORG', '🇫🇷/FLAG'])
  })
})
