/**
 * Messages between the host and a model-server process (see services/serving). The host sends
 * one start, then stats requests and finally stop; the server answers listening (or error),
 * stats, and stopped. Plain JSON-compatible objects.
 */
import type { BackendPreference } from '../engine/backend'
import type { ServeLimits } from '../../src-shared/domain/serving'
import type { ModelSpec } from './model'
import type { ServeStats } from './http-server'

export interface ServeJob {
  model: ModelSpec
  backend: BackendPreference
  hostname: string
  port: number
  token?: string
  limits: Partial<ServeLimits>
}

export type ServerRequest = { type: 'start'; job: ServeJob } | { type: 'stats'; id: number } | { type: 'stop' }

export interface ListeningInfo {
  url: string
  hostname: string
  port: number
  /** The token clients must send (given or generated), or null. */
  token: string | null
  backend: string
  labels: string[]
  limits: ServeLimits
  pid: number
}

export type ServerMessage =
  | ({ type: 'listening' } & ListeningInfo)
  | { type: 'stats'; id: number; stats: ServeStats }
  | { type: 'error'; message: string }
  | { type: 'stopped' }
