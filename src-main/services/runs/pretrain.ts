/**
 * Domain-adaptive pretraining of a model on a project's unlabeled text (every document, or a
 * text file), in a trainer process. The result is a BertForMaskedLM folder that a run can
 * then fine-tune (`"model": "<folder>"`).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { DB } from '../../store/db'
import { AppError } from '../../../src-shared/ipc/errors'
import { PretrainRunConfig, runConfigProblems } from '../../../src-shared/domain/run-config'
import type { TrainerMessage } from '../../trainer/protocol'
import type { RunService } from '.'
import { readDocumentsFile } from './files'

export interface PretrainInput {
  projectId: number
  config: unknown
  /** Pretrain on this file's documents (any import format; plain text: one document per line) instead of the project's. */
  file?: string
  out?: string
  backend?: 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu'
}

export interface PretrainOutcome {
  projectId: number
  projectName: string
  /** The file pretrained on instead of the project's documents, else null. */
  file: string | null
  outDir: string
  texts: number
  steps: number
  finalLoss: number
  seconds: number
  status: 'completed' | 'cancelled'
}

export async function pretrainProject(db: DB, runs: RunService, dataDir: string, input: PretrainInput, onMessage?: (m: TrainerMessage) => void): Promise<PretrainOutcome> {
  const parsed = PretrainRunConfig.safeParse(input.config)
  if (!parsed.success) {
    const problems = runConfigProblems(parsed.error)
    throw new AppError('INVALID_INPUT', `The pretraining config is not valid:\n${problems.map((p) => `  ${p}`).join('\n')}`, { problems })
  }
  const config = parsed.data
  const project = db.prepare('SELECT id, name FROM projects WHERE id = ?').get(input.projectId) as { id: number; name: string } | undefined
  if (!project) throw new AppError('NOT_FOUND', `There is no project with id ${input.projectId}.`)
  const texts = input.file
    ? (await readDocumentsFile(resolve(input.file))).documents.map((d) => d.text)
    : (db.prepare('SELECT text FROM documents WHERE project_id = ? ORDER BY position').all(project.id) as { text: string }[]).map((r) => r.text)
  if (texts.length === 0) throw new AppError('INVALID_INPUT', input.file ? `${input.file} holds no text.` : `Project "${project.name}" has no documents to pretrain on.`)
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const work = join(dataDir, 'pretrain', stamp)
  mkdirSync(work, { recursive: true })
  const textsFile = join(work, 'texts.jsonl')
  writeFileSync(textsFile, texts.map((text) => JSON.stringify({ text })).join('\n') + '\n')
  const outDir = resolve(input.out ?? join(dataDir, 'models', `pretrained-${project.id}-${stamp}`))
  const model = typeof config.model === 'string' ? resolve(config.model) : { scratch: { ...config.model.scratch, vocab: resolve(config.model.scratch.vocab) } }
  const messages = await runs.runJob({ kind: 'pretrain', textsFile, config: { ...config, model }, outDir, backend: input.backend ?? 'auto' }, onMessage)
  const done = messages.find((m) => m.type === 'pretrained')
  if (!done || done.type !== 'pretrained') throw new AppError('FAILED', 'The trainer finished without saving the pretrained model.')
  return { projectId: project.id, projectName: project.name, file: input.file ? resolve(input.file) : null, outDir: done.outDir, texts: texts.length, steps: done.steps, finalLoss: done.finalLoss, seconds: done.elapsedMs / 1000, status: done.status }
}
