/**
 * Adversarial perturbations of the word embeddings (the gathered vectors of a batch, so the
 * embedding table itself is never modified and needs no restoring):
 *  - FGM: one step of size epsilon along the gradient, normalised by its L2 norm over the batch;
 *  - PGD: `steps` steps of size alpha along the normalised gradient, each projected back into
 *    the L2 ball of radius epsilon.
 * Adversarial training adds the loss on the perturbed input to the normal loss (their
 * gradients are summed); robustness evaluation predicts on the perturbed input.
 */
import * as tf from '@tensorflow/tfjs'
import { classifierForward, tokenCrossEntropy, type LossOptions, type TokenClassifier } from '../heads/token-classification'
import { batchInputs, type GradientResult, type TensorBatch } from '../train/step'

export interface AttackConfig {
  method: 'fgm' | 'pgd'
  epsilon: number
  /** PGD step size (default epsilon / steps * 2, capped at epsilon). */
  alpha?: number
  /** PGD steps (default 3). */
  steps?: number
}

const NORM_FLOOR = 1e-12

function lossWithDelta(model: TokenClassifier, batch: TensorBatch, delta: tf.Tensor, training: boolean, seed: number | undefined, loss?: LossOptions): tf.Scalar {
  const inputs = batchInputs(batch)
  const labels = tf.tensor2d(batch.labels!, [batch.batchSize, batch.seqLength], 'int32')
  const { logits } = classifierForward(model, inputs, { training, seed, wordEmbeddingDelta: delta })
  return tokenCrossEntropy(logits, labels, loss)
}

/** L2 norm of a tensor (over all its elements), as a number. */
export function l2Norm(t: tf.Tensor): number {
  const n = tf.tidy(() => tf.norm(t))
  const v = n.dataSync()[0]!
  n.dispose()
  return v
}

/**
 * The perturbation δ [batch, seq, hidden] that raises the loss of `batch` (which must carry
 * labels), with ‖δ‖₂ = epsilon for FGM (unless the gradient is zero) and ≤ epsilon for PGD.
 * The caller disposes it.
 */
export function embeddingPerturbation(model: TokenClassifier, batch: TensorBatch, attack: AttackConfig, options: { training: boolean; seed?: number; loss?: LossOptions }): tf.Tensor {
  if (!batch.labels) throw new Error('an adversarial perturbation needs the batch labels')
  const shape = [batch.batchSize, batch.seqLength, model.config.hidden_size]
  const steps = attack.method === 'fgm' ? 1 : attack.steps ?? 3
  const alpha = attack.method === 'fgm' ? attack.epsilon : Math.min(attack.epsilon, attack.alpha ?? (2 * attack.epsilon) / steps)
  let delta: tf.Tensor = tf.zeros(shape)
  for (let k = 0; k < steps; k++) {
    const next = tf.tidy(() => {
      const g = tf.grad((d: tf.Tensor) => lossWithDelta(model, batch, d, options.training, options.seed, options.loss))(delta)
      const step = tf.mul(g, alpha / Math.max(NORM_FLOOR, tf.norm(g).dataSync()[0]!))
      let d = tf.add(delta, step)
      if (attack.method === 'pgd') {
        const n = tf.norm(d).dataSync()[0]!
        if (n > attack.epsilon) d = tf.mul(d, attack.epsilon / n)
      }
      return d
    })
    delta.dispose()
    delta = next
  }
  return delta
}

/**
 * Loss and gradients of the trainable parameters on the clean batch plus the same batch under
 * the attack, summed (as FGM/PGD training does). `loss` is the clean loss; `adversarialLoss` too.
 */
export function adversarialLossAndGradients(
  model: TokenClassifier,
  batch: TensorBatch,
  trainable: readonly string[],
  options: { seed: number; loss?: LossOptions; scale?: number; attack: AttackConfig },
): GradientResult & { adversarialLoss: number } {
  const vars = trainable.map((n) => model.params.get(n)!)
  const scale = options.scale ?? 1
  const delta = embeddingPerturbation(model, batch, options.attack, { training: true, seed: options.seed, loss: options.loss })
  let cleanKept: tf.Tensor | undefined
  const { value, grads } = tf.tidy(() =>
    tf.variableGrads(() => {
      const clean = lossWithDelta(model, batch, tf.zerosLike(delta), true, options.seed, options.loss)
      cleanKept = tf.keep(clean)
      const adv = lossWithDelta(model, batch, delta, true, options.seed, options.loss)
      return tf.mul(tf.add(clean, adv), scale) as tf.Scalar
    }, vars),
  )
  const clean = cleanKept!.dataSync()[0]!
  const total = value.dataSync()[0]! / scale
  cleanKept!.dispose()
  value.dispose()
  delta.dispose()
  const out = new Map<string, tf.Tensor>()
  trainable.forEach((name, i) => {
    const g = grads[vars[i]!.name]
    if (g) out.set(name, g)
  })
  return { loss: clean, adversarialLoss: total - clean, grads: out }
}

/** Tag probabilities under the attack (robustness evaluation: the gold labels steer it). */
export function predictPerturbed(model: TokenClassifier, batch: TensorBatch, attack: AttackConfig): Float32Array {
  const delta = embeddingPerturbation(model, batch, attack, { training: false })
  const probs = tf.tidy(() => tf.softmax(classifierForward(model, batchInputs(batch), { training: false, wordEmbeddingDelta: delta }).logits))
  delta.dispose()
  const data = probs.dataSync() as Float32Array
  probs.dispose()
  return data
}
