// Hand-built safetensors files for the tests: a header object and raw data bytes.
export function buildSafetensors(header: Record<string, unknown>, data: Uint8Array, pad = 0): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(pad))
  const out = new Uint8Array(8 + json.length + data.length)
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true)
  out.set(json, 8)
  out.set(data, 8 + json.length)
  return out
}

export function u16le(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2)
  const v = new DataView(out.buffer)
  values.forEach((x, i) => v.setUint16(i * 2, x, true))
  return out
}

export function f32le(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4)
  const v = new DataView(out.buffer)
  values.forEach((x, i) => v.setFloat32(i * 4, x, true))
  return out
}
