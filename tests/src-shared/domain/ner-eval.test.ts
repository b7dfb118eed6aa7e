import { describe, expect, it } from 'vitest'
import type { FileTagScheme } from '../../../src-shared/domain/dataset'
import {
  classifyErrors,
  entityConfusion,
  evaluateNer,
  extractNerEntities,
  formatReport,
  locateEntity,
  normalizeTags,
  type NerEvaluation,
} from '../../../src-shared/domain/ner-eval'
import { classificationReport, getEntities, type EntityTuple, type PrfSupport } from '../../../src-shared/domain/seqeval'
import { spansToTags, type TokenSpan } from '../../../src-shared/domain/tag-schemes'

type Row = [number, number, number, number]
function expectRow(actual: PrfSupport | NerEvaluation['report']['macro'], expected: Row): void {
  const a = [actual.precision, actual.recall, actual.f1, actual.support]
  expected.forEach((e, i) => expect(a[i]).toBeCloseTo(e, 12))
}

const SCHEMES: FileTagScheme[] = ['iob1', 'iob2', 'iobes', 'bmes', 'bilou']

// seqeval README: y_true / y_pred
const README_TRUE = [['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']]
const README_PRED = [['O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']]

describe('normalizeTags', () => {
  it('renames only the declared scheme’s non-seqeval prefixes', () => {
    const bmes = [['B-PER', 'M-PER', 'E-PER', 'S-LOC', 'O', 'M']]
    expect(normalizeTags(bmes, 'bmes')).toEqual([['B-PER', 'I-PER', 'E-PER', 'S-LOC', 'O', 'I']])
    const bilou = [['B-PER', 'I-PER', 'L-PER', 'U-LOC', 'O']]
    expect(normalizeTags(bilou, 'bilou')).toEqual([['B-PER', 'I-PER', 'E-PER', 'S-LOC', 'O']])
    for (const s of ['iob1', 'iob2', 'iobes'] as const) expect(normalizeTags(bmes, s)).toEqual(bmes)
    expect(normalizeTags(bmes, 'bilou')).toEqual(bmes) // M- is not BILOU's: passed through
    expect(bmes[0]![1]).toBe('M-PER') // input untouched
  })

  it('is needed: seqeval default mode misreads raw M-, L-, U- prefixes', () => {
    // B M B: the first entity is lost (no rule ends a chunk after M)
    expect(getEntities(['B-PER', 'M-PER', 'B-PER'])).toEqual([['PER', 2, 2]])
    expect(getEntities(normalizeTags([['B-PER', 'M-PER', 'B-PER']], 'bmes'))).toEqual([['PER', 0, 1], ['PER', 2, 2]])
    // U U merges into one chunk; B L B loses the first entity
    expect(getEntities(['U-PER', 'U-PER'])).toEqual([['PER', 0, 1]])
    expect(getEntities(normalizeTags([['U-PER', 'U-PER']], 'bilou'))).toEqual([['PER', 0, 0], ['PER', 1, 1]])
    expect(getEntities(['B-PER', 'L-PER', 'B-PER'])).toEqual([['PER', 2, 2]])
    expect(getEntities(normalizeTags([['B-PER', 'L-PER', 'B-PER']], 'bilou'))).toEqual([['PER', 0, 1], ['PER', 2, 2]])
  })

  it('BMES metrics equal seqeval on the IOBES conversion, also for ill-formed sequences', () => {
    const yTrue = [['B-PER', 'M-PER', 'E-PER', 'O', 'S-LOC', 'M-LOC', 'E-LOC'], ['M-ORG', 'B-ORG', 'O']]
    const yPred = [['B-PER', 'M-PER', 'O', 'O', 'S-LOC', 'B-LOC', 'E-LOC'], ['E-ORG', 'B-ORG', 'M-ORG']]
    const iobes = (s: string[][]) => s.map((t) => t.map((x) => x.replace(/^M-/, 'I-')))
    expect(evaluateNer(yTrue, yPred, { mode: 'default', scheme: 'bmes' }).report).toEqual(classificationReport(iobes(yTrue), iobes(yPred)))
    const strict = classificationReport(iobes(yTrue), iobes(yPred), { mode: 'strict', scheme: 'IOBES' })
    expect(evaluateNer(yTrue, yPred, { mode: 'strict', scheme: 'bmes' }).report).toEqual(strict)
  })
})

