import { describe, expect, it } from 'vitest'
import { runTableRow } from '../../helpers/run-rows'
import { COLUMNS, allTags, csvField, filterRows, parseTags, sortRows, toCsv, visibleColumns } from '../../../src-renderer/src/runs/table'

const row = runTableRow

describe('the Runs table', () => {
  const rows = [
    row(1, { tags: ['baseline'], notes: 'first try' }, { test: { precision: 0.7, recall: 0.6, f1: 0.65 } }),
    row(2, { status: 'failed', tags: ['lora', 'sweep'] }, { recipe: 'LoRA r8', test: null }),
    row(3, { name: 'big, "quoted" run', tags: ['sweep'] }, { test: { precision: 0.9, recall: 0.8, f1: 0.85 } }),
  ]

  it('filters by status, tag and every word of the text', () => {
    expect(filterRows(rows, { text: '', status: 'failed', tag: '' }).map((r) => r.run.id)).toEqual([2])
    expect(filterRows(rows, { text: '', status: '', tag: 'sweep' }).map((r) => r.run.id)).toEqual([2, 3])
    expect(filterRows(rows, { text: 'lora r8', status: '', tag: '' }).map((r) => r.run.id)).toEqual([2])
    expect(filterRows(rows, { text: 'FIRST', status: '', tag: '' }).map((r) => r.run.id)).toEqual([1])
    expect(filterRows(rows, { text: '#3', status: '', tag: '' }).map((r) => r.run.id)).toEqual([3])
    expect(allTags(rows)).toEqual(['baseline', 'lora', 'sweep'])
  })

  it('sorts by any column, runs without a value last in both directions', () => {
    expect(sortRows(rows, { key: 'testF1', dir: 'desc' }).map((r) => r.run.id)).toEqual([3, 1, 2])
    expect(sortRows(rows, { key: 'testF1', dir: 'asc' }).map((r) => r.run.id)).toEqual([1, 3, 2])
    expect(sortRows(rows, { key: 'run', dir: 'desc' }).map((r) => r.run.id)).toEqual([3, 2, 1])
    expect(sortRows(rows, { key: 'recipe', dir: 'asc' }).map((r) => r.run.id)).toEqual([3, 1, 2])
    expect(sortRows(rows, { key: 'notes', dir: 'asc' }).map((r) => r.run.id)).toEqual([1, 3, 2])
  })

  it('shows the chosen columns, the run always', () => {
    expect(visibleColumns(null).map((c) => c.key)).toEqual(COLUMNS.filter((c) => c.visible).map((c) => c.key))
    expect(visibleColumns(['testF1', 'status', 'nope']).map((c) => c.key)).toEqual(['run', 'status', 'testF1'])
  })

  it('exports CSV with raw values, quoting what needs it', () => {
    const cols = visibleColumns(['status', 'testF1', 'duration', 'tags'])
    expect(toCsv(rows, cols)).toBe(
      'id,name,status,test_f1,duration_seconds,tags\r\n' +
        '1,run 1,completed,0.65,120,baseline\r\n' +
        '2,run 2,failed,,120,lora; sweep\r\n' +
        '3,"big, ""quoted"" run",completed,0.85,120,sweep\r\n',
    )
    expect(csvField('a\nb')).toBe('"a\nb"')
    expect(csvField('plain')).toBe('plain')
  })

  it('reads a typed tag list', () => {
    expect(parseTags(' a, b,,a ,c ')).toEqual(['a', 'b', 'c'])
  })
})
