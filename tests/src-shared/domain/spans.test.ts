import { describe, expect, it } from 'vitest'
import { checkSpans, occurrences, snapToWords, splitsPair } from '../../../src-shared/domain/spans'

describe('snapToWords', () => {
  const text = 'Ada Lovelace met Charles Babbage.'
  it.each([
    [1, 6, [0, 12]], // "da Lo" -> "Ada Lovelace"
    [0, 3, [0, 3]],
    [3, 4, null], // only a space
    [26, 31, [25, 32]], // "abbag" -> "Babbage", the period stays out
  ])('(%i, %i) -> %j', (s, e, expected) => {
    const r = snapToWords(text, s, e)
    if (expected === null) expect(r).toBeNull()
    else expect(text.slice(r![0], r![1])).toBe(text.slice(expected[0] as number, expected[1] as number))
  })

  it('keeps CJK selections per character and never splits an astral character', () => {
    const zh = '我在𠮷野家吃饭'
    expect(snapToWords(zh, 2, 4)).toEqual([2, 4]) // 𠮷 is two UTF-16 units
    expect(snapToWords(zh, 3, 5)).toEqual([2, 5])
    expect(splitsPair(zh, 3)).toBe(true)
  })

  it('does not snap when snapping is off, but trims whitespace', () => {
    expect(snapToWords('  Ada Lovelace', 0, 5, false)).toEqual([2, 5])
  })
})

describe('checkSpans', () => {
  const labels = new Set([1, 2])
  it('accepts valid spans and names each problem', () => {
    expect(checkSpans('Ada in Paris', [[0, 3, 1], [7, 12, 2]], labels, false)).toEqual([])
    const issues = checkSpans('Ada in Paris', [[0, 3, 1], [1, 5, 2], [7, 20, 1], [7, 12, 9], [0, 3, 1]], labels, false)
    expect(issues.map((i) => i.index)).toEqual([1, 2, 3, 4])
    expect(issues[0]!.message).toContain('overlaps')
    expect(checkSpans('Ada in Paris', [[0, 3, 1], [0, 12, 2]], labels, true)).toEqual([])
    expect(checkSpans('a😀b', [[1, 2, 1]], labels, false)[0]!.message).toContain('cuts a character')
  })
})

describe('occurrences', () => {
  it('finds whole words only', () => {
    expect(occurrences('Paris, not Parisian; Paris.', 'Paris')).toEqual([[0, 5], [21, 26]])
    expect(occurrences('北京和北京', '北京')).toEqual([[0, 2], [3, 5]])
  })
})
