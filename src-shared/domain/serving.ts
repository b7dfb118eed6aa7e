/**
 * Serving a run's model over HTTP: the REST API's request and response shapes (POST /v1/ner),
 * its limits, and the contract's serving channels (start, stop, status). Pure.
 *
 * Offsets in responses: `start`/`end` count Unicode code points (Python's `text[start:end]`,
 * doccano, spaCy); `startUtf16`/`endUtf16` count UTF-16 code units (JavaScript's
 * `text.slice(startUtf16, endUtf16)`). The two differ only after an astral character (emoji,
 * CJK Extension B such as 𠮷).
 */
import { z } from 'zod'
import { BackendChoice, RunId } from './run'

/** Limits of one model server; every one can be changed when it starts. */
export interface ServeLimits {
  /** Largest request body, bytes. */
  maxBodyBytes: number
  /** Texts in one request. */
  maxTexts: number
  /** Characters (code points) of one text; longer texts are windowed by the engine, so this bounds work, not the model. */
  maxTextChars: number
  /** Texts merged into one model call at most (requests are never split; 1 turns merging off). */
  maxBatchTexts: number
  /**
   * How long the first waiting request waits for others to join its batch, ms. 0: none; a
   * request runs as soon as the model is free, with whatever arrived while it was busy.
   */
  batchWindowMs: number
  /** Texts waiting at most; beyond that requests are refused with 503 (overloaded). */
  maxQueuedTexts: number
}

export const SERVE_DEFAULTS: ServeLimits = {
  maxBodyBytes: 1024 * 1024,
  maxTexts: 64,
  maxTextChars: 20_000,
  maxBatchTexts: 32,
  // Measured (npm run bench:serve, wasm): any wait costs latency at low load and gains nothing at
  // high load over batching what piles up during a model call.
  batchWindowMs: 0,
  maxQueuedTexts: 2048,
}

export const SERVE_API = { ner: '/v1/ner', model: '/v1/model', health: '/v1/health' } as const

/** A bearer token: visible ASCII without spaces (it travels in a header), long enough not to be guessed. */
export const ServeToken = z
  .string()
  .min(16, 'the token needs at least 16 characters')
  .max(256)
  .regex(/^[\x21-\x7e]+$/, 'the token may hold visible ASCII characters only (no spaces)')

/** A host name or IP address to bind to. */
export const ServeHost = z
  .string()
  .min(1)
  .max(253)
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9.-]+)$/, 'expected a host name or an IP address such as 127.0.0.1 or 0.0.0.0')

export const ServePort = z.number().int().min(0).max(65535)

/** The body of POST /v1/ner. */
export const NerRequest = z.strictObject({
  texts: z.array(z.string()).min(1, 'texts must hold at least one text'),
  /** Echo each text in its result. */
  includeText: z.boolean().optional(),
})
export type NerRequest = z.infer<typeof NerRequest>

export const ServedSpan = z.strictObject({
  /** Code points. */
  start: z.number().int().nonnegative(),
  end: z.number().int().nonnegative(),
  /** UTF-16 code units (JavaScript string indices). */
  startUtf16: z.number().int().nonnegative(),
  endUtf16: z.number().int().nonnegative(),
  label: z.string(),
  text: z.string(),
  /** Mean probability of the span's tags, 0 to 1. */
  confidence: z.number().min(0).max(1),
})
export type ServedSpan = z.infer<typeof ServedSpan>

export const NerTiming = z.strictObject({
  /** Waiting for a batch to form and for the model to be free. */
  queueMs: z.number().nonnegative(),
  /** The model call of the batch this request was part of. */
  inferenceMs: z.number().nonnegative(),
  /** From the request's arrival to its answer. */
  totalMs: z.number().nonnegative(),
  /** Texts and requests in that batch. */
  batchTexts: z.number().int().positive(),
  batchRequests: z.number().int().positive(),
})
export type NerTiming = z.infer<typeof NerTiming>

export const ServedModelRef = z.strictObject({
  /** The run whose best checkpoint is served (null for a bare model folder). */
  run: RunId.nullable(),
  name: z.string(),
  /** Entity types the model predicts. */
  labels: z.array(z.string()),
})
export type ServedModelRef = z.infer<typeof ServedModelRef>

