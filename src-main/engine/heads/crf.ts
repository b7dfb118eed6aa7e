/**
 * A linear-chain CRF over the token-classification head's logits (the emissions), as in
 * pytorch-crf / BiLSTM-CRF taggers: a path y_1..y_n of tag ids scores
 *
 *   start[y_1] + Σ_t emissions[t, y_t] + Σ_{t≥2} transitions[y_{t-1}, y_t] + end[y_n]
 *
 * and the loss is the negative log-likelihood −(score(gold) − log Σ_paths exp(score(path))),
 * computed with the forward algorithm. `transitions[i][j]` scores tag i followed by tag j.
 *
 * Forbidden transitions (allowedTransitions: I-X after O in IOB2, B-X then O in IOBES, ...) are
 * not parameters that are learned away: FORBIDDEN_SCORE (-1e4) is added to them every time the
 * scores are used, so their probability is ~exp(-1e4) = 0 whatever the variables hold, their
 * gradient is that of a constant offset (no signal pushes them up), and Viterbi never takes
 * them (it skips them outright).
 *
 * Which positions the CRF runs over: the engine labels only the first sub-token of each word
 * (and -100 on [CLS], [SEP], continuation pieces and padding), so a chain over all token
 * positions would have "holes". The CRF runs over the LABELLED positions only, i.e. the word
 * sequence: compactLabelled gathers, per row, the positions whose label is not ignored (>= 0)
 * into a left-aligned [batch, words, tags] tensor plus a mask; the gather is differentiable, so
 * the gradient flows back to the emissions of those positions (and is zero elsewhere). At
 * inference, crfDecodeTokens does the same with a 0/1 selection (e.g. word starts).
 *
 * Sequences in a batch are left-aligned: the mask is 1 on a prefix of each row and 0 after.
 * A row with no position (mask all 0) contributes nothing, and the batch loss is the mean over
 * the rows that have at least one position.
 */
import * as tf from '@tensorflow/tfjs'
import { variableFrom } from '../ops/variables'
import type { TagSet } from '../data/labels'

/** Added to the score of a forbidden start, end or transition each time scores are used. */
export const FORBIDDEN_SCORE = -1e4

/** Which starts, ends and transitions (trans[from][to]) a tag sequence may have. */
export interface AllowedTransitions {
  start: boolean[]
  end: boolean[]
  /** trans[i][j]: may tag j follow tag i. */
  trans: boolean[][]
}

/** The learnable CRF scores. */
export interface CrfParams {
  /** [T, T]: transitions[i][j] scores tag i followed by tag j. */
  transitions: tf.Variable<tf.Rank.R2>
  /** [T]: score of a sequence starting with each tag. */
  start: tf.Variable<tf.Rank.R1>
  /** [T]: score of a sequence ending with each tag. */
  end: tf.Variable<tf.Rank.R1>
}

/** CRF scores as plain numbers, for decoding without tfjs. */
export interface CrfValues {
  /** Flat row-major [T * T]: transitions[i * T + j] scores tag i followed by tag j. */
  transitions: ArrayLike<number>
  /** [T] */
  start: ArrayLike<number>
  /** [T] */
  end: ArrayLike<number>
}

/** Every start, end and transition allowed (a CRF without a scheme). */
export function allowAllTransitions(numTags: number): AllowedTransitions {
  return {
    start: new Array<boolean>(numTags).fill(true),
    end: new Array<boolean>(numTags).fill(true),
    trans: Array.from({ length: numTags }, () => new Array<boolean>(numTags).fill(true)),
  }
}

/**
 * The structural constraints of the tag set's scheme.
 * - IOB2: I-X only after B-X or I-X; no sequence starts with I-X. Everything else is allowed
 *   (any tag may end a sequence).
 * - IOBES: after B-X or I-X only I-X or E-X (same type); after O, E-X or S-X only O, B-Y or S-Y
 *   (any type); a sequence starts with O, B or S and ends with O, E or S.
 */
