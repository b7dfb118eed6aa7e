/**
 * A small WebAssembly SIMD module, assembled here byte by byte, that works directly on the
 * tfjs wasm backend's heap (it imports the backend's WebAssembly.Memory). It holds fused loops
 * that tfjs-wasm has no kernel for and that are slow there as chains of tf ops (each op is one
 * more pass over memory and one more allocation; some, such as exp, erf and a 2-D transpose,
 * are scalar or cache-unfriendly loops):
 *
 * - adamw: one AdamW update of a tensor (m, v and the new weights in one pass). As tf ops it
 *   is 14 passes per tensor, about 55 ms per step for 8.7M parameters, against 14 ms; a plain
 *   JS loop is no faster than the tf ops (scalar sqrt and division). The arithmetic is exactly
 *   that of the tf-op version (the same float32 operations in the same order, no fused
 *   multiply-add), so both paths give the same bits.
 * - colsum: column sums of [rows, cols] (bias and LayerNorm gradients).
 * - gelu: exact GELU and its derivative in one pass (erfc by Abramowitz & Stegun 7.1.26,
 *   |error| ≤ 1.5e-7, and e^(-x²/2) by a Cephes-style exp, about 1 ulp).
 * - transpose: a 2-D transpose by 4x4 register blocks.
 * - lnForward / lnBackward: LayerNorm over rows, with the backward pass also accumulating the
 *   gamma and beta gradients.
 * - sumSquares: Σx² of a tensor (gradient clipping), in float32 over chunks of 1024 values and
 *   float64 across chunks.
 *
 * Pointers are byte offsets into the heap; every length handled here is a multiple of 4
 * (callers check, and use tf ops otherwise). Nothing here is needed for correctness: when
 * WebAssembly SIMD or the backend's memory is unavailable, callers fall back to tf ops.
 */

type Bytes = number[]

/** Unsigned LEB128. */
function uleb(n: number): Bytes {
  const out: Bytes = []
  do {
    let b = n & 0x7f
    n >>>= 7
    if (n !== 0) b |= 0x80
    out.push(b)
  } while (n !== 0)
  return out
}

/** Signed LEB128 (32-bit values). */
function sleb(n: number): Bytes {
  const out: Bytes = []
  n |= 0
  for (;;) {
    const b = n & 0x7f
    n >>= 7
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b)
      return out
    }
    out.push(b | 0x80)
  }
}

const str = (s: string): Bytes => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))]
const section = (id: number, body: Bytes): Bytes => [id, ...uleb(body.length), ...body]
const vec = (items: Bytes[]): Bytes => [...uleb(items.length), ...items.flat()]

const I32 = 0x7f
const F32 = 0x7d
const V128 = 0x7b
const F64 = 0x7c

// ---- instructions -------------------------------------------------------------------------
const get = (i: number): Bytes => [0x20, ...uleb(i)]
const set = (i: number): Bytes => [0x21, ...uleb(i)]
const i32c = (n: number): Bytes => [0x41, ...sleb(n)]
const I32_ADD = [0x6a]
const I32_MUL = [0x6c]
const I32_SHL = [0x74]
const I32_GE_U = [0x4f]
const F32_LOAD = [0x2a, 2, 0]
const F32_STORE = [0x38, 2, 0]
const F32_ADD = [0x92]
const F32_MUL = [0x94]
const F32_DIV = [0x95]
const F32_SQRT = [0x91]
const f32c = (x: number): Bytes => [0x43, ...new Uint8Array(new Float32Array([x]).buffer)]
const simd = (op: number): Bytes => [0xfd, ...uleb(op)]
const V_LOAD = [...simd(0x00), 4, 0] // align 2^4, offset 0 (alignment is a hint)
const V_STORE = [...simd(0x0b), 4, 0]
const vConstF = (x: number): Bytes => [...simd(0x0c), ...new Uint8Array(new Float32Array([x, x, x, x]).buffer)]
const vConstI = (x: number): Bytes => [...simd(0x0c), ...new Uint8Array(new Int32Array([x, x, x, x]).buffer)]
/** i8x16.shuffle picking f32 lanes (0-3 from the first operand, 4-7 from the second). */
const shuffle = (lanes: [number, number, number, number]): Bytes => [...simd(0x0d), ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3])]
const extractLane = (l: number): Bytes => [...simd(0x1f), l]
const F_SPLAT = simd(0x13)
const V_AND = simd(0x4e)
const V_OR = simd(0x50)
const F_NEAREST = simd(0x6a)
const I_SHL = simd(0xab)
const I_ADD = simd(0xae)
const F_ABS = simd(0xe0)
const F_SQRT = simd(0xe3)
const F_ADD = simd(0xe4)
const F_SUB = simd(0xe5)
const F_MUL = simd(0xe6)
const F_DIV = simd(0xe7)
const F_MAX = simd(0xe9)
const I_TRUNC_SAT_F = simd(0xf8)
const D_PROMOTE_LOW = simd(0x5f)
const D_ADD = simd(0xf0)
const dExtractLane = (l: number): Bytes => [...simd(0x21), l]
const F64_ADD = [0xa0]
const I32_LT_U = [0x49]
const SELECT = [0x1b]

