import { describe, expect, it } from 'vitest'
import type { RunTableRow } from '../../../src-shared/domain/run-compare'
import { runTableRow } from '../../helpers/run-rows'
import { choiceLabel, defaultChoice, hasSavedModel, modelChoices } from '../../../src-renderer/src/predict/models'

function row(id: number, over: Partial<RunTableRow['run']> = {}, testF1: number | null = 0.75): RunTableRow {
  return runTableRow(id, over, { modelName: 'tiny-bert', test: testF1 === null ? null : { precision: testF1, recall: testF1, f1: testF1 } })
}

describe('the model picker', () => {
  it('offers runs that saved a model: completed ones, and stopped ones with a best checkpoint', () => {
    expect(hasSavedModel(row(1).run)).toBe(true)
    expect(hasSavedModel(row(2, { status: 'cancelled', bestStep: 6 }).run)).toBe(true)
    expect(hasSavedModel(row(3, { status: 'failed', bestStep: null }).run)).toBe(false)
    expect(hasSavedModel(row(4, { status: 'interrupted', bestStep: null }).run)).toBe(false)
    // Training or waiting: the checkpoint may be half written, or not there yet.
    expect(hasSavedModel(row(5, { status: 'running', bestStep: 6 }).run)).toBe(false)
    expect(hasSavedModel(row(6, { status: 'queued', bestStep: null }).run)).toBe(false)
  })

  it('lists the best test F1 first, then runs without a test score, newest first', () => {
    const rows = [row(1, {}, 0.6), row(2, { status: 'running' }, null), row(3, {}, null), row(4, {}, 0.9), row(5, { status: 'failed', bestStep: null }, null), row(6, {}, null)]
    expect(modelChoices(rows).map((c) => c.id)).toEqual([4, 1, 6, 3])
  })

  it('shows name, id, test and dev F1, and the status when it is not completed', () => {
    const [done, stopped] = modelChoices([row(7, { name: 'tiny mixed', bestMetric: 0.9 }, 0.9123), row(8, { name: 'early', status: 'cancelled', bestMetric: null }, null)])
    expect(choiceLabel(done!)).toBe('tiny mixed #7 · test F1 91.2 · dev F1 90.0')
    expect(choiceLabel(stopped!)).toBe('early #8 · test F1 — · dev F1 — (cancelled)')
  })

  it('selects the run asked for when it can predict, else the best one', () => {
    const choices = modelChoices([row(1, {}, 0.6), row(2, {}, 0.8), row(3, { status: 'queued', bestStep: null })])
    expect(defaultChoice(choices, 1)).toBe(1)
    expect(defaultChoice(choices, 3)).toBe(2)
    expect(defaultChoice(choices, null)).toBe(2)
    expect(defaultChoice([], 1)).toBeNull()
  })
})