export function allowedTransitions(tagSet: TagSet): AllowedTransitions {
  const n = tagSet.tags.length
  const { roles, tagTypes } = tagSet
  const allowed = allowAllTransitions(n)
  for (let j = 0; j < n; j++) {
    const r = roles[j]!
    if (tagSet.scheme === 'iob2') {
      allowed.start[j] = r !== 'I'
      allowed.end[j] = true
    } else {
      allowed.start[j] = r === 'O' || r === 'B' || r === 'S'
      allowed.end[j] = r === 'O' || r === 'E' || r === 'S'
    }
  }
  for (let i = 0; i < n; i++) {
    const ri = roles[i]!
    for (let j = 0; j < n; j++) {
      const rj = roles[j]!
      const same = tagTypes[i] === tagTypes[j]
      let ok: boolean
      if (tagSet.scheme === 'iob2') {
        // Only I-X is constrained: it continues an entity of the same type.
        ok = rj !== 'I' || ((ri === 'B' || ri === 'I') && same)
      } else if (ri === 'B' || ri === 'I') {
        ok = (rj === 'I' || rj === 'E') && same
      } else {
        // O, E-X, S-X: outside an entity afterwards.
        ok = rj === 'O' || rj === 'B' || rj === 'S'
      }
      allowed.trans[i]![j] = ok
    }
  }
  return allowed
}

/** Zero-initialised trainable CRF scores for `numTags` tags. */
export function initCrfParams(numTags: number): CrfParams {
  if (!Number.isInteger(numTags) || numTags < 1) throw new RangeError(`numTags must be a positive integer, got ${numTags}`)
  return {
    transitions: variableFrom(tf.zeros([numTags, numTags])) as tf.Variable<tf.Rank.R2>,
    start: variableFrom(tf.zeros([numTags])) as tf.Variable<tf.Rank.R1>,
    end: variableFrom(tf.zeros([numTags])) as tf.Variable<tf.Rank.R1>,
  }
}

/** The current scores, read from the variables (for viterbiDecode). */
export function crfParamValues(params: CrfParams): { transitions: Float32Array; start: Float32Array; end: Float32Array } {
  return {
    transitions: params.transitions.dataSync() as Float32Array,
    start: params.start.dataSync() as Float32Array,
    end: params.end.dataSync() as Float32Array,
  }
}

function checkAllowed(allowed: AllowedTransitions, numTags: number): void {
  if (allowed.start.length !== numTags || allowed.end.length !== numTags || allowed.trans.length !== numTags || allowed.trans.some((row) => row.length !== numTags)) {
    throw new RangeError(`the allowed-transition table is not for ${numTags} tags`)
  }
}

/** 0 where allowed, FORBIDDEN_SCORE where not. */
function penalties(allowed: AllowedTransitions): { trans: Float32Array; start: Float32Array; end: Float32Array } {
  const n = allowed.start.length
  const trans = new Float32Array(n * n)
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) trans[i * n + j] = allowed.trans[i]![j] ? 0 : FORBIDDEN_SCORE
  return {
    trans,
    start: Float32Array.from(allowed.start, (a) => (a ? 0 : FORBIDDEN_SCORE)),
    end: Float32Array.from(allowed.end, (a) => (a ? 0 : FORBIDDEN_SCORE)),
  }
}

/** The scores as used: the variables plus the forbidden penalties. */
function effectiveScores(params: CrfParams, allowed: AllowedTransitions): { trans: tf.Tensor2D; start: tf.Tensor1D; end: tf.Tensor1D } {
  const n = params.start.shape[0]
  checkAllowed(allowed, n)
  const p = penalties(allowed)
  return {
    trans: tf.add(params.transitions, tf.tensor2d(p.trans, [n, n])),
    start: tf.add(params.start, tf.tensor1d(p.start)),
    end: tf.add(params.end, tf.tensor1d(p.end)),
  }
}

function checkShapes(emissions: tf.Tensor3D, params: CrfParams): void {
  if (emissions.rank !== 3) throw new RangeError(`emissions must be [batch, seq, tags], got shape [${emissions.shape.join(', ')}]`)
  const n = params.start.shape[0]
  if (emissions.shape[2] !== n) throw new RangeError(`emissions have ${emissions.shape[2]} tags, the CRF ${n}`)
}

/**
 * log Σ over all paths of exp(score) per row ([B]), by the forward algorithm over the masked
 * prefix of each row. 0 for a row whose mask is all 0.
 */
