import { describe, expect, it } from 'vitest'
import { spansToTags } from '../../../src-shared/domain/tag-schemes'

// "Ada Lovelace met Charles Babbage in London", with two adjacent PER entities at 5-7 to exercise IOB1.
const spans = [
  { start: 0, end: 2, label: 'PER' },
  { start: 3, end: 4, label: 'PER' },
  { start: 4, end: 7, label: 'PER' },
  { start: 8, end: 9, label: 'LOC' },
]

describe('spansToTags', () => {
  it.each([
    ['iob2', 'B-PER I-PER O B-PER B-PER I-PER I-PER O B-LOC'],
    ['iob1', 'I-PER I-PER O I-PER B-PER I-PER I-PER O I-LOC'],
    ['iobes', 'B-PER E-PER O S-PER B-PER I-PER E-PER O S-LOC'],
    ['bmes', 'B-PER E-PER O S-PER B-PER M-PER E-PER O S-LOC'],
  ] as const)('%s', (scheme, expected) => {
    expect(spansToTags(9, spans, scheme).join(' ')).toBe(expected)
  })

  it('refuses overlapping and out-of-range spans', () => {
    expect(() => spansToTags(3, [{ start: 0, end: 2, label: 'A' }, { start: 1, end: 3, label: 'B' }], 'iob2')).toThrow(/overlap/)
    expect(() => spansToTags(3, [{ start: 2, end: 4, label: 'A' }], 'iob2')).toThrow(/outside/)
  })
})
