// The safetensors reader and writer: dtype conversion, every malformed-file error, round trip.
import { describe, expect, it } from 'vitest'
import { ModelFileError, parseSafetensors, writeSafetensors } from '../../../../src-main/engine/model'
import { buildSafetensors, f32le, u16le } from './build'

function expectError(fn: () => unknown, pattern: RegExp, file = 'model.safetensors'): void {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  expect(caught).toBeInstanceOf(ModelFileError)
  expect((caught as ModelFileError).file).toBe(file)
  expect((caught as ModelFileError).message).toMatch(pattern)
  expect((caught as ModelFileError).message.startsWith(`${file}: `)).toBe(true)
}

describe('parseSafetensors', () => {
  it('reads F32 tensors, ignores __metadata__, and copies rather than views', () => {
    const bytes = buildSafetensors(
      {
        __metadata__: { format: 'pt' },
        a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
        b: { dtype: 'F32', shape: [1], data_offsets: [16, 20] },
      },
      f32le([1, 2, 3, 4.5, -7]),
    )
    const t = parseSafetensors(bytes)
    expect([...t.keys()]).toEqual(['a', 'b'])
    expect(t.get('a')).toEqual({ dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4.5]) })
    expect(Array.from(t.get('b')!.data)).toEqual([-7])
    expect(t.get('a')!.data.buffer).not.toBe(bytes.buffer)
  })

  it('reads F32 data at an unaligned offset and inside a larger buffer', () => {
    // header length 13 puts the data at byte 21: not 4-aligned.
    const header = { x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }
    let bytes = buildSafetensors(header, f32le([0.25, -3]))
    const big = new Uint8Array(bytes.length + 3)
    big.set(bytes, 3)
    bytes = big.subarray(3)
    expect(Array.from(parseSafetensors(bytes).get('x')!.data)).toEqual([0.25, -3])
  })

  it('converts F16 exactly: 1, -2.5, 65504, subnormals, ±0, ±inf, NaN', () => {
    const halves = [0x3c00, 0xc100, 0x7bff, 0x0001, 0x03ff, 0x8001, 0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x0400]
    const bytes = buildSafetensors({ h: { dtype: 'F16', shape: [halves.length], data_offsets: [0, halves.length * 2] } }, u16le(halves))
    const t = parseSafetensors(bytes).get('h')!
    expect(t.dtype).toBe('F16')
    const d = Array.from(t.data)
    expect(d.slice(0, 3)).toEqual([1, -2.5, 65504])
    expect(d[3]).toBe(2 ** -24) // smallest subnormal
    expect(d[4]).toBe(1023 * 2 ** -24) // largest subnormal
    expect(d[5]).toBe(-(2 ** -24))
    expect(Object.is(d[6], 0)).toBe(true)
    expect(Object.is(d[7], -0)).toBe(true)
    expect(d[8]).toBe(Infinity)
    expect(d[9]).toBe(-Infinity)
    expect(d[10]).toBeNaN()
    expect(d[11]).toBe(2 ** -14) // smallest normal
  })

  it('converts every finite F16 to the value the formula gives', () => {
    const all = Array.from({ length: 65536 }, (_, i) => i)
    const t = parseSafetensors(buildSafetensors({ h: { dtype: 'F16', shape: [65536], data_offsets: [0, 131072] } }, u16le(all))).get('h')!
    for (const h of all) {
      const sign = h & 0x8000 ? -1 : 1
      const exp = (h >> 10) & 0x1f
      const mant = h & 0x3ff
      if (exp === 31) continue
      const want = sign * (exp === 0 ? mant * 2 ** -24 : (1 + mant / 1024) * 2 ** (exp - 15))
      if (t.data[h] !== want) throw new Error(`0x${h.toString(16)}: ${t.data[h]} !== ${want}`)
    }
  })

  it('converts BF16 as the upper 16 bits of a float32', () => {
    const values = [1, -2.5, 3.140625, 1e-40, Infinity, -Infinity, NaN]
    const bits = values.map((v) => new Uint32Array(new Float32Array([v]).buffer)[0]! >>> 16)
    const t = parseSafetensors(buildSafetensors({ b: { dtype: 'BF16', shape: [7], data_offsets: [0, 14] } }, u16le(bits))).get('b')!
    expect(t.dtype).toBe('BF16')
    const d = Array.from(t.data)
    expect(d.slice(0, 3)).toEqual([1, -2.5, 3.140625])
    expect(d[3]).toBe(new Float32Array(new Uint32Array([bits[3]! << 16]).buffer)[0]) // a subnormal bf16
    expect(d[3]).toBeGreaterThan(0)
    expect(d.slice(4, 6)).toEqual([Infinity, -Infinity])
    expect(d[6]).toBeNaN()
    // 65504 is not a bf16 value; its truncation is 65280.
    const top65504 = new Uint32Array(new Float32Array([65504]).buffer)[0]! >>> 16
    const scalar = buildSafetensors({ b: { dtype: 'BF16', shape: [], data_offsets: [0, 2] } }, u16le([top65504]))
    expect(parseSafetensors(scalar).get('b')!.data[0]).toBe(65280)
  })

  it('accepts scalars, empty tensors and an empty file header', () => {
    const t = parseSafetensors(
      buildSafetensors(
        { s: { dtype: 'F32', shape: [], data_offsets: [0, 4] }, e: { dtype: 'F32', shape: [0, 3], data_offsets: [4, 4] } },
        f32le([9]),
      ),
    )
    expect(t.get('s')).toEqual({ dtype: 'F32', shape: [], data: new Float32Array([9]) })
    expect(t.get('e')!.data.length).toBe(0)
    expect(parseSafetensors(buildSafetensors({}, new Uint8Array())).size).toBe(0)
  })

  it('names the file it was given', () => {
    expectError(() => parseSafetensors(new Uint8Array(3), 'ft/model.safetensors'), /truncated/, 'ft/model.safetensors')
  })

  it('refuses a file too short for the header length', () => {
    expectError(() => parseSafetensors(new Uint8Array(0)), /truncated: 0 bytes/)
    expectError(() => parseSafetensors(new Uint8Array(7)), /truncated: 7 bytes/)
  })

  it('refuses a header length beyond the file (truncated file)', () => {
    const full = buildSafetensors({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32le([1]))
    expectError(() => parseSafetensors(full.subarray(0, 20)), /header length \d+ is beyond the file's 20 bytes/)
    const huge = new Uint8Array(16)
    new DataView(huge.buffer).setBigUint64(0, 2n ** 63n, true)
    expectError(() => parseSafetensors(huge), /header length 9223372036854775808 is beyond/)
  })

  it('refuses a header that is not JSON, not UTF-8, or not an object', () => {
    const raw = (text: Uint8Array): Uint8Array => {
      const out = new Uint8Array(8 + text.length)
      new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true)
      out.set(text, 8)
      return out
    }
    expectError(() => parseSafetensors(raw(new TextEncoder().encode('{"a": '))), /header is not valid JSON/)
    expectError(() => parseSafetensors(raw(new Uint8Array([0x7b, 0xff, 0x7d]))), /header is not valid JSON/)
    expectError(() => parseSafetensors(raw(new TextEncoder().encode('[1, 2]'))), /header is not a JSON object/)
    expectError(() => parseSafetensors(raw(new TextEncoder().encode('{"a": 3}'))), /tensor "a" is not described by an object/)
  })

  it('refuses unsupported dtypes, naming the dtype and the tensor', () => {
    const i64 = buildSafetensors({ 'embeddings.position_ids': { dtype: 'I64', shape: [1, 2], data_offsets: [0, 16] } }, new Uint8Array(16))
    expectError(() => parseSafetensors(i64), /tensor "embeddings\.position_ids" has dtype I64, which is not supported \(only F32, F16 and BF16 are\)/)
    const weird = buildSafetensors({ w: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1))
    expectError(() => parseSafetensors(weird), /tensor "w" has dtype Q4, which is not supported/)
    expectError(() => parseSafetensors(buildSafetensors({ w: { shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4))), /tensor "w" has no dtype/)
  })

  it('can skip known unsupported dtypes while keeping the float tensors', () => {
    const bytes = buildSafetensors(
      {
        'embeddings.position_ids': { dtype: 'I64', shape: [1, 2], data_offsets: [0, 16] },
        w: { dtype: 'F32', shape: [1], data_offsets: [16, 20] },
      },
      new Uint8Array([...new Uint8Array(16), ...f32le([5])]),
    )
    const t = parseSafetensors(bytes, 'model.safetensors', { skipUnsupported: true })
    expect([...t.keys()]).toEqual(['w'])
    // Unknown dtype names are still errors.
    const weird = buildSafetensors({ w: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1))
    expectError(() => parseSafetensors(weird, 'model.safetensors', { skipUnsupported: true }), /dtype Q4/)
  })

  it('refuses offsets out of range or not matching shape × dtype size', () => {
    const data = f32le([1, 2])
    const with_ = (entry: unknown): Uint8Array => buildSafetensors({ w: entry }, data)
    expectError(() => parseSafetensors(with_({ dtype: 'F32', shape: [3], data_offsets: [0, 12] })), /data_offsets \[0, 12\] out of range \(data buffer is 8 bytes\)/)
    expectError(() => parseSafetensors(with_({ dtype: 'F32', shape: [1], data_offsets: [4, 0] })), /data_offsets \[4, 0\] out of range/)
    expectError(() => parseSafetensors(with_({ dtype: 'F32', shape: [1], data_offsets: [0, 8] })), /has 8 bytes at data_offsets \[0, 8\] but shape \[1\] × F32 \(4 bytes\) needs 4/)
    expectError(() => parseSafetensors(with_({ dtype: 'F16', shape: [2, 3], data_offsets: [0, 8] })), /shape \[2, 3\] × F16 \(2 bytes\) needs 12/)
    expectError(() => parseSafetensors(with_({ dtype: 'F32', shape: [2], data_offsets: [0] })), /invalid data_offsets \[0\]/)
    expectError(() => parseSafetensors(with_({ dtype: 'F32', shape: [2], data_offsets: [-4, 4] })), /invalid data_offsets/)
    expectError(() => parseSafetensors(with_({ dtype: 'F32', shape: [2.5], data_offsets: [0, 8] })), /invalid shape \[2\.5\]/)
    expectError(() => parseSafetensors(with_({ dtype: 'F32', shape: 'x', data_offsets: [0, 8] })), /invalid shape "x"/)
  })

  it('refuses overlapping tensors, naming both', () => {
    const bytes = buildSafetensors(
      { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } },
      f32le([1, 2, 3]),
    )
    expectError(() => parseSafetensors(bytes), /tensors "a" \[0, 8\) and "b" \[4, 12\) overlap/)
  })
})

