/**
 * The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * header length N, N bytes of JSON header, then the data buffer. The header maps tensor names to
 * { dtype, shape, data_offsets: [begin, end] } with offsets relative to the start of the data
 * buffer; `__metadata__` holds free-form string metadata. Pure: bytes in, Float32Arrays out.
 */
import { ModelFileError } from './errors'

export { ModelFileError }

export type FloatDtype = 'F32' | 'F16' | 'BF16'

export interface SafetensorsTensor {
  dtype: FloatDtype
  shape: number[]
  /** Always float32, whatever the stored dtype; a copy, never a view into the file's bytes. */
  data: Float32Array
}

export interface ParseSafetensorsOptions {
  /**
   * Leave out tensors of known but unsupported dtypes (I64, F64, BOOL...) instead of failing. Their
   * offsets are still checked. Useful for checkpoints carrying integer buffers such as
   * `embeddings.position_ids`. Default false.
   */
  skipUnsupported?: boolean
}

/** Bytes per element of every dtype the format defines; only the float ones are converted. */
export const DTYPE_SIZES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
}

/** The dtypes loading converts to float32. */
export const SUPPORTED: ReadonlySet<string> = new Set<FloatDtype>(['F32', 'F16', 'BF16'])

/** The reference implementation refuses headers above 100 MB; so do we. */
const MAX_HEADER_BYTES = 100_000_000

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

interface HeaderEntry {
  name: string
  dtype: string
  shape: number[]
  begin: number
  end: number
}

export function parseSafetensors(
  bytes: Uint8Array,
  file = 'model.safetensors',
  options: ParseSafetensorsOptions = {},
): Map<string, SafetensorsTensor> {
  const fail = (message: string): never => {
    throw new ModelFileError(file, message)
  }
  if (bytes.byteLength < 8) {
    fail(`truncated: ${bytes.byteLength} bytes, too short for the 8-byte header length`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerLen = view.getBigUint64(0, true)
  if (headerLen > BigInt(bytes.byteLength - 8)) {
    fail(`truncated or not a safetensors file: header length ${headerLen} is beyond the file's ${bytes.byteLength} bytes`)
  }
  const n = Number(headerLen)
  if (n > MAX_HEADER_BYTES) fail(`header of ${n} bytes is too large (limit ${MAX_HEADER_BYTES})`)
  if (n < 2) fail(`header of ${n} bytes cannot hold a JSON object`)

  let header: unknown
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)))
  } catch (err) {
    fail(`header is not valid JSON (${(err as Error).message})`)
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    fail('header is not a JSON object')
  }

  const dataStart = 8 + n
  const dataLen = bytes.byteLength - dataStart
  const entries: HeaderEntry[] = []
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue
    entries.push(readEntry(name, raw, dataLen, fail))
  }

  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end)
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!
    const cur = sorted[i]!
    if (cur.begin < prev.end) {
      fail(`tensors "${prev.name}" [${prev.begin}, ${prev.end}) and "${cur.name}" [${cur.begin}, ${cur.end}) overlap`)
    }
  }

  const out = new Map<string, SafetensorsTensor>()
  for (const e of entries) {
    if (!SUPPORTED.has(e.dtype)) {
      if (options.skipUnsupported) continue
      fail(`tensor "${e.name}" has dtype ${e.dtype}, which is not supported (only F32, F16 and BF16 are)`)
    }
    const dtype = e.dtype as FloatDtype
    const start = dataStart + e.begin
    const count = (e.end - e.begin) / DTYPE_SIZES[dtype]!
    const data =
      dtype === 'F32' ? readF32(bytes, start, count) : dtype === 'F16' ? f16ToF32(readU16(bytes, start, count)) : bf16ToF32(readU16(bytes, start, count))
    out.set(e.name, { dtype, shape: e.shape, data })
  }
  return out
}

