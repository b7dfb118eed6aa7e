/**
 * The two things a browser cannot do over the WebSocket: send a file (POST /api/upload) and
 * receive a large one (GET /api/export, GET /api/predictions). Same access rules as the WebSocket.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Host } from './create-host'
import { ExportOptions } from '../../src-shared/domain/dataset'
import { PredictionExport } from '../../src-shared/domain/run'
import { AppError, describeIssues, issuesToDetails } from '../../src-shared/ipc/errors'
import { exportChunks } from '../services/datasets/export'
import { EXTENSIONS } from '../formats/registry'

export const MAX_UPLOAD_BYTES = 2 * 1024 ** 3

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) }).end(text)
}

function sendError(res: ServerResponse, err: unknown): void {
  const e = err instanceof AppError ? err : new AppError('INTERNAL', (err as Error).message)
  const status = { NOT_FOUND: 404, FORBIDDEN: 403, UNAUTHORIZED: 401, INVALID_INPUT: 400 }[e.code as string] ?? 500
  if (!res.headersSent) sendJson(res, status, { ok: false, error: e.toShape() })
  else res.destroy()
}

/** Handles /api/* requests (already authorised by the caller); returns false for other paths. */
export async function handleApi(host: Host, req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  if (url.pathname === '/api/upload') {
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST' }).end()
      return true
    }
    try {
      const name = url.searchParams.get('name') || 'upload'
      const upload = await host.uploads.save(name, req, MAX_UPLOAD_BYTES)
      sendJson(res, 200, { ok: true, value: { uploadId: upload.id, name: upload.name, size: upload.size } })
    } catch (err) {
      sendError(res, err)
    }
    return true
  }
  if (url.pathname === '/api/export') {
    if (req.method !== 'GET') {
      res.writeHead(405, { Allow: 'GET' }).end()
      return true
    }
    try {
      const { token: _token, ...raw } = Object.fromEntries(url.searchParams)
      const parsed = ExportOptions.omit({ path: true }).safeParse({ ...raw, projectId: Number(raw['projectId']) })
      const q = parsed.success ? parsed.data : undefined
      if (!q) {
        const details = issuesToDetails(parsed.error!.issues)
        throw new AppError('INVALID_INPUT', `Invalid export request: ${describeIssues(details)}`, details)
      }
      if (q.format === 'brat') throw new AppError('INVALID_INPUT', 'brat exports are folders of files: export brat from the desktop app or with `tagtune data export`.')
      const project = host.datasets.project(q.projectId)
      const split = q.split === 'all' ? undefined : q.split
      const fileName = `${project.name.replace(/[^\p{L}\p{N}._-]+/gu, '_')}${split ? `-${split}` : ''}${EXTENSIONS[q.format]}`
      // sendChunks makes the first chunk before the headers, so a refusal (e.g. nested spans in CoNLL) is still an error response.
      await sendChunks(res, fileName, exportChunks(host.db, project, q.format, split, q.scheme))
    } catch (err) {
      sendError(res, err)
    }
    return true
  }
  if (url.pathname === '/api/predictions') {
    if (req.method !== 'GET') {
      res.writeHead(405, { Allow: 'GET' }).end()
      return true
    }
    try {
      const { token: _token, ...raw } = Object.fromEntries(url.searchParams)
      const parsed = PredictionExport.omit({ path: true }).safeParse({ ...raw, ...(raw['minConfidence'] !== undefined ? { minConfidence: Number(raw['minConfidence']) } : {}) })
      if (!parsed.success) {
        const details = issuesToDetails(parsed.error.issues)
        throw new AppError('INVALID_INPUT', `Invalid predictions download: ${describeIssues(details)}`, details)
      }
      const { fileName, chunks } = host.predictions.download(parsed.data)
      await sendChunks(res, fileName, chunks)
    } catch (err) {
      sendError(res, err)
    }
    return true
  }
  return false
}

/** Streams a download; the first chunk is made before the headers, so a refusal is still an error response. */
async function sendChunks(res: ServerResponse, fileName: string, chunks: AsyncGenerator<string>): Promise<void> {
  const first = await chunks.next()
  res.writeHead(200, {
    'Content-Type': 'application/octet-stream',
    'Content-Disposition': `attachment; filename="${encodeURIComponent(fileName)}"; filename*=UTF-8''${encodeURIComponent(fileName)}`,
  })
  await pipeline(
    Readable.from(
      (async function* () {
        if (!first.done) yield first.value
        yield* chunks
      })(),
    ),
    res,
  )
}
