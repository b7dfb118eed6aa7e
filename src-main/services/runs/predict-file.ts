/**
 * Predicting every document of a file with a run's model, and writing the predictions in any
 * dataset format. The CLI (`tagtune predict`) and the app (run.predictFile, then
 * run.exportPredictions or a browser download) go through the same functions here.
 *
 * One trainer process predicts the whole file and sends the predictions a chunk at a time, so a
 * big file reports progress (and can be cancelled) chunk by chunk. In the app the predictions are kept under <data dir>/predictions for a day, so the same
 * result can be exported in several formats (and at several confidence thresholds) without
 * running the model again.
 */
import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { once } from 'node:events'
import { basename, extname, join } from 'node:path'
import { createInterface } from 'node:readline'
import type { z } from 'zod'
import type { DB } from '../../store/db'
import { writeBratFiles, writeFormat, EXTENSIONS } from '../../formats/registry'
import type { DocumentRecord } from '../../formats/types'
import type { FileTagScheme, Format } from '../../../src-shared/domain/dataset'
import type { PredictionExport, RunPredictFile, RunPredictFileResult, RunPredictProgress } from '../../../src-shared/domain/run'
import { AppError } from '../../../src-shared/ipc/errors'
import type { UploadService } from '../uploads'
import type { RunService } from '.'
import { checkpointDir } from './jobs'
import type { TrainerMessage } from '../../trainer/protocol'
import { readDocumentsFile } from './files'

export interface PredictedSpan {
  start: number
  end: number
  label: string
  confidence: number
}

export interface PredictedDocument {
  text: string
  spans: PredictedSpan[]
}

export interface FilePrediction {
  /** The file's name, as messages show it. */
  file: string
  format: Format
  documents: PredictedDocument[]
  seconds: number
}

export interface PredictFileInput {
  /** The run whose model predicts. */
  id: number
  path: string
  /** The name to show for the file (an upload's original name); default the path's base name. */
  name?: string
  /** Detected from the content when left out. */
  format?: Format
  checkpoint?: 'best' | 'last'
}

export interface PredictFileProgress {
  phase: 'reading' | 'predicting'
  documents: number
  total: number
}

/**
 * Documents per chunk of the trainer's predict job (one message and one progress step each):
 * about 20 steps for a big file, at least 20 and at most 200 documents per step. Small messages
 * also matter because a trainer that exits right after a large message can lose it (the IPC
 * channel is closed before the message is flushed).
 */
export function chunkSizeFor(documents: number): number {
  return Math.min(200, Math.max(20, Math.ceil(documents / 20)))
}

/**
 * Reads a file (any import format) and predicts each of its documents with the run's model, in
 * one trainer process that sends the predictions a chunk at a time. Aborting `signal` stops it
 * at the next chunk (and throws).
 */