describe('the same entities in every scheme', () => {
  // Sentence 0 (12 tokens) and 1 (8 tokens). Touching PERs exercise IOB1's B-; 3-token LOC exercises M-/I-.
  const lengths = [12, 8]
  const gold: TokenSpan[][] = [
    [{ start: 0, end: 2, label: 'PER' }, { start: 2, end: 3, label: 'PER' }, { start: 4, end: 7, label: 'LOC' }, { start: 8, end: 9, label: 'ORG' }, { start: 10, end: 12, label: 'MISC' }],
    [{ start: 0, end: 1, label: 'LOC' }, { start: 3, end: 6, label: 'PER' }],
  ]
  const pred: TokenSpan[][] = [
    [{ start: 0, end: 2, label: 'PER' }, { start: 2, end: 4, label: 'PER' }, { start: 4, end: 6, label: 'LOC' }, { start: 8, end: 9, label: 'LOC' }],
    [{ start: 0, end: 1, label: 'LOC' }, { start: 3, end: 5, label: 'ORG' }, { start: 6, end: 8, label: 'MISC' }],
  ]
  const tags = (spans: TokenSpan[][], scheme: FileTagScheme) => spans.map((s, k) => spansToTags(lengths[k]!, s, scheme))
  // Token accuracy is over the tags themselves, so it does depend on the scheme; everything else must not.
  const entityPart = ({ report, precision, recall, f1, confusion, counts }: NerEvaluation) => ({ report, precision, recall, f1, confusion, counts })

  for (const mode of ['default', 'strict'] as const) {
    it(`${mode} mode: identical report, confusion and counts for IOB1, IOB2, IOBES, BMES, BILOU`, () => {
      const results = SCHEMES.map((scheme) => evaluateNer(tags(gold, scheme), tags(pred, scheme), { mode, scheme }))
      results.forEach((r, i) => expect(r.scheme).toBe(SCHEMES[i]))
      for (const r of results.slice(1)) expect(entityPart(r)).toEqual(entityPart(results[0]!))

      const r = results[0]!
      expect(r.report.perType.map((t) => t.type)).toEqual(['LOC', 'MISC', 'ORG', 'PER'])
      expectRow(r.report.perType[0]!, [1 / 3, 1 / 2, 0.4, 2])
      expectRow(r.report.perType[1]!, [0, 0, 0, 1])
      expectRow(r.report.perType[2]!, [0, 0, 0, 1])
      expectRow(r.report.perType[3]!, [1 / 2, 1 / 3, 0.4, 3])
      expectRow(r.report.micro, [2 / 7, 2 / 7, 2 / 7, 7])
      expect(r.counts).toEqual({ goldEntities: 7, predictedEntities: 7, correct: 2 })
      expect(r.confusion.errors).toEqual({ exact: 2, wrongType: 1, wrongBoundary: 2, wrongBoth: 1, missed: 1, spurious: 1 })
      expect(r.confusion.rowLabels).toEqual(['LOC', 'MISC', 'ORG', 'PER', 'spurious'])
      expect(r.confusion.colLabels).toEqual(['LOC', 'MISC', 'ORG', 'PER', 'missed'])
      expect(r.confusion.matrix).toEqual([
        // LOC MISC ORG PER missed
        [2, 0, 0, 0, 0], // LOC: [4,7)~[4,6) boundary, sentence 1 exact
        [0, 0, 0, 0, 1], // MISC missed
        [1, 0, 0, 0, 0], // ORG predicted as LOC (wrong type)
        [0, 0, 1, 2, 0], // PER: exact, [2,3)~[2,4) boundary, sentence 1 -> ORG (wrong both)
        [0, 1, 0, 0, 0], // spurious MISC
      ])
    })
  }

  it('entities come out in flattened coordinates in both modes', () => {
    const yTrue = tags(gold, 'iobes')
    const yPred = tags(pred, 'iobes')
    const d = extractNerEntities(yTrue, yPred, { mode: 'default', scheme: 'iobes' })
    expect(extractNerEntities(yTrue, yPred, { mode: 'strict', scheme: 'iobes' })).toEqual(d)
    expect(d.gold).toEqual([['PER', 0, 1], ['PER', 2, 2], ['LOC', 4, 6], ['ORG', 8, 8], ['MISC', 10, 11], ['LOC', 13, 13], ['PER', 16, 18]])
    expect(locateEntity(yTrue, d.gold[6]!)).toEqual({ sentence: 1, start: 3, end: 6 })
  })
})

