/**
 * Exporting a run's model (its best checkpoint, else its last): a Hugging Face folder, the tfjs
 * weights format, or tfjs with int8 weights whose entity F1 is measured against the float model
 * on the run's test split. The tfjs conversion and the measurement run in a trainer process
 * (tfjs stays out of the host); the Hugging Face folder is plain file work. Every export is
 * written into a staging folder and moved into place whole, with a model card (README.md).
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { z } from 'zod'
import type { DB } from '../../store/db'
import * as repo from '../../store/repositories/runs'
import type { RunService } from '../runs'
import type { ProjectService } from '../projects'
import type { BackendPreference } from '../../engine/backend'
import type { ExportJob, TrainerMessage } from '../../trainer/protocol'
import { AppError } from '../../../src-shared/ipc/errors'
import { RunConfig } from '../../../src-shared/domain/run-config'
import type { NerEvaluation } from '../../../src-shared/domain/ner-eval'
import type { ExportedFile, QuantizationReport, RunExportInput, RunExportResult } from '../../../src-shared/domain/export'
import { checkDestination, commitStaging, createStaging, discardStaging, resolveDestination, writeError } from './destination'
import { readCheckpoint, writeHuggingFaceFolder, type CheckpointInfo } from './hf'
import { modelCard, type CardInput } from './card'

export interface ExportServiceOptions {
  dataDir: string
  projects: Pick<ProjectService, 'get'>
  version: string
  backend?: BackendPreference
}

/** The checkpoint folder an export reads: best, else last (a run without dev evaluations). */
export function exportableCheckpoint(runs: Pick<RunService, 'runDir'>, run: repo.Run): { dir: string; checkpoint: 'best' | 'last' } {
  for (const checkpoint of ['best', 'last'] as const) {
    const dir = join(runs.runDir(run.id), checkpoint)
    if (existsSync(join(dir, 'model.safetensors')) && existsSync(join(dir, 'config.json'))) return { dir, checkpoint }
  }
  throw new AppError('NOT_FOUND', `Run ${run.id} (${run.status}) has no saved model to export: it needs at least one checkpoint (saved at each dev evaluation, and at the end of training).`)
}

function listFiles(dir: string, names?: Iterable<string>): ExportedFile[] {
  return [...(names ?? readdirSync(dir))].sort().map((name) => ({ name, bytes: statSync(join(dir, name)).size }))
}

function tfjsWarnings(info: CheckpointInfo): string[] {
  const out: string[] = []
  if (info.head === 'crf') out.push('CRF head: the crf.* weights (crf.transitions [from, to], crf.start, crf.end) must be decoded with Viterbi over the logits, restricted to valid tag sequences; the argmax of the logits is not what the model was trained to predict.')
  if (info.peft?.method === 'adapter') out.push('Adapters: the weights include bert.encoder.layer.N.{attention.output,output}.adapter.{down,up}.*; apply h + up(gelu(down(h))) after each attention output and FFN output projection, before the residual and LayerNorm.')
  return out
}

/** The evaluations the card reports for the exported checkpoint. */
function cardEvaluations(db: DB, run: repo.Run, checkpoint: 'best' | 'last'): Pick<CardInput, 'dev' | 'test'> {
  const evals = repo.listEvaluations(db, run.id)
  const last = (f: (e: repo.Evaluation) => boolean): repo.Evaluation | undefined => evals.filter(f).at(-1)
  const test = last((e) => e.split === 'test' && e.checkpoint === checkpoint && e.mode === 'default')
  const strict = last((e) => e.split === 'test' && e.checkpoint === checkpoint && e.mode === 'strict')
  const dev =
    last((e) => e.split === 'dev' && e.checkpoint === checkpoint && e.mode === 'default') ??
    (run.bestStep !== null ? last((e) => e.split === 'dev' && e.checkpoint === `step-${run.bestStep}` && e.mode === 'default') : undefined)
  return {
    dev: dev ? { evaluation: dev.result as NerEvaluation, step: dev.step } : null,
    test: test ? { default: test.result as NerEvaluation, strict: strict ? (strict.result as NerEvaluation) : null } : null,
  }
}

function trainingMs(db: DB, run: repo.Run): number | null {
  const last = repo.metricSeries(db, run.id, ['train/loss'])['train/loss']?.at(-1)?.wallMs
  if (last !== undefined && Number.isFinite(last)) return last
  return run.startedAt && run.endedAt ? Date.parse(run.endedAt) - Date.parse(run.startedAt) : null
}

function quantizationReport(q: Extract<TrainerMessage, { type: 'quantization' }>, exported: Extract<TrainerMessage, { type: 'exported' }>): QuantizationReport {
  const float = new Map(q.float.report.perType.map((t) => [t.type, t]))
  const int8 = new Map(q.int8.report.perType.map((t) => [t.type, t]))
  const types = [...new Set([...float.keys(), ...int8.keys()])].sort()
  return {
    method: 'symmetric int8, one float32 scale per row (output channel) of each Linear weight and embedding; biases, LayerNorm and CRF in float32',
    split: q.split,
    documents: q.documents,
    floatF1: q.float.f1,
    int8F1: q.int8.f1,
    difference: q.int8.f1 - q.float.f1,
    perType: types.map((type) => ({ type, support: float.get(type)?.support ?? int8.get(type)?.support ?? 0, float: float.get(type)?.f1 ?? 0, int8: int8.get(type)?.f1 ?? 0 })),
    spanAgreement: q.spanAgreement,
    identicalDocuments: q.identicalDocuments,
    floatBytes: exported.floatWeightBytes,
    int8Bytes: exported.weightBytes,
    sizeRatio: exported.weightBytes / exported.floatWeightBytes,
  }
}

