/**
 * The header of a safetensors file, read without its data: an 8-byte little-endian length N,
 * N bytes of JSON describing every tensor ({ dtype, shape, data_offsets }), then the data. A
 * 400 MB model is checked by reading a few kilobytes, and no weights enter the host process.
 * Errors name the file and the tensor (ModelFileError), as the engine's full parser does.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { ModelFileError } from '../../engine/model/errors'
import { DTYPE_SIZES, SUPPORTED } from '../../engine/model/safetensors'

export interface TensorHeader {
  name: string
  dtype: string
  shape: number[]
  /** Byte offsets in the data buffer, half-open. */
  begin: number
  end: number
}

export interface SafetensorsHeader {
  tensors: TensorHeader[]
  metadata: Record<string, string>
  /** Size of the whole file in bytes. */
  fileBytes: number
  /** Bytes of the data buffer (file size minus the header). */
  dataBytes: number
}

/** Bytes per element of every dtype the format defines (the engine's table: no tfjs in it). */
export const DTYPE_BYTES: Readonly<Record<string, number>> = DTYPE_SIZES

/** The dtypes the engine converts to float32 when it loads the weights. */
export const LOADABLE_DTYPES: ReadonlySet<string> = SUPPORTED

/** As the reference implementation: headers above 100 MB are refused. */
const MAX_HEADER_BYTES = 100_000_000

export function readSafetensorsHeader(path: string): SafetensorsHeader {
  const fail = (message: string): never => {
    throw new ModelFileError(path, message)
  }
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (err) {
    return fail(`cannot be opened (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
  try {
    const fileBytes = fstatSync(fd).size
    if (fileBytes < 8) fail(`truncated: ${fileBytes} bytes, too short for the 8-byte header length`)
    const lenBuf = Buffer.alloc(8)
    readSync(fd, lenBuf, 0, 8, 0)
    const headerLen = lenBuf.readBigUInt64LE(0)
    if (headerLen > BigInt(fileBytes - 8)) fail(`truncated or not a safetensors file: header length ${headerLen} is beyond the file's ${fileBytes} bytes`)
    const n = Number(headerLen)
    if (n > MAX_HEADER_BYTES) fail(`header of ${n} bytes is too large (limit ${MAX_HEADER_BYTES})`)
    if (n < 2) fail(`header of ${n} bytes cannot hold a JSON object`)
    const buf = Buffer.alloc(n)
    let got = 0
    while (got < n) {
      const r = readSync(fd, buf, got, n - got, 8 + got)
      if (r === 0) break
      got += r
    }
    if (got < n) fail(`truncated: the header ends after ${got} of ${n} bytes`)
    let header: unknown
    try {
      header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf))
    } catch (err) {
      fail(`header is not valid JSON (${(err as Error).message})`)
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object')
    const dataBytes = fileBytes - 8 - n
    const tensors: TensorHeader[] = []
    let metadata: Record<string, string> = {}
    for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
      if (name === '__metadata__') {
        if (raw && typeof raw === 'object' && !Array.isArray(raw)) metadata = Object.fromEntries(Object.entries(raw).filter(([, v]) => typeof v === 'string')) as Record<string, string>
        continue
      }
      tensors.push(readEntry(name, raw, dataBytes, fail))
    }
    const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end)
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!
      const cur = sorted[i]!
      if (cur.begin < prev.end) fail(`tensors "${prev.name}" [${prev.begin}, ${prev.end}) and "${cur.name}" [${cur.begin}, ${cur.end}) overlap`)
    }
    return { tensors, metadata, fileBytes, dataBytes }
  } finally {
    closeSync(fd)
  }
}

function readEntry(name: string, raw: unknown, dataBytes: number, fail: (m: string) => never): TensorHeader {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(`tensor "${name}" is not described by an object`)
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>
  if (typeof dtype !== 'string') fail(`tensor "${name}" has no dtype`)
  const size = DTYPE_BYTES[dtype as string]
  if (size === undefined) fail(`tensor "${name}" has dtype ${String(dtype)}, which is not a safetensors dtype`)
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`)
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    fail(`tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`)
  }
  const [begin, end] = offsets as [number, number]
  if (end < begin) fail(`tensor "${name}" has data_offsets [${begin}, ${end}] that end before they begin`)
  if (end > dataBytes) fail(`truncated: tensor "${name}" ends at byte ${end} of the data, but the file holds only ${dataBytes} bytes of data`)
  const dims = shape as number[]
  const expected = dims.reduce((a, d) => a * d, 1) * size!
  if (end - begin !== expected) {
    fail(`tensor "${name}" has ${end - begin} bytes at data_offsets [${begin}, ${end}] but shape [${dims.join(', ')}] × ${dtype} (${size} bytes) needs ${expected}`)
  }
  return { name, dtype: dtype as string, shape: [...dims], begin, end }
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1)
}
