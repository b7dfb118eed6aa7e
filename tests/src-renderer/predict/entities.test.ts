import { describe, expect, it } from 'vitest'
import {
  aboveThreshold,
  confidenceLevel,
  countByLabel,
  defaultExportFormat,
  entitiesOf,
  entitySegments,
  formatConfidence,
  labelColor,
  predictionFileName,
  predictsAsYouType,
  textProblem,
  AUTO_PREDICT_MAX_CHARS,
  MAX_TEXT_CHARS,
} from '../../../src-renderer/src/predict/entities'
import { LABEL_PALETTE } from '../../../src-shared/domain/project'

const colors = new Map([
  ['PER', '#e8590c'],
  ['LOC', '#1c7ed6'],
])
const colorOf = (l: string): string => labelColor(l, colors)

describe('predicted entities on the text', () => {
  it('cuts the text at UTF-16 offsets, so CJK and astral characters highlight exactly', () => {
    const text = '𠮷约翰住在上海。'
    const spans = [
      { start: 6, end: 8, label: 'LOC', confidence: 0.8 },
      { start: 2, end: 4, label: 'PER', confidence: 0.95 },
    ]
    const entities = entitiesOf(text, spans, colorOf)
    expect(entities.map((e) => [e.text, e.label, e.index, e.color])).toEqual([
      ['约翰', 'PER', 1, '#e8590c'],
      ['上海', 'LOC', 0, '#1c7ed6'],
    ])
    expect(entitySegments(text, entities).map((s) => [s.text, s.entity?.label ?? null])).toEqual([
      ['𠮷', null],
      ['约翰', 'PER'],
      ['住在', null],
      ['上海', 'LOC'],
      ['。', null],
    ])
  })

  it('drops spans that do not fit the text (a prediction for another text)', () => {
    expect(entitiesOf('short', [{ start: 2, end: 9, label: 'PER', confidence: 1 }, { start: 3, end: 3, label: 'PER', confidence: 1 }], colorOf)).toEqual([])
  })

  it('hides entities below the threshold, keeping those exactly at it', () => {
    const e = [{ confidence: 0.2 }, { confidence: 0.5 }, { confidence: 0.99 }]
    expect(aboveThreshold(e, 0)).toHaveLength(3)
    expect(aboveThreshold(e, 0.5)).toEqual([{ confidence: 0.5 }, { confidence: 0.99 }])
    expect(aboveThreshold(e, 1)).toEqual([])
  })

  it('shows confidences as whole percents without rounding to 0% or 100%', () => {
    expect(formatConfidence(0.966)).toBe('97%')
    expect(formatConfidence(0.998)).toBe('99%')
    expect(formatConfidence(1)).toBe('100%')
    expect(formatConfidence(0.001)).toBe('1%')
    expect(formatConfidence(0)).toBe('0%')
    expect([0.95, 0.9, 0.75, 0.6, 0.59].map(confidenceLevel)).toEqual(['high', 'high', 'medium', 'medium', 'low'])
  })

  it('colours labels as the project does, and others with a stable palette colour', () => {
    expect(colorOf('PER')).toBe('#e8590c')
    expect(LABEL_PALETTE).toContain(colorOf('MISC'))
    expect(colorOf('MISC')).toBe(colorOf('MISC'))
    expect(countByLabel(entitiesOf('ab cd ef', [{ start: 0, end: 2, label: 'LOC', confidence: 1 }, { start: 3, end: 5, label: 'PER', confidence: 1 }, { start: 6, end: 8, label: 'LOC', confidence: 1 }], colorOf))).toEqual([
      { label: 'LOC', color: '#1c7ed6', count: 2 },
      { label: 'PER', color: '#e8590c', count: 1 },
    ])
  })
})

describe('when to predict', () => {
  it('predicts as you type only short texts that are not blank', () => {
    expect(predictsAsYouType('hello mary')).toBe(true)
    expect(predictsAsYouType('   \n')).toBe(false)
    expect(predictsAsYouType('x'.repeat(AUTO_PREDICT_MAX_CHARS))).toBe(true)
    expect(predictsAsYouType('x'.repeat(AUTO_PREDICT_MAX_CHARS + 1))).toBe(false)
  })

  it('says why a text cannot be predicted', () => {
    expect(textProblem('hello')).toBeNull()
    expect(textProblem(' ')).toMatch(/Type or paste/)
    expect(textProblem('x'.repeat(MAX_TEXT_CHARS))).toBeNull()
    expect(textProblem('x'.repeat(MAX_TEXT_CHARS + 1))).toMatch(/1,000,001 characters long.*as a file/)
  })
})

describe('exported predictions', () => {
  it('are named after the file, with the format extension (a folder for brat)', () => {
    expect(predictionFileName('notes.txt', 'doccano')).toBe('notes-predictions.jsonl')
    expect(predictionFileName('我的 笔记.tar.conll', 'conll')).toBe('我的_笔记.tar-predictions.conll')
    expect(predictionFileName('notes.txt', 'brat')).toBe('notes-predictions')
    expect(predictionFileName('.txt', 'label-studio')).toBe('predictions-predictions.json')
  })

  it('default to the file format, doccano for plain text and brat', () => {
    expect(defaultExportFormat('conll')).toBe('conll')
    expect(defaultExportFormat('text')).toBe('doccano')
    expect(defaultExportFormat('brat')).toBe('doccano')
  })
})