export function crfLogPartition(emissions: tf.Tensor3D, mask: tf.Tensor, params: CrfParams, allowed: AllowedTransitions): tf.Tensor1D {
  checkShapes(emissions, params)
  return tf.tidy(() => {
    const [batch, seq] = emissions.shape
    const eff = effectiveScores(params, allowed)
    const m = tf.cast(mask, 'float32').reshape([batch, seq])
    if (seq === 0) return tf.zeros([batch]) as tf.Tensor1D
    const n = emissions.shape[2]
    // Slices rather than tf.unstack: Unpack's gradient fails when some outputs get none.
    const step = (t: number): tf.Tensor2D => emissions.slice([0, t, 0], [batch, 1, n]).reshape([batch, n])
    const maskAt = (t: number): tf.Tensor2D => m.slice([0, t], [batch, 1]) as tf.Tensor2D
    const transB = eff.trans.expandDims(0) // [1, from, to]
    let alpha: tf.Tensor = tf.add(step(0), eff.start) // [B, T]
    for (let t = 1; t < seq; t++) {
      const scores = tf.add(tf.add(alpha.expandDims(2), transB), step(t).expandDims(1)) // [B, from, to]
      const next = tf.logSumExp(scores, 1)
      const mt = maskAt(t)
      // m·next + (1-m)·alpha, exact for m in {0, 1} (alpha + m·(next - alpha) would lose the
      // digits of a state near FORBIDDEN_SCORE).
      alpha = tf.add(tf.mul(mt, next), tf.mul(tf.sub(1, mt), alpha))
    }
    const has = maskAt(0).reshape([batch])
    return tf.mul(tf.logSumExp(tf.add(alpha, eff.end), 1), has) as tf.Tensor1D
  })
}

/**
 * The score of the given tag path per row ([B]); tags int32 [B, S] (values at masked
 * positions are ignored, -100 included). 0 for a row whose mask is all 0.
 */
export function crfPathScore(emissions: tf.Tensor3D, tags: tf.Tensor, mask: tf.Tensor, params: CrfParams, allowed: AllowedTransitions): tf.Tensor1D {
  checkShapes(emissions, params)
  return tf.tidy(() => {
    const [batch, seq, n] = emissions.shape
    if (seq === 0) return tf.zeros([batch]) as tf.Tensor1D
    const eff = effectiveScores(params, allowed)
    const m = tf.cast(mask, 'float32').reshape([batch, seq])
    const safe = tf.clipByValue(tf.cast(tags, 'int32').reshape([batch, seq]), 0, n - 1)
    const oneHot = tf.oneHot(safe.reshape([-1]), n).reshape([batch, seq, n])
    const emit = tf.sum(tf.mul(tf.sum(tf.mul(emissions, oneHot), 2), m), 1)
    const has = m.slice([0, 0], [batch, 1]).reshape([batch])
    const first = safe.slice([0, 0], [batch, 1]).reshape([batch])
    const startScore = tf.mul(tf.gather(eff.start, first), has)
    // The last position of each row: mask[t] - mask[t+1] (mask being a prefix).
    const shifted = tf.concat([m.slice([0, 1], [batch, seq - 1]), tf.zeros([batch, 1])], 1)
    const last = tf.sub(m, shifted)
    const endScore = tf.sum(tf.mul(tf.gather(eff.end, safe.reshape([-1])).reshape([batch, seq]), last), 1)
    let total = tf.add(tf.add(emit, startScore), endScore)
    if (seq > 1) {
      const prev = safe.slice([0, 0], [batch, seq - 1])
      const next = safe.slice([0, 1], [batch, seq - 1])
      const idx = tf.add(tf.mul(prev, tf.scalar(n, 'int32')), next).reshape([-1])
      const trans = tf.gather(eff.trans.reshape([-1]), idx).reshape([batch, seq - 1])
      total = tf.add(total, tf.sum(tf.mul(trans, m.slice([0, 1], [batch, seq - 1])), 1))
    }
    return total as tf.Tensor1D
  })
}

/**
 * Mean negative log-likelihood of the gold paths: emissions [B, S, T], tags int32 [B, S], mask
 * [B, S] (1 on a left-aligned prefix: the positions of each sequence). Mean over the rows with
 * at least one position (0 when none has). Differentiable wrt emissions and params.
 */
export function crfNegLogLikelihood(emissions: tf.Tensor3D, tags: tf.Tensor, mask: tf.Tensor, params: CrfParams, allowed: AllowedTransitions): tf.Scalar {
  return tf.tidy(() => {
    const [batch, seq] = emissions.shape
    const logZ = crfLogPartition(emissions, mask, params, allowed)
    const gold = crfPathScore(emissions, tags, mask, params, allowed)
    const rows = seq === 0 ? tf.zeros([batch]) : tf.cast(mask, 'float32').reshape([batch, seq]).slice([0, 0], [batch, 1]).reshape([batch])
    return tf.div(tf.sum(tf.sub(logZ, gold)), tf.maximum(tf.sum(rows), 1)) as tf.Scalar
  })
}