/** while (i < end) { body; i += step } — i and end are i32 locals, i set by the caller. */
function whileLess(i: number, end: number, step: number, body: Bytes): Bytes {
  return [0x02, 0x40, 0x03, 0x40, ...get(i), ...get(end), ...I32_GE_U, 0x0d, 1, ...body, ...get(i), ...i32c(step), ...I32_ADD, ...set(i), 0x0c, 0, 0x0b, 0x0b]
}
const add = (a: Bytes, b: Bytes): Bytes => [...a, ...b, ...I32_ADD]
const loadV = (addr: Bytes): Bytes => [...addr, ...V_LOAD]
const storeV = (addr: Bytes, value: Bytes): Bytes => [...addr, ...value, ...V_STORE]
/** Sum of the 4 lanes of a v128 local, as f32 (((l0 + l1) + l2) + l3). */
const hsum = (v: number): Bytes => [...get(v), ...extractLane(0), ...get(v), ...extractLane(1), ...F32_ADD, ...get(v), ...extractLane(2), ...F32_ADD, ...get(v), ...extractLane(3), ...F32_ADD]

interface Fn {
  name: string
  params: number[]
  results?: number[]
  locals: [number, number][] // [count, type]
  body: Bytes
}

// ---- adamw --------------------------------------------------------------------------------
/**
 * adamw(p, g, m, v, pOut, mOut, vOut, n, β1, 1-β1, β2, 1-β2, stepSize, invSqrtBc2, eps, decay)
 *   m' = m·β1 + g·(1-β1);  v' = v·β2 + g²·(1-β2);  p' = p·decay - (m'·stepSize) / (√v'·invSqrtBc2 + eps)
 */
function adamw(): Fn {
  const [P, G, M, V, PO, MO, VO, N] = [0, 1, 2, 3, 4, 5, 6, 7]
  const O = 16
  const END = 17
  const S = 18 // 18..25: splats of params 8..15
  const GV = 26
  const MV = 27
  const VV = 28
  const at = (ptr: number): Bytes => add(get(ptr), get(O))
  const body: Bytes = []
  for (let k = 0; k < 8; k++) body.push(...get(8 + k), ...F_SPLAT, ...set(S + k))
  body.push(...get(N), ...i32c(2), ...I32_SHL, ...set(END), ...i32c(0), ...set(O))
  body.push(
    ...whileLess(O, END, 16, [
      ...loadV(at(G)), ...set(GV),
      ...loadV(at(M)), ...get(S + 0), ...F_MUL, ...get(GV), ...get(S + 1), ...F_MUL, ...F_ADD, ...set(MV),
      ...storeV(at(MO), get(MV)),
      ...loadV(at(V)), ...get(S + 2), ...F_MUL, ...get(GV), ...get(GV), ...F_MUL, ...get(S + 3), ...F_MUL, ...F_ADD, ...set(VV),
      ...storeV(at(VO), get(VV)),
      ...storeV(at(PO), [
        ...loadV(at(P)), ...get(S + 7), ...F_MUL,
        ...get(MV), ...get(S + 4), ...F_MUL,
        ...get(VV), ...F_SQRT, ...get(S + 5), ...F_MUL, ...get(S + 6), ...F_ADD,
        ...F_DIV, ...F_SUB,
      ]),
    ]),
  )
  return { name: 'adamw', params: [I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32], locals: [[2, I32], [11, V128]], body }
}

