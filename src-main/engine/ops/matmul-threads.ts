/**
 * Large plain matMuls on two cores. tfjs-wasm runs one thread in Node (its threaded build
 * cannot start workers there), so a worker_thread runs a second tfjs-wasm and computes the
 * bottom rows of each large A·B while this thread computes the top rows in place: A's bottom
 * rows and B go to the worker through a SharedArrayBuffer, its rows of C come back the same way,
 * and this thread waits for them with Atomics.wait (tfjs kernels are synchronous). Every row is
 * computed by the same XNNPACK kernel either way, so the result does not depend on the split.
 *
 * Only untransposed, unbatched float32 products above a size threshold are split; the rest, and
 * everything when the worker is not there (or fails, or is slow), take tfjs's own kernel.
 */
import * as tf from '@tensorflow/tfjs'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { isWasmBackend, shapeBytes, wasmBatchMatMul, type WasmBackendLike } from './wasm-kernels'

/** Products smaller than this many multiply-adds are not worth the hand-over. */
const MIN_WORK = 2 ** 22
/** Floats the shared buffer holds: A's half, B and C's half (64 MB). */
const SHARED_FLOATS = 16 * 2 ** 20
const IDLE = 0
const REQUEST = 1
const DONE = 2
const FAILED = 3
const STOP = 9