describe('strict mode scheme handling', () => {
  it('strict BMES = strict IOBES: an unclosed B M is dropped; default counts it', () => {
    const yTrue = [['B-PER', 'M-PER', 'E-PER', 'O']]
    const yPred = [['B-PER', 'M-PER', 'M-PER', 'O']]
    expect(evaluateNer(yTrue, yPred, { mode: 'default', scheme: 'bmes' }).f1).toBe(1)
    const s = evaluateNer(yTrue, yPred, { mode: 'strict', scheme: 'bmes' })
    expect(s.f1).toBe(0)
    expect(s.counts).toEqual({ goldEntities: 1, predictedEntities: 0, correct: 0 })
    expect(s.confusion.errors.missed).toBe(1)
  })

  it('strict mode rejects prefixes the scheme does not use; default mode reads them', () => {
    const yTrue = [['B-PER', 'I-PER', 'E-PER']]
    expect(() => evaluateNer(yTrue, yTrue, { mode: 'strict', scheme: 'bmes' })).toThrow(/I-PER.*BMES/)
    expect(() => evaluateNer([['B-PER', 'E-PER']], [['B-PER', 'E-PER']], { mode: 'strict', scheme: 'bilou' })).toThrow(/E-PER.*BILOU/)
    expect(() => evaluateNer([['S-PER']], [['S-PER']], { mode: 'strict', scheme: 'iob1' })).toThrow(/S-PER.*IOB1/)
    expect(evaluateNer(yTrue, yTrue, { mode: 'default', scheme: 'bmes' }).f1).toBe(1)
  })

  it('strict IOB1 is seqeval’s IOB1 class: B- after O is invalid', () => {
    const yTrue = [['I-PER', 'I-PER', 'B-PER', 'O']]
    const yPred = [['O', 'B-PER', 'I-PER', 'O']]
    expect(evaluateNer(yTrue, yPred, { mode: 'default', scheme: 'iob1' }).counts).toEqual({ goldEntities: 2, predictedEntities: 1, correct: 0 })
    // strict IOB1: the pred's B- after O is dropped and its I- starts PER(2,2) (seqeval's quirk), which matches gold PER(2,2)
    const s = evaluateNer(yTrue, yPred, { mode: 'strict', scheme: 'iob1' })
    expect(extractNerEntities(yTrue, yPred, { mode: 'strict', scheme: 'iob1' }).pred).toEqual([['PER', 2, 2]])
    expect(s.counts).toEqual({ goldEntities: 2, predictedEntities: 1, correct: 1 })
  })

  it('scheme omitted: detected from yTrue', () => {
    expect(evaluateNer([['B-PER', 'M-PER', 'E-PER']], [['B-PER', 'M-PER', 'E-PER']], { mode: 'default' }).scheme).toBe('bmes')
    expect(evaluateNer([['U-PER', 'O']], [['U-PER', 'O']], { mode: 'strict' }).scheme).toBe('bilou')
    expect(evaluateNer(README_TRUE, README_PRED, { mode: 'default' }).scheme).toBe('iob2')
  })
})