// ---- colsum -------------------------------------------------------------------------------
/** colsum(x, out, rows, cols): out[j] += x[r, j] over rows in order (float32). The caller zeroes out. */
function colsum(): Fn {
  const [X, OUT, ROWS, COLS] = [0, 1, 2, 3]
  const XO = 4
  const END = 5
  const J = 6
  const ROW = 7
  const body: Bytes = [
    ...get(COLS), ...i32c(2), ...I32_SHL, ...set(ROW),
    ...get(ROWS), ...get(ROW), ...I32_MUL, ...set(END),
    ...i32c(0), ...set(XO),
    ...whileLess(XO, END, 0, [
      ...i32c(0), ...set(J),
      ...whileLess(J, ROW, 16, storeV(add(get(OUT), get(J)), [...loadV(add(get(OUT), get(J))), ...loadV(add(add(get(X), get(XO)), get(J))), ...F_ADD])),
      ...get(XO), ...get(ROW), ...I32_ADD, ...set(XO),
    ]),
  ]
  return { name: 'colsum', params: [I32, I32, I32, I32], locals: [[4, I32]], body }
}

// ---- gelu ---------------------------------------------------------------------------------
const AS_P = 0.3275911
const AS_A = [0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429]
// Cephes expf: e^r ≈ 1 + r + r²·(c1 + r·(c2 + r·(c3 + r·(c4 + r·(c5 + r·c6))))), |r| ≤ ln2/2
const EXP_C = [5.0000001201e-1, 1.6666665459e-1, 4.1665795894e-2, 8.3334519073e-3, 1.3981999507e-3, 1.98756915e-4]
const LN2_HI = 0.693359375
const LN2_LO = -2.12194440e-4

/**
 * gelu(x, y, d, n): y = x·Φ(x), d = Φ(x) + x·φ(x) (the derivative), Φ the normal CDF:
 * Φ(x) = (1/2 + h) - h·erfc(|x|/√2), h = sign(x)/2, erfc(z) = t·poly(t)·e^(-z²), t = 1/(1 + p·z).
 */
