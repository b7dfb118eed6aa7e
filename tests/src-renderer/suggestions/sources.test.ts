import { describe, expect, it } from 'vitest'
import { combineSources, dictionarySource, modelSource } from '../../../src-renderer/src/suggestions/sources'

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

describe('model suggestions', () => {
  const text = 'Ada Lovelace met Charles Babbage in London.'
  const predicted = [
    { start: 0, end: 12, labelId: 1, confidence: 0.93 },
    { start: 17, end: 32, labelId: 1, confidence: 0.41 },
    { start: 36, end: 42, labelId: 2, confidence: 0.88 },
  ]

  it('proposes the predictions where nothing is annotated, with their confidence', () => {
    const got = modelSource(predicted).suggest(text, [[36, 42, 2]])
    expect(got.map((s) => [text.slice(s.start, s.end), s.confidence, s.source])).toEqual([
      ['Ada Lovelace', 0.93, 'model'],
      ['Charles Babbage', 0.41, 'model'],
    ])
  })

  it('hides predictions under the confidence threshold', () => {
    expect(modelSource(predicted, 0.5).suggest(text, []).map((s) => text.slice(s.start, s.end))).toEqual(['Ada Lovelace', 'London'])
  })

  it('puts the model first where it and the dictionary disagree, and keeps dictionary matches elsewhere', () => {
    const dict = dictionarySource({ entries: [{ labelId: 3, terms: ['Lovelace', 'London', 'met'] }] })
    const got = combineSources([modelSource(predicted), dict]).suggest(text, [])
    expect(got.map((s) => [text.slice(s.start, s.end), s.labelId, s.source])).toEqual([
      ['Ada Lovelace', 1, 'model'],
      ['met', 3, 'dictionary'],
      ['Charles Babbage', 1, 'model'],
      ['London', 2, 'model'],
    ])
  })
})