function readEntry(name: string, raw: unknown, dataLen: number, fail: (m: string) => never): HeaderEntry {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(`tensor "${name}" is not described by an object`)
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>
  if (typeof dtype !== 'string') fail(`tensor "${name}" has no dtype`)
  const size = DTYPE_SIZES[dtype as string]
  if (size === undefined) {
    fail(`tensor "${name}" has dtype ${String(dtype)}, which is not supported (only F32, F16 and BF16 are)`)
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`)
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
  ) {
    fail(`tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`)
  }
  const [begin, end] = offsets as [number, number]
  if (end < begin || end > dataLen) {
    fail(`tensor "${name}" has data_offsets [${begin}, ${end}] out of range (data buffer is ${dataLen} bytes)`)
  }
  const dims = shape as number[]
  const elements = dims.reduce((a, d) => a * d, 1)
  const expected = elements * size!
  if (end - begin !== expected) {
    fail(
      `tensor "${name}" has ${end - begin} bytes at data_offsets [${begin}, ${end}] but shape [${dims.join(', ')}] × ${dtype} (${size} bytes) needs ${expected}`,
    )
  }
  return { name, dtype: dtype as string, shape: [...dims], begin, end }
}

function readF32(bytes: Uint8Array, start: number, count: number): Float32Array {
  if (LITTLE_ENDIAN_HOST) return new Float32Array(bytes.slice(start, start + count * 4).buffer)
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, count * 4)
  const out = new Float32Array(count)
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true)
  return out
}

function readU16(bytes: Uint8Array, start: number, count: number): Uint16Array {
  if (LITTLE_ENDIAN_HOST) return new Uint16Array(bytes.slice(start, start + count * 2).buffer)
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, count * 2)
  const out = new Uint16Array(count)
  for (let i = 0; i < count; i++) out[i] = view.getUint16(i * 2, true)
  return out
}

let f16Table: Uint32Array | undefined

/** float32 bit patterns of all 65536 half-precision values (exact: every f16 is an f32). */
function halfTable(): Uint32Array {
  if (f16Table) return f16Table
  const table = new Uint32Array(65536)
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16
    const exp = (h >> 10) & 0x1f
    let mant = h & 0x3ff
    let bits: number
    if (exp === 0x1f) {
      bits = sign | 0x7f800000 | (mant << 13) // inf, or NaN keeping its payload
    } else if (exp !== 0) {
      bits = sign | ((exp - 15 + 127) << 23) | (mant << 13)
    } else if (mant === 0) {
      bits = sign // ±0
    } else {
      // Subnormal: mant × 2^-24. Normalise so the leading 1 is implicit.
      let e = -14
      while ((mant & 0x400) === 0) {
        mant <<= 1
        e--
      }
      bits = sign | ((e + 127) << 23) | ((mant & 0x3ff) << 13)
    }
    table[h] = bits >>> 0
  }
  f16Table = table
  return table
}

/** Half-precision bit patterns to float32, exactly (subnormals, ±inf, NaN). */
export function f16ToF32(half: Uint16Array): Float32Array {
  const table = halfTable()
  const out = new Uint32Array(half.length)
  for (let i = 0; i < half.length; i++) out[i] = table[half[i]!]!
  return new Float32Array(out.buffer)
}

/** bfloat16 bit patterns to float32: they are the upper 16 bits of a float32. */
export function bf16ToF32(bf: Uint16Array): Float32Array {
  const out = new Uint32Array(bf.length)
  for (let i = 0; i < bf.length; i++) out[i] = (bf[i]! << 16) >>> 0
  return new Float32Array(out.buffer)
}

export interface WritableTensor {
  shape: number[]
  data: Float32Array
}

/**
 * Serialises float32 tensors as safetensors: tensors sorted by name and packed in that order, the
 * header padded with spaces to a multiple of 8 bytes (as the reference implementation does) so the
 * data buffer starts 8-byte aligned. Metadata values must be strings, as the format requires.
 */
export function writeSafetensors(tensors: Map<string, WritableTensor>, metadata?: Record<string, string>): Uint8Array {
  const names = [...tensors.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const parts: string[] = []
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TypeError(`safetensors metadata "${k}" must be a string`)
    }
    parts.push(`"__metadata__":${JSON.stringify(metadata)}`)
  }
  let offset = 0
  for (const name of names) {
    if (name === '__metadata__') throw new RangeError('a tensor cannot be named "__metadata__"')
    const t = tensors.get(name)!
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new RangeError(`tensor "${name}" has an invalid shape ${JSON.stringify(t.shape)}`)
    }
    const elements = t.shape.reduce((a, d) => a * d, 1)
    if (elements !== t.data.length) {
      throw new RangeError(`tensor "${name}" has ${t.data.length} values but shape [${t.shape.join(', ')}] needs ${elements}`)
    }
    const end = offset + elements * 4
    // Built by hand so key order is exactly the sorted order (objects put integer-like keys first).
    parts.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype: 'F32', shape: t.shape, data_offsets: [offset, end] })}`)
    offset = end
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`)
  const headerLen = Math.ceil(json.length / 8) * 8
  const out = new Uint8Array(8 + headerLen + offset)
  const view = new DataView(out.buffer)
  view.setBigUint64(0, BigInt(headerLen), true)
  out.set(json, 8)
  out.fill(0x20, 8 + json.length, 8 + headerLen)
  let pos = 8 + headerLen
  for (const name of names) {
    const data = tensors.get(name)!.data
    if (LITTLE_ENDIAN_HOST) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos)
    } else {
      for (let i = 0; i < data.length; i++) view.setFloat32(pos + i * 4, data[i]!, true)
    }
    pos += data.byteLength
  }
  return out
}
