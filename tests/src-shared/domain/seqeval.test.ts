import { describe, expect, it } from 'vitest'
import {
  accuracyScore,
  autoDetectScheme,
  classificationReport,
  f1Score,
  getEntities,
  getStrictEntities,
  precisionScore,
  recallScore,
  type PrfSupport,
  type StrictScheme,
} from '../../../src-shared/domain/seqeval'

/** [precision, recall, f1, support] */
type Row = [number, number, number, number]
const row = (r: PrfSupport): Row => [r.precision, r.recall, r.f1, r.support]
function expectRow(actual: PrfSupport, expected: Row): void {
  const a = row(actual)
  for (let i = 0; i < 4; i++) {
    if (Number.isNaN(expected[i])) expect(a[i]).toBeNaN()
    else expect(a[i]).toBeCloseTo(expected[i]!, 10)
  }
}

describe('getEntities (default mode)', () => {
  it.each<[string, string[], [string, number, number][]]>([
    ['seqeval docstring', ['B-PER', 'I-PER', 'O', 'B-LOC'], [['PER', 0, 1], ['LOC', 3, 3]]],
    ['I- without B- starts an entity', ['O', 'I-PER', 'I-PER'], [['PER', 1, 2]]],
    ['type change B-LOC I-PER', ['B-LOC', 'I-PER'], [['LOC', 0, 0], ['PER', 1, 1]]],
    ['type change mid-entity', ['B-PER', 'I-PER', 'I-LOC', 'O'], [['PER', 0, 1], ['LOC', 2, 2]]],
    ['B after I closes', ['B-PER', 'I-PER', 'B-PER'], [['PER', 0, 1], ['PER', 2, 2]]],
    ['IOBES B..E and S', ['B-PER', 'E-PER', 'O', 'S-LOC'], [['PER', 0, 1], ['LOC', 3, 3]]],
    ['adjacent S', ['S-PER', 'S-PER'], [['PER', 0, 0], ['PER', 1, 1]]],
    ['E then E starts a new chunk', ['B-PER', 'E-PER', 'E-PER'], [['PER', 0, 1], ['PER', 2, 2]]],
    ['E then I starts a new chunk', ['B-PER', 'E-PER', 'I-PER'], [['PER', 0, 1], ['PER', 2, 2]]],
    ['S then I', ['S-PER', 'I-PER'], [['PER', 0, 0], ['PER', 1, 1]]],
    ['lone E', ['O', 'E-PER'], [['PER', 1, 1]]],
    ['unclosed IOBES B I still counts', ['B-PER', 'I-PER'], [['PER', 0, 1]]],
    ['type keeps later dashes', ['B-ORG-X', 'I-ORG-X'], [['ORG-X', 0, 1]]],
    ['bare prefixes get type _', ['B', 'I', 'O'], [['_', 0, 1]]],
    ['all O', ['O', 'O'], []],
    ['empty', [], []],
  ])('%s', (_name, tags, expected) => {
    expect(getEntities(tags)).toEqual(expected)
  })

  it('flattens sentences with an O between them (global offsets, no crossing)', () => {
    expect(getEntities([['B-PER', 'I-PER'], ['I-PER', 'O'], ['B-LOC']])).toEqual([
      ['PER', 0, 1],
      ['PER', 3, 3],
      ['LOC', 6, 6],
    ])
  })

  it('supports suffix-style tags', () => {
    expect(getEntities(['PER-B', 'PER-I', 'O', 'LOC-S'], { suffix: true })).toEqual([
      ['PER', 0, 1],
      ['LOC', 3, 3],
    ])
  })
})