export async function predictFile(db: DB, runs: RunService, input: PredictFileInput, onProgress?: (p: PredictFileProgress) => void, signal?: AbortSignal): Promise<FilePrediction> {
  const started = Date.now()
  const name = input.name ?? basename(input.path)
  const { dir, config } = checkpointDir(runs, db, input.id, input.checkpoint ?? 'best')
  onProgress?.({ phase: 'reading', documents: 0, total: 0 })
  let read: Awaited<ReturnType<typeof readDocumentsFile>>
  try {
    read = await readDocumentsFile(input.path, input.format)
  } catch (err) {
    // An upload is stored as "<id>-<name>": messages name the file the user chose.
    if (err instanceof AppError && input.name) throw new AppError(err.code, err.message.replaceAll(input.path, input.name).replaceAll(basename(input.path), input.name), err.details)
    throw err
  }
  const texts = read.documents.map((d) => d.text)
  if (texts.length === 0) throw new AppError('INVALID_FILE', `${name} holds no documents (no text to predict).`)
  onProgress?.({ phase: 'predicting', documents: 0, total: texts.length })

  const folder = join(runs.runDir(input.id), 'predict')
  mkdirSync(folder, { recursive: true })
  const textsFile = join(folder, `${randomBytes(8).toString('hex')}.jsonl`)
  writeFileSync(textsFile, texts.map((text, id) => JSON.stringify({ id, text })).join('\n') + '\n')
  const spans: (PredictedSpan[] | undefined)[] = new Array(texts.length)
  let received = 0
  const onMessage = (m: TrainerMessage): void => {
    if (m.type !== 'predictions') return
    for (const item of m.items) {
      const i = Number(item.id)
      if (spans[i] === undefined) received++
      spans[i] = item.spans.map((s) => ({ start: s.start, end: s.end, label: s.label, confidence: s.confidence }))
    }
    onProgress?.({ phase: 'predicting', documents: received, total: texts.length })
  }
  try {
    await runs.runJob(
      { kind: 'predict', modelDir: dir, textsFile, chunkSize: chunkSizeFor(texts.length), maxLength: config.maxLength, ...(config.stride !== undefined ? { stride: config.stride } : {}), batchSize: config.evalBatchSize, labelAllSubtokens: config.labelAllSubtokens, backend: 'auto' },
      onMessage,
      { ...(signal ? { signal } : {}), keep: (m) => m.type !== 'predictions' },
    )
  } finally {
    rmSync(textsFile, { force: true })
  }
  if (signal?.aborted) throw new AppError('FAILED', `The prediction of ${name} was cancelled after ${received} of ${texts.length} documents.`)
  if (received !== texts.length) throw new AppError('FAILED', `The trainer predicted ${received} of the ${texts.length} documents of ${name}.`)
  const documents = texts.map((text, i) => ({ text, spans: spans[i]! }))
  return { file: name, format: read.format, documents, seconds: (Date.now() - started) / 1000 }
}

export interface WritePredictionsOptions {
  /** CoNLL: the tag scheme (default IOB2). */
  scheme?: FileTagScheme
  /** Leave out entities less confident than this (default 0: keep all). */
  minConfidence?: number
}

/** A predicted document as the format writers take it: the spans, and again as scored predictions (Label Studio) and confidences (JSON formats). */
function toRecord(d: PredictedDocument, i: number, minConfidence: number): DocumentRecord {
  const spans = d.spans.filter((s) => s.confidence >= minConfidence)
  return {
    text: d.text,
    spans: spans.map((s) => ({ start: s.start, end: s.end, label: s.label })),
    predictions: [{ model: 'tagtune', spans: spans.map((s) => ({ start: s.start, end: s.end, label: s.label, score: s.confidence })) }],
    meta: { confidences: spans.map((s) => Number(s.confidence.toFixed(4))) },
    source: { file: 'predictions', record: i + 1 },
  }
}

async function* records(docs: AsyncIterable<PredictedDocument> | Iterable<PredictedDocument>, minConfidence: number, counts: { documents: number; entities: number }): AsyncGenerator<DocumentRecord> {
  for await (const d of docs) {
    const r = toRecord(d, counts.documents, minConfidence)
    counts.documents++
    counts.entities += r.spans.length
    yield r
  }
}

/** Text chunks of the predictions in one file of `format` (every format but brat, which is a folder). */
export function predictionTextChunks(
  format: Exclude<Format, 'brat'>,
  docs: AsyncIterable<PredictedDocument> | Iterable<PredictedDocument>,
  options: WritePredictionsOptions = {},
  counts = { documents: 0, entities: 0 },
): AsyncGenerator<string> {
  return writeFormat(format, records(docs, options.minConfidence ?? 0, counts), { scheme: options.scheme ?? 'iob2' })
}

/**
 * Writes the predictions to `path` in `format` (brat: `path` is a folder of .txt/.ann pairs).
 * A failed write leaves no partial file behind.
 */
