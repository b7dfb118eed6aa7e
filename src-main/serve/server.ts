/**
 * A model server in this process: pick the compute backend, load the model once, listen. Used
 * by `tagtune serve-model` (the CLI process serves) and by the server process the app starts.
 */
import { initComputeBackend, type BackendPreference } from '../engine/backend'
import type { ServeLimits } from '../../src-shared/domain/serving'
import { loadServedModel, type LoadedServedModel, type ModelSpec } from './model'
import { startNerServer, type RunningNerServer } from './http-server'

export interface ModelServerOptions {
  model: ModelSpec
  backend?: BackendPreference
  hostname?: string
  port?: number
  token?: string
  limits?: Partial<ServeLimits>
}

export interface RunningModelServer extends RunningNerServer {
  model: LoadedServedModel
  /** The backend's label, e.g. "wasm (CPU)". */
  backend: string
}

export async function startModelServer(options: ModelServerOptions): Promise<RunningModelServer> {
  const backend = await initComputeBackend(options.backend ?? 'auto', { matmulThreads: process.env.TAGTUNE_MATMUL_THREADS !== '0' })
  const model = loadServedModel({ ...options.model, batchSize: forwardBatch(options.model.batchSize, backend.device) })
  let server: RunningNerServer
  try {
    server = await startNerServer({
      model,
      backend: backend.label,
      ...(options.hostname !== undefined ? { hostname: options.hostname } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.token !== undefined ? { token: options.token } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
    })
  } catch (err) {
    model.dispose()
    throw listenError(err, options.hostname ?? '127.0.0.1', options.port ?? 0)
  }
  return {
    ...server,
    model,
    backend: backend.label,
    async close(timeoutMs?: number) {
      await server.close(timeoutMs)
      model.dispose()
    },
  }
}

/**
 * Windows per forward pass. On a CPU, passes of 4 to 8 windows cost the least per text
 * (`npm run bench:serve -- --sweep`: wasm, a 4x256 BERT, WNUT-17 tweets: about 10 ms of CPU per
 * text, against 12 to 16 for single texts and 14 to 19 for passes of 32, which pad more); a
 * merged batch of requests is therefore run 8 windows at a time. A GPU keeps the run's
 * evaluation batch size.
 */
export function forwardBatch(batchSize: number, device: string): number {
  return device.startsWith('GPU') ? batchSize : Math.min(batchSize, CPU_FORWARD_BATCH)
}
export const CPU_FORWARD_BATCH = 8

/** "listen EADDRINUSE ..." in words a user can act on. */
export function listenError(err: unknown, hostname: string, port: number): Error {
  const code = (err as NodeJS.ErrnoException)?.code
  if (code === 'EADDRINUSE') return new Error(`Port ${port} on ${hostname} is already in use: choose another port (or 0 for any free one).`)
  if (code === 'EACCES') return new Error(`Not allowed to listen on port ${port} of ${hostname} (ports below 1024 need privileges): choose a port from 1024 to 65535.`)
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new Error(`Cannot listen on ${hostname}: this machine has no such address.`)
  return err instanceof Error ? err : new Error(String(err))
}
