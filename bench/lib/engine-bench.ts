/**
 * Shared code of bench/train.ts and bench/infer.ts: flags, a from-scratch token classifier of
 * the asked shape, seeded random batches, step timing, an optional per-kernel profile, the
 * PyTorch reference run (bench/reference/torch_bert.py) and the summary/JSON output.
 */
import { seededRandom } from '../../src-shared/domain/splits'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { initBackend, isBackendPreference, type BackendPreference } from '../../src-main/engine/backend'
import { parseBertConfig } from '../../src-main/engine/model/bert-config'
import { countParams } from '../../src-main/engine/model/bert'
import { createTokenClassifier } from '../../src-main/engine/model/io'
import type { TokenClassifier } from '../../src-main/engine/heads/token-classification'
import type { TensorBatch } from '../../src-main/engine/train/step'

export type BenchMode = 'train' | 'infer'

export interface BenchOptions {
  vocab: number
  hidden: number
  layers: number
  heads: number
  /** 0 = 4 × hidden, as the PyTorch reference. */
  intermediate: number
  seq: number
  batch: number
  labels: number
  steps: number
  warmup: number
  seed: number
  /** Dropout of the model (0 by default, as the PyTorch reference). */
  dropout: number
  lr: number
  weightDecay: number
  maxGradNorm: number
  backend: BackendPreference
  torch: boolean
  /** Print the kernels of one tf.profile'd step, by total time. */
  profile: boolean
  python: string
}

const DEFAULTS: BenchOptions = {
  vocab: 21128,
  hidden: 256,
  layers: 4,
  heads: 4,
  intermediate: 0,
  seq: 64,
  batch: 16,
  labels: 9,
  steps: 10,
  warmup: 2,
  seed: 0,
  dropout: 0,
  lr: 1e-4,
  weightDecay: 0.01,
  maxGradNorm: 1,
  backend: 'wasm',
  torch: false,
  profile: false,
  python: '/usr/bin/python3',
}

const NUMERIC = ['vocab', 'hidden', 'layers', 'heads', 'intermediate', 'seq', 'batch', 'labels', 'steps', 'warmup', 'seed', 'dropout', 'lr', 'weightDecay', 'maxGradNorm'] as const

const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)

export function usage(mode: BenchMode): string {
  return [
    `npm run bench:${mode} -- [flags]`,
    '',
    ...NUMERIC.map((k) => `  --${kebab(k).padEnd(16)} ${String(DEFAULTS[k])}${k === 'intermediate' ? ' (0 = 4 × hidden)' : ''}`),
    `  --backend          ${DEFAULTS.backend} (auto, tensorflow-gpu, tensorflow, wasm, cpu)`,
    '  --torch            also run the PyTorch reference (bench/reference/torch_bert.py, 1 thread) and print the ratio',
    '  --profile          print the kernels of one profiled step by total time',
    `  --python           ${DEFAULTS.python} (the interpreter with torch)`,
  ].join('\n')
}

export function parseFlags(argv: readonly string[], mode: BenchMode): BenchOptions {
  const o: BenchOptions = { ...DEFAULTS }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') continue
    if (arg === '--help' || arg === '-h') {
      console.log(usage(mode))
      process.exit(0)
    }
    if (arg === '--torch') o.torch = true
    else if (arg === '--profile') o.profile = true
    else if (arg.startsWith('--')) {
      const [flag, inline] = arg.slice(2).split('=', 2) as [string, string | undefined]
      const value = inline ?? argv[++i]
      if (value === undefined) throw new Error(`--${flag} needs a value`)
      const key = NUMERIC.find((k) => kebab(k) === flag || k === flag)
      if (key) {
        const n = Number(value)
        if (!Number.isFinite(n) || n < 0) throw new Error(`--${flag} must be a non-negative number, not ${value}`)
        o[key] = n
      } else if (flag === 'backend') {
        if (!isBackendPreference(value)) throw new Error(`--backend must be one of auto, tensorflow-gpu, tensorflow, wasm, cpu`)
        o.backend = value
      } else if (flag === 'python') o.python = value
      else throw new Error(`unknown flag --${flag}\n\n${usage(mode)}`)
    } else throw new Error(`unexpected argument ${arg}\n\n${usage(mode)}`)
  }
  for (const k of ['vocab', 'hidden', 'layers', 'heads', 'seq', 'batch', 'labels', 'steps'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new Error(`--${k} must be a positive integer`)
  }
  if (o.hidden % o.heads !== 0) throw new Error(`--hidden ${o.hidden} is not a multiple of --heads ${o.heads}`)
  if (o.intermediate === 0) o.intermediate = 4 * o.hidden
  return o
}

export interface Bench {
  options: BenchOptions
  backend: string
  threads: number
  model: TokenClassifier
  batches: TensorBatch[]
  params: number
}