describe('getStrictEntities', () => {
  const cases: [StrictScheme, string[], [string, number, number][]][] = [
    ['IOB2', ['I-PER'], []],
    ['IOB2', ['O', 'I-PER', 'I-PER'], []],
    ['IOB2', ['B-PER', 'I-ORG'], [['PER', 0, 1]]],
    ['IOB2', ['B-PER', 'I-PER', 'B-PER'], [['PER', 0, 2], ['PER', 2, 3]]],
    ['IOBES', ['B-PER', 'I-PER'], []],
    ['IOBES', ['B-PER', 'E-PER'], [['PER', 0, 2]]],
    ['IOBES', ['I-PER', 'S-PER'], [['PER', 1, 2]]],
    ['IOBES', ['B-PER', 'I-PER', 'S-PER'], [['PER', 2, 3]]],
    ['IOBES', ['B-PER', 'I-LOC', 'E-LOC'], []],
    ['IOBES', ['B-PER', 'I-PER', 'E-PER', 'O', 'S-LOC'], [['PER', 0, 3], ['LOC', 4, 5]]],
    ['IOBES', ['B-PER', 'E-PER', 'E-PER'], [['PER', 0, 2]]],
    ['BILOU', ['B-PER', 'L-PER', 'U-LOC'], [['PER', 0, 2], ['LOC', 2, 3]]],
    ['BILOU', ['B-PER', 'I-PER'], []],
    ['IOE2', ['I-PER', 'E-PER', 'E-LOC'], [['PER', 0, 2], ['LOC', 2, 3]]],
  ]
  it.each(cases)('%s %j', (scheme, tags, expected) => {
    const got = getStrictEntities([tags], scheme).map((e) => [e.type, e.start, e.end])
    expect(got).toEqual(expected)
  })

  // seqeval tests/test_scheme.py test_iob1_tokens and test_iob1_tokens_without_tag, quirks included.
  it.each<[string[], [string, number, number][]]>([
    [[], []],
    [['B-PER'], []],
    [['I-PER'], [['PER', 0, 1]]],
    [['O'], []],
    [['O', 'I-PER'], [['PER', 1, 2]]],
    [['O', 'B-PER'], []],
    [['I-PER', 'O'], [['PER', 0, 1]]],
    [['I-PER', 'I-PER'], [['PER', 0, 2]]],
    [['I-PER', 'I-ORG'], [['PER', 0, 1], ['ORG', 1, 2]]],
    [['I-PER', 'B-PER'], [['PER', 0, 1], ['PER', 1, 2]]],
    [['I-PER', 'B-ORG'], [['PER', 0, 1]]],
    [['B-PER', 'O'], []],
    [['B-PER', 'I-PER'], [['PER', 1, 2]]],
    [['B-PER', 'I-ORG'], [['ORG', 1, 2]]],
    [['B-PER', 'B-PER'], [['PER', 1, 2]]],
    [['B-PER', 'B-ORG'], []],
    [['I', 'B'], [['_', 0, 1], ['_', 1, 2]]],
    [['B', 'I'], [['_', 1, 2]]],
  ])('IOB1 (seqeval test_iob1_tokens) %j', (tags, expected) => {
    expect(getStrictEntities([tags], 'IOB1').map((e) => [e.type, e.start, e.end])).toEqual(expected)
  })

  it('IOB1 rejects E-/S- prefixes and is never auto-detected', () => {
    expect(() => getStrictEntities([['I-PER', 'E-PER']], 'IOB1')).toThrow(/E-PER.*IOB1/)
    expect(autoDetectScheme([['I-PER', 'B-PER', 'O']])).toBe('IOB2')
  })

  it('numbers sentences and uses exclusive ends per sentence', () => {
    expect(getStrictEntities([['B-A'], ['O', 'B-B', 'I-B']], 'IOB2')).toEqual([
      { sentence: 0, start: 0, end: 1, type: 'A' },
      { sentence: 1, start: 1, end: 3, type: 'B' },
    ])
  })

  it('rejects prefixes the scheme does not allow, and unknown prefixes', () => {
    expect(() => getStrictEntities([['B-PER', 'E-PER']], 'IOB2')).toThrow(/E-PER.*sentence 0/)
    expect(() => getStrictEntities([['O'], ['X-PER']], 'IOBES')).toThrow(/X-PER.*sentence 1/)
  })

  it('auto-detects schemes like seqeval', () => {
    expect(autoDetectScheme([['B-PER', 'I-PER', 'O']])).toBe('IOB2')
    expect(autoDetectScheme([['B-PER'], ['O']])).toBe('IOB2')
    expect(autoDetectScheme([['I-PER', 'E-PER']])).toBe('IOE2')
    expect(autoDetectScheme([['S-PER', 'O']])).toBe('IOBES')
    expect(autoDetectScheme([['B-PER', 'E-PER', 'O']])).toBe('IOBES')
    expect(autoDetectScheme([['U-PER']])).toBe('BILOU')
    expect(() => autoDetectScheme([['I-PER', 'O']])).toThrow()
    expect(() => autoDetectScheme([['O']])).toThrow()
  })
})

