/**
 * A CRF over the token-classification logits as a model head: its scores live in the model's
 * params ('crf.transitions', 'crf.start', 'crf.end'), training uses the CRF's negative
 * log-likelihood over the labelled positions (each word's first token), and prediction decodes
 * with Viterbi under the scheme's allowed transitions, so no invalid tag sequence comes out.
 */
import * as tf from '@tensorflow/tfjs'
import { allowedTransitions, crfDecodeTokens, initCrfParams, type AllowedTransitions, type CrfParams } from './crf'
import type { TokenClassifier } from './token-classification'
import type { TagSet } from '../data'

export const CRF_PARAM_NAMES = ['crf.transitions', 'crf.start', 'crf.end'] as const

export function addCrfHead(model: TokenClassifier, tagSet: TagSet): void {
  if (!model.params.has('crf.transitions')) {
    const p = initCrfParams(tagSet.tags.length)
    model.params.set('crf.transitions', p.transitions)
    model.params.set('crf.start', p.start)
    model.params.set('crf.end', p.end)
  }
  model.crf = allowedTransitions(tagSet)
}

export function crfParamsOf(model: TokenClassifier): CrfParams {
  const get = (n: string): tf.Variable => {
    const v = model.params.get(n)
    if (!v) throw new Error(`the model has no ${n} (no CRF head)`)
    return v
  }
  return { transitions: get('crf.transitions') as tf.Variable<tf.Rank.R2>, start: get('crf.start') as tf.Variable<tf.Rank.R1>, end: get('crf.end') as tf.Variable<tf.Rank.R1> }
}

/**
 * Viterbi tags at the selected positions, written as probability rows: the chosen tag keeps its
 * softmax probability (the confidence shown to people), every other tag 0, so reading the
 * argmax gives back exactly the Viterbi path. Unselected positions keep their softmax rows.
 */
export function crfProbabilities(logits: Float32Array, probs: Float32Array, batchSize: number, seqLength: number, select: Uint8Array, model: TokenClassifier & { crf: AllowedTransitions }): Float32Array {
  const numTags = probs.length / (batchSize * seqLength)
  const p = crfParamsOf(model)
  const values = { transitions: p.transitions.dataSync(), start: p.start.dataSync(), end: p.end.dataSync() }
  const tags = crfDecodeTokens(logits, batchSize, seqLength, select, values, model.crf)
  const out = probs.slice()
  for (let i = 0; i < tags.length; i++) {
    const t = tags[i]!
    if (t < 0) continue
    const row = i * numTags
    const chosen = out[row + t]!
    out.fill(0, row, row + numTags)
    out[row + t] = chosen
  }
  return out
}
