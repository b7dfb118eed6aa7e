/**
 * Kernels for the tfjs wasm backend, registered after the backend is set:
 *
 * - UnsortedSegmentSum, the gradient of tf.gather (embedding lookups), which wasm lacks. It
 *   writes straight into the wasm heap (about 3 ms per step at hidden 256).
 * - BlockMatMul (our own kernel name): a batch of independent plain 2-D matMuls
 *   [n, m, k] x [n, k, p]. wasm's BatchMatMul takes XNNPACK's fast path only for a single
 *   untransposed 2-D product; a batched one falls to a generic loop (12 ms for the 64
 *   64x64x64 attention products of one layer at batch 16, against 1 to 2 ms here). The kernel
 *   registers each block of a, b and the output as a temporary tensor (a view into the same
 *   heap memory, nothing is copied) and calls wasm's own BatchMatMul on each block, so every
 *   product takes XNNPACK's path.
 * - GatherRows (our own kernel name): rows of a table by id, copied with TypedArray.set
 *   straight on the heap. wasm's GatherV2 takes about 13 ms for 1024 rows of 256 (it is
 *   slow even for a 2-row table); this takes well under a millisecond.
 * - AdamW (our own kernel name): one fused AdamW update of a tensor, [p, g, m, v] -> [p', m',
 *   v'], run by the SIMD loop of wasm-simd.ts on the heap (see optim/adamw.ts for the maths).
 * - Identity (replaces wasm's): shares the input's memory (a reference count), as the cpu
 *   backend does, instead of copying it. tfjs tensors are immutable and no wasm kernel writes
 *   into its inputs; the copies were about 100 MB per training step, most of them the tensors
 *   customGrad functions save for their backward pass.
 * - Slice and SplitV (wrap wasm's): wasm's slice first copies the whole input out of the heap
 *   (readSync) and then the piece back in, for every piece; a three-way split of 1024x768
 *   copied 9 MB into fresh JS buffers (GC pauses of 10 to 20 ms). Contiguous pieces are now
 *   copied heap to heap; other slices go to wasm's own kernels.
 * - ColumnSum, Gelu, Transpose2D, LayerNorm, LayerNormGrad and SumSquares (our own kernel names): one
 *   SIMD pass each (wasm-simd.ts) where tfjs needs a chain of ops; see ops/layers.ts for how
 *   they are used and what they replace.
 */
import * as tf from '@tensorflow/tfjs'
import { simdKernels, type SimdKernels, type WasmMemory } from './wasm-simd'

/** The parts of tfjs-backend-wasm's BackendWasm this module uses (tfjs 4.22). */
export interface WasmBackendLike {
  wasm: {
    asm?: { memory?: WasmMemory }
    cwrap(name: string, ret: null, args: string[]): (...args: unknown[]) => void
    tfjs: { registerTensor(id: number, size: number, memoryOffset: number): void; disposeData(id: number): void }
  }
  dataIdMap: { get(dataId: unknown): { id: number; memoryOffset: number } | undefined }
  dataIdNextNumber: number
  incRef(dataId: unknown): void
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: Float32Array | Int32Array): tf.TensorInfo
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array
}

export const BLOCK_MATMUL = 'TagtuneBlockMatMul'
export const GATHER_ROWS = 'TagtuneGatherRows'
export const ADAMW = 'TagtuneAdamW'
export const COLUMN_SUM = 'TagtuneColumnSum'
export const GELU = 'TagtuneGelu'
export const TRANSPOSE_2D = 'TagtuneTranspose2D'
export const LAYER_NORM = 'TagtuneLayerNorm'
export const LAYER_NORM_GRAD = 'TagtuneLayerNormGrad'
export const SUM_SQUARES = 'TagtuneSumSquares'

/** Attributes of the AdamW kernel: the update's scalars, as optim/adamw.ts computes them. */
export interface AdamWAttrs {
  beta1: number
  beta2: number
  stepSize: number
  invSqrtBc2: number
  epsilon: number
  decay: number
}

let registered = false
let sharedIdentity = false
let contiguousSlices = false

/** A contiguous piece x[begin : begin + size] copied heap to heap, or undefined when the piece is not contiguous. */
function contiguousSlice(x: tf.TensorInfo, begin: number[], size: number[], backend: WasmBackendLike): tf.TensorInfo | undefined {
  if (x.dtype === 'string' || !tf.slice_util.isSliceContinous(x.shape, begin, size)) return undefined
  const offset = tf.slice_util.computeFlatOffset(begin, tf.util.computeStrides(x.shape))
  const n = tf.util.sizeFromShape(size)
  const out = backend.makeOutput([...size], x.dtype)
  if (n > 0) backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(x).subarray(offset, offset + n))
  return out
}

