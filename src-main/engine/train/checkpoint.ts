/**
 * Checkpoints on disk: a Hugging Face folder (config.json, vocab, model.safetensors) plus, for
 * resuming, optimizer.safetensors (Adam moments) and trainer_state.json (step, epoch, position
 * in the epoch, best score, seeds). Files are replaced atomically; a crash mid-write leaves the
 * previous checkpoint intact.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseSafetensors, writeSafetensors } from '../model/safetensors'
import { saveTokenClassifier } from '../model/io'
import type { HostTensor } from '../model/convert'
import type { TokenClassifier } from '../heads/token-classification'
import type { BertTokenizer } from '../tokenizer'
import type { OptimizerState } from '../optim/adamw'

export const OPTIMIZER_FILE = 'optimizer.safetensors'
export const TRAINER_STATE_FILE = 'trainer_state.json'

export interface TrainerState {
  /** Optimizer steps done. */
  step: number
  epoch: number
  /** Micro-batches of `epoch` already consumed. */
  batchInEpoch: number
  examplesSeen: number
  tokensSeen: number
  bestMetric: number | null
  bestStep: number | null
  evalsWithoutImprovement: number
  elapsedMs: number
  seed: number
}

function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`
  writeFileSync(tmp, data)
  renameSync(tmp, path)
}

export function saveCheckpoint(
  dir: string,
  model: TokenClassifier,
  tokenizer: BertTokenizer,
  extra: { params?: Map<string, HostTensor>; optimizer?: OptimizerState; state?: TrainerState; metadata?: Record<string, string> },
): void {
  saveTokenClassifier(model, dir, { tokenizer, params: extra.params, metadata: extra.metadata })
  if (extra.optimizer) {
    const tensors = new Map<string, HostTensor>()
    for (const [name, s] of extra.optimizer.moments) {
      tensors.set(`m/${name}`, { shape: s.shape, data: s.m })
      tensors.set(`v/${name}`, { shape: s.shape, data: s.v })
    }
    writeAtomic(join(dir, OPTIMIZER_FILE), writeSafetensors(tensors, { step: String(extra.optimizer.step) }))
  }
  if (extra.state) writeAtomic(join(dir, TRAINER_STATE_FILE), `${JSON.stringify(extra.state, null, 2)}\n`)
}

export function hasResumeState(dir: string): boolean {
  return existsSync(join(dir, OPTIMIZER_FILE)) && existsSync(join(dir, TRAINER_STATE_FILE))
}

export function readResumeState(dir: string): { optimizer: OptimizerState; state: TrainerState } {
  const state = JSON.parse(readFileSync(join(dir, TRAINER_STATE_FILE), 'utf8')) as TrainerState
  const bytes = new Uint8Array(readFileSync(join(dir, OPTIMIZER_FILE)))
  const tensors = parseSafetensors(bytes, join(dir, OPTIMIZER_FILE))
  const moments: OptimizerState['moments'] = new Map()
  for (const [name, t] of tensors) {
    if (!name.startsWith('m/')) continue
    const key = name.slice(2)
    const v = tensors.get(`v/${key}`)
    if (!v) throw new Error(`${join(dir, OPTIMIZER_FILE)}: ${name} has no matching v/${key}`)
    moments.set(key, { m: t.data, v: v.data, shape: t.shape })
  }
  // One optimizer update per step: the state's step is the optimizer's.
  return { optimizer: { step: state.step, moments }, state }
}