export const NerResponse = z.strictObject({
  model: ServedModelRef,
  results: z.array(z.strictObject({ text: z.string().optional(), spans: z.array(ServedSpan) })),
  timing: NerTiming,
})
export type NerResponse = z.infer<typeof NerResponse>

/** GET /v1/model. */
export const ServedModelInfo = ServedModelRef.extend({
  /** The tags behind the labels (B-PER, I-PER, ...). */
  tags: z.array(z.string()),
  maxLength: z.number().int().positive(),
  stride: z.number().int().nonnegative(),
  backend: z.string(),
  offsets: z.literal('start/end: code points; startUtf16/endUtf16: UTF-16 code units'),
  limits: z.strictObject({
    maxBodyBytes: z.number().int(),
    maxTexts: z.number().int(),
    maxTextChars: z.number().int(),
    maxBatchTexts: z.number().int(),
    batchWindowMs: z.number(),
    maxQueuedTexts: z.number().int(),
  }),
})
export type ServedModelInfo = z.infer<typeof ServedModelInfo>

export const SERVE_ERROR_CODES = [
  'invalid_json',
  'invalid_request',
  'payload_too_large',
  'too_many_texts',
  'text_too_long',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'unsupported_media_type',
  'overloaded',
  'shutting_down',
  'internal',
] as const
export type ServeErrorCode = (typeof SERVE_ERROR_CODES)[number]

/** Every error answer: `{ "error": { "code", "message", "details"? } }`. */
export const ServeErrorBody = z.strictObject({
  error: z.strictObject({ code: z.enum(SERVE_ERROR_CODES), message: z.string().min(1), details: z.unknown().optional() }),
})
export type ServeErrorBody = z.infer<typeof ServeErrorBody>

// ---- the contract's channels (the app's toggle) ----

export const ServingStart = z.strictObject({
  runId: RunId,
  /** 0 picks a free port. */
  port: ServePort.default(0),
  host: ServeHost.default('127.0.0.1'),
  /** Required from clients when given; generated when binding beyond loopback without one. */
  token: ServeToken.optional(),
  maxBatchTexts: z.number().int().min(1).max(1024).optional(),
  batchWindowMs: z.number().int().min(0).max(1000).optional(),
  maxBodyBytes: z.number().int().min(1024).max(64 * 1024 * 1024).optional(),
  maxTexts: z.number().int().min(1).max(10_000).optional(),
  maxTextChars: z.number().int().min(1).max(1_000_000).optional(),
  backend: BackendChoice.optional(),
})
export type ServingStart = z.input<typeof ServingStart>

export const SERVING_STATES = ['starting', 'running', 'failed'] as const

export const ServedModel = z.strictObject({
  runId: RunId,
  runName: z.string(),
  state: z.enum(SERVING_STATES),
  /** http://host:port, once listening. */
  url: z.string().nullable(),
  host: z.string(),
  port: z.number().int().nullable(),
  tokenRequired: z.boolean(),
  pid: z.number().int().nullable(),
  startedAt: z.string(),
  backend: z.string().nullable(),
  labels: z.array(z.string()),
  /** Answered POST /v1/ner requests, texts predicted, model calls (batches), refused or failed requests. */
  requests: z.number().int().nonnegative(),
  texts: z.number().int().nonnegative(),
  batches: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  /** Why it failed (state failed). */
  error: z.string().nullable(),
})
export type ServedModel = z.infer<typeof ServedModel>

export const ServingStartResult = ServedModel.extend({
  /** The token clients must send (the one given, or the generated one); null when none is required. */
  token: z.string().nullable(),
})
export type ServingStartResult = z.infer<typeof ServingStartResult>

// ---- helpers ----

/** A shell command that calls the endpoint, for the CLI and the app to show. */
export function curlExample(url: string, token: string | null | undefined, text = 'Mary visited London yesterday.'): string {
  const body = JSON.stringify({ texts: [text] }).replace(/'/g, `'\\''`)
  const auth = token ? ` \\\n  -H 'Authorization: Bearer ${token.replace(/'/g, `'\\''`)}'` : ''
  return `curl -s ${url}${SERVE_API.ner} \\\n  -H 'Content-Type: application/json'${auth} \\\n  -d '${body}'`
}

/** The URL a client uses for a server bound to `host` (a wildcard address is reached through loopback). */
export function serverUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' || host === '[::]' ? '[::1]' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  return `http://${h}:${port}`
}