describe('classificationReport', () => {
  it('seqeval README example (f1 0.5)', () => {
    const yTrue = [['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']]
    const yPred = [['O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']]
    const r = classificationReport(yTrue, yPred)
    expect(r.perType.map((t) => t.type)).toEqual(['MISC', 'PER'])
    expectRow(r.perType[0]!, [0, 0, 0, 1])
    expectRow(r.perType[1]!, [1, 1, 1, 1])
    expectRow(r.micro, [0.5, 0.5, 0.5, 2])
    expectRow(r.macro, [0.5, 0.5, 0.5, 2])
    expectRow(r.weighted, [0.5, 0.5, 0.5, 2])
    expect(f1Score(yTrue, yPred)).toBe(0.5)
    expect(precisionScore(yTrue, yPred)).toBe(0.5)
    expect(recallScore(yTrue, yPred)).toBe(0.5)
    expect(accuracyScore(yTrue, yPred)).toBe(0.8)
  })

  it('seqeval test_output_string (type C only predicted: support 0 row)', () => {
    const r = classificationReport([['B-A', 'B-B', 'O', 'B-A']], [['O', 'B-B', 'B-C', 'B-A']])
    expect(r.perType.map((t) => t.type)).toEqual(['A', 'B', 'C'])
    expectRow(r.perType[0]!, [1, 0.5, 2 / 3, 2])
    expectRow(r.perType[1]!, [1, 1, 1, 1])
    expectRow(r.perType[2]!, [0, 0, 0, 0])
    expectRow(r.micro, [2 / 3, 2 / 3, 2 / 3, 3])
    expectRow(r.macro, [2 / 3, 0.5, 5 / 9, 3])
    expectRow(r.weighted, [1, 2 / 3, 7 / 9, 3])
    // strict IOB2 gives the same numbers here
    expect(classificationReport([['B-A', 'B-B', 'O', 'B-A']], [['O', 'B-B', 'B-C', 'B-A']], { mode: 'strict', scheme: 'IOB2' })).toEqual(r)
  })

  it('seqeval f1_score docstring: per-class, micro, macro, weighted', () => {
    const yTrue = [['O', 'O', 'B-MISC', 'I-MISC', 'B-MISC', 'O', 'O'], ['B-PER', 'I-PER', 'O']]
    const yPred = [['O', 'O', 'B-MISC', 'I-MISC', 'B-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']]
    const r = classificationReport(yTrue, yPred)
    expect(r.perType.map((t) => t.f1)).toEqual([0.5, 1])
    expect(f1Score(yTrue, yPred)).toBeCloseTo(2 / 3, 12)
    expect(f1Score(yTrue, yPred, { average: 'macro' })).toBeCloseTo(0.75, 12)
    expect(f1Score(yTrue, yPred, { average: 'weighted' })).toBeCloseTo(2 / 3, 12)
  })

  it('I- without B-: default counts it, strict IOB2 drops it (seqeval test_conll/strict_f1score)', () => {
    const yTrue = [['B-ORG', 'I-ORG']]
    const yPred = [['I-ORG', 'I-ORG']]
    for (const average of ['micro', 'macro', 'weighted'] as const) expect(f1Score(yTrue, yPred, { average })).toBe(1)
    expect(f1Score(yTrue, yPred, { mode: 'strict', scheme: 'IOB2' })).toBe(0)
    const strict = classificationReport(yTrue, yPred, { mode: 'strict' }) // auto-detects IOB2 from yTrue
    expectRow(strict.perType[0]!, [0, 0, 0, 1])
    expectRow(strict.micro, [0, 0, 0, 1])
  })

  it('strict mode without a scheme auto-detects in the score functions too (deliberately unlike seqeval)', () => {
    expect(f1Score([['B-ORG', 'I-ORG']], [['I-ORG', 'I-ORG']], { mode: 'strict' })).toBe(0)
  })

  it('a scheme without mode strict is ignored (default mode)', () => {
    expect(f1Score([['B-ORG', 'I-ORG']], [['I-ORG', 'I-ORG']], { scheme: 'IOB2' })).toBe(1)
  })

  it('IOBES: default is lenient, strict drops the unclosed B I', () => {
    const yTrue = [['B-PER', 'E-PER', 'O', 'S-LOC']]
    const yPred = [['B-PER', 'I-PER', 'O', 'S-LOC']]
    const d = classificationReport(yTrue, yPred)
    for (const r of [...d.perType, d.micro, d.macro, d.weighted]) expectRow(r, [1, 1, 1, r.support])
    const s = classificationReport(yTrue, yPred, { mode: 'strict', scheme: 'IOBES' })
    expect(s.perType.map((t) => t.type)).toEqual(['LOC', 'PER'])
    expectRow(s.perType[0]!, [1, 1, 1, 1])
    expectRow(s.perType[1]!, [0, 0, 0, 1])
    expectRow(s.micro, [1, 0.5, 2 / 3, 2])
    expectRow(s.macro, [0.5, 0.5, 0.5, 2])
    expectRow(s.weighted, [0.5, 0.5, 0.5, 2])
  })

  it('IOBES S-/E- boundaries must match exactly', () => {
    // true: PER [0,2), LOC [3,4); pred: S-PER at 0 and S-PER at 1 -> two 1-token PERs, LOC correct
    const yTrue = [['B-PER', 'E-PER', 'O', 'S-LOC']]
    const yPred = [['S-PER', 'S-PER', 'O', 'S-LOC']]
    for (const opts of [{}, { mode: 'strict' as const, scheme: 'IOBES' as const }]) {
      const r = classificationReport(yTrue, yPred, opts)
      expectRow(r.perType[1]!, [0, 0, 0, 1])
      expectRow(r.micro, [1 / 3, 0.5, 0.4, 2])
    }
  })

  describe('multi-type case computed by hand', () => {
    // true: PER[0-1] LOC[3] ORG[5] | PER[0] LOC[2-3]            -> LOC 2, ORG 1, PER 2 (5)
    // pred: PER[0-1] ORG[3] ORG[5] | PER[0] LOC[2] MISC[5]      -> LOC 1, MISC 1, ORG 2, PER 2 (6)
    // TP: PER 2, ORG 1 (index 5), LOC 0 (boundary), MISC 0      -> 3
    const yTrue = [['B-PER', 'I-PER', 'O', 'B-LOC', 'O', 'B-ORG'], ['B-PER', 'O', 'B-LOC', 'I-LOC', 'O', 'O']]
    const yPred = [['B-PER', 'I-PER', 'O', 'B-ORG', 'O', 'B-ORG'], ['B-PER', 'O', 'B-LOC', 'O', 'O', 'B-MISC']]
    it.each<[0 | 1, Row[], Row, Row, Row]>([
      [
        0,
        [[0, 0, 0, 2], [0, 0, 0, 0], [0.5, 1, 2 / 3, 1], [1, 1, 1, 2]],
        [0.5, 0.6, 6 / 11, 5],
        [0.375, 0.5, 5 / 12, 5],
        [0.5, 0.6, 8 / 15, 5],
      ],
      [
        1, // MISC recall 0/0 -> 1; its F stays 0 (2*0*1/1); only macro recall moves
        [[0, 0, 0, 2], [0, 1, 0, 0], [0.5, 1, 2 / 3, 1], [1, 1, 1, 2]],
        [0.5, 0.6, 6 / 11, 5],
        [0.375, 0.75, 5 / 12, 5],
        [0.5, 0.6, 8 / 15, 5],
      ],
    ])('zeroDivision %i', (zeroDivision, rows, micro, macro, weighted) => {
      for (const opts of [{ zeroDivision }, { zeroDivision, mode: 'strict' as const, scheme: 'IOB2' as const }]) {
        const r = classificationReport(yTrue, yPred, opts)
        expect(r.perType.map((t) => t.type)).toEqual(['LOC', 'MISC', 'ORG', 'PER'])
        rows.forEach((e, i) => expectRow(r.perType[i]!, e))
        expectRow(r.micro, micro)
        expectRow(r.macro, macro)
        expectRow(r.weighted, weighted)
        expect(f1Score(yTrue, yPred, { ...opts, average: 'macro' })).toBeCloseTo(macro[2], 12)
        expect(recallScore(yTrue, yPred, { ...opts, average: 'weighted' })).toBeCloseTo(weighted[1], 12)
      }
    })
  })

  describe('zero division', () => {
    it('empty predictions', () => {
      const yTrue = [['B-PER', 'O']]
      const yPred = [['O', 'O']]
      const r0 = classificationReport(yTrue, yPred)
      expectRow(r0.perType[0]!, [0, 0, 0, 1])
      expectRow(r0.micro, [0, 0, 0, 1])
      expectRow(r0.weighted, [0, 0, 0, 1])
      const r1 = classificationReport(yTrue, yPred, { zeroDivision: 1 })
      expectRow(r1.perType[0]!, [1, 0, 0, 1])
      expectRow(r1.micro, [1, 0, 0, 1])
      expectRow(r1.macro, [1, 0, 0, 1])
      expectRow(r1.weighted, [1, 0, 0, 1])
      expect(f1Score(yTrue, yPred)).toBe(0)
      expect(precisionScore(yTrue, yPred, { zeroDivision: 1 })).toBe(1)
    })

    it('no entities anywhere: micro/weighted = zeroDivision, macro = NaN (numpy mean of nothing)', () => {
      for (const zd of [0, 1] as const) {
        const r = classificationReport([['O', 'O']], [['O', 'O']], { zeroDivision: zd })
        expect(r.perType).toEqual([])
        expectRow(r.micro, [zd, zd, zd, 0])
        expectRow(r.weighted, [zd, zd, zd, 0])
        expectRow(r.macro, [NaN, NaN, NaN, 0])
      }
    })

    it('only predicted entities: weighted special case (P 0, R zd, F 0)', () => {
      for (const zd of [0, 1] as const) {
        const r = classificationReport([['O']], [['B-PER']], { zeroDivision: zd })
        expectRow(r.perType[0]!, [0, zd, 0, 0])
        expectRow(r.micro, [0, zd, 0, 0])
        expectRow(r.macro, [0, zd, 0, 0])
        expectRow(r.weighted, [0, zd, 0, 0])
      }
    })
  })

  it('sets are per (sentence, span): identical spans in different sentences are distinct', () => {
    const r = classificationReport([['B-PER'], ['B-PER']], [['B-PER'], ['O']])
    expectRow(r.micro, [1, 0.5, 2 / 3, 2])
    const s = classificationReport([['B-PER'], ['B-PER']], [['B-PER'], ['O']], { mode: 'strict', scheme: 'IOB2' })
    expectRow(s.micro, [1, 0.5, 2 / 3, 2])
  })
})

describe('validation', () => {
  it.each<[string[][], string[][], RegExp]>([
    [[['O'], ['O', 'O']], [['O'], ['O']], /sentence 1/],
    [[['O']], [['O'], ['O']], /sentence 1/],
    [[['O'], ['O'], ['O']], [['O']], /sentence 1/],
    [[['O', 'O']], [['O']], /sentence 0/],
  ])('%j vs %j', (yTrue, yPred, msg) => {
    expect(() => classificationReport(yTrue, yPred)).toThrow(msg)
    expect(() => f1Score(yTrue, yPred)).toThrow(msg)
    expect(() => accuracyScore(yTrue, yPred)).toThrow(msg)
  })

  it('accuracy of zero tokens throws, like seqeval (ZeroDivisionError)', () => {
    expect(() => accuracyScore([], [])).toThrow()
    expect(accuracyScore([['B-PER', 'O'], ['O']], [['I-PER', 'O'], ['O']])).toBeCloseTo(2 / 3, 12)
  })
})
