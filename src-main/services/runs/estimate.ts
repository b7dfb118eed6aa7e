/**
 * What a run will cost before it starts: parameters of the BERT token classifier, memory for
 * training (weights, gradients, Adam moments, activations kept for the backward pass) and time per
 * epoch from a throughput. Rough on purpose, and every figure says how it was reached. Pure.
 */

export interface BertShape {
  vocabSize: number
  hiddenSize: number
  numLayers: number
  numHeads: number
  intermediateSize: number
  maxPositions: number
  typeVocabSize: number
}

/**
 * Parameters of BertForTokenClassification without the pooler (token tasks do not use it), as
 * the engine builds it: embeddings (word, position, type, LayerNorm), per layer attention
 * (Q, K, V, output, LayerNorm) and feed-forward (intermediate, output, LayerNorm), and the
 * classifier over `numTags` tags.
 */
export function bertParamCount(s: BertShape, numTags: number): { total: number; embeddings: number } {
  const H = s.hiddenSize
  const I = s.intermediateSize
  const embeddings = (s.vocabSize + s.maxPositions + s.typeVocabSize) * H + 2 * H
  const layer = 4 * (H * H + H) + 2 * H + (H * I + I) + (I * H + H) + 2 * H
  const classifier = H * numTags + numTags
  return { total: embeddings + s.numLayers * layer + classifier, embeddings }
}

/** Node, tfjs and its kernels before any tensor: a stated allowance, not a measurement. */
export const RUNTIME_BYTES = 300 * 1024 ** 2

export interface MemoryEstimate {
  total: number
  parts: { weights: number; gradientsAndOptimizer: number; activations: number; runtime: number }
  basis: string
}

/**
 * Training memory in float32: weights (4 B per parameter), a gradient and two Adam moments per
 * trainable parameter (12 B), and the activations of one batch at its longest window kept for
 * the backward pass: per token and layer about 10·H + 2·I + 3·heads·length floats (Q, K, V,
 * attention scores, probabilities and dropout mask, context, residuals and LayerNorms, the
 * feed-forward before and after GELU).
 */
export function trainingMemory(o: { params: number; trainableParams: number; batchSize: number; length: number; shape: Pick<BertShape, 'hiddenSize' | 'intermediateSize' | 'numLayers' | 'numHeads'> }): MemoryEstimate {
  const { hiddenSize: H, intermediateSize: I, numLayers: L, numHeads: A } = o.shape
  const weights = 4 * o.params
  const gradientsAndOptimizer = 12 * o.trainableParams
  const perTokenLayer = 10 * H + 2 * I + 3 * A * o.length
  const activations = 4 * o.batchSize * o.length * L * perTokenLayer
  const total = weights + gradientsAndOptimizer + activations + RUNTIME_BYTES
  return {
    total,
    parts: { weights, gradientsAndOptimizer, activations, runtime: RUNTIME_BYTES },
    basis: `float32 weights (4 B × ${o.params.toLocaleString('en-US')} parameters), gradients and Adam moments (12 B per trained parameter), activations of one batch of ${o.batchSize} windows of ${o.length} tokens over ${L} layers, and about ${Math.round(RUNTIME_BYTES / 1024 ** 2)} MB for the runtime`,
  }
}

/** A completed run whose speed was measured on this machine. */
export interface MeasuredRun {
  id: number
  name: string
  tokensPerSecond: number
  params: number
  /** Same model (folder or scratch shape) and maximum length as the run being planned. */
  sameModel: boolean
}

/** Effective training speed assumed when nothing was measured yet (float operations per second). */
export const GUESSED_FLOPS = { cpu: 10e9, gpu: 5e12 } as const

export interface TimeEstimate {
  tokensPerSecond: number
  secondsPerEpoch: number
  evalSeconds: number
  basis: string
  basisRunId: number | null
}

/**
 * Seconds per epoch of `trainTokens` tokens, plus one dev evaluation of `devTokens` tokens
 * (a forward pass costs about a third of a training step: 2·N against 6·N operations per token).
 * The speed comes from a measured run: the same model's tokens/s as is, another model's scaled by
 * parameter count (training costs about 6 operations per parameter and token). Without one, a
 * stated rough figure for the device.
 */
export function epochTime(o: { trainTokens: number; devTokens: number; params: number; measured: MeasuredRun | null; device: 'cpu' | 'gpu' }): TimeEstimate {
  let tokensPerSecond: number
  let basis: string
  const m = o.measured
  if (m && m.sameModel) {
    tokensPerSecond = m.tokensPerSecond
    basis = `measured: run #${m.id} "${m.name}" trained this model at ${fmt(m.tokensPerSecond)} tokens/s on this machine (median over its steps)`
  } else if (m) {
    tokensPerSecond = (m.tokensPerSecond * m.params) / o.params
    basis = `scaled from run #${m.id} "${m.name}" (${fmt(m.tokensPerSecond)} tokens/s with ${fmt(m.params)} parameters) by parameter count; a rough figure, small models are slower than this predicts`
  } else {
    const flops = GUESSED_FLOPS[o.device]
    tokensPerSecond = flops / (6 * o.params)
    basis = `a rough figure: no run has completed on this machine yet, so about ${o.device === 'gpu' ? '5 TFLOP/s (GPU)' : '10 GFLOP/s (CPU)'} and 6 operations per parameter and token are assumed; the first completed run's measured speed replaces this guess`
  }
  tokensPerSecond = Math.max(tokensPerSecond, 1e-9)
  return {
    tokensPerSecond,
    secondsPerEpoch: o.trainTokens / tokensPerSecond,
    evalSeconds: o.devTokens / (3 * tokensPerSecond),
    basis,
    basisRunId: m?.id ?? null,
  }
}

/** Median of the values, leaving out the first few (warm-up steps are slow) when there are many. */
export function steadyMedian(values: readonly number[]): number | null {
  const finite = values.filter((v) => Number.isFinite(v) && v > 0)
  const xs = (finite.length > 10 ? finite.slice(3) : finite).slice().sort((a, b) => a - b)
  if (xs.length === 0) return null
  const mid = xs.length >> 1
  return xs.length % 2 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3)
}
