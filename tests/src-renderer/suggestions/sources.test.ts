import { describe, expect, it } from 'vitest'
import { dictionarySource } from '../../../src-renderer/src/suggestions/sources'

describe('dictionary suggestions', () => {
  const source = dictionarySource({ entries: [{ labelId: 2, terms: ['York', 'New York City', 'Paris'] }, { labelId: 1, terms: ['Ada'] }] })
  it('proposes whole-word matches, longest first, never over existing spans', () => {
    const text = 'Ada left New York City for Paris; Parisians and Ada stayed.'
    expect(source.suggest(text, []).map((s) => [text.slice(s.start, s.end), s.labelId])).toEqual([
      ['Ada', 1],
      ['New York City', 2],
      ['Paris', 2],
      ['Ada', 1],
    ])
    // The first "Ada" is already annotated: no suggestion there.
    expect(source.suggest(text, [[0, 3, 1]]).map((s) => s.start)).toEqual([9, 27, 48])
  })
})