function wrapSliceKernels(): void {
  const slice = tf.getKernel('Slice', 'wasm')
  const splitV = tf.getKernel('SplitV', 'wasm')
  if (!slice || !splitV) return
  tf.unregisterKernel('Slice', 'wasm')
  tf.registerKernel({
    ...slice,
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo }
      const { begin, size } = args.attrs as unknown as { begin: number | number[]; size?: number | number[] }
      const [b, sz] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, begin, size)
      return contiguousSlice(x, b!, sz!, args.backend as unknown as WasmBackendLike) ?? slice.kernelFunc(args)
    },
  })
  tf.unregisterKernel('SplitV', 'wasm')
  tf.registerKernel({
    ...splitV,
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo }
      const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number }
      const ax = tf.util.parseAxisParam(axis, x.shape)[0]!
      // Pieces are contiguous when every axis before the split axis has size 1.
      if (x.dtype === 'string' || x.shape.slice(0, ax).some((d) => d !== 1)) return splitV.kernelFunc(args)
      const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, numOrSizeSplits, ax)
      const begin = new Array<number>(x.shape.length).fill(0)
      return sizes.map((s) => {
        const size = [...x.shape]
        size[ax] = s
        const piece = contiguousSlice(x, [...begin], size, args.backend as unknown as WasmBackendLike)!
        begin[ax]! += s
        return piece
      })
    },
  })
}

/** Sums rows of x into numSegments rows by segment id; ids outside [0, numSegments) are dropped, as TensorFlow does. */
export function unsortedSegmentSumRows(x: ArrayLike<number>, ids: ArrayLike<number>, inner: number, numSegments: number, out: Float32Array = new Float32Array(numSegments * inner)): Float32Array {
  for (let r = 0; r < ids.length; r++) {
    const seg = ids[r]!
    if (seg < 0 || seg >= numSegments) continue
    const src = r * inner
    const dst = seg * inner
    for (let j = 0; j < inner; j++) out[dst + j]! += x[src + j]!
  }
  return out
}

export function isWasmBackend(b: unknown): b is WasmBackendLike {
  const w = b as Partial<WasmBackendLike> | undefined
  return typeof w?.wasm?.cwrap === 'function' && typeof w.wasm.tfjs?.registerTensor === 'function' && typeof w.typedArrayFromHeap === 'function' && w.dataIdMap !== undefined
}

type WasmBatchMatMul = (aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number, transposeA: boolean, transposeB: boolean, outId: number) => void
const batchMatMulFns = new WeakMap<object, WasmBatchMatMul>()

export function wasmBatchMatMul(backend: WasmBackendLike): WasmBatchMatMul {
  let f = batchMatMulFns.get(backend)
  if (!f) {
    f = backend.wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']) as WasmBatchMatMul
    batchMatMulFns.set(backend, f)
  }
  return f
}

export const shapeBytes = (shape: number[]): Uint8Array => new Uint8Array(new Int32Array(shape).buffer)

/** Forward of BlockMatMul on wasm: out[i] = a[i] · b[i] for every block i. */
function blockMatMulKernel(a: tf.TensorInfo, b: tf.TensorInfo, backend: WasmBackendLike): tf.TensorInfo {
  const [n, m, k] = a.shape as [number, number, number]
  const [nb, kb, p] = b.shape as [number, number, number]
  if (a.shape.length !== 3 || b.shape.length !== 3 || nb !== n || kb !== k) {
    throw new Error(`${BLOCK_MATMUL}: shapes [${a.shape}] and [${b.shape}] do not multiply block by block`)
  }
  if (a.dtype !== 'float32' || b.dtype !== 'float32') throw new Error(`${BLOCK_MATMUL}: float32 only`)
  const out = backend.makeOutput([n, m, p], 'float32')
  if (n * m * p === 0) return out
  const bmm = wasmBatchMatMul(backend)
  const aOffset = backend.dataIdMap.get(a.dataId)!.memoryOffset
  const bOffset = backend.dataIdMap.get(b.dataId)!.memoryOffset
  const outOffset = backend.dataIdMap.get(out.dataId)!.memoryOffset
  const aShape = shapeBytes([1, m, k])
  const bShape = shapeBytes([1, k, p])
  const registry = backend.wasm.tfjs
  for (let i = 0; i < n; i++) {
    // Fresh ids every time: wasm caches XNNPACK operators (with packed weights) by b's id,
    // and drops them when the id is disposed.
    const ia = backend.dataIdNextNumber++
    const ib = backend.dataIdNextNumber++
    const io = backend.dataIdNextNumber++
    registry.registerTensor(ia, m * k, aOffset + i * m * k * 4)
    registry.registerTensor(ib, k * p, bOffset + i * k * p * 4)
    registry.registerTensor(io, m * p, outOffset + i * m * p * 4)
    bmm(ia, aShape, 3, ib, bShape, 3, false, false, io)
    registry.disposeData(ia)
    registry.disposeData(ib)
    registry.disposeData(io)
  }
  return out
}

