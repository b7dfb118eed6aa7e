/**
 * Training speed of the engine: a from-scratch BERT token classifier of the given shape, random
 * (seeded) token ids and labels, and exactly the work of one step of train/loop.ts: loss and
 * gradients of every parameter (word embeddings included), global-norm clipping, AdamW with
 * weight decay. Prints a summary and, last, one JSON line.
 *
 *   npm run bench:train -- --vocab 21128 --hidden 256 --layers 4 --heads 4 --seq 64 --batch 16 [--steps 10 --warmup 2] [--torch] [--profile] [--matmul-threads]
 */
import * as tf from '@tensorflow/tfjs'
import { AdamW, clipByGlobalNorm } from '../src-main/engine/optim/adamw'
import { disposeGrads, lossAndGradients } from '../src-main/engine/train/step'
import { parseFlags, profileKernels, report, setUp, takeMatMulThreadsFlag, timeSteps, useMatMulThreads } from './lib/engine-bench'

const flags = takeMatMulThreadsFlag(process.argv.slice(2))
const o = parseFlags(flags.argv, 'train')
const bench = await setUp(o)
if (flags.twoThreads) await useMatMulThreads(bench)
const { model, batches } = bench
const trainable = [...model.params.keys()]
const optimizer = new AdamW({ weightDecay: o.weightDecay })
const losses: number[] = []

function step(i: number): void {
  const batch = batches[i % batches.length]!
  const seed = (o.seed * 1_000_003 + i * 7919) % 2147483647
  const r = lossAndGradients(model, batch, trainable, { seed })
  losses.push(r.loss)
  const clipped = clipByGlobalNorm(r.grads, o.maxGradNorm)
  optimizer.apply(model.params, clipped.grads, o.lr)
  disposeGrads(clipped.grads)
}

console.log(`bench:train on ${bench.backend} (${bench.threads} thread(s)): ${bench.params.toLocaleString('en-US')} parameters, all trained`)
const tensorsBefore = tf.memory().numTensors
const timing = timeSteps(o, step, (i, ms) => {
  if (i < o.warmup) console.log(`  warm-up ${i + 1}: ${ms.toFixed(0)} ms`)
})
const leaked = tf.memory().numTensors - tensorsBefore - optimizer.tensorCount()
if (leaked !== 0) console.log(`WARNING: ${leaked} tensors leaked over ${o.warmup + o.steps} steps`)
if (!losses.every(Number.isFinite)) throw new Error(`the loss is not finite: ${losses.join(', ')}`)
const [firstLoss, lastLoss] = [losses[0]!, losses[losses.length - 1]!]
console.log(`  loss ${firstLoss.toFixed(4)} -> ${lastLoss.toFixed(4)}`)
if (o.profile) await profileKernels(() => step(o.warmup + o.steps))
report(bench, 'train', timing, { firstLoss, lastLoss })
