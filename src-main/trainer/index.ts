/**
 * The trainer process: receives one job from the host, runs it, streams progress, and exits.
 * Runs as a forked Node process (CLI, browser host) or an Electron utilityProcess; either way
 * a crash, an out-of-memory or a NaN storm here cannot take the host down.
 */
import { createControl, runEvaluateJob, runPredictJob, runPretrainJob, runTrainJob } from './jobs'
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
  return {
    send: (m) => process.send!(m),
    onMessage: (h) => process.on('message', (m) => h(m as TrainerRequest)),
    exit: (code) => {
      // Leave once everything sent so far is flushed: disconnecting lets the queue drain.
      leaving = true
      process.exitCode = code
      process.disconnect()
      setTimeout(() => process.exit(code), 2000).unref()
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
  if (m.type === 'cancel') {
    control.cancelled = true
    control.setPaused(false)
  } else if (m.type === 'pause') control.setPaused(true)
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
          else await runPredictJob(job, ch.send)
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