const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads')
;(async () => {
  const tf = await import(workerData.tfjs)
  await import(workerData.wasm)
  if (!(await tf.setBackend('wasm'))) return parentPort.postMessage({ ready: false })
  await tf.ready()
  const backend = tf.backend()
  const ctl = new Int32Array(workerData.ctl)
  const data = new Float32Array(workerData.data)
  parentPort.postMessage({ ready: true })
  for (;;) {
    Atomics.wait(ctl, 0, ${IDLE})
    const state = Atomics.load(ctl, 0)
    if (state === ${STOP}) break
    if (state !== ${REQUEST}) continue
    const m = ctl[1], k = ctl[2], n = ctl[3]
    try {
      const A = tf.tensor2d(data.subarray(0, m * k), [m, k])
      const B = tf.tensor2d(data.subarray(m * k, m * k + k * n), [k, n])
      const C = tf.matMul(A, B)
      data.set(backend.typedArrayFromHeap(C), m * k + k * n)
      A.dispose(); B.dispose(); C.dispose()
      Atomics.store(ctl, 0, ${DONE})
    } catch (e) {
      Atomics.store(ctl, 0, ${FAILED})
    }
    Atomics.notify(ctl, 0)
  }
})()
`

interface Helper {
  worker: Worker
  ctl: Int32Array
  data: Float32Array
  /** Products handed over and products computed here alone (for the log and the benchmark). */
  split: number
  alone: number
}

let helper: Helper | null = null
let original: tf.KernelConfig | undefined

/**
 * Starts the helper thread and routes large matMuls through it. Resolves to false (and changes
 * nothing) when the backend is not wasm, there is one core, or the worker cannot start.
 */
export async function enableMatMulThreads(options: { cpus: number; timeoutMs?: number }): Promise<boolean> {
  if (helper) return true
  const backend = tf.backend()
  const kernel = tf.getKernel('BatchMatMul', 'wasm')
  if (tf.getBackend() !== 'wasm' || !isWasmBackend(backend) || !kernel || options.cpus < 2) return false
  const require = createRequire(import.meta.url)
  const ctlBuffer = new SharedArrayBuffer(8 * 4)
  const dataBuffer = new SharedArrayBuffer(SHARED_FLOATS * 4)
  let worker: Worker
  try {
    worker = new Worker(WORKER_CODE, {
      eval: true,
      workerData: { tfjs: pathToFileURL(require.resolve('@tensorflow/tfjs')).href, wasm: pathToFileURL(require.resolve('@tensorflow/tfjs-backend-wasm')).href, ctl: ctlBuffer, data: dataBuffer },
    })
  } catch {
    return false
  }
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), options.timeoutMs ?? 20_000)
    worker.once('message', (m: { ready: boolean }) => (clearTimeout(timer), resolve(m.ready)))
    worker.once('error', () => (clearTimeout(timer), resolve(false)))
  })
  if (!ready) {
    void worker.terminate()
    return false
  }
  worker.unref()
  helper = { worker, ctl: new Int32Array(ctlBuffer), data: new Float32Array(dataBuffer), split: 0, alone: 0 }
  // Only this worker's end stops its use (an earlier worker's exit may arrive after a re-enable).
  const ended = (): void => {
    if (helper?.worker === worker) disableMatMulThreads()
  }
  worker.on('error', ended)
  worker.on('exit', ended)
  original = kernel
  const fallback = kernel.kernelFunc
  tf.unregisterKernel('BatchMatMul', 'wasm')
  tf.registerKernel({ ...kernel, kernelFunc: (args) => splitMatMul(args) ?? fallback(args) })
  return true
}

/** Back to tfjs's own kernel; the helper thread stops. */
export function disableMatMulThreads(): void {
  const h = helper
  helper = null
  if (original) {
    tf.unregisterKernel('BatchMatMul', 'wasm')
    tf.registerKernel(original)
    original = undefined
  }
  if (h) {
    Atomics.store(h.ctl, 0, STOP)
    Atomics.notify(h.ctl, 0)
    void h.worker.terminate()
  }
}

/** How many products were split so far, and how many ran on this thread alone. */
export function matMulThreadStats(): { split: number; alone: number } | null {
  return helper ? { split: helper.split, alone: helper.alone } : null
}

/** [M, K]·[K, N] split by rows, or undefined for tfjs's own kernel. */
function splitMatMul(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo | undefined {
  const h = helper
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo }
  const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean }
  const backend = args.backend as WasmBackendLike
  if (!h || attrs.transposeA || attrs.transposeB || a.dtype !== 'float32' || b.dtype !== 'float32') return undefined
  const batchA = a.shape.slice(0, -2).reduce((x, d) => x * d, 1)
  const batchB = b.shape.slice(0, -2).reduce((x, d) => x * d, 1)
  if (batchA !== 1 || batchB !== 1) return undefined
  const [M, K] = a.shape.slice(-2) as [number, number]
  const N = b.shape[b.shape.length - 1]!
  const top = Math.floor(M / 2)
  const bottom = M - top
  if (top === 0 || M * K * N < MIN_WORK || bottom * K + K * N + bottom * N > h.data.length) {
    h.alone++
    return undefined
  }
  const out = backend.makeOutput([...a.shape.slice(0, -1), N], 'float32')
  const heapA = backend.typedArrayFromHeap(a) as Float32Array
  const heapB = backend.typedArrayFromHeap(b) as Float32Array
  // Hand the bottom rows to the helper first, so both threads work at once.
  h.data.set(heapA.subarray(top * K, M * K), 0)
  h.data.set(heapB.subarray(0, K * N), bottom * K)
  h.ctl[1] = bottom
  h.ctl[2] = K
  h.ctl[3] = N
  Atomics.store(h.ctl, 0, REQUEST)
  Atomics.notify(h.ctl, 0)
  // The top rows here, in place: A's first rows and C's first rows are contiguous in the heap.
  const bmm = wasmBatchMatMul(backend)
  const registry = backend.wasm.tfjs
  const aOffset = backend.dataIdMap.get(a.dataId)!.memoryOffset
  const outOffset = backend.dataIdMap.get(out.dataId)!.memoryOffset
  const bId = backend.dataIdMap.get(b.dataId)!.id
  const ia = backend.dataIdNextNumber++
  const io = backend.dataIdNextNumber++
  registry.registerTensor(ia, top * K, aOffset)
  registry.registerTensor(io, top * N, outOffset)
  bmm(ia, shapeBytes([1, top, K]), 3, bId, shapeBytes([1, K, N]), 3, false, false, io)
  registry.disposeData(ia)
  registry.disposeData(io)
  Atomics.wait(h.ctl, 0, REQUEST, 30_000)
  const state = Atomics.load(h.ctl, 0)
  const heapOut = backend.typedArrayFromHeap(out) as Float32Array
  if (state === DONE) {
    heapOut.set(h.data.subarray(bottom * K + K * N, bottom * K + K * N + bottom * N), top * N)
    Atomics.store(h.ctl, 0, IDLE)
    h.split++
    return out
  }
  // The helper failed or is stuck: compute the bottom rows here, and stop using it.
  const ib = backend.dataIdNextNumber++
  const io2 = backend.dataIdNextNumber++
  registry.registerTensor(ib, bottom * K, aOffset + top * K * 4)
  registry.registerTensor(io2, bottom * N, outOffset + top * N * 4)
  bmm(ib, shapeBytes([1, bottom, K]), 3, bId, shapeBytes([1, K, N]), 3, false, false, io2)
  registry.disposeData(ib)
  registry.disposeData(io2)
  disableMatMulThreads()
  return out
}