describe('experiment-tools.md worked examples and the seqeval README', () => {
  it('README: f1 0.5, accuracy 0.8, default and strict IOB2, report text digits 2 and 4', () => {
    for (const mode of ['default', 'strict'] as const) {
      const e = evaluateNer(README_TRUE, README_PRED, { mode, scheme: 'iob2' })
      expect([e.precision, e.recall, e.f1, e.accuracy]).toEqual([0.5, 0.5, 0.5, 0.8])
      expect(formatReport(e, 2)).toBe(
        [
          '              precision    recall  f1-score   support',
          '',
          '        MISC       0.00      0.00      0.00         1',
          '         PER       1.00      1.00      1.00         1',
          '',
          '   micro avg       0.50      0.50      0.50         2',
          '   macro avg       0.50      0.50      0.50         2',
          'weighted avg       0.50      0.50      0.50         2',
          '',
        ].join('\n'),
      )
      expect(formatReport(e)).toBe(
        [
          '              precision    recall  f1-score   support',
          '',
          '        MISC     0.0000    0.0000    0.0000         1',
          '         PER     1.0000    1.0000    1.0000         1',
          '',
          '   micro avg     0.5000    0.5000    0.5000         2',
          '   macro avg     0.5000    0.5000    0.5000         2',
          'weighted avg     0.5000    0.5000    0.5000         2',
          '',
        ].join('\n'),
      )
      // MISC: gold [3,5] vs pred [2,5] -> wrong boundary, not missed + spurious
      expect(e.confusion.errors).toEqual({ exact: 1, wrongType: 0, wrongBoundary: 1, wrongBoth: 0, missed: 0, spurious: 0 })
    }
  })

  it('1. test_conll_f1score / test_strict_f1score: I- start is 1.0 in default, 0 in strict IOB2', () => {
    const yTrue = [['B-ORG', 'I-ORG']]
    const yPred = [['I-ORG', 'I-ORG']]
    const d = evaluateNer(yTrue, yPred, { mode: 'default', scheme: 'iob2' })
    expect([d.f1, d.report.micro.f1, d.report.macro.f1, d.report.weighted.f1]).toEqual([1, 1, 1, 1])
    const s = evaluateNer(yTrue, yPred, { mode: 'strict', scheme: 'iob2' })
    expect([s.f1, s.report.micro.f1, s.report.macro.f1, s.report.weighted.f1]).toEqual([0, 0, 0, 0])
    expect(s.confusion.matrix).toEqual([[0, 1], [0, 0]]) // ORG missed
  })

  it('2. test_output_string: support-0 row for C; same text in default and strict', () => {
    const expected = [
      '              precision    recall  f1-score   support',
      '',
      '           A       1.00      0.50      0.67         2',
      '           B       1.00      1.00      1.00         1',
      '           C       0.00      0.00      0.00         0',
      '',
      '   micro avg       0.67      0.67      0.67         3',
      '   macro avg       0.67      0.50      0.56         3',
      'weighted avg       1.00      0.67      0.78         3',
      '',
    ].join('\n')
    for (const mode of ['default', 'strict'] as const) {
      const e = evaluateNer([['B-A', 'B-B', 'O', 'B-A']], [['O', 'B-B', 'B-C', 'B-A']], { mode, scheme: 'iob2' })
      expect(formatReport(e, 2)).toBe(expected)
      expect(e.confusion.errors).toEqual({ exact: 2, wrongType: 0, wrongBoundary: 0, wrongBoth: 0, missed: 1, spurious: 1 })
    }
  })

  it('3. f1_score docstring: per-class [0.5, 1.0]; micro 0.667, macro 0.75, weighted 0.667', () => {
    const yTrue = [['O', 'O', 'B-MISC', 'I-MISC', 'B-MISC', 'O', 'O'], ['B-PER', 'I-PER', 'O']]
    const yPred = [['O', 'O', 'B-MISC', 'I-MISC', 'B-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']]
    const e = evaluateNer(yTrue, yPred, { mode: 'default', scheme: 'iob2' })
    expect(e.report.perType.map((t) => t.f1)).toEqual([0.5, 1])
    expect(e.f1).toBeCloseTo(2 / 3, 12)
    expect(e.report.macro.f1).toBeCloseTo(0.75, 12)
    expect(e.report.weighted.f1).toBeCloseTo(2 / 3, 12)
    expect(formatReport(e, 3).split('\n').slice(5, 8)).toEqual([
      '   micro avg      0.667     0.667     0.667         3',
      '   macro avg      0.750     0.750     0.750         3',
      'weighted avg      0.667     0.667     0.667         3',
    ])
  })

  it('4. IOBES default vs strict: default all 1.00; strict PER 0 (span dropped), micro P 1 R .5 F .67, macro/weighted .5', () => {
    const yTrue = [['B-PER', 'E-PER', 'O', 'S-LOC']]
    const yPred = [['B-PER', 'I-PER', 'O', 'S-LOC']]
    const d = evaluateNer(yTrue, yPred, { mode: 'default', scheme: 'iobes' })
    for (const r of [...d.report.perType, d.report.micro, d.report.macro, d.report.weighted]) expectRow(r, [1, 1, 1, r.support])
    const s = evaluateNer(yTrue, yPred, { mode: 'strict', scheme: 'iobes' })
    expect(s.report.perType.map((t) => t.type)).toEqual(['LOC', 'PER'])
    expectRow(s.report.perType[0]!, [1, 1, 1, 1])
    expectRow(s.report.perType[1]!, [0, 0, 0, 1])
    expectRow(s.report.micro, [1, 0.5, 2 / 3, 2])
    expectRow(s.report.macro, [0.5, 0.5, 0.5, 2])
    expectRow(s.report.weighted, [0.5, 0.5, 0.5, 2])
    expect(formatReport(s, 2).split('\n').slice(5, 8)).toEqual([
      '   micro avg       1.00      0.50      0.67         2',
      '   macro avg       0.50      0.50      0.50         2',
      'weighted avg       0.50      0.50      0.50         2',
    ])
  })
})

