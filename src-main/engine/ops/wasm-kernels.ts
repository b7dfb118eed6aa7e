/**
 * Kernels the tfjs wasm backend lacks. The only one a BERT training step needs is
 * UnsortedSegmentSum, the gradient of tf.gather (embedding lookups). Measured: about 3 ms per
 * step at hidden 256, against a native wasm scatter that was slower end to end.
 */
import * as tf from '@tensorflow/tfjs'

interface WasmBackendLike {
  readSync(dataId: unknown): ArrayLike<number>
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: Float32Array | Int32Array): tf.TensorInfo
}

let registered = false

/** Sums rows of x into numSegments rows by segment id; ids outside [0, numSegments) are dropped, as TensorFlow does. */
export function unsortedSegmentSumRows(x: ArrayLike<number>, ids: ArrayLike<number>, inner: number, numSegments: number): Float32Array {
  const out = new Float32Array(numSegments * inner)
  for (let r = 0; r < ids.length; r++) {
    const seg = ids[r]!
    if (seg < 0 || seg >= numSegments) continue
    const src = r * inner
    const dst = seg * inner
    for (let j = 0; j < inner; j++) out[dst + j]! += x[src + j]!
  }
  return out
}

/** Registers the missing kernels for the wasm backend. Idempotent; call after the backend is set. */
export function registerWasmKernels(): void {
  if (registered || tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    registered = true
    return
  }
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo }
      const numSegments = (attrs as { numSegments: number }).numSegments
      const b = backend as unknown as WasmBackendLike
      const inner = x.shape.slice(1).reduce((a, d) => a * d, 1)
      const values = unsortedSegmentSumRows(b.readSync(x.dataId), b.readSync(segmentIds.dataId), inner, numSegments)
      return b.makeOutput([numSegments, ...x.shape.slice(1)], 'float32', undefined, values)
    },
  })
  registered = true
}