function gelu(): Fn {
  const [X, Y, D, N] = [0, 1, 2, 3]
  const O = 4
  const END = 5
  const XV = 6
  const T = 7
  const POLY = 8
  const U = 9
  const K = 10
  const R = 11
  const E = 12
  const H = 13
  const CDF = 14
  const at = (ptr: number): Bytes => add(get(ptr), get(O))
  // poly(t)·t by Horner: ((((a5·t + a4)·t + a3)·t + a2)·t + a1)·t
  const poly: Bytes = [...get(T), ...vConstF(AS_A[4]!), ...F_MUL]
  for (let k = 3; k >= 0; k--) poly.push(...vConstF(AS_A[k]!), ...F_ADD, ...get(T), ...F_MUL)
  // exp(u), u in [-87, 0]: k = nearest(u·log2e), r = u - k·ln2 (two parts), e = p(r)·2^k
  const q: Bytes = [...get(R), ...vConstF(EXP_C[5]!), ...F_MUL]
  for (let k = 4; k >= 0; k--) q.push(...vConstF(EXP_C[k]!), ...F_ADD, ...(k > 0 ? [...get(R), ...F_MUL] : []))
  const body: Bytes = [
    ...get(N), ...i32c(2), ...I32_SHL, ...set(END), ...i32c(0), ...set(O),
    ...whileLess(O, END, 16, [
      ...loadV(at(X)), ...set(XV),
      ...vConstF(1), ...vConstF(1), ...get(XV), ...F_ABS, ...vConstF(AS_P * Math.SQRT1_2), ...F_MUL, ...F_ADD, ...F_DIV, ...set(T),
      ...poly, ...set(POLY),
      ...get(XV), ...get(XV), ...F_MUL, ...vConstF(-0.5), ...F_MUL, ...vConstF(-87), ...F_MAX, ...set(U),
      ...get(U), ...vConstF(Math.LOG2E), ...F_MUL, ...F_NEAREST, ...set(K),
      ...get(U), ...get(K), ...vConstF(LN2_HI), ...F_MUL, ...F_SUB, ...get(K), ...vConstF(LN2_LO), ...F_MUL, ...F_SUB, ...set(R),
      // e = (q·r² + r + 1)·2^k
      ...q, ...get(R), ...get(R), ...F_MUL, ...F_MUL, ...get(R), ...F_ADD, ...vConstF(1), ...F_ADD,
      ...get(K), ...I_TRUNC_SAT_F, ...vConstI(127), ...I_ADD, ...i32c(23), ...I_SHL, ...F_MUL, ...set(E),
      // h = copysign(1/2, x); Φ = (1/2 + h) - h·erfc
      ...get(XV), ...vConstI(-0x80000000), ...V_AND, ...vConstF(0.5), ...V_OR, ...set(H),
      ...get(H), ...vConstF(0.5), ...F_ADD, ...get(H), ...get(POLY), ...get(E), ...F_MUL, ...F_MUL, ...F_SUB, ...set(CDF),
      ...storeV(at(Y), [...get(XV), ...get(CDF), ...F_MUL]),
      ...storeV(at(D), [...get(CDF), ...get(XV), ...get(E), ...F_MUL, ...vConstF(1 / Math.sqrt(2 * Math.PI)), ...F_MUL, ...F_ADD]),
    ]),
  ]
  return { name: 'gelu', params: [I32, I32, I32, I32], locals: [[2, I32], [9, V128]], body }
}

// ---- transpose ----------------------------------------------------------------------------
/** transpose(x, out, rows, cols): out[j, i] = x[i, j], by 4x4 blocks; rows and cols multiples of 4. */
function transpose(): Fn {
  const [X, OUT, ROWS, COLS] = [0, 1, 2, 3]
  const I = 4
  const J = 5
  const SRC = 6
  const DST = 7
  const IN_ROW = 8 // bytes per input row
  const OUT_ROW = 9
  const [R0, R1, R2, R3, T0, T1, T2, T3] = [10, 11, 12, 13, 14, 15, 16, 17]
  const row = (base: number, stride: number, k: number): Bytes => (k === 0 ? get(base) : [...get(base), ...get(stride), ...(k > 1 ? [...i32c(k), ...I32_MUL] : []), ...I32_ADD])
  const body: Bytes = [
    ...get(COLS), ...i32c(2), ...I32_SHL, ...set(IN_ROW),
    ...get(ROWS), ...i32c(2), ...I32_SHL, ...set(OUT_ROW),
    ...i32c(0), ...set(J),
    ...whileLess(J, COLS, 4, [
      ...i32c(0), ...set(I),
      ...whileLess(I, ROWS, 4, [
        // src = x + (i·cols + j)·4, dst = out + (j·rows + i)·4
        ...get(X), ...get(I), ...get(COLS), ...I32_MUL, ...get(J), ...I32_ADD, ...i32c(2), ...I32_SHL, ...I32_ADD, ...set(SRC),
        ...get(OUT), ...get(J), ...get(ROWS), ...I32_MUL, ...get(I), ...I32_ADD, ...i32c(2), ...I32_SHL, ...I32_ADD, ...set(DST),
        ...loadV(row(SRC, IN_ROW, 0)), ...set(R0),
        ...loadV(row(SRC, IN_ROW, 1)), ...set(R1),
        ...loadV(row(SRC, IN_ROW, 2)), ...set(R2),
        ...loadV(row(SRC, IN_ROW, 3)), ...set(R3),
        ...get(R0), ...get(R1), ...shuffle([0, 4, 1, 5]), ...set(T0),
        ...get(R0), ...get(R1), ...shuffle([2, 6, 3, 7]), ...set(T1),
        ...get(R2), ...get(R3), ...shuffle([0, 4, 1, 5]), ...set(T2),
        ...get(R2), ...get(R3), ...shuffle([2, 6, 3, 7]), ...set(T3),
        ...storeV(row(DST, OUT_ROW, 0), [...get(T0), ...get(T2), ...shuffle([0, 1, 4, 5])]),
        ...storeV(row(DST, OUT_ROW, 1), [...get(T0), ...get(T2), ...shuffle([2, 3, 6, 7])]),
        ...storeV(row(DST, OUT_ROW, 2), [...get(T1), ...get(T3), ...shuffle([0, 1, 4, 5])]),
        ...storeV(row(DST, OUT_ROW, 3), [...get(T1), ...get(T3), ...shuffle([2, 3, 6, 7])]),
      ]),
    ]),
  ]
  return { name: 'transpose', params: [I32, I32, I32, I32], locals: [[6, I32], [8, V128]], body }
}