/** compactLabelled's result: the labelled positions of each row, left-aligned. */
export interface CompactedBatch {
  /** [B, S', T]: emissions of the labelled positions, left-aligned; padding rows repeat position 0 (masked). */
  emissions: tf.Tensor3D
  /** int32 [B, S']: the labels there, 0 on padding. */
  tags: tf.Tensor2D
  /** float32 [B, S']: 1 on the labelled positions. */
  mask: tf.Tensor2D
  /** Labelled positions per row. */
  lengths: Int32Array
  /** Flat [B * S']: the original position (0..S-1) of each compacted position, -1 on padding. */
  positions: Int32Array
  /** S' = max(1, longest row). */
  length: number
}

/**
 * Gathers, per row, the positions whose label is >= 0 (IGNORE_LABEL -100 is left out) into a
 * left-aligned [B, S', T] tensor (tf.gather on flattened indices, so gradients flow back to
 * those positions). labels: flat [B * S] (or a [B, S] tensor, read synchronously). The caller
 * disposes the returned tensors.
 */
export function compactLabelled(emissions: tf.Tensor3D, labels: ArrayLike<number> | tf.Tensor): CompactedBatch {
  const [batch, seq, n] = emissions.shape
  const values = labels instanceof tf.Tensor ? labels.dataSync() : labels
  if (values.length !== batch * seq) throw new RangeError(`labels have ${values.length} entries, emissions ${batch} x ${seq} positions`)
  const rows: number[][] = []
  let longest = 0
  for (let b = 0; b < batch; b++) {
    const row: number[] = []
    for (let s = 0; s < seq; s++) {
      const l = values[b * seq + s]!
      if (l < 0) continue
      if (l >= n || !Number.isInteger(l)) throw new RangeError(`label ${l} at row ${b}, position ${s} is not a tag id (0..${n - 1}) or negative`)
      row.push(s)
    }
    rows.push(row)
    longest = Math.max(longest, row.length)
  }
  const length = Math.max(1, longest)
  const lengths = new Int32Array(batch)
  const positions = new Int32Array(batch * length).fill(-1)
  const index = new Int32Array(batch * length)
  const tags = new Int32Array(batch * length)
  const mask = new Float32Array(batch * length)
  rows.forEach((row, b) => {
    lengths[b] = row.length
    for (let k = 0; k < length; k++) {
      const at = b * length + k
      if (k < row.length) {
        const s = row[k]!
        positions[at] = s
        index[at] = b * seq + s
        tags[at] = values[b * seq + s]!
        mask[at] = 1
      } else {
        index[at] = b * seq
      }
    }
  })
  const compacted =
    seq === 0
      ? (tf.zeros([batch, length, n]) as tf.Tensor3D)
      : tf.tidy(() => tf.gather(emissions.reshape([batch * seq, n]), tf.tensor1d(index, 'int32')).reshape([batch, length, n]) as tf.Tensor3D)
  return {
    emissions: compacted,
    tags: tf.tensor2d(tags, [batch, length], 'int32'),
    mask: tf.tensor2d(mask, [batch, length], 'float32'),
    lengths,
    positions,
    length,
  }
}

/**
 * The CRF loss of token-level logits with engine labels (flat [B * S], -100 where ignored):
 * compactLabelled, then crfNegLogLikelihood over the word sequences.
 */
export function crfTokenLoss(emissions: tf.Tensor3D, labels: ArrayLike<number> | tf.Tensor, params: CrfParams, allowed: AllowedTransitions): tf.Scalar {
  return tf.tidy(() => {
    const c = compactLabelled(emissions, labels)
    return crfNegLogLikelihood(c.emissions, c.tags, c.mask, params, allowed)
  })
}

export interface DecodedPath {
  /** Tag id per position. */
  path: number[]
  /** Its score (start + emissions + transitions + end, no penalty: it uses allowed steps only). */
  score: number
}

/**
 * The best allowed tag path of one sequence: emissions flat row-major [>= length * T] (position
 * t, tag j at t * T + j), scores as plain numbers. Forbidden starts, ends and transitions are
 * never taken. Ties go to the lower tag id. Throws when no allowed path exists (cannot happen
 * with allowedTransitions' tables, where O ... O always is one).
 */
