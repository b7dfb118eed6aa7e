/**
 * The trainer process: receives one job from the host, runs it, streams progress, and exits.
 * Runs as a forked Node process (CLI, browser host) or an Electron utilityProcess; either way
 * a crash, an out-of-memory or a NaN storm here cannot take the host down.
 */
import { createControl, runEvaluateJob, runExportJob, runPredictJob, runPretrainJob, runTrainJob } from './jobs'
import type { TrainerMessage, TrainerRequest } from './protocol'

interface Channel {
  send(m: TrainerMessage): void
  onMessage(handler: (m: TrainerRequest) => void): void
  exit(code: number): void
}

function nodeChannel(): Channel {
  if (!process.send) throw new Error('the trainer must be started by the Tagtune host (no IPC channel)')
  let leaving = false
  // The host went away (it crashed or was killed): stop, so that a restarted host can resume the
  // run from its checkpoint without this process still writing to the same folder.
  process.on('disconnect', () => {
    if (!leaving) process.exit(1)
  })
  // Messages handed to process.send whose write has not completed: disconnecting before they
  // are written drops them (a large predictions message at the end of a job was lost this way).
  let unsent = 0
  let whenFlushed: (() => void) | null = null
  const flushed = (): void => {
    unsent--
    if (unsent === 0 && whenFlushed) whenFlushed()
  }
  return {
    send: (m) => {
      unsent++
      process.send!(m, undefined, undefined, flushed)
    },
    onMessage: (h) => process.on('message', (m) => h(m as TrainerRequest)),
    exit: (code) => {
      leaving = true
      process.exitCode = code
      const leave = (): void => {
        if (process.connected) process.disconnect()
        setTimeout(() => process.exit(code), 2000).unref()
      }
      if (unsent === 0) leave()
      else whenFlushed = leave
      // Should a write never complete, do not linger.
      setTimeout(() => process.exit(code), 30_000).unref()
    },
  }
}

/** Electron's utilityProcess exposes process.parentPort instead of process.send. */
function channel(): Channel {
  const parentPort = (process as unknown as { parentPort?: { postMessage(m: unknown): void; on(e: 'message', h: (e: { data: unknown }) => void): void } }).parentPort
  if (parentPort) {
    return {
      send: (m) => parentPort.postMessage(m),
      onMessage: (h) => parentPort.on('message', (e) => h(e.data as TrainerRequest)),
      exit: (code) => setTimeout(() => process.exit(code), 50),
    }
  }
  return nodeChannel()
}

const ch = channel()
const control = createControl()
let running = false

ch.onMessage((m) => {
  if (m.type === 'cancel') control.cancel()
  else if (m.type === 'predict') control.pushRequest(m)
  else if (m.type === 'pause') control.setPaused(true)
  else if (m.type === 'resume') control.setPaused(false)
  else if (m.type === 'job' && !running) {
    running = true
    void (async () => {
      try {
        const job = m.job
        if (job.kind === 'train') ch.send({ type: 'done', summary: await runTrainJob(job, ch.send, control) })
        else {
          if (job.kind === 'evaluate') await runEvaluateJob(job, ch.send)
          else if (job.kind === 'pretrain') await runPretrainJob(job, ch.send, control)
          else if (job.kind === 'export') await runExportJob(job, ch.send)
          else await runPredictJob(job, ch.send, control)
          ch.send({ type: 'done' })
        }
        ch.exit(0)
      } catch (err) {
        const e = err as Error & { step?: number }
        ch.send({ type: 'error', message: e.message || String(err), ...(typeof e.step === 'number' ? { step: e.step } : {}) })
        ch.exit(1)
      }
    })()
  }
})