/** Forward of GatherRows on wasm: out[i, ...] = x[indices[i], ...]. */
function gatherRowsKernel(x: tf.TensorInfo, indices: tf.TensorInfo, backend: WasmBackendLike): tf.TensorInfo {
  const rows = x.shape[0]!
  const inner = x.shape.slice(1).reduce((a, d) => a * d, 1)
  const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype)
  const src = backend.typedArrayFromHeap(x)
  const dst = backend.typedArrayFromHeap(out)
  const ids = backend.typedArrayFromHeap(indices)
  for (let r = 0; r < ids.length; r++) {
    const id = ids[r]!
    if (!(id >= 0 && id < rows)) throw new Error(`${GATHER_ROWS}: index ${id} is not in [0, ${rows - 1}]`)
    dst.set(src.subarray(id * inner, id * inner + inner), r * inner)
  }
  return out
}

/** Forward of AdamW on wasm: the SIMD loop over whole groups of 4, the rest in float32 JS. */
function adamwKernel(inputs: tf.TensorInfo[], a: AdamWAttrs, backend: WasmBackendLike, simd: SimdKernels): tf.TensorInfo[] {
  const [p, g, m, v] = inputs as [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo]
  for (const t of inputs) {
    if (t.dtype !== 'float32' || t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) throw new Error(`${ADAMW}: p, g, m and v must be float32 of one shape`)
  }
  const outs = [backend.makeOutput([...p.shape], 'float32'), backend.makeOutput([...p.shape], 'float32'), backend.makeOutput([...p.shape], 'float32')]
  const [pOut, mOut, vOut] = outs as [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo]
  const n = tf.util.sizeFromShape(p.shape)
  const n4 = n - (n % 4)
  const off = (t: tf.TensorInfo): number => backend.dataIdMap.get(t.dataId)!.memoryOffset
  const f = Math.fround
  const b1 = f(a.beta1)
  const c1 = f(1 - a.beta1)
  const b2 = f(a.beta2)
  const c2 = f(1 - a.beta2)
  const step = f(a.stepSize)
  const inv = f(a.invSqrtBc2)
  const eps = f(a.epsilon)
  const decay = f(a.decay)
  if (n4 > 0) simd.adamw(off(p), off(g), off(m), off(v), off(pOut), off(mOut), off(vOut), n4, b1, c1, b2, c2, step, inv, eps, decay)
  if (n4 < n) {
    const [P, G, M, V, PO, MO, VO] = [p, g, m, v, pOut, mOut, vOut].map((t) => backend.typedArrayFromHeap(t)) as Float32Array[]
    for (let i = n4; i < n; i++) {
      const gi = G![i]!
      const mi = f(f(M![i]! * b1) + f(gi * c1))
      const vi = f(f(V![i]! * b2) + f(f(gi * gi) * c2))
      MO![i] = mi
      VO![i] = vi
      PO![i] = f(P![i]! * decay) - f(f(mi * step) / f(f(f(Math.sqrt(vi)) * inv) + eps))
    }
  }
  return outs
}

const AS_P = 0.3275911
const AS_A = [0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429] as const

/** GELU and its derivative for one value, as the SIMD loop computes them (for the last n % 4 values). */
function geluScalar(x: number): [number, number] {
  const t = 1 / (1 + AS_P * Math.SQRT1_2 * Math.abs(x))
  let poly = AS_A[4] * t
  for (let k = 3; k >= 0; k--) poly = (poly + AS_A[k]!) * t
  const e = Math.exp(Math.max(-0.5 * x * x, -87))
  const h = x < 0 || Object.is(x, -0) ? -0.5 : 0.5
  const cdf = 0.5 + h - h * poly * e
  return [x * cdf, cdf + (x * e) / Math.sqrt(2 * Math.PI)]
}

