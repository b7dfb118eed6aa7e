/**
 * Trainer processes in the desktop app: Electron's utilityProcess (a Node process Electron
 * manages; forking process.execPath would start a second Electron app). The trainer entry
 * talks through process.parentPort there (see src-main/trainer/index.ts).
 */
import { utilityProcess } from 'electron'
import { join } from 'node:path'
import type { SpawnTrainer, TrainerExit, TrainerHandle } from '../services/runs/trainer-process'
import type { TrainerMessage } from '../trainer/protocol'

export function utilityTrainer(bundleDir: string): SpawnTrainer {
  return () => {
    const child = utilityProcess.fork(join(bundleDir, 'trainer.js'), [], { serviceName: 'Tagtune trainer', stdio: 'pipe' })
    const output: string[] = []
    const keep = (chunk: Buffer): void => {
      output.push(...chunk.toString('utf8').split('\n').filter((l) => l.trim()))
      if (output.length > 40) output.splice(0, output.length - 40)
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    const listeners: ((m: TrainerMessage) => void)[] = []
    child.on('message', (m: unknown) => {
      for (const l of listeners) l(m as TrainerMessage)
    })
    const exited = new Promise<TrainerExit>((resolve) => child.on('exit', (code: number) => resolve({ code, signal: null })))
    const handle: TrainerHandle & { output: string[] } = {
      get pid() {
        return child.pid
      },
      send: (r) => child.postMessage(r),
      onMessage: (l) => void listeners.push(l),
      exited,
      kill: () => void child.kill(),
      output,
    }
    return handle
  }
}
