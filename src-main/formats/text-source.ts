/**
 * Reading a text file without loading it whole: the encoding is detected from the first bytes
 * (BOM, UTF-16 zero bytes, UTF-8 validity, else GB18030 or Windows-1252) or given, and the
 * file is decoded in chunks into lines (LF or CRLF; the terminator is dropped).
 */
import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { TextDecoder } from 'node:util'

export const ENCODINGS = ['auto', 'utf-8', 'utf-16le', 'utf-16be', 'gb18030', 'gbk', 'windows-1252'] as const
export type EncodingChoice = (typeof ENCODINGS)[number]
export type Encoding = Exclude<EncodingChoice, 'auto'>

export interface TextSource {
  /** Name used in messages (the file's base name). */
  readonly file: string
  readonly encoding: Encoding
  /** How the encoding was chosen, e.g. "UTF-8 byte order mark". */
  readonly encodingReason: string
  lines(): AsyncIterable<string>
  /** The whole text; only for formats that are one JSON document. */
  text(): Promise<string>
  /** The first 64 KB or so, decoded: enough to detect the format. */
  sample(): Promise<string>
  /** Bytes read so far and the file's size, for progress bars. */
  progress(): { bytesRead: number; totalBytes: number }
  /** Set when the first bytes do not look like text at all (an archive, a model, an image). */
  readonly binary?: string
}

/**
 * Why a sample is not text, or undefined: NUL bytes outside UTF-16, or many control
 * characters. Such files decode "successfully" as Windows-1252 into garbage otherwise.
 */
export function binaryReason(sample: Uint8Array, encoding: Encoding): string | undefined {
  if (encoding.startsWith('utf-16') || sample.length === 0) return undefined
  let nul = 0
  let control = 0
  for (const b of sample) {
    if (b === 0) nul++
    else if (b < 32 && b !== 9 && b !== 10 && b !== 13 && b !== 12) control++
  }
  if (nul > 0) return `it contains NUL bytes (${nul} in the first ${sample.length})`
  if (control / sample.length > 0.05) return `${Math.round((100 * control) / sample.length)}% of its first bytes are control characters`
  return undefined
}

export class EncodingError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(message)
    this.name = 'EncodingError'
  }
}

const SAMPLE_BYTES = 64 * 1024

/** Drop an incomplete UTF-8 sequence at the end of a sample cut mid-character. */
function trimPartialUtf8(b: Uint8Array): Uint8Array {
  let i = b.length - 1
  let back = 0
  while (i >= 0 && back < 4 && (b[i]! & 0xc0) === 0x80) {
    i--
    back++
  }
  if (i < 0) return b
  const lead = b[i]!
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1
  return need > back + 1 ? b.subarray(0, i) : b
}

export function detectEncoding(sample: Uint8Array): { encoding: Encoding; bom: number; reason: string } {
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return { encoding: 'utf-8', bom: 3, reason: 'UTF-8 byte order mark' }
  if (sample[0] === 0xff && sample[1] === 0xfe) return { encoding: 'utf-16le', bom: 2, reason: 'UTF-16 little-endian byte order mark' }
  if (sample[0] === 0xfe && sample[1] === 0xff) return { encoding: 'utf-16be', bom: 2, reason: 'UTF-16 big-endian byte order mark' }
  const n = Math.min(sample.length, 4096)
  let evenZeros = 0
  let oddZeros = 0
  for (let i = 0; i < n; i++) if (sample[i] === 0) (i % 2 === 0 ? evenZeros++ : oddZeros++)
  if (n >= 4 && oddZeros > n / 8 && evenZeros < n / 64) return { encoding: 'utf-16le', bom: 0, reason: 'UTF-16 little-endian (zero bytes, no byte order mark)' }
  if (n >= 4 && evenZeros > n / 8 && oddZeros < n / 64) return { encoding: 'utf-16be', bom: 0, reason: 'UTF-16 big-endian (zero bytes, no byte order mark)' }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(trimPartialUtf8(sample))
    return { encoding: 'utf-8', bom: 0, reason: 'valid UTF-8' }
  } catch {
    // Not UTF-8: Chinese data is most often GBK/GB18030; European legacy files Windows-1252.
  }
  const asGb = new TextDecoder('gb18030').decode(sample)
  let nonAscii = 0
  let cjk = 0
  for (const ch of asGb) {
    const c = ch.codePointAt(0)!
    if (c < 0x80) continue
    nonAscii++
    if ((c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3000 && c <= 0x303f) || (c >= 0xff00 && c <= 0xffef)) cjk++
  }
  if (nonAscii > 0 && cjk / nonAscii > 0.8) return { encoding: 'gb18030', bom: 0, reason: 'not UTF-8; decodes as Chinese text in GB18030/GBK' }
  return { encoding: 'windows-1252', bom: 0, reason: 'not UTF-8; read as Windows-1252 (Western European)' }
}

