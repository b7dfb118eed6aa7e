/**
 * Model folders for the serving tests, built from the tiny-bert fixture: as it is (a random but
 * fixed model), or with its classifier biased so that it tags every word as one entity type,
 * which makes the expected spans the words of the text.
 */
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { loadTokenClassifier, saveTokenClassifier } from '../../../src-main/engine/model/io'
import { disposeParams } from '../../../src-main/engine/model/bert'
import { CLASSIFIER_BIAS } from '../../../src-main/engine/heads/token-classification'
import { TINY_BERT, tinyTokenizer } from '../../helpers/toy-ner'
import type { ModelSpec } from '../../../src-main/serve/model'

/** A copy of tiny-bert whose every word is predicted as a `label` entity (B-label on each word). */
export function everyWordModel(dir: string, label: 'PER' | 'LOC' = 'PER'): string {
  const { model } = loadTokenClassifier(TINY_BERT)
  const bias = model.params.get(CLASSIFIER_BIAS)!
  const values = Array.from(bias.dataSync())
  const target = model.labels.indexOf(`B-${label}`)
  values.forEach((_, i) => (values[i] = i === target ? 50 : -50))
  tf.tidy(() => bias.assign(tf.tensor1d(values)))
  const out = join(dir, 'every-word')
  saveTokenClassifier(model, out, { tokenizer: tinyTokenizer() })
  disposeParams(model.params)
  return out
}

export function spec(dir: string, over: Partial<ModelSpec> = {}): ModelSpec {
  return { dir, runId: 7, name: 'fixture', maxLength: 32, labelAllSubtokens: false, batchSize: 8, ...over }
}