export function randomBatches(o: BenchOptions, count: number): TensorBatch[] {
  const rand = seededRandom(o.seed * 2654435761 + 1)
  const n = o.batch * o.seq
  const out: TensorBatch[] = []
  for (let b = 0; b < count; b++) {
    const inputIds = new Int32Array(n)
    const labels = new Int32Array(n)
    for (let i = 0; i < n; i++) {
      inputIds[i] = Math.floor(rand() * o.vocab)
      labels[i] = Math.floor(rand() * o.labels)
    }
    out.push({ inputIds, attentionMask: new Int32Array(n).fill(1), tokenTypeIds: new Int32Array(n), labels, batchSize: o.batch, seqLength: o.seq })
  }
  return out
}

export async function setUp(o: BenchOptions): Promise<Bench> {
  const info = await initBackend(o.backend)
  for (const note of info.notes) console.log(`(backend note: ${note})`)
  const config = parseBertConfig({
    model_type: 'bert',
    vocab_size: o.vocab,
    hidden_size: o.hidden,
    num_hidden_layers: o.layers,
    num_attention_heads: o.heads,
    intermediate_size: o.intermediate,
    hidden_dropout_prob: o.dropout,
    attention_probs_dropout_prob: o.dropout,
    max_position_embeddings: Math.max(512, o.seq),
  })
  const labels = ['O', ...Array.from({ length: o.labels - 1 }, (_, i) => `${i % 2 === 0 ? 'B' : 'I'}-T${i >> 1}`)]
  const model = createTokenClassifier(config, labels, o.seed)
  return {
    options: o,
    backend: info.name,
    threads: info.threads ?? 1,
    model,
    batches: randomBatches(o, o.warmup + o.steps),
    params: countParams(model.params),
  }
}

export interface Timing {
  times: number[]
  median: number
  best: number
  /** CPU time (user + system) of each timed step: less sensitive than wall time to other jobs on the machine. */
  cpuTimes: number[]
  cpuMedian: number
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** Runs `step(i)` for every batch; the first `warmup` are not timed. */
export function timeSteps(o: BenchOptions, step: (i: number) => void, onStep?: (i: number, ms: number) => void): Timing {
  const times: number[] = []
  const cpuTimes: number[] = []
  for (let i = 0; i < o.warmup + o.steps; i++) {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    step(i)
    const ms = performance.now() - t0
    const c = process.cpuUsage(c0)
    onStep?.(i, ms)
    if (i >= o.warmup) {
      times.push(ms)
      cpuTimes.push((c.user + c.system) / 1000)
    }
  }
  return { times, median: median(times), best: Math.min(...times), cpuTimes, cpuMedian: median(cpuTimes) }
}

/** One profiled call of `run`, kernels grouped by name and sorted by total time. */
export async function profileKernels(run: () => void): Promise<void> {
  const t0 = performance.now()
  const info = await tf.profile(() => {
    run()
  })
  const wall = performance.now() - t0
  const byName = new Map<string, { ms: number; calls: number }>()
  let total = 0
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0
    const e = byName.get(k.name) ?? { ms: 0, calls: 0 }
    e.ms += ms
    e.calls++
    byName.set(k.name, e)
    total += ms
  }
  console.log(`\nprofile of one step: ${wall.toFixed(0)} ms wall (profiling adds overhead), ${total.toFixed(0)} ms in kernels, ${info.kernels.length} kernel calls`)
  console.log('kernel                         ms  share  calls')
  for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`${name.padEnd(26)}${e.ms.toFixed(1).padStart(8)}${((100 * e.ms) / total).toFixed(1).padStart(6)}%${String(e.calls).padStart(7)}`)
  }
  console.log('(customGrad wrappers appear under their own name and include the kernels inside them)')
}

export interface TorchResult {
  tokensPerSecond: number
  msPerStepMedian: number
  msPerStepBest: number
  peakRssMB: number
  params: number
  blas?: string
  torch?: string
}

const TORCH_SCRIPT = resolve(import.meta.dirname, '../reference/torch_bert.py')