describe('classifyErrors', () => {
  const PER0: EntityTuple = ['PER', 0, 1]
  it.each<[string, EntityTuple[], EntityTuple[], { kind: string; gold?: EntityTuple; pred?: EntityTuple }[]]>([
    ['exact match is no error', [PER0], [['PER', 0, 1]], []],
    ['wrong type', [PER0], [['LOC', 0, 1]], [{ kind: 'wrong-type', gold: PER0, pred: ['LOC', 0, 1] }]],
    ['wrong boundary', [['PER', 0, 2]], [['PER', 1, 2]], [{ kind: 'wrong-boundary', gold: ['PER', 0, 2], pred: ['PER', 1, 2] }]],
    ['wrong both', [['PER', 0, 2]], [['ORG', 0, 0]], [{ kind: 'wrong-both', gold: ['PER', 0, 2], pred: ['ORG', 0, 0] }]],
    ['missed and spurious, in document order', [['PER', 3, 3]], [['LOC', 0, 1]], [{ kind: 'spurious', pred: ['LOC', 0, 1] }, { kind: 'missed', gold: ['PER', 3, 3] }]],
    [
      'one prediction over two golds: tie -> earliest gold; the other is missed',
      [['PER', 0, 1], ['LOC', 3, 4]],
      [['PER', 0, 4]],
      [{ kind: 'wrong-boundary', gold: ['PER', 0, 1], pred: ['PER', 0, 4] }, { kind: 'missed', gold: ['LOC', 3, 4] }],
    ],
    [
      'split entity: tie -> earliest prediction; the second half is spurious',
      [['PER', 0, 3]],
      [['PER', 0, 1], ['PER', 2, 3]],
      [{ kind: 'wrong-boundary', gold: ['PER', 0, 3], pred: ['PER', 0, 1] }, { kind: 'spurious', pred: ['PER', 2, 3] }],
    ],
    [
      'larger overlap wins over earlier gold',
      [['A', 0, 1], ['B', 2, 5]],
      [['B', 1, 4]],
      [{ kind: 'missed', gold: ['A', 0, 1] }, { kind: 'wrong-boundary', gold: ['B', 2, 5], pred: ['B', 1, 4] }],
    ],
    [
      'adjacent, not overlapping: missed + spurious',
      [['PER', 0, 1]],
      [['PER', 2, 3]],
      [{ kind: 'missed', gold: ['PER', 0, 1] }, { kind: 'spurious', pred: ['PER', 2, 3] }],
    ],
  ])('%s', (_name, gold, pred, expected) => {
    expect(classifyErrors(gold, pred)).toEqual(expected)
    // input order does not matter
    expect(classifyErrors([...gold].reverse(), [...pred].reverse())).toEqual(expected)
  })

  it('rejects overlapping entities within one list', () => {
    expect(() => classifyErrors([['PER', 0, 2], ['LOC', 2, 3]], [])).toThrow(/gold.*overlap/)
    expect(() => classifyErrors([], [['PER', 0, 0], ['PER', 0, 0]])).toThrow(/predicted.*overlap/)
  })
})