function float32Of(t: tf.TensorInfo, what: string): void {
  if (t.dtype !== 'float32') throw new Error(`${what}: float32 only`)
}

/** Registers the engine's kernels for the wasm backend. Idempotent; call after the backend is set. */
export function registerWasmKernels(): void {
  if (registered) return
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({
      kernelName: 'UnsortedSegmentSum',
      backendName: 'wasm',
      kernelFunc: ({ inputs, attrs, backend }) => {
        const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo }
        const numSegments = (attrs as { numSegments: number }).numSegments
        const b = backend as unknown as WasmBackendLike
        const inner = x.shape.slice(1).reduce((a, d) => a * d, 1)
        const out = b.makeOutput([numSegments, ...x.shape.slice(1)], 'float32')
        const values = b.typedArrayFromHeap(out) as Float32Array
        values.fill(0)
        unsortedSegmentSumRows(b.typedArrayFromHeap(x), b.typedArrayFromHeap(segmentIds), inner, numSegments, values)
        return out
      },
    })
  }
  if (!tf.getKernel(BLOCK_MATMUL, 'wasm') && isWasmBackend(tf.findBackend('wasm'))) {
    tf.registerKernel({
      kernelName: BLOCK_MATMUL,
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend }) => {
        const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo }
        return blockMatMulKernel(a, b, backend as unknown as WasmBackendLike)
      },
    })
  }
  if (!tf.getKernel(GATHER_ROWS, 'wasm') && isWasmBackend(tf.findBackend('wasm'))) {
    tf.registerKernel({
      kernelName: GATHER_ROWS,
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend }) => {
        const { x, indices } = inputs as { x: tf.TensorInfo; indices: tf.TensorInfo }
        if (indices.dtype !== 'int32') throw new Error(`${GATHER_ROWS}: indices must be int32`)
        return gatherRowsKernel(x, indices, backend as unknown as WasmBackendLike)
      },
    })
  }
  const wasmBackend = tf.findBackend('wasm')
  if (!contiguousSlices && isWasmBackend(wasmBackend)) {
    wrapSliceKernels()
    contiguousSlices = true
  }
  const identity = tf.getKernel('Identity', 'wasm')
  if (identity && !sharedIdentity && isWasmBackend(wasmBackend) && typeof wasmBackend.incRef === 'function') {
    const copy = identity.kernelFunc
    tf.unregisterKernel('Identity', 'wasm')
    tf.registerKernel({
      ...identity,
      kernelFunc: (args) => {
        const { x } = args.inputs as { x: tf.TensorInfo }
        if (x.dtype === 'string') return copy(args)
        ;(args.backend as unknown as WasmBackendLike).incRef(x.dataId)
        return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype }
      },
    })
    sharedIdentity = true
  }
  const simd = isWasmBackend(wasmBackend) ? simdKernels(wasmBackend.wasm.asm?.memory) : null
  if (!tf.getKernel(COLUMN_SUM, 'wasm') && simd) {
    tf.registerKernel({
      kernelName: COLUMN_SUM,
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend }) => {
        const { x } = inputs as { x: tf.TensorInfo }
        const b = backend as unknown as WasmBackendLike
        const [rows, cols] = x.shape as [number, number]
        if (x.shape.length !== 2 || cols % 4 !== 0 || x.dtype !== 'float32') throw new Error(`${COLUMN_SUM}: float32 [rows, cols] with cols a multiple of 4 only, not [${x.shape}]`)
        const out = b.makeOutput([cols], 'float32')
        b.typedArrayFromHeap(out).fill(0)
        if (rows > 0) simd.colsum(b.dataIdMap.get(x.dataId)!.memoryOffset, b.dataIdMap.get(out.dataId)!.memoryOffset, rows, cols)
        return out
      },
    })
  }
  const register = (kernelName: string, kernelFunc: (inputs: Record<string, tf.TensorInfo>, b: WasmBackendLike, k: SimdKernels, attrs: Record<string, unknown>) => tf.TensorInfo | tf.TensorInfo[]): void => {
    if (!simd || tf.getKernel(kernelName, 'wasm')) return
    tf.registerKernel({
      kernelName,
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) => kernelFunc(inputs as Record<string, tf.TensorInfo>, backend as unknown as WasmBackendLike, simd, (attrs ?? {}) as Record<string, unknown>),
    })
  }
  const off = (b: WasmBackendLike, t: tf.TensorInfo): number => b.dataIdMap.get(t.dataId)!.memoryOffset
  // x -> [gelu(x), gelu'(x)]
  register(GELU, ({ x }, b, k) => {
    float32Of(x!, GELU)
    const n = tf.util.sizeFromShape(x!.shape)
    const y = b.makeOutput([...x!.shape], 'float32')
    const d = b.makeOutput([...x!.shape], 'float32')
    const n4 = n - (n % 4)
    if (n4 > 0) k.gelu(off(b, x!), off(b, y), off(b, d), n4)
    if (n4 < n) {
      const [X, Y, D] = [x!, y, d].map((t) => b.typedArrayFromHeap(t))
      for (let i = n4; i < n; i++) [Y![i], D![i]] = geluScalar(X![i]!)
    }
    return [y, d]
  })
  // x[rows, cols] -> x^T, rows and cols multiples of 4
  register(TRANSPOSE_2D, ({ x }, b, k) => {
    float32Of(x!, TRANSPOSE_2D)
    const [rows, cols] = x!.shape as [number, number]
    if (x!.shape.length !== 2 || rows % 4 !== 0 || cols % 4 !== 0) throw new Error(`${TRANSPOSE_2D}: [rows, cols] multiples of 4 only, not [${x!.shape}]`)
    const out = b.makeOutput([cols, rows], 'float32')
    if (rows * cols > 0) k.transpose(off(b, x!), off(b, out), rows, cols)
    return out
  })
  // x[rows, cols], gamma, beta -> [y, xhat, rstd[rows, 1]]
  register(LAYER_NORM, ({ x, gamma, beta }, b, k, attrs) => {
    for (const t of [x!, gamma!, beta!]) float32Of(t, LAYER_NORM)
    const [rows, cols] = x!.shape as [number, number]
    if (x!.shape.length !== 2 || cols % 4 !== 0 || gamma!.shape[0] !== cols || beta!.shape[0] !== cols) throw new Error(`${LAYER_NORM}: x [rows, cols] with cols a multiple of 4 and gamma, beta [cols]`)
    const y = b.makeOutput([rows, cols], 'float32')
    const xhat = b.makeOutput([rows, cols], 'float32')
    const rstd = b.makeOutput([rows, 1], 'float32')
    if (rows * cols > 0) k.lnForward(off(b, x!), off(b, gamma!), off(b, beta!), off(b, y), off(b, xhat), off(b, rstd), rows, cols, 1 / cols, attrs.eps as number)
    return [y, xhat, rstd]
  })
  // dy, xhat, rstd, gamma -> [dx, dgamma, dbeta]
  register(LAYER_NORM_GRAD, ({ dy, xhat, rstd, gamma }, b, k) => {
    for (const t of [dy!, xhat!, rstd!, gamma!]) float32Of(t, LAYER_NORM_GRAD)
    const [rows, cols] = xhat!.shape as [number, number]
    const dx = b.makeOutput([rows, cols], 'float32')
    const dgamma = b.makeOutput([cols], 'float32')
    const dbeta = b.makeOutput([cols], 'float32')
    b.typedArrayFromHeap(dgamma).fill(0)
    b.typedArrayFromHeap(dbeta).fill(0)
    if (rows * cols > 0) k.lnBackward(off(b, dy!), off(b, xhat!), off(b, rstd!), off(b, gamma!), off(b, dx), off(b, dgamma), off(b, dbeta), rows, cols, 1 / cols)
    return [dx, dgamma, dbeta]
  })
  // any number of float32 tensors -> scalar Σ x² over all of them (float64 inside)
  register(SUM_SQUARES, (inputs, b, k) => {
    let total = 0
    for (const t of Object.values(inputs)) {
      float32Of(t, SUM_SQUARES)
      const n = tf.util.sizeFromShape(t.shape)
      const n4 = n - (n % 4)
      if (n4 > 0) total += k.sumSquares(off(b, t), n4)
      if (n4 < n) {
        const x = b.typedArrayFromHeap(t)
        for (let i = n4; i < n; i++) total += x[i]! * x[i]!
      }
    }
    return b.makeOutput([], 'float32', undefined, new Float32Array([total]))
  })
  if (!tf.getKernel(ADAMW, 'wasm') && simd) {
    tf.registerKernel({
      kernelName: ADAMW,
      backendName: 'wasm',
      kernelFunc: ({ inputs, attrs, backend }) => {
        const { p, g, m, v } = inputs as Record<'p' | 'g' | 'm' | 'v', tf.TensorInfo>
        return adamwKernel([p, g, m, v], attrs as unknown as AdamWAttrs, backend as unknown as WasmBackendLike, simd)
      },
    })
  }
  registered = true
}
