/**
 * Multi-head scaled dot-product self-attention from the fused projection qkv [B·S, 3·H], with
 * its backward pass written out. Heads are laid out head-major ([NH·B, S, dh] blocks, reached
 * from qkv with one cheap 3-D transpose), and every product is a batch of plain 2-D matMuls
 * (blockMatMul): on wasm a batched or transposed tf.matMul falls to a slow generic loop, about
 * 6x slower for these shapes. The explicit per-block transposes are 3-D and cheap.
 */
import * as tf from '@tensorflow/tfjs'
import { blockMatMul, transposeBlocks } from './layers'

export interface AttentionShape {
  batch: number
  seq: number
  heads: number
}

/** The dropout multiplier tf.dropout uses: floor(u + keep) / keep, u uniform in [0, 1). */
function dropoutMultiplier(shape: number[], rate: number, seed: number): tf.Tensor {
  const keep = 1 - rate
  return tf.div(tf.floor(tf.add(tf.randomUniform(shape, 0, 1, 'float32', seed), keep)), keep)
}

/**
 * softmax(Q·Kᵀ/√dh + bias)·V per head, heads concatenated: [B·S, H]. `bias` is the additive
 * mask [B, 1, 1, S] (attentionBias). Dropout on the probabilities applies when rate > 0 and a
 * seed is given.
 */
export function selfAttention(qkv: tf.Tensor2D, bias: tf.Tensor, shape: AttentionShape, dropoutRate = 0, seed?: number): tf.Tensor2D {
  const { batch: B, seq: S, heads: NH } = shape
  const [N, H3] = qkv.shape
  const H = H3 / 3
  const dh = H / NH
  if (N !== B * S || !Number.isInteger(dh)) throw new Error(`selfAttention: qkv [${qkv.shape}] does not fit batch ${B} × seq ${S} with ${NH} heads`)
  const blocks = NH * B
  const scale = 1 / Math.sqrt(dh)
  const bias4 = bias.reshape([1, B, 1, S])
  const useDropout = dropoutRate > 0 && seed !== undefined

  const run = tf.customGrad((x, save) => {
    // [N, 3·NH, dh] -> [3·NH, N, dh], i.e. [3][NH·B blocks][S][dh]
    const t = tf.transpose((x as tf.Tensor2D).reshape([N, 3 * NH, dh]), [1, 0, 2]).reshape([3, blocks * S * dh])
    const [q, k, v] = tf.split(t, 3, 0).map((p) => p.reshape([blocks, S, dh])) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D]
    const qs = tf.mul(q, scale) as tf.Tensor3D
    const scores = tf.add(blockMatMul(qs, transposeBlocks(k)).reshape([NH, B, S, S]), bias4)
    const probs = tf.softmax(scores).reshape([blocks, S, S]) as tf.Tensor3D
    const mult = useDropout ? dropoutMultiplier([blocks, S, S], dropoutRate, seed!) : undefined
    const dropped = mult ? (tf.mul(probs, mult) as tf.Tensor3D) : probs
    const context = blockMatMul(dropped, v)
    ;(save as tf.GradSaveFunc)(mult ? [qs, k, v, probs, mult] : [qs, k, v, probs])
    return {
      value: tf.transpose(context.reshape([NH, N, dh]), [1, 0, 2]).reshape([N, H]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sq, sk, sv, sp, sm] = saved as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D | undefined]
        const dctx = tf.transpose(dy.reshape([N, NH, dh]), [1, 0, 2]).reshape([blocks, S, dh]) as tf.Tensor3D
        const pd = sm ? (tf.mul(sp, sm) as tf.Tensor3D) : sp
        const dv = blockMatMul(transposeBlocks(pd), dctx)
        let dp: tf.Tensor = blockMatMul(dctx, transposeBlocks(sv))
        if (sm) dp = tf.mul(dp, sm)
        // softmax: ds = p · (dp - Σ dp·p)
        const ds = tf.mul(sp, tf.sub(dp, tf.sum(tf.mul(dp, sp), -1, true))) as tf.Tensor3D
        const dq = tf.mul(blockMatMul(ds, sk), scale)
        const dk = blockMatMul(transposeBlocks(ds), sq)
        const dt = tf.concat([dq, dk, dv], 0).reshape([3 * NH, N, dh])
        return [tf.transpose(dt, [1, 0, 2]).reshape([N, H3])]
      },
    }
  }) as (x: tf.Tensor2D) => tf.Tensor2D
  return run(qkv)
}
