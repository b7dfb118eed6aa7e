/**
 * The token-classification head (transformers' BertForTokenClassification: dropout, then a
 * Linear from hidden to one logit per tag) and its loss: mean cross-entropy over the tokens
 * whose label is not -100, with optional label smoothing and class weights.
 */
import * as tf from '@tensorflow/tfjs'
import { bertForward, type BertInputs, type BertModel, type ForwardOptions, type ParamMap } from '../model/bert'
import { dropout, linear } from '../ops/layers'
import { variableFrom } from '../ops/variables'
import type { AllowedTransitions } from './crf'

export const IGNORE_INDEX = -100
export const CLASSIFIER_WEIGHT = 'classifier.weight'
export const CLASSIFIER_BIAS = 'classifier.bias'

export interface TokenClassifier extends BertModel {
  /** Tag names by id, 'O' usually first. */
  labels: string[]
  /** Set when the model has a CRF head (heads/crf-head.ts): the scheme's allowed transitions. */
  crf?: AllowedTransitions
}

/** A fresh head (weights N(0, initializer_range), zero bias) added to `params`. */
export function initClassifierHead(params: ParamMap, hidden: number, numLabels: number, std: number, seed: number): void {
  const w = tf.tidy(() => tf.randomNormal([hidden, numLabels], 0, std, 'float32', seed * 7919 + 104729))
  params.set(CLASSIFIER_WEIGHT, variableFrom(w))
  params.set(CLASSIFIER_BIAS, variableFrom(tf.zeros([numLabels])))
}

export interface ClassifierOutput {
  /** [batch, seq, labels] */
  logits: tf.Tensor3D
  hiddenStates?: tf.Tensor3D[]
}

export function classifierForward(model: TokenClassifier, inputs: BertInputs, options: ForwardOptions): ClassifierOutput {
  const out = bertForward(model, inputs, options)
  let h: tf.Tensor = out.lastHidden
  if (options.training) h = dropout(h, model.config.hidden_dropout_prob, options.seed === undefined ? undefined : options.seed * 131 + 99)
  const w = model.params.get(CLASSIFIER_WEIGHT) as tf.Variable<tf.Rank.R2> | undefined
  const b = model.params.get(CLASSIFIER_BIAS) as tf.Variable<tf.Rank.R1> | undefined
  if (!w || !b) throw new Error('the model has no token-classification head')
  return { logits: linear(h, w, b) as tf.Tensor3D, hiddenStates: out.hiddenStates }
}

export interface LossOptions {
  /** transformers' label_smoothing_factor: (1-ε)·NLL + ε·mean over classes of -log p. */
  labelSmoothing?: number
  /** A weight per tag id (e.g. higher for rare entity types); the mean is weighted as torch's. */
  classWeights?: Float32Array | number[]
}

/** Mean token cross-entropy; labels int32 [batch, seq] with -100 where ignored. Returns a scalar. */
export function tokenCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, options: LossOptions = {}): tf.Scalar {
  const numLabels = logits.shape[logits.shape.length - 1]!
  const flatLogits = logits.reshape([-1, numLabels])
  const flatLabels = labels.reshape([-1]).toInt()
  const active = tf.cast(tf.greaterEqual(flatLabels, 0), 'float32')
  const safe = tf.maximum(flatLabels, tf.scalar(0, 'int32'))
  const logp = tf.logSoftmax(flatLogits)
  const oneHot = tf.oneHot(safe, numLabels)
  let perToken = tf.neg(tf.sum(tf.mul(oneHot, logp), -1))
  const eps = options.labelSmoothing ?? 0
  if (eps > 0) perToken = tf.add(tf.mul(perToken, 1 - eps), tf.mul(tf.neg(tf.mean(logp, -1)), eps))
  let weights = active
  if (options.classWeights) {
    const cw = tf.tensor1d(Array.from(options.classWeights), 'float32')
    weights = tf.mul(active, tf.gather(cw, safe))
  }
  return tf.div(tf.sum(tf.mul(perToken, weights)), tf.maximum(tf.sum(weights), 1e-12)) as tf.Scalar
}
