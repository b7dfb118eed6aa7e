/**
 * Interactive prediction without a process start and a model load per request: one trainer
 * process per model folder keeps the model loaded (a PredictJob with `session`) and answers
 * requests until it has been idle for a while. A checkpoint rewritten since (a run still
 * training) gets a fresh session; a session whose process dies fails its pending requests and
 * the next request starts another.
 */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../../../src-shared/ipc/errors'
import type { DocumentPredictionRecord, PredictJob } from '../../trainer/protocol'
import { trainerOutput, type TrainerHandle } from './trainer-process'

interface Session {
  handle: TrainerHandle
  /** model.safetensors' modification time when the session started. */
  version: number
  nextId: number
  pending: Map<number, { resolve(items: DocumentPredictionRecord[]): void; reject(err: Error): void }>
  idle?: ReturnType<typeof setTimeout>
  dead: boolean
}

export interface PredictSessions {
  predict(job: Omit<PredictJob, 'texts' | 'textsFile' | 'session' | 'chunkSize'>, texts: { id: string | number; text: string }[]): Promise<DocumentPredictionRecord[]>
  /** Trainer processes started for sessions so far (tests and the log). */
  readonly started: number
  close(): void
}

export function createPredictSessions(spawn: () => TrainerHandle, idleMs = 3 * 60_000): PredictSessions {
  const sessions = new Map<string, Session>()
  let started = 0

  function end(key: string, s: Session, reason: string): void {
    if (s.dead) return
    s.dead = true
    clearTimeout(s.idle)
    if (sessions.get(key) === s) sessions.delete(key)
    for (const p of s.pending.values()) p.reject(new AppError('FAILED', reason))
    s.pending.clear()
    s.handle.send({ type: 'cancel' })
    const kill = setTimeout(() => s.handle.kill('SIGKILL'), 10_000)
    kill.unref()
    void s.handle.exited.then(() => clearTimeout(kill))
  }

  function open(key: string, job: PredictSessionJob, version: number): Session {
    const handle = spawn()
    started++
    const s: Session = { handle, version, nextId: 1, pending: new Map(), dead: false }
    handle.onMessage((m) => {
      if (m.type === 'predictions' && m.split.startsWith('request:')) {
        const id = Number(m.split.slice('request:'.length))
        s.pending.get(id)?.resolve(m.items)
        s.pending.delete(id)
      } else if (m.type === 'request-error') {
        s.pending.get(m.requestId)?.reject(new AppError('FAILED', m.message))
        s.pending.delete(m.requestId)
      } else if (m.type === 'error') end(key, s, m.message)
    })
    void handle.exited.then((exit) => {
      const last = trainerOutput(handle).slice(-3).join(' ')
      end(key, s, `The prediction process ${exit.signal ? `was killed (${exit.signal})` : `exited with code ${exit.code}`}.${last ? ` ${last}` : ''}`)
    })
    handle.send({ type: 'job', job: { ...job, kind: 'predict', session: true } })
    sessions.set(key, s)
    return s
  }

  return {
    predict(job, texts) {
      const key = job.modelDir
      let version = 0
      try {
        version = statSync(join(job.modelDir, 'model.safetensors')).mtimeMs
      } catch {
        // The job will say what is missing.
      }
      let s = sessions.get(key)
      if (s && s.version !== version) {
        end(key, s, 'The checkpoint changed; predicting again with the new one.')
        s = undefined
      }
      s ??= open(key, job, version)
      const session = s
      clearTimeout(session.idle)
      const requestId = session.nextId++
      return new Promise<DocumentPredictionRecord[]>((resolve, reject) => {
        session.pending.set(requestId, { resolve, reject })
        session.handle.send({ type: 'predict', requestId, texts })
      }).finally(() => {
        if (!session.dead && session.pending.size === 0) {
          clearTimeout(session.idle)
          session.idle = setTimeout(() => end(key, session, 'idle'), idleMs)
          session.idle.unref()
        }
      })
    },
    get started() {
      return started
    },
    close() {
      for (const [key, s] of [...sessions]) end(key, s, 'Tagtune is shutting down.')
    },
  }
}

type PredictSessionJob = Omit<PredictJob, 'texts' | 'textsFile' | 'session' | 'chunkSize'>