// ---- LayerNorm ----------------------------------------------------------------------------
/**
 * lnForward(x, gamma, beta, y, xhat, rstd, rows, cols, invCols, eps), per row:
 * mean = Σx/cols, var = Σ(x - mean)²/cols, rstd = 1/√(var + eps), xhat = (x - mean)·rstd,
 * y = xhat·gamma + beta. xhat [rows, cols] and rstd [rows] are kept for the backward pass.
 */
function lnForward(): Fn {
  const [X, GAMMA, BETA, Y, XHAT, RSTD, ROWS, COLS, INV, EPS] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
  const R = 10
  const J = 11
  const ROW = 12 // bytes per row
  const BASE = 13 // byte offset of the row
  const MEAN = 14 // f32
  const RS = 15 // f32
  const ACC = 16 // v128
  const MV = 17
  const RV = 18
  const D = 19
  const rowAt = (ptr: number): Bytes => add(add(get(ptr), get(BASE)), get(J))
  const colAt = (ptr: number): Bytes => add(get(ptr), get(J))
  const body: Bytes = [
    ...get(COLS), ...i32c(2), ...I32_SHL, ...set(ROW),
    ...i32c(0), ...set(R),
    ...whileLess(R, ROWS, 1, [
      ...get(R), ...get(ROW), ...I32_MUL, ...set(BASE),
      ...vConstF(0), ...set(ACC), ...i32c(0), ...set(J),
      ...whileLess(J, ROW, 16, [...get(ACC), ...loadV(rowAt(X)), ...F_ADD, ...set(ACC)]),
      ...hsum(ACC), ...get(INV), ...F32_MUL, ...set(MEAN),
      ...get(MEAN), ...F_SPLAT, ...set(MV),
      ...vConstF(0), ...set(ACC), ...i32c(0), ...set(J),
      ...whileLess(J, ROW, 16, [...loadV(rowAt(X)), ...get(MV), ...F_SUB, ...set(D), ...get(ACC), ...get(D), ...get(D), ...F_MUL, ...F_ADD, ...set(ACC)]),
      ...f32c(1), ...hsum(ACC), ...get(INV), ...F32_MUL, ...get(EPS), ...F32_ADD, ...F32_SQRT, ...F32_DIV, ...set(RS),
      ...get(RSTD), ...get(R), ...i32c(2), ...I32_SHL, ...I32_ADD, ...get(RS), ...F32_STORE,
      ...get(RS), ...F_SPLAT, ...set(RV),
      ...i32c(0), ...set(J),
      ...whileLess(J, ROW, 16, [
        ...loadV(rowAt(X)), ...get(MV), ...F_SUB, ...get(RV), ...F_MUL, ...set(D),
        ...storeV(rowAt(XHAT), get(D)),
        ...storeV(rowAt(Y), [...get(D), ...loadV(colAt(GAMMA)), ...F_MUL, ...loadV(colAt(BETA)), ...F_ADD]),
      ]),
    ]),
  ]
  return { name: 'lnForward', params: [I32, I32, I32, I32, I32, I32, I32, I32, F32, F32], locals: [[4, I32], [2, F32], [4, V128]], body }
}

