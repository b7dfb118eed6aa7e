/**
 * Inference speed of the engine: a from-scratch BERT token classifier of the given shape and
 * random (seeded) token ids through predictBatch (eval-mode forward, softmax, read back to JS),
 * as dev evaluation and prediction run it. Prints a summary and, last, one JSON line.
 *
 *   npm run bench:infer -- --vocab 21128 --hidden 256 --layers 4 --heads 4 --seq 64 --batch 16 [--steps 10 --warmup 2] [--torch] [--profile] [--matmul-threads]
 */
import * as tf from '@tensorflow/tfjs'
import { availableParallelism } from 'node:os'
import { predictBatch } from '../src-main/engine/train/step'
import { enableMatMulThreads, matMulThreadStats } from '../src-main/engine/ops/matmul-threads'
import { parseFlags, profileKernels, report, setUp, timeSteps } from './lib/engine-bench'

const argv = process.argv.slice(2)
// --matmul-threads: large matMuls on two cores (engine/ops/matmul-threads.ts), as prediction jobs run them.
const twoThreads = argv.includes('--matmul-threads')
const o = parseFlags(argv.filter((a) => a !== '--matmul-threads'), 'infer')
const bench = await setUp(o)
if (twoThreads) {
  const on = await enableMatMulThreads({ cpus: availableParallelism() })
  if (on) bench.threads = 2
  console.log(`matMul helper thread: ${on ? 'on (the large matMuls on two threads; PyTorch stays at one)' : 'not available'}`)
}
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
if (twoThreads) console.log(`matMuls split across two threads: ${JSON.stringify(matMulThreadStats())}`)
report(bench, 'infer', timing)
