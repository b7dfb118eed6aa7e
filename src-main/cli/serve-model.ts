/**
 * `tagtune serve-model <run>`: serves a run's best model over HTTP from this process (the model
 * is loaded once), prints the URL and a curl example, and stops on Ctrl-C after answering what
 * is in flight.
 */
import type { Host } from '../host/create-host'
import { AppError } from '../../src-shared/ipc/errors'
import { curlExample, SERVE_API, ServingStart } from '../../src-shared/domain/serving'
import { runModelSpec } from '../services/serving/run-model'
import { startModelServer } from '../serve/server'
import type { BackendPreference } from '../engine/backend'
import { UsageError, type ParsedArgs } from './args'
import type { CliIo } from './main'

export const SERVE_MODEL_PORT = 8765

const FLAGS: Record<string, string> = {
  port: '--port',
  host: '--host',
  token: '--token',
  maxBatchTexts: '--max-batch',
  batchWindowMs: '--batch-window',
  maxBodyBytes: '--max-body',
  maxTexts: '--max-texts',
  maxTextChars: '--max-chars',
}

export async function serveModelCommand(args: ParsedArgs, host: Host, io: CliIo, runId: number): Promise<number> {
  const parsed = ServingStart.safeParse({
    runId,
    port: args.port ?? SERVE_MODEL_PORT,
    host: args.host ?? '127.0.0.1',
    ...(args.token !== undefined ? { token: args.token } : {}),
    ...(args.maxBatch !== undefined ? { maxBatchTexts: args.maxBatch } : {}),
    ...(args.batchWindow !== undefined ? { batchWindowMs: args.batchWindow } : {}),
    ...(args.maxBody !== undefined ? { maxBodyBytes: args.maxBody } : {}),
    ...(args.maxTexts !== undefined ? { maxTexts: args.maxTexts } : {}),
    ...(args.maxChars !== undefined ? { maxTextChars: args.maxChars } : {}),
  })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = String(issue.path[0] ?? '')
    throw new UsageError(`${FLAGS[field] ?? field}: ${issue.message}`)
  }
  const o = parsed.data
  const spec = runModelSpec(host.db, host.runs.runDir, runId)
  let server
  try {
    server = await startModelServer({
      model: spec,
      backend: (args.backend ?? 'auto') as BackendPreference,
      hostname: o.host,
      port: o.port,
      ...(o.token ? { token: o.token } : {}),
      limits: {
        ...(o.maxBatchTexts !== undefined ? { maxBatchTexts: o.maxBatchTexts } : {}),
        ...(o.batchWindowMs !== undefined ? { batchWindowMs: o.batchWindowMs } : {}),
        ...(o.maxBodyBytes !== undefined ? { maxBodyBytes: o.maxBodyBytes } : {}),
        ...(o.maxTexts !== undefined ? { maxTexts: o.maxTexts } : {}),
        ...(o.maxTextChars !== undefined ? { maxTextChars: o.maxTextChars } : {}),
      },
    })
  } catch (err) {
    if (err instanceof AppError) throw err
    throw new AppError(/already in use/.test((err as Error).message) ? 'CONFLICT' : 'FAILED', `Could not serve run ${runId}: ${(err as Error).message}`)
  }
  const token = server.token ?? null
  const curl = curlExample(server.url, token)
  const info = {
    url: server.url,
    endpoint: `${server.url}${SERVE_API.ner}`,
    runId,
    name: spec.name,
    labels: server.model.labels,
    backend: server.backend,
    tokenRequired: token !== null,
    token,
    limits: server.limits,
    pid: process.pid,
    curl,
  }
  const l = server.limits
  io.stdout(
    (args.json
      ? JSON.stringify(info)
      : [
          `Serving run #${runId} "${spec.name}" (${server.model.labels.join(', ')}) on ${server.backend}`,
          `  POST ${info.endpoint}   GET ${server.url}${SERVE_API.model}   GET ${server.url}${SERVE_API.health}`,
          token
            ? `Token: ${token}\n  (required: send "Authorization: Bearer <token>")`
            : 'Bound to loopback: only this machine can connect, and no token is required.',
          ...(o.host === '0.0.0.0' || o.host === '::' ? [`Other machines reach it at http://<this machine's address>:${server.port}`] : []),
          `Limits: ${l.maxTexts} texts and ${l.maxBodyBytes.toLocaleString('en-US')} bytes per request, ${l.maxTextChars.toLocaleString('en-US')} characters per text; batches of up to ${l.maxBatchTexts} texts within ${l.batchWindowMs} ms.`,
          'Offsets: start/end count code points (Python), startUtf16/endUtf16 UTF-16 code units (JavaScript).',
          '',
          curl,
          '',
          'Press Ctrl-C to stop.',
        ].join('\n')) + '\n',
  )
  await (io.untilStopped ?? (() => new Promise<void>(() => {})))()
  io.stderr('Stopping: answering the requests in flight…\n')
  await server.close()
  const s = server.stats()
  io.stderr(`Stopped after ${s.requests} request(s): ${s.texts} text(s) in ${s.batches} batch(es), ${s.errors} refused or failed.\n`)
  return 0
}
