/**
 * Starting a trainer process and talking to it. In plain Node (CLI, browser host, tests) it is
 * a forked Node process; the Electron shell passes its own spawner (utilityProcess). The
 * entry is the built out/main/trainer.js next to the bundle, or the TypeScript source run
 * through tsx when the host itself runs from source (tests).
 */
import { findEntry, forkEntry, type ProcessEntry, type ProcessExit } from '../child-process'
import type { TrainerMessage, TrainerRequest } from '../../trainer/protocol'

export type TrainerExit = ProcessExit

export interface TrainerHandle {
  readonly pid: number | undefined
  send(request: TrainerRequest): void
  onMessage(listener: (m: TrainerMessage) => void): void
  /** Resolves when the process has exited, however it ended. */
  readonly exited: Promise<TrainerExit>
  kill(signal?: NodeJS.Signals): void
}

export type SpawnTrainer = () => TrainerHandle

export type TrainerEntry = ProcessEntry

/** Where the trainer's code is: the built bundle's trainer.js, else the source through tsx. */
export function defaultTrainerEntry(): TrainerEntry {
  return findEntry(import.meta.url, 'trainer.js', '../../trainer/index.ts', 'trainer')
}

export function forkTrainer(entry: TrainerEntry = defaultTrainerEntry()): TrainerHandle {
  // The trainer reports through messages; its own output (tfjs banners, native warnings) is kept for crash reports.
  const { child, tail, exited } = forkEntry(entry, { TAGTUNE_TRAINER: '1' })
  const listeners: ((m: TrainerMessage) => void)[] = []
  child.on('message', (m) => {
    for (const l of listeners) l(m as TrainerMessage)
  })
  return {
    pid: child.pid,
    send: (r) => {
      if (child.connected) child.send(r)
    },
    onMessage: (l) => void listeners.push(l),
    exited,
    kill: (signal = 'SIGTERM') => void child.kill(signal),
    get output(): string[] {
      return tail
    },
  } as TrainerHandle
}

/** The last lines the process printed (for a crash report), when the handle keeps them. */
export function trainerOutput(handle: TrainerHandle): string[] {
  return (handle as TrainerHandle & { output?: string[] }).output ?? []
}
