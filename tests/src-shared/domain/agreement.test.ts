import { describe, expect, it } from 'vitest'
import { agreement, candidates, compareSpans, f1 } from '../../../src-shared/domain/agreement'

describe('span agreement', () => {
  it('counts exact matches of start, end and label', () => {
    const c = compareSpans([[0, 3, 1], [5, 9, 2], [10, 12, 1]], [[0, 3, 1], [5, 9, 1], [20, 25, 2]])
    expect(c.all).toEqual({ agreed: 1, a: 3, b: 3 })
    expect(f1(c.all)).toBeCloseTo(1 / 3)
    expect(c.perLabel.get(1)).toEqual({ agreed: 1, a: 2, b: 2 })
    expect(c.perLabel.get(2)).toEqual({ agreed: 0, a: 1, b: 1 })
    expect(f1({ agreed: 0, a: 0, b: 0 })).toBe(1)
  })

  it('reports pairs, labels and the documents to adjudicate', () => {
    const r = agreement([
      { documentId: 1, position: 0, annotations: [{ annotator: 'bo', spans: [[0, 3, 1]] }, { annotator: 'ana', spans: [[0, 3, 1]] }] },
      { documentId: 2, position: 1, annotations: [{ annotator: 'ana', spans: [[0, 3, 1], [4, 6, 2]] }, { annotator: 'bo', spans: [[0, 4, 1]] }] },
    ])
    expect(r.annotators).toEqual(['ana', 'bo'])
    expect(r.pairs).toEqual([{ a: 'ana', b: 'bo', documents: 2, f1: 2 / 5, perLabel: [{ labelId: 1, f1: 0.5, spans: 4 }, { labelId: 2, f1: 0, spans: 1 }] }])
    expect(r.disagreements).toEqual([{ documentId: 2, position: 1, annotators: ['ana', 'bo'], differing: 3 }])
  })

  it('proposes the union of spans to a reviewer, majority kept', () => {
    const c = candidates([
      { annotator: 'a', spans: [[0, 3, 1]] },
      { annotator: 'b', spans: [[0, 3, 1], [5, 6, 2]] },
      { annotator: 'c', spans: [[0, 3, 1]] },
    ])
    expect(c).toEqual([
      { span: [0, 3, 1], by: ['a', 'b', 'c'], majority: true },
      { span: [5, 6, 2], by: ['b'], majority: false },
    ])
  })
})