/**
 * lnBackward(dy, xhat, rstd, gamma, dx, dgamma, dbeta, rows, cols, invCols), per row, with
 * g = dy·gamma: dx = rstd·((g - mean(g)) - xhat·mean(g·xhat)); dgamma += dy·xhat, dbeta += dy
 * (the caller zeroes dgamma and dbeta).
 */
function lnBackward(): Fn {
  const [DY, XHAT, RSTD, GAMMA, DX, DGAMMA, DBETA, ROWS, COLS, INV] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
  const R = 10
  const J = 11
  const ROW = 12
  const BASE = 13
  const AG = 14 // v128 Σg
  const AGX = 15 // v128 Σg·xhat
  const DYV = 16
  const XH = 17
  const GV = 18
  const MG = 19 // v128 splat mean(g)
  const MGX = 20 // v128 splat mean(g·xhat)
  const RV = 21
  const rowAt = (ptr: number): Bytes => add(add(get(ptr), get(BASE)), get(J))
  const colAt = (ptr: number): Bytes => add(get(ptr), get(J))
  const body: Bytes = [
    ...get(COLS), ...i32c(2), ...I32_SHL, ...set(ROW),
    ...i32c(0), ...set(R),
    ...whileLess(R, ROWS, 1, [
      ...get(R), ...get(ROW), ...I32_MUL, ...set(BASE),
      ...vConstF(0), ...set(AG), ...vConstF(0), ...set(AGX), ...i32c(0), ...set(J),
      ...whileLess(J, ROW, 16, [
        ...loadV(rowAt(DY)), ...set(DYV),
        ...loadV(rowAt(XHAT)), ...set(XH),
        ...get(DYV), ...loadV(colAt(GAMMA)), ...F_MUL, ...set(GV),
        ...get(AG), ...get(GV), ...F_ADD, ...set(AG),
        ...get(AGX), ...get(GV), ...get(XH), ...F_MUL, ...F_ADD, ...set(AGX),
        ...storeV(colAt(DGAMMA), [...loadV(colAt(DGAMMA)), ...get(DYV), ...get(XH), ...F_MUL, ...F_ADD]),
        ...storeV(colAt(DBETA), [...loadV(colAt(DBETA)), ...get(DYV), ...F_ADD]),
      ]),
      ...hsum(AG), ...get(INV), ...F32_MUL, ...F_SPLAT, ...set(MG),
      ...hsum(AGX), ...get(INV), ...F32_MUL, ...F_SPLAT, ...set(MGX),
      ...get(RSTD), ...get(R), ...i32c(2), ...I32_SHL, ...I32_ADD, ...F32_LOAD, ...F_SPLAT, ...set(RV),
      ...i32c(0), ...set(J),
      ...whileLess(J, ROW, 16, [
        ...storeV(rowAt(DX), [
          ...loadV(rowAt(DY)), ...loadV(colAt(GAMMA)), ...F_MUL, ...get(MG), ...F_SUB,
          ...loadV(rowAt(XHAT)), ...get(MGX), ...F_MUL, ...F_SUB,
          ...get(RV), ...F_MUL,
        ]),
      ]),
    ]),
  ]
  return { name: 'lnBackward', params: [I32, I32, I32, I32, I32, I32, I32, I32, I32, F32], locals: [[4, I32], [8, V128]], body }
}