/** Runs the PyTorch reference on one thread; undefined (with the reason printed) when it cannot. */
export function runTorch(o: BenchOptions, mode: BenchMode): TorchResult | undefined {
  if (!existsSync(o.python)) {
    console.log(`\n--torch: ${o.python} not found. Install PyTorch with: apt-get install -y python3-torch libopenblas0-pthread`)
    return undefined
  }
  const args = [
    TORCH_SCRIPT,
    '--vocab', o.vocab, '--hidden', o.hidden, '--layers', o.layers, '--heads', o.heads, '--intermediate', o.intermediate,
    '--seq', o.seq, '--batch', o.batch, '--labels', o.labels, '--steps', o.steps, '--warmup', o.warmup,
    '--seed', o.seed, '--threads', 1, '--mode', mode,
  ].map(String)
  console.log(`\nPyTorch reference: OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 ${o.python} ${args.join(' ')}`)
  const r = spawnSync(o.python, args, {
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' },
    encoding: 'utf8',
    maxBuffer: 16 * 2 ** 20,
  })
  const stderr = r.stderr ?? ''
  if (r.error || r.status !== 0) {
    if (/No module named ['"]?torch/.test(stderr)) {
      console.log(`--torch: ${o.python} has no torch. Install it with: apt-get install -y python3-torch libopenblas0-pthread`)
    } else {
      console.log(`--torch: the reference failed (${r.error?.message ?? `exit code ${r.status}`}):\n${stderr.trim().split('\n').slice(-5).join('\n')}`)
    }
    return undefined
  }
  const line = (r.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{')).pop()
  if (!line) {
    console.log('--torch: the reference printed no JSON line')
    return undefined
  }
  const result = JSON.parse(line) as TorchResult
  if (result.blas && !/openblas/i.test(result.blas)) {
    console.log(`(torch is not using OpenBLAS: ${result.blas}. apt-get install -y libopenblas0-pthread makes it several times faster.)`)
  }
  return result
}

export function shapeOf(o: BenchOptions): Record<string, number> {
  return { vocab: o.vocab, hidden: o.hidden, layers: o.layers, heads: o.heads, intermediate: o.intermediate, seq: o.seq, batch: o.batch, labels: o.labels, steps: o.steps, warmup: o.warmup }
}

export const peakRssMB = (): number => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10

/** The human summary, the torch comparison when asked, and, last, one JSON line. */
export function report(bench: Bench, mode: BenchMode, timing: Timing, extra: Record<string, unknown> = {}): void {
  const o = bench.options
  const tokens = o.batch * o.seq
  const tokensPerSecond = Math.round((tokens / (timing.median / 1000)) * 10) / 10
  const rss = peakRssMB()
  const what = mode === 'train' ? 'training step (forward + backward + clip + AdamW)' : 'inference (forward + softmax, read back)'
  console.log(
    `\n${what}, ${bench.backend} backend, ${bench.threads} thread(s)\n` +
      `  shape     vocab ${o.vocab}, hidden ${o.hidden}, layers ${o.layers}, heads ${o.heads}, intermediate ${o.intermediate}, ${o.labels} labels; batch ${o.batch} × seq ${o.seq} = ${tokens} tokens\n` +
      `  params    ${bench.params.toLocaleString('en-US')}\n` +
      `  steps     ${o.warmup} warm-up + ${o.steps} timed: ${timing.times.map((t) => t.toFixed(0)).join(' ')} ms\n` +
      `  ms/step   median ${timing.median.toFixed(1)}, best ${timing.best.toFixed(1)} (CPU time median ${timing.cpuMedian.toFixed(1)})\n` +
      `  tokens/s  ${tokensPerSecond.toFixed(0)} at the median (${Math.round(tokens / (timing.best / 1000))} at the best)\n` +
      `  peak RSS  ${rss.toFixed(0)} MB`,
  )
  let ratio: number | undefined
  let torch: TorchResult | undefined
  if (o.torch) {
    torch = runTorch(o, mode)
    if (torch) {
      ratio = Math.round((tokensPerSecond / torch.tokensPerSecond) * 1000) / 1000
      console.log(
        `  torch     ${torch.torch ?? ''} 1 thread: median ${torch.msPerStepMedian.toFixed(1)} ms, best ${torch.msPerStepBest.toFixed(1)} ms, ${torch.tokensPerSecond.toFixed(0)} tokens/s, peak RSS ${torch.peakRssMB.toFixed(0)} MB, ${torch.params.toLocaleString('en-US')} params\n` +
          `  ratio     tfjs/torch throughput ${ratio.toFixed(2)} (target ≥ 0.6)${torch.params !== bench.params ? '  (parameter counts differ!)' : ''}`,
      )
    }
  }
  const json: Record<string, unknown> = {
    mode,
    backend: bench.backend,
    threads: bench.threads,
    shape: shapeOf(o),
    msPerStepMedian: Math.round(timing.median * 1000) / 1000,
    msPerStepBest: Math.round(timing.best * 1000) / 1000,
    tokensPerSecond,
    cpuMsPerStepMedian: Math.round(timing.cpuMedian * 1000) / 1000,
    peakRssMB: rss,
    params: bench.params,
    ...extra,
  }
  if (torch) {
    json.torch = { tokensPerSecond: torch.tokensPerSecond, msPerStepMedian: torch.msPerStepMedian, msPerStepBest: torch.msPerStepBest, peakRssMB: torch.peakRssMB }
    json.ratioToTorch = ratio
  }
  console.log(JSON.stringify(json))
}

/**
 * `--matmul-threads` (taken out of argv): large matMuls on two cores (engine/ops/matmul-threads.ts),
 * as the trainer and the model server run them. Without it the engine benchmarks run one thread.
 */
export function takeMatMulThreadsFlag(argv: string[]): { argv: string[]; twoThreads: boolean } {
  return { argv: argv.filter((a) => a !== '--matmul-threads'), twoThreads: argv.includes('--matmul-threads') }
}

/** Starts the matMul helper thread for a benchmark and says whether it runs. */
export async function useMatMulThreads(bench: Bench): Promise<void> {
  const { availableParallelism } = await import('node:os')
  const { enableMatMulThreads } = await import('../../src-main/engine/ops/matmul-threads')
  const on = await enableMatMulThreads({ cpus: availableParallelism() })
  if (on) bench.threads = 2
  console.log(`matMul helper thread: ${on ? 'on (the large matMuls on two threads; PyTorch stays at one)' : 'not available'}`)
}
