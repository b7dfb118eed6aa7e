/**
 * Reading a POST /v1/ner request: content type, body bytes -> UTF-8 -> JSON -> the request schema
 * -> the size limits. Each refusal is a ServeError with the HTTP status and a message that names
 * what is wrong and where. Pure.
 */
import { NerRequest, type ServeErrorCode, type ServeLimits } from '../../src-shared/domain/serving'
import { describeIssues, issuesToDetails } from '../../src-shared/ipc/errors'

export class ServeError extends Error {
  constructor(
    readonly status: number,
    readonly code: ServeErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
    this.name = 'ServeError'
  }

  body(): { error: { code: ServeErrorCode; message: string; details?: unknown } } {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } }
  }
}

const fmt = (n: number): string => n.toLocaleString('en-US')

/** application/json, optionally with charset=utf-8. */
export function checkContentType(header: string | undefined): void {
  if (!header) throw new ServeError(415, 'unsupported_media_type', 'The request has no Content-Type: send the body as JSON with "Content-Type: application/json".')
  const [type, ...params] = header.split(';').map((p) => p.trim().toLowerCase())
  if (type !== 'application/json') throw new ServeError(415, 'unsupported_media_type', `Content-Type "${header}" is not accepted: send the body as JSON with "Content-Type: application/json".`)
  for (const p of params) {
    const [k, v] = p.split('=').map((x) => x.trim().replace(/^"|"$/g, ''))
    if (k === 'charset' && v !== 'utf-8' && v !== 'utf8') throw new ServeError(415, 'unsupported_media_type', `charset "${v}" is not accepted: the body must be UTF-8.`)
  }
}

export function tooLarge(limit: number, received?: number): ServeError {
  const got = received === undefined ? '' : ` (${fmt(received)} bytes or more were sent)`
  return new ServeError(413, 'payload_too_large', `The request body is larger than ${fmt(limit)} bytes${got}: send fewer or shorter texts per request, or start the server with a larger --max-body.`)
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Code points of a string (what "characters" means in the limits). */
function codePoints(text: string): number {
  let n = text.length
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--
        i++
      }
    }
  }
  return n
}

/** The request in `body`, checked against the schema and the limits. */
export function parseNerRequest(body: Uint8Array, limits: Pick<ServeLimits, 'maxTexts' | 'maxTextChars'>): NerRequest {
  let text: string
  try {
    text = utf8.decode(body)
  } catch {
    throw new ServeError(400, 'invalid_json', 'The body is not valid UTF-8.')
  }
  if (text.trim() === '') throw new ServeError(400, 'invalid_json', 'The body is empty: send {"texts": ["..."]}.')
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new ServeError(400, 'invalid_json', `The body is not valid JSON: ${(err as Error).message}.`)
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ServeError(400, 'invalid_request', `The body must be a JSON object such as {"texts": ["..."]}, not ${Array.isArray(json) ? 'an array' : json === null ? 'null' : `a ${typeof json}`}.`)
  }
  // The limit on texts is checked before each text is, so a huge array fails fast and says why.
  const texts = (json as { texts?: unknown }).texts
  if (Array.isArray(texts) && texts.length > limits.maxTexts) {
    throw new ServeError(413, 'too_many_texts', `The request holds ${fmt(texts.length)} texts; the limit is ${fmt(limits.maxTexts)} per request: split it, or start the server with a larger --max-texts.`)
  }
  const parsed = NerRequest.safeParse(json)
  if (!parsed.success) {
    const details = issuesToDetails(parsed.error.issues)
    throw new ServeError(400, 'invalid_request', `The request is not valid: ${describeIssues(details)}. Expected {"texts": ["...", ...]} (an array of strings).`, details)
  }
  parsed.data.texts.forEach((t, i) => {
    if (t.length <= limits.maxTextChars) return
    const n = codePoints(t)
    if (n > limits.maxTextChars) {
      throw new ServeError(413, 'text_too_long', `texts.${i} has ${fmt(n)} characters; the limit is ${fmt(limits.maxTextChars)}: split the text, or start the server with a larger --max-chars.`, [{ path: `texts.${i}`, message: `${fmt(n)} characters` }])
    }
  })
  return parsed.data
}