export function viterbiDecode(emissions: ArrayLike<number>, length: number, values: CrfValues, allowed: AllowedTransitions): DecodedPath {
  const n = values.start.length
  checkAllowed(allowed, n)
  if (values.end.length !== n || values.transitions.length !== n * n) throw new RangeError(`the CRF scores are not for ${n} tags`)
  if (!Number.isInteger(length) || length < 0 || emissions.length < length * n) throw new RangeError(`emissions have ${emissions.length} values, not enough for ${length} positions of ${n} tags`)
  if (length === 0) return { path: [], score: 0 }
  let score = new Float64Array(n)
  let next = new Float64Array(n)
  const back = new Int32Array(length * n)
  for (let j = 0; j < n; j++) score[j] = allowed.start[j] ? values.start[j]! + emissions[j]! : -Infinity
  for (let t = 1; t < length; t++) {
    for (let j = 0; j < n; j++) {
      let best = -Infinity
      let arg = -1
      for (let i = 0; i < n; i++) {
        if (!allowed.trans[i]![j] || score[i] === -Infinity) continue
        const s = score[i]! + values.transitions[i * n + j]!
        if (s > best) {
          best = s
          arg = i
        }
      }
      back[t * n + j] = arg
      next[j] = arg < 0 ? -Infinity : best + emissions[t * n + j]!
    }
    ;[score, next] = [next, score]
  }
  let best = -Infinity
  let arg = -1
  for (let j = 0; j < n; j++) {
    if (!allowed.end[j] || score[j] === -Infinity) continue
    const s = score[j]! + values.end[j]!
    if (s > best) {
      best = s
      arg = j
    }
  }
  if (arg < 0) throw new RangeError('no allowed tag path of this length')
  const path = new Array<number>(length)
  path[length - 1] = arg
  for (let t = length - 1; t > 0; t--) path[t - 1] = back[t * n + path[t]!]!
  return { path, score: best }
}

/**
 * viterbiDecode for each row of a batch: emissions flat [B * S * T], lengths[b] positions used
 * at the start of row b.
 */
export function viterbiDecodeBatch(emissions: ArrayLike<number>, seqLength: number, lengths: ArrayLike<number>, values: CrfValues, allowed: AllowedTransitions): DecodedPath[] {
  const n = values.start.length
  const rowSize = seqLength * n
  if (emissions.length !== lengths.length * rowSize) throw new RangeError(`emissions have ${emissions.length} values, expected ${lengths.length} x ${seqLength} x ${n}`)
  const out: DecodedPath[] = []
  for (let b = 0; b < lengths.length; b++) {
    const len = lengths[b]!
    if (len > seqLength) throw new RangeError(`row ${b} has length ${len} > ${seqLength}`)
    const row = emissions instanceof Float32Array ? emissions.subarray(b * rowSize, (b + 1) * rowSize) : Array.prototype.slice.call(emissions, b * rowSize, (b + 1) * rowSize)
    out.push(viterbiDecode(row, len, values, allowed))
  }
  return out
}

/**
 * Token-level decoding with the CRF over selected positions (the words): emissions flat
 * [B * S * T], select flat [B * S] (nonzero where a position takes part, e.g. label >= 0 when
 * training or a word start at inference). Returns the tag id per position, IGNORE (-100) where
 * not selected, so the result reads like the softmax head's argmax over labelled positions.
 */
export function crfDecodeTokens(emissions: ArrayLike<number>, batchSize: number, seqLength: number, select: ArrayLike<number>, values: CrfValues, allowed: AllowedTransitions): Int32Array {
  const n = values.start.length
  if (emissions.length !== batchSize * seqLength * n || select.length !== batchSize * seqLength) throw new RangeError('emissions / select do not match batchSize x seqLength')
  const out = new Int32Array(batchSize * seqLength).fill(-100)
  for (let b = 0; b < batchSize; b++) {
    const positions: number[] = []
    for (let s = 0; s < seqLength; s++) if (select[b * seqLength + s]) positions.push(s)
    const rowEmissions = new Float64Array(positions.length * n)
    positions.forEach((s, k) => {
      for (let j = 0; j < n; j++) rowEmissions[k * n + j] = emissions[(b * seqLength + s) * n + j]!
    })
    const { path } = viterbiDecode(rowEmissions, positions.length, values, allowed)
    positions.forEach((s, k) => {
      out[b * seqLength + s] = path[k]!
    })
  }
  return out
}
