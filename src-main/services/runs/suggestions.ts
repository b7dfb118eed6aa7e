/**
 * Model suggestions: a run's model predicts the project's documents in a trainer process, a
 * chunk at a time; each chunk is stored as it arrives (so a long job shows progress and an
 * interrupted one keeps what it did). The annotation workspace reads them per document and
 * orders its queue by their confidence.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import type { DB } from '../../store/db'
import { SHOWN_ANNOTATION } from '../../store/repositories/documents'
import * as runsRepo from '../../store/repositories/runs'
import * as store from '../../store/repositories/model-suggestions'
import { listLabels } from '../../store/repositories/projects'
import { AppError } from '../../../src-shared/ipc/errors'
import { SuggestionsPredictInput, type DocumentSuggestions, type SuggestionSource, type SuggestionsPredictResult, type SuggestionsProgress } from '../../../src-shared/domain/suggestions'
import type { TrainerMessage } from '../../trainer/protocol'
import { checkpointDir } from './jobs'
import type { RunService } from '.'

/** Documents per trainer message: a progress step, and one store transaction. */
export const SUGGESTION_CHUNK = 200

export interface SuggestionService {
  predict(input: z.output<typeof SuggestionsPredictInput>): Promise<SuggestionsPredictResult>
  cancel(runId: number): boolean
  get(runId: number, documentId: number): DocumentSuggestions | null
  sources(projectId: number): SuggestionSource[]
}

export function createSuggestionService(db: DB, runs: RunService, emit: (p: SuggestionsProgress) => void): SuggestionService {
  const busy = new Map<number, AbortController>()

  function runOf(runId: number): runsRepo.Run {
    const run = runsRepo.getRun(db, runId)
    if (!run) throw new AppError('NOT_FOUND', `There is no run with id ${runId}.`)
    return run
  }

  return {
    async predict(input) {
      const run = runOf(input.runId)
      if (busy.has(run.id)) throw new AppError('CONFLICT', `Run ${run.id} is already predicting suggestions.`)
      const { dir, config } = checkpointDir(runs, db, run.id, input.checkpoint)
      const docs = db
        .prepare(
          `SELECT d.id, d.text FROM documents d ${SHOWN_ANNOTATION}
            WHERE d.project_id = ? ${input.scope === 'all' ? '' : "AND coalesce(a.status, 'todo') <> 'done'"} ORDER BY d.position`,
        )
        .all(run.projectId) as { id: number; text: string }[]
      const folder = join(runs.runDir(run.id), 'suggest')
      mkdirSync(folder, { recursive: true })
      const textsFile = join(folder, 'texts.jsonl')
      writeFileSync(textsFile, docs.map((d) => JSON.stringify({ id: d.id, text: d.text })).join('\n'))
      const controller = new AbortController()
      busy.set(run.id, controller)
      const started = Date.now()
      const totals = { documents: 0, spans: 0, uncertain: 0 }
      const progress = (done: number, finished: boolean): void => emit({ projectId: run.projectId, runId: run.id, done, total: docs.length, finished })
      progress(0, false)
      const onMessage = (m: TrainerMessage): void => {
        if (m.type === 'predict-progress') progress(m.done, false)
        if (m.type !== 'predictions') return
        const rows = m.items.map((item) => ({
          documentId: Number(item.id),
          confidence: item.confidence ?? 1,
          spans: item.spans.map((s): store.SuggestedSpan => [s.start, s.end, s.label, s.confidence]),
        }))
        totals.documents += store.putSuggestions(db, run.id, rows, new Date().toISOString())
        totals.spans += rows.reduce((n, r) => n + r.spans.length, 0)
        totals.uncertain += rows.filter((r) => r.confidence < 0.5).length
      }
      try {
        await runs.runJob(
          { kind: 'predict', modelDir: dir, textsFile, chunkSize: SUGGESTION_CHUNK, maxLength: config.maxLength, ...(config.stride !== undefined ? { stride: config.stride } : {}), batchSize: config.evalBatchSize, labelAllSubtokens: config.labelAllSubtokens, backend: 'auto' },
          onMessage,
          { signal: controller.signal, keep: (m) => m.type !== 'predictions' },
        )
      } finally {
        busy.delete(run.id)
        progress(totals.documents, true)
      }
      return { runId: run.id, projectId: run.projectId, ...totals, cancelled: controller.signal.aborted, elapsedMs: Date.now() - started }
    },

    cancel(runId) {
      const c = busy.get(runId)
      c?.abort()
      return c !== undefined
    },

    get(runId, documentId) {
      const run = runOf(runId)
      const row = store.getSuggestions(db, runId, documentId)
      if (!row) return null
      const byName = new Map(listLabels(db, run.projectId).map((l) => [l.name, l.id]))
      const unknown = new Set<string>()
      const spans = row.spans.flatMap(([start, end, label, confidence]) => {
        const labelId = byName.get(label)
        if (labelId === undefined) return unknown.add(label), []
        return [{ start, end, labelId, confidence: Math.min(1, Math.max(0, confidence)) }]
      })
      return { runId, documentId, confidence: row.confidence, spans, unknownLabels: [...unknown], createdAt: row.createdAt }
    },

    sources(projectId) {
      const predicted = new Map(store.summarizeSuggestions(db, projectId).map((s) => [s.runId, s]))
      return runsRepo.listRuns(db, projectId).map((run) => {
        const p = predicted.get(run.id)
        const hasModel = ['best', 'last'].some((w) => existsSync(join(runs.runDir(run.id), w, 'model.safetensors')))
        return {
          runId: run.id,
          name: run.name,
          status: run.status,
          devF1: run.bestMetric,
          hasModel,
          predicted: p ? { documents: p.documents, uncertain: p.uncertain, meanConfidence: p.meanConfidence, createdAt: p.createdAt } : null,
          busy: busy.has(run.id),
        }
      })
    },
  }
}
