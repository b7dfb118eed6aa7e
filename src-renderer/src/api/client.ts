/**
 * The typed client over the contract: `api.invoke('project.create', {...})` is checked
 * against the channel map at compile time and answers the channel's output type or throws
 * an ApiError carrying the host's `{ code, message, details }`.
 */
import type { EventName, EventPayload, InvokeChannel, InvokeInput, InvokeOutput } from '@shared/ipc/contract'
import type { AppErrorShape, ErrorCode } from '@shared/ipc/errors'
import { pickTransport, type ConnectionState, type Transport } from './transport'

export class ApiError extends Error {
  readonly code: ErrorCode
  readonly details: unknown
  constructor(shape: AppErrorShape) {
    super(shape.message)
    this.name = 'ApiError'
    this.code = shape.code
    this.details = shape.details
  }

  /** Field-level problems as `{ "labels.1.name": "label name is empty" }`. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {}
    if (Array.isArray(this.details)) {
      for (const d of this.details as { path?: unknown; message?: unknown }[]) {
        if (typeof d?.path === 'string' && typeof d.message === 'string' && !(d.path in out)) out[d.path] = d.message
      }
    }
    return out
  }
}

export interface Api {
  readonly transport: Transport['kind']
  invoke<C extends InvokeChannel>(channel: C, input: InvokeInput<C>): Promise<InvokeOutput<C>>
  on<E extends EventName>(event: E, cb: (payload: EventPayload<E>) => void): () => void
  onState(cb: (state: ConnectionState, detail?: string) => void): () => void
  fileRef: Transport['fileRef']
  exportUrl: Transport['exportUrl']
}

export function createApi(transport: Transport): Api {
  return {
    transport: transport.kind,
    async invoke(channel, input) {
      const r = await transport.invoke(channel, input)
      if (!r.ok) throw new ApiError(r.error)
      return r.value as never
    },
    on: (event, cb) => transport.on(event, cb as (p: unknown) => void),
    onState: (cb) => transport.onState(cb),
    fileRef: (file, onProgress) => transport.fileRef(file, onProgress),
    exportUrl: transport.exportUrl?.bind(transport),
  }
}

let instance: Api | undefined
/** The app's one client; only Pinia stores call it. */
export function useApi(): Api {
  return (instance ??= createApi(pickTransport()))
}