export async function writePredictions(
  path: string,
  format: Format,
  docs: AsyncIterable<PredictedDocument> | Iterable<PredictedDocument>,
  options: WritePredictionsOptions = {},
): Promise<{ files: string[]; documents: number; entities: number }> {
  const counts = { documents: 0, entities: 0 }
  const files: string[] = []
  try {
    if (format === 'brat') {
      mkdirSync(path, { recursive: true })
      for await (const f of writeBratFiles(records(docs, options.minConfidence ?? 0, counts))) {
        for (const [ext, body] of [['.txt', f.text], ['.ann', f.ann]] as const) {
          const file = join(path, `${f.name}${ext}`)
          writeFileSync(file, body)
          files.push(file)
        }
      }
    } else {
      const out = createWriteStream(path, 'utf8')
      const failed = new Promise<never>((_, reject) => out.once('error', reject))
      failed.catch(() => {})
      for await (const chunk of predictionTextChunks(format, docs, options, counts)) {
        if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed])
      }
      out.end()
      await Promise.race([once(out, 'finish'), failed])
      files.push(path)
    }
  } catch (err) {
    if (format !== 'brat') rmSync(path, { force: true })
    for (const f of files) rmSync(f, { force: true })
    if (err instanceof AppError) throw err
    throw new AppError('INVALID_INPUT', `Writing the predictions to ${path} failed: ${(err as Error).message}`)
  }
  return { files, ...counts }
}

/** The format a prediction is written in by default: the file's own, or doccano for plain text and brat. */
export function defaultOutputFormat(input: Format): Format {
  return input === 'text' || input === 'brat' ? 'doccano' : input
}

// ---------------------------------------------------------------------------------------------
// The app's side: results kept for a day, progress events, uploads, downloads

interface ResultMeta {
  runId: number
  file: string
  format: Format
  documents: number
  createdAt: string
}

const DAY_MS = 24 * 3600 * 1000
const PREVIEW = { documents: 12, chars: 600 }

/** Cuts a long document for the preview, keeping only the spans that end before the cut (never inside a surrogate pair). */
export function cutForPreview(d: PredictedDocument, maxChars: number): PredictedDocument {
  if (d.text.length <= maxChars) return d
  let cut = maxChars
  const c = d.text.charCodeAt(cut - 1)
  if (c >= 0xd800 && c <= 0xdbff) cut--
  return { text: d.text.slice(0, cut), spans: d.spans.filter((s) => s.end <= cut) }
}

export function summarise(docs: readonly PredictedDocument[]): { entities: number; perLabel: Record<string, number>; confidenceHistogram: number[] } {
  const perLabel: Record<string, number> = {}
  const confidenceHistogram = new Array<number>(10).fill(0)
  let entities = 0
  for (const d of docs) {
    for (const s of d.spans) {
      entities++
      perLabel[s.label] = (perLabel[s.label] ?? 0) + 1
      confidenceHistogram[Math.min(9, Math.max(0, Math.floor(s.confidence * 10)))]!++
    }
  }
  return { entities, perLabel, confidenceHistogram }
}

export interface PredictFileServiceOptions {
  db: DB
  runs: RunService
  uploads: UploadService
  dataDir: string
  emitProgress(p: RunPredictProgress): void
  now?: () => number
}