// ---- sum of squares ----------------------------------------------------------------------
/** sumSquares(x, n) -> f64: Σ x², n a multiple of 4. */
function sumSquares(): Fn {
  const [X, N] = [0, 1]
  const O = 2 // byte offset
  const END = 3
  const CHUNK_END = 4
  const ACC = 5 // v128 f32x4 partial sums of the chunk
  const TOTAL = 6 // v128 f64x2
  const V = 7
  const body: Bytes = [
    ...get(N), ...i32c(2), ...I32_SHL, ...set(END), ...i32c(0), ...set(O),
    ...vConstF(0), ...set(TOTAL),
    ...whileLess(O, END, 0, [
      // chunk_end = min(o + 4096, end)
      ...get(O), ...i32c(4096), ...I32_ADD, ...get(END), ...get(O), ...i32c(4096), ...I32_ADD, ...get(END), ...I32_LT_U, ...SELECT, ...set(CHUNK_END),
      ...vConstF(0), ...set(ACC),
      ...whileLess(O, CHUNK_END, 16, [...loadV(add(get(X), get(O))), ...set(V), ...get(ACC), ...get(V), ...get(V), ...F_MUL, ...F_ADD, ...set(ACC)]),
      ...get(TOTAL), ...get(ACC), ...D_PROMOTE_LOW, ...D_ADD, ...get(ACC), ...get(ACC), ...shuffle([2, 3, 0, 1]), ...D_PROMOTE_LOW, ...D_ADD, ...set(TOTAL),
    ]),
    ...get(TOTAL), ...dExtractLane(0), ...get(TOTAL), ...dExtractLane(1), ...F64_ADD,
  ]
  return { name: 'sumSquares', params: [I32, I32], results: [F64], locals: [[3, I32], [3, V128]], body }
}

// ---- module -------------------------------------------------------------------------------
function moduleBytes(fns: Fn[]): Uint8Array {
  const types = fns.map((f) => [0x60, ...vec(f.params.map((p) => [p])), ...vec((f.results ?? []).map((r) => [r]))])
  const bodies = fns.map((f) => {
    const body = [...vec(f.locals.map(([n, t]) => [...uleb(n), t])), ...f.body, 0x0b]
    return [...uleb(body.length), ...body]
  })
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...str('env'), ...str('memory'), 0x02, 0x00, ...uleb(1)]])),
    ...section(3, vec(fns.map((_, i) => uleb(i)))),
    ...section(7, vec(fns.map((f, i) => [...str(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(bodies)),
  ])
}

export interface SimdKernels {
  adamw(p: number, g: number, m: number, v: number, pOut: number, mOut: number, vOut: number, n: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, stepSize: number, invSqrtBc2: number, eps: number, decay: number): void
  colsum(x: number, out: number, rows: number, cols: number): void
  gelu(x: number, y: number, d: number, n: number): void
  transpose(x: number, out: number, rows: number, cols: number): void
  lnForward(x: number, gamma: number, beta: number, y: number, xhat: number, rstd: number, rows: number, cols: number, invCols: number, eps: number): void
  sumSquares(x: number, n: number): number
  lnBackward(dy: number, xhat: number, rstd: number, gamma: number, dx: number, dgamma: number, dbeta: number, rows: number, cols: number, invCols: number): void
}

/** The part of a WebAssembly.Memory used here (the Node typings in use do not declare WebAssembly's classes). */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike
}

interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown }
}

const webAssembly = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly

const instances = new WeakMap<WasmMemory, SimdKernels | null>()

/** The module's bytes (exported for tests). */
export const simdModuleBytes = (): Uint8Array => moduleBytes([adamw(), colsum(), gelu(), transpose(), lnForward(), lnBackward(), sumSquares()])

/** Whether this runtime accepts the module (WebAssembly with SIMD). */
export const simdSupported = (): boolean => webAssembly !== undefined && webAssembly.validate(simdModuleBytes())

/** The kernels bound to `memory` (the tfjs wasm backend's WebAssembly.Memory), or null when this runtime cannot run them. */
export function simdKernels(memory: WasmMemory | undefined): SimdKernels | null {
  if (!memory || !webAssembly) return null
  let k = instances.get(memory)
  if (k !== undefined) return k
  k = null
  try {
    const bytes = simdModuleBytes()
    if (webAssembly.validate(bytes) && !(typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer)) {
      const instance = new webAssembly.Instance(new webAssembly.Module(bytes), { env: { memory } })
      k = instance.exports as SimdKernels
    }
  } catch {
    k = null
  }
  instances.set(memory, k)
  return k
}