export function createExportService(db: DB, runs: RunService, options: ExportServiceOptions) {
  /** The split the int8 model is measured on: test, else dev; null (with the reason) when there is none. */
  function compareSplit(run: repo.Run): { split: string } | { reason: string } {
    const docs = run.datasetSummary?.documents
    const split = (docs?.test ?? 0) > 0 ? 'test' : (docs?.dev ?? 0) > 0 ? 'dev' : null
    if (!split) return { reason: 'The run has no test or dev documents: the int8 model could not be measured against the float one.' }
    if (!existsSync(runs.dataFile(run.id))) return { reason: `The run's data file (${runs.dataFile(run.id)}) is missing: the int8 model could not be measured against the float one.` }
    return { split }
  }

  async function exportRun(input: z.output<typeof RunExportInput>, local: boolean): Promise<RunExportResult> {
    const started = Date.now()
    const run = repo.getRun(db, input.id)
    if (!run) throw new AppError('NOT_FOUND', `There is no run with id ${input.id}.`)
    const { dir: checkpointDir, checkpoint } = exportableCheckpoint(runs, run)
    const dest = resolveDestination(input.path, local, options.dataDir, run.id, input.format)
    checkDestination(dest, input.force)
    const info = readCheckpoint(checkpointDir)
    // The settings the int8 comparison predicts with (defaults for a config an older Tagtune wrote).
    const parsed = RunConfig.safeParse(run.config)
    const config = parsed.success ? parsed.data : RunConfig.parse({})
    const warnings: string[] = []
    if (run.status === 'running' || run.status === 'paused') warnings.push(`Run ${run.id} is still training: this is its ${checkpoint} checkpoint so far.`)
    const staging = createStaging(dest)
    try {
      let quantization: QuantizationReport | null = null
      if (input.format === 'hf') {
        warnings.push(...(await writeHuggingFaceFolder(checkpointDir, staging, info)).warnings)
      } else {
        warnings.push(...tfjsWarnings(info))
        const target = input.format === 'int8' ? compareSplit(run) : null
        if (target && 'reason' in target) warnings.push(target.reason)
        const job: ExportJob = {
          kind: 'export',
          modelDir: checkpointDir,
          outDir: staging,
          format: input.format,
          generatedBy: `Tagtune ${options.version}`,
          ...(target && 'split' in target
            ? { compare: { dataFile: runs.dataFile(run.id), split: target.split, maxLength: config.maxLength, ...(config.stride !== undefined ? { stride: config.stride } : {}), batchSize: config.evalBatchSize, labelAllSubtokens: config.labelAllSubtokens } }
            : {}),
          backend: options.backend ?? 'auto',
        }
        const messages = await runs.runJob(job)
        const exported = messages.find((m): m is Extract<TrainerMessage, { type: 'exported' }> => m.type === 'exported')
        if (!exported) throw new AppError('FAILED', 'The trainer did not report the exported files.')
        const q = messages.find((m): m is Extract<TrainerMessage, { type: 'quantization' }> => m.type === 'quantization')
        if (q) quantization = quantizationReport(q, exported)
      }
      const written = listFiles(staging)
      const summary = run.datasetSummary
      const card = modelCard({
        format: input.format,
        run: {
          id: run.id,
          name: run.name,
          projectName: options.projects.get(run.projectId).name,
          status: run.status,
          notes: run.notes,
          tags: run.tags,
          config: run.config,
          baseModel: run.model.kind === 'folder' ? String(run.model.name) : 'a BERT model trained from scratch',
          datasetHash: run.datasetHash,
          datasetSummary: summary ? { labels: summary.labels, documents: summary.documents, tokens: summary.tokens, entities: summary.entities } : null,
          backend: run.backend,
          startedAt: run.startedAt,
          endedAt: run.endedAt,
          totalParams: run.totalParams,
          trainableParams: run.trainableParams,
          bestStep: run.bestStep,
        },
        checkpoint,
        labels: info.labels,
        head: info.head,
        peft: info.peft?.method ?? null,
        doLowerCase: typeof info.tokenizerConfig.do_lower_case === 'boolean' ? info.tokenizerConfig.do_lower_case : null,
        ...cardEvaluations(db, run, checkpoint),
        trainingMs: trainingMs(db, run),
        files: written,
        warnings,
        quantization,
        tagtuneVersion: options.version,
        exportedAt: new Date().toISOString(),
      })
      try {
        writeFileSync(join(staging, 'README.md'), card)
      } catch (err) {
        throw writeError(dest, err)
      }
      const names = [...written.map((f) => f.name), 'README.md']
      const kept = commitStaging(staging, dest, input.force)
      if (kept.length > 0) warnings.push(`${dest} also holds ${kept.length} item${kept.length === 1 ? '' : 's'} this export did not write, left in place: ${kept.slice(0, 5).join(', ')}${kept.length > 5 ? ', …' : ''}.`)
      const files = listFiles(dest, names)
      return {
        runId: run.id,
        format: input.format,
        dir: dest,
        checkpoint,
        files,
        totalBytes: files.reduce((n, f) => n + f.bytes, 0),
        warnings,
        quantization,
        seconds: (Date.now() - started) / 1000,
      }
    } catch (err) {
      discardStaging(staging)
      throw err
    }
  }

  return { exportRun }
}

export type ExportService = ReturnType<typeof createExportService>