describe('writeSafetensors', () => {
  it('round-trips tensors and sorts them by name, data packed in that order', () => {
    const tensors = new Map([
      ['z.weight', { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }],
      ['10', { shape: [1], data: new Float32Array([-0]) }],
      ['a.bias', { shape: [3], data: new Float32Array([0.1, NaN, -Infinity]) }],
    ])
    const bytes = writeSafetensors(tensors, { format: 'pt', source: 'tagtune' })
    const back = parseSafetensors(bytes)
    expect([...back.keys()]).toEqual(['10', 'a.bias', 'z.weight'])
    for (const [name, t] of tensors) {
      expect(back.get(name)!.shape).toEqual(t.shape)
      expect(back.get(name)!.data).toEqual(t.data)
    }
    expect(Object.is(back.get('10')!.data[0], -0)).toBe(true)
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true))
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)))
    expect(header.__metadata__).toEqual({ format: 'pt', source: 'tagtune' })
    expect(header['10'].data_offsets).toEqual([0, 4])
    expect(header['a.bias'].data_offsets).toEqual([4, 16])
    expect(header['z.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [16, 40] })
    expect(bytes.length).toBe(8 + headerLen + 40)
  })

  it('pads the header with spaces to a multiple of 8', () => {
    for (let n = 0; n < 10; n++) {
      const name = 'w'.repeat(n + 1)
      const bytes = writeSafetensors(new Map([[name, { shape: [1], data: new Float32Array([n]) }]]))
      const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true))
      expect(headerLen % 8).toBe(0)
      const text = new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))
      expect(text).toMatch(/^\{.*\} *$/)
      expect(text.trimEnd().length).toBeGreaterThan(headerLen - 8)
      expect(parseSafetensors(bytes).get(name)!.data[0]).toBe(n)
    }
  })

  it('writes views of larger buffers correctly and empty maps', () => {
    const big = new Float32Array([9, 8, 7, 6])
    const bytes = writeSafetensors(new Map([['v', { shape: [2], data: big.subarray(1, 3) }]]))
    expect(Array.from(parseSafetensors(bytes).get('v')!.data)).toEqual([8, 7])
    expect(parseSafetensors(writeSafetensors(new Map())).size).toBe(0)
  })

  it('refuses data that does not fill the shape, and a tensor named __metadata__', () => {
    expect(() => writeSafetensors(new Map([['w', { shape: [2, 2], data: new Float32Array(3) }]]))).toThrow(
      'tensor "w" has 3 values but shape [2, 2] needs 4',
    )
    expect(() => writeSafetensors(new Map([['__metadata__', { shape: [1], data: new Float32Array(1) }]]))).toThrow(/__metadata__/)
  })
})