export function createPredictFileService(options: PredictFileServiceOptions) {
  const { db, runs, uploads } = options
  const now = options.now ?? (() => Date.now())
  const dir = join(options.dataDir, 'predictions')
  mkdirSync(dir, { recursive: true })
  // Results older than a day were exported long ago (or never will be).
  for (const f of readdirSync(dir)) {
    const p = join(dir, f)
    try {
      if (now() - statSync(p).mtimeMs > DAY_MS) rmSync(p, { force: true })
    } catch {
      // already gone
    }
  }

  function metaOf(resultId: string): ResultMeta {
    try {
      return JSON.parse(readFileSync(join(dir, `${resultId}.json`), 'utf8')) as ResultMeta
    } catch {
      throw new AppError('NOT_FOUND', 'Those predictions are gone (they are kept for a day): predict the file again.')
    }
  }

  async function* stored(resultId: string): AsyncGenerator<PredictedDocument> {
    const lines = createInterface({ input: createReadStream(join(dir, `${resultId}.jsonl`), 'utf8'), crlfDelay: Infinity })
    for await (const line of lines) if (line) yield JSON.parse(line) as PredictedDocument
  }

  function fileNameFor(meta: ResultMeta, format: Format): string {
    const base = basename(meta.file, extname(meta.file)).replace(/[^\p{L}\p{N}._-]+/gu, '_') || 'predictions'
    return `${base}-predictions${EXTENSIONS[format] || ''}`
  }

  /** Predictions in flight by request id, so that a window can cancel its own. */
  const inFlight = new Map<string, AbortController>()

  return {
    async predict(input: z.output<typeof RunPredictFile>, local: boolean): Promise<RunPredictFileResult> {
      let path: string
      let name: string | undefined
      if ('path' in input.file) {
        if (!local) throw new AppError('FORBIDDEN', 'Reading a path on the workstation is only allowed from the desktop app or the CLI; upload the file instead.')
        path = input.file.path
      } else {
        const u = uploads.resolve(input.file.uploadId)
        path = u.path
        name = u.name
      }
      const shown = name ?? basename(path)
      const emit = (phase: RunPredictProgress['phase'], documents: number, total: number): void =>
        options.emitProgress({ runId: input.id, requestId: input.requestId ?? null, file: shown, phase, documents, total })
      if (input.requestId !== undefined && inFlight.has(input.requestId)) throw new AppError('CONFLICT', `A prediction with request id ${input.requestId} is already running.`)
      const controller = new AbortController()
      if (input.requestId !== undefined) inFlight.set(input.requestId, controller)
      let prediction: FilePrediction
      try {
        prediction = await predictFile(
          db,
          runs,
          { id: input.id, path, ...(name ? { name } : {}), ...(input.format !== 'auto' ? { format: input.format } : {}), checkpoint: input.checkpoint },
          (p) => emit(p.phase, p.documents, p.total),
          controller.signal,
        )
      } catch (err) {
        emit('failed', 0, 0)
        throw err
      } finally {
        if (input.requestId !== undefined) inFlight.delete(input.requestId)
      }
      const resultId = randomBytes(16).toString('hex')
      const meta: ResultMeta = { runId: input.id, file: prediction.file, format: prediction.format, documents: prediction.documents.length, createdAt: new Date(now()).toISOString() }
      writeFileSync(join(dir, `${resultId}.jsonl`), prediction.documents.map((d) => JSON.stringify(d)).join('\n') + '\n')
      writeFileSync(join(dir, `${resultId}.json`), JSON.stringify(meta))
      if ('uploadId' in input.file) uploads.remove(input.file.uploadId)
      emit('done', prediction.documents.length, prediction.documents.length)
      const preview: PredictedDocument[] = []
      let chars = 0
      for (const d of prediction.documents) {
        if (preview.length >= PREVIEW.documents || chars >= PREVIEW.chars * PREVIEW.documents) break
        const cut = cutForPreview(d, PREVIEW.chars)
        preview.push(cut)
        chars += cut.text.length
      }
      return { resultId, runId: input.id, file: prediction.file, format: prediction.format, documents: prediction.documents.length, ...summarise(prediction.documents), preview, seconds: prediction.seconds }
    },

    /** Stops a prediction at its next chunk; false when there is none with that request id. */
    cancel(requestId: string): boolean {
      const c = inFlight.get(requestId)
      c?.abort()
      return c !== undefined
    },

    /** Writes a stored result to a path (desktop app, CLI). */
    async export(input: z.output<typeof PredictionExport>, local: boolean) {
      if (!local) throw new AppError('FORBIDDEN', 'Writing to a path on the workstation is only allowed from the desktop app or the CLI; download the predictions instead.')
      metaOf(input.resultId)
      const written = await writePredictions(input.path, input.format, stored(input.resultId), { ...(input.scheme ? { scheme: input.scheme } : {}), minConfidence: input.minConfidence })
      return { ...written, format: input.format }
    },

    /** A stored result as a download (browsers): its file name and text chunks. */
    download(input: Omit<z.output<typeof PredictionExport>, 'path'>): { fileName: string; chunks: AsyncGenerator<string> } {
      if (input.format === 'brat') throw new AppError('INVALID_INPUT', 'brat is a folder of files: export brat predictions from the desktop app or with `tagtune predict`.')
      const meta = metaOf(input.resultId)
      return { fileName: fileNameFor(meta, input.format), chunks: predictionTextChunks(input.format, stored(input.resultId), { ...(input.scheme ? { scheme: input.scheme } : {}), minConfidence: input.minConfidence }) }
    },

  }
}

export type PredictFileService = ReturnType<typeof createPredictFileService>