describe('entityConfusion', () => {
  it('wrong type and boundary go to (gold, pred); missed/spurious to the extra column/row', () => {
    const yTrue = [['B-PER', 'I-PER', 'O', 'B-LOC', 'O', 'B-ORG', 'O']]
    const yPred = [['B-PER', 'O', 'O', 'B-ORG', 'O', 'O', 'B-LOC']]
    const c = entityConfusion(yTrue, yPred, { mode: 'default', scheme: 'iob2' })
    expect(c.labels).toEqual(['LOC', 'ORG', 'PER'])
    expect(c.matrix).toEqual([
      [0, 1, 0, 0], // LOC -> ORG
      [0, 0, 0, 1], // ORG missed
      [0, 0, 1, 0], // PER boundary error, still (PER, PER)
      [1, 0, 0, 0], // spurious LOC
    ])
    expect(c.errors).toEqual({ exact: 0, wrongType: 1, wrongBoundary: 1, wrongBoth: 0, missed: 1, spurious: 1 })
  })

  it('no entities at all: empty labels, 1x1 zero matrix', () => {
    const c = entityConfusion([['O']], [['O']], { mode: 'default', scheme: 'iob2' })
    expect(c).toEqual({
      labels: [],
      rowLabels: ['spurious'],
      colLabels: ['missed'],
      matrix: [[0]],
      errors: { exact: 0, wrongType: 0, wrongBoundary: 0, wrongBoth: 0, missed: 0, spurious: 0 },
    })
  })

  it('invariants on random tag sequences: sums, exact = seqeval TP, maximal pairing', () => {
    let seed = 12345
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n)
    const TAGS = ['O', 'O', 'O', 'B-A', 'I-A', 'B-B', 'I-B', 'I-C']
    const sentences = () => Array.from({ length: 1 + rand(6) }, () => 1 + rand(12))
    for (let round = 0; round < 200; round++) {
      const lens = sentences()
      const yTrue = lens.map((n) => Array.from({ length: n }, () => TAGS[rand(TAGS.length)]!))
      const yPred = lens.map((n) => Array.from({ length: n }, () => TAGS[rand(TAGS.length)]!))
      for (const mode of ['default', 'strict'] as const) {
        const e = evaluateNer(yTrue, yPred, { mode, scheme: 'iob2' })
        const { gold, pred } = extractNerEntities(yTrue, yPred, { mode, scheme: 'iob2' })
        const { matrix, labels, errors } = e.confusion
        const n = labels.length
        expect(labels).toEqual(e.report.perType.map((t) => t.type))
        labels.forEach((l, i) => {
          expect(matrix[i]!.reduce((a, b) => a + b, 0)).toBe(gold.filter((g) => g[0] === l).length)
          expect(matrix.reduce((a, r) => a + r[i]!, 0)).toBe(pred.filter((p) => p[0] === l).length)
          expect(e.report.perType[i]!.support).toBe(gold.filter((g) => g[0] === l).length)
        })
        expect(matrix[n]![n]).toBe(0)
        const tp = e.report.perType.reduce((a, t) => a + Math.round(t.recall * t.support), 0)
        expect(errors.exact).toBe(tp)
        expect(e.counts).toEqual({ goldEntities: gold.length, predictedEntities: pred.length, correct: tp })
        expect(errors.exact + errors.wrongType + errors.wrongBoundary + errors.wrongBoth + errors.missed).toBe(gold.length)
        expect(errors.exact + errors.wrongType + errors.wrongBoundary + errors.wrongBoth + errors.spurious).toBe(pred.length)
        // maximal: a missed gold and a spurious prediction never overlap
        const recs = classifyErrors(gold, pred)
        for (const m of recs.filter((r) => r.kind === 'missed')) {
          for (const s of recs.filter((r) => r.kind === 'spurious')) expect(m.gold![2] < s.pred![1] || s.pred![2] < m.gold![1]).toBe(true)
        }
        expect(recs.length).toBe(gold.length + pred.length - 2 * errors.exact - errors.wrongType - errors.wrongBoundary - errors.wrongBoth)
      }
    }
  })
})

describe('evaluateNer record', () => {
  it('is plain JSON; NaN macro scores become null', () => {
    const e = evaluateNer([['O', 'O']], [['O', 'O']], { mode: 'default', scheme: 'iob2' })
    expect(e.report.macro).toEqual({ precision: null, recall: null, f1: null, support: 0 })
    expect(JSON.parse(JSON.stringify(e))).toEqual(e)
    expect(e).toEqual(JSON.parse(JSON.stringify(e)))
    expect(e.accuracy).toBe(1)
    expect(formatReport(e, 2)).toBe(
      [
        '              precision    recall  f1-score   support',
        '',
        '',
        '   micro avg       0.00      0.00      0.00         0',
        '   macro avg        nan       nan       nan         0',
        'weighted avg       0.00      0.00      0.00         0',
        '',
      ].join('\n'),
    )
    const full = evaluateNer(README_TRUE, README_PRED, { mode: 'strict', scheme: 'iob2', zeroDivision: 1 })
    expect(JSON.parse(JSON.stringify(full))).toEqual(full)
    expect(full).toMatchObject({ mode: 'strict', scheme: 'iob2', zeroDivision: 1 })
  })

  it('passes zeroDivision through', () => {
    const e = evaluateNer([['B-PER', 'O']], [['O', 'O']], { mode: 'default', scheme: 'iob2', zeroDivision: 1 })
    expectRow(e.report.perType[0]!, [1, 0, 0, 1])
    expect(e.precision).toBe(1)
  })

  it('throws on mismatched shapes and on zero tokens', () => {
    expect(() => evaluateNer([['O']], [['O', 'O']], { mode: 'default' })).toThrow(/sentence 0/)
    expect(() => evaluateNer([], [], { mode: 'default', scheme: 'iob2' })).toThrow()
  })
})

