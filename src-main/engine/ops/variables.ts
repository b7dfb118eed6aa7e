import * as tf from '@tensorflow/tfjs'

/**
 * A variable holding `value`, which is then released: tf.variable keeps its own reference to
 * the data, so an initial tensor left undisposed would stay counted (and alive) forever.
 */
export function variableFrom(value: tf.Tensor, trainable = true): tf.Variable {
  const v = tf.variable(value, trainable)
  value.dispose()
  return v
}