function decoderFor(encoding: Encoding): TextDecoder {
  return new TextDecoder(encoding === 'gbk' ? 'gbk' : encoding, { fatal: encoding === 'utf-8' || encoding.startsWith('utf-16'), ignoreBOM: false })
}

async function* splitLines(chunks: AsyncIterable<string>): AsyncIterable<string> {
  let rest = ''
  for await (const chunk of chunks) {
    const parts = (rest + chunk).split('\n')
    rest = parts.pop()!
    for (const p of parts) yield p.endsWith('\r') ? p.slice(0, -1) : p
  }
  if (rest !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest
}

export async function openTextFile(path: string, options: { encoding?: EncodingChoice; name?: string } = {}): Promise<TextSource> {
  const file = options.name ?? basename(path)
  const handle = await open(path, 'r')
  let sample: Uint8Array
  try {
    const buf = Buffer.alloc(SAMPLE_BYTES)
    const { bytesRead } = await handle.read(buf, 0, SAMPLE_BYTES, 0)
    sample = buf.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
  const totalBytes = (await stat(path)).size
  let bytesRead = 0
  const detected = detectEncoding(sample)
  const choice = options.encoding ?? 'auto'
  const encoding: Encoding = choice === 'auto' ? detected.encoding : choice
  const reason = choice === 'auto' ? detected.reason : 'given'
  const binary = binaryReason(sample, encoding)

  async function* chunks(): AsyncIterable<string> {
    const decoder = decoderFor(encoding)
    let linesSoFar = 0
    bytesRead = 0
    for await (const raw of createReadStream(path, { highWaterMark: 1 << 20 })) {
      bytesRead += (raw as Buffer).length
      let text: string
      try {
        text = decoder.decode(raw as Buffer, { stream: true })
      } catch {
        // Find the line: decode the chunk leniently and count the lines before the first replacement character.
        const lenient = new TextDecoder(encoding, { fatal: false }).decode(raw as Buffer)
        const at = lenient.indexOf('\uFFFD')
        let line = linesSoFar + 1
        for (let i = 0; i < (at < 0 ? 0 : at); i++) if (lenient.charCodeAt(i) === 10) line++
        throw new EncodingError(file, line, `line ${line} holds bytes that are not valid ${encoding.toUpperCase()}; choose the file's encoding explicitly (for Chinese data often GB18030/GBK)`)
      }
      for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) linesSoFar++
      yield text
    }
    let tail: string
    try {
      tail = decoder.decode()
    } catch {
      throw new EncodingError(file, linesSoFar + 1, `the file ends in the middle of a ${encoding.toUpperCase()} character; it may be cut short, or in another encoding: choose the encoding explicitly`)
    }
    if (tail) yield tail
  }

  return {
    file,
    encoding,
    encodingReason: reason,
    lines: () => splitLines(stripBom(chunks())),
    async text() {
      let all = ''
      for await (const c of stripBom(chunks())) all += c
      return all
    },
    async sample() {
      // Lenient on purpose: the sample only serves format detection; reading the file reports bad bytes with their line.
      const text = new TextDecoder(encoding === 'gbk' ? 'gbk' : encoding, { fatal: false }).decode(encoding === 'utf-8' ? trimPartialUtf8(sample) : sample)
      return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
    },
    progress: () => ({ bytesRead, totalBytes }),
    ...(binary ? { binary } : {}),
  }
}

async function* stripBom(chunks: AsyncIterable<string>): AsyncIterable<string> {
  let first = true
  for await (const c of chunks) {
    yield first && c.charCodeAt(0) === 0xfeff ? c.slice(1) : c
    first = false
  }
}

/** A source over a string, for tests and for text pasted into the app. */
export function textSourceFromString(text: string, file = 'pasted text'): TextSource {
  return {
    file,
    encoding: 'utf-8',
    encodingReason: 'given as text',
    lines: () =>
      splitLines(
        (async function* () {
          yield text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
        })(),
      ),
    text: async () => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text),
    sample: async () => text.slice(0, 64 * 1024),
    progress: () => ({ bytesRead: 0, totalBytes: text.length }),
  }
}