describe('formatReport', () => {
  it('rounds half to even like Python (0.125 -> 0.12, 0.375 -> 0.38), widens for long labels', () => {
    // 1 correct of 8 predictions: precision 0.125 exactly; 3 of 8: 0.375
    const yTrue = [['B-LONG_ENTITY_TYPE', 'O', 'B-X', 'B-X', 'B-X', 'O', 'O', 'O']]
    const yPred = [Array.from({ length: 8 }, (_, i) => (i === 0 ? 'B-LONG_ENTITY_TYPE' : 'B-X'))]
    // LONG: P 1, R 1. X: gold 3 (2,3,4), pred 7 (1..7), TP 3 -> P 3/7. micro P = 4/8 = 0.5
    const e = evaluateNer(yTrue, yPred, { mode: 'default', scheme: 'iob2' })
    const lines = formatReport(e, 2).split('\n')
    // width 16 = len('LONG_ENTITY_TYPE')
    expect(lines[0]).toBe(`${' '.repeat(16)}  precision    recall  f1-score   support`)
    expect(lines[2]).toBe('LONG_ENTITY_TYPE       1.00      1.00      1.00         1')
    expect(lines[3]).toBe(`${' '.repeat(15)}X       0.43      1.00      0.60         3`)
    const tie = { report: { ...e.report, perType: [{ type: 'T', precision: 0.125, recall: 0.375, f1: 0.625, support: 8 }] } }
    expect(formatReport(tie, 2).split('\n')[2]).toBe('           T       0.12      0.38      0.62         8')
    expect(formatReport(tie, 1).split('\n')[2]).toBe('           T        0.1       0.4       0.6         8')
    expect(formatReport({ report: { ...tie.report, perType: [{ type: 'T', precision: 0.5, recall: 1, f1: 0, support: 0 }] } }, 0).split('\n')[2]).toBe(
      '           T          0         1         0         0',
    )
  })

  it('counts label width in code points, like Python len()', () => {
    const wide = '𝒳'.repeat(13) // 13 code points, 26 UTF-16 units: width 13, not 26
    const e = evaluateNer([[`B-${wide}`, 'B-組織']], [['O', 'O']], { mode: 'default', scheme: 'iob2' })
    const lines = formatReport(e, 2).split('\n')
    expect(lines[0]).toBe(`${' '.repeat(13)}  precision    recall  f1-score   support`)
    // rows by code point: 組 U+7D44 before 𝒳 U+1D4B3
    expect(lines[2]).toBe(`${' '.repeat(11)}組織       0.00      0.00      0.00         1`)
    expect(lines[3]).toBe(`${wide}       0.00      0.00      0.00         1`)
  })

  it('rejects bad digits', () => {
    const e = evaluateNer(README_TRUE, README_PRED, { mode: 'default' })
    expect(() => formatReport(e, -1)).toThrow(RangeError)
    expect(() => formatReport(e, 1.5)).toThrow(RangeError)
  })
})

describe('locateEntity', () => {
  it('maps flattened offsets back to sentences; rejects separator positions', () => {
    const s = [['B-PER', 'I-PER'], ['O', 'B-LOC']]
    const [per, loc] = getEntities(s)
    expect(locateEntity(s, per!)).toEqual({ sentence: 0, start: 0, end: 2 })
    expect(locateEntity(s, loc!)).toEqual({ sentence: 1, start: 1, end: 2 })
    expect(() => locateEntity(s, ['X', 2, 2])).toThrow(RangeError)
    expect(() => locateEntity(s, ['X', 1, 3])).toThrow(RangeError)
    expect(() => locateEntity(s, ['X', 5, 5])).toThrow(RangeError)
  })
})
