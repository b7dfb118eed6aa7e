/**
 * Inference speed of the engine: a from-scratch BERT token classifier of the given shape and
 * random (seeded) token ids through predictBatch (eval-mode forward, softmax, read back to JS),
 * as dev evaluation and prediction run it. Prints a summary and, last, one JSON line.
 *
 *   npm run bench:infer -- --vocab 21128 --hidden 256 --layers 4 --heads 4 --seq 64 --batch 16 [--steps 10 --warmup 2] [--torch] [--profile] [--matmul-threads]
 */
import * as tf from '@tensorflow/tfjs'
import { predictBatch } from '../src-main/engine/train/step'
import { matMulThreadStats } from '../src-main/engine/ops/matmul-threads'
import { parseFlags, profileKernels, report, setUp, takeMatMulThreadsFlag, timeSteps, useMatMulThreads } from './lib/engine-bench'

const flags = takeMatMulThreadsFlag(process.argv.slice(2))
const o = parseFlags(flags.argv, 'infer')
const bench = await setUp(o)
if (flags.twoThreads) await useMatMulThreads(bench)
const { model, batches } = bench
let checksum = 0

function step(i: number): void {
  const probs = predictBatch(model, batches[i % batches.length]!)
  checksum += probs[0]!
}

console.log(`bench:infer on ${bench.backend} (${bench.threads} thread(s)): ${bench.params.toLocaleString('en-US')} parameters`)
const tensorsBefore = tf.memory().numTensors
const timing = timeSteps(o, step)
const leaked = tf.memory().numTensors - tensorsBefore
if (leaked !== 0) console.log(`WARNING: ${leaked} tensors leaked over ${o.warmup + o.steps} calls`)
if (!Number.isFinite(checksum)) throw new Error('the probabilities are not finite')
if (o.profile) await profileKernels(() => step(0))
if (flags.twoThreads) console.log(`matMuls split across two threads: ${JSON.stringify(matMulThreadStats())}`)
report(bench, 'infer', timing)
