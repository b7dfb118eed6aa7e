import { describe, expect, it } from 'vitest'
import { PretrainRunConfig, RunConfig, runConfigProblems } from '../../../src-shared/domain/run-config'

const problems = (schema: typeof PretrainRunConfig | typeof RunConfig, config: unknown): string[] => {
  const r = schema.safeParse(config)
  return r.success ? [] : runConfigProblems(r.error)
}

describe('run configs: a bad model says what is expected', () => {
  it('names a missing model, a value of the wrong type, and the field of a new model that is wrong', () => {
    expect(problems(PretrainRunConfig, { epochs: 1 })).toEqual(['model: required: the folder of the model to start from, or {"scratch": {...}} for a new one'])
    expect(problems(PretrainRunConfig, { model: 3 })).toEqual(['model: expected the folder of a model (a path) or {"scratch": {...}} for a new one'])
    expect(problems(PretrainRunConfig, { model: { scratch: { vocab: 5 } } })[0]).toMatch(/^model: scratch\.vocab: .*expected string/)
    expect(problems(PretrainRunConfig, { model: '/models/bert' })).toEqual([])
    // A fine-tuning run may leave the model out (it then uses the default), but not give a wrong one.
    expect(problems(RunConfig, { model: 3 })).toEqual(['model: expected the folder of a model (a path) or {"scratch": {...}} for a new one'])
  })
})
