/**
 * `tagtune train | eval | predict | runs`: training and using models from the command line,
 * through the same contract as the app. Training waits for the run, drawing a progress bar on
 * stderr (unless --json); Ctrl-C cancels the run and keeps its last checkpoint.
 */
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { Host } from '../host/create-host'
import { AppError } from '../../src-shared/ipc/errors'
import { formatReport, type NerEvaluation } from '../../src-shared/domain/ner-eval'
import type { RunDetail, RunEvaluation, RunProgress, RunSummary } from '../../src-shared/domain/run'
import { FILE_TAG_SCHEMES, FORMATS, type FileTagScheme, type Format } from '../../src-shared/domain/dataset'
import { defaultOutputFormat, predictFile, writePredictions } from '../services/runs/predict-file'
import { pretrainProject } from '../services/runs/pretrain'
import type { ModelSummary } from '../../src-shared/domain/model-library'
import { UsageError, type ParsedArgs } from './args'
import type { CliIo } from './main'

/** The metrics a script wants from an evaluation: micro P/R/F1 and per type. */
export function metricsOf(e: NerEvaluation | undefined): Record<string, unknown> | null {
  if (!e) return null
  return {
    f1: e.f1,
    precision: e.precision,
    recall: e.recall,
    accuracy: e.accuracy,
    perType: Object.fromEntries(e.report.perType.map((t) => [t.type, { precision: t.precision, recall: t.recall, f1: t.f1, support: t.support }])),
  }
}

function readConfig(path: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new AppError('NOT_FOUND', `${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new AppError('INVALID_INPUT', `${path} is not valid JSON: ${(err as Error).message}`)
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new AppError('INVALID_INPUT', `${path} must hold a JSON object (the run config)`)
  const config = json as Record<string, unknown>
  // Relative paths in the config are relative to the config file, as a user writing it expects.
  const base = dirname(resolve(path))
  if (typeof config.model === 'string') config.model = resolve(base, config.model)
  const scratch = (config.model as { scratch?: { vocab?: unknown } } | undefined)?.scratch
  if (scratch && typeof scratch.vocab === 'string') scratch.vocab = resolve(base, scratch.vocab)
  return config
}

const clock = (ms: number | undefined): string => {
  if (ms === undefined || !Number.isFinite(ms)) return '--:--'
  const s = Math.round(ms / 1000)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const ss = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`
}

/** One line: [#####.....]  42%  step 84/200  loss 0.4312  dev F1 81.20  1.2k tok/s  ETA 3:12 */
export function progressLine(p: { step: number; totalSteps: number; loss?: number; f1?: number; tokensPerSecond?: number; etaMs?: number }): string {
  const frac = p.totalSteps > 0 ? Math.min(1, p.step / p.totalSteps) : 0
  const bar = '#'.repeat(Math.round(frac * 25)).padEnd(25, '.')
  const parts = [`[${bar}] ${String(Math.round(frac * 100)).padStart(3)}%`, `step ${p.step}/${p.totalSteps}`]
  if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(4)}`)
  if (p.f1 !== undefined) parts.push(`dev F1 ${(p.f1 * 100).toFixed(2)}`)
  if (p.tokensPerSecond !== undefined) parts.push(`${p.tokensPerSecond >= 1000 ? `${(p.tokensPerSecond / 1000).toFixed(1)}k` : Math.round(p.tokensPerSecond)} tok/s`)
  parts.push(`ETA ${clock(p.etaMs)}`)
  return parts.join('  ')
}

function finalEvaluation(detail: RunDetail, split: 'dev' | 'test', mode: 'default' | 'strict' = 'default'): RunEvaluation | undefined {
  return detail.evaluations.filter((e) => e.split === split && e.mode === mode && (e.checkpoint === 'best' || e.checkpoint === 'last')).at(-1)
}

function runLine(r: RunSummary): string {
  const f1 = r.bestMetric === null ? '   —  ' : (r.bestMetric * 100).toFixed(2).padStart(6)
  return `${String(r.id).padStart(4)}  ${r.status.padEnd(11)} dev F1 ${f1}  ${r.name}`
}

export async function trainCommand(args: ParsedArgs, host: Host, io: CliIo, projectId: number): Promise<number> {
  if (!args.config) throw new UsageError('train needs --config run.json (see the README for its fields)')
  const config = readConfig(args.config)
  if (args.model && args.scratch) throw new UsageError('use either --model DIR or --scratch, not both')
  if (args.model) config.model = resolve(args.model)
  if (args.scratch) {
    const m = config.model
    if (typeof m === 'string') config.model = { scratch: { vocab: join(m, 'vocab.txt') } }
    else if (!m || typeof m !== 'object' || !('scratch' in m)) throw new UsageError('--scratch needs a model folder (for its vocab.txt) or a "scratch" model in the config')
  }
  const started = await host.call('run.start', {
    projectId,
    config,
    ...(args.name ? { name: args.name } : {}),
    ...(args.backend ? { backend: args.backend as never } : {}),
  })
  if (started.status === 'failed') throw new AppError('FAILED', started.error ?? `run ${started.id} failed`)
  let last: { step: number; totalSteps: number; loss?: number; f1?: number; tokensPerSecond?: number; etaMs?: number } = { step: 0, totalSteps: 0 }
  let drawn = false
  const off = host.onEvent((event, payload) => {
    if (args.json) return
    if (event === 'run.onDidChange' && (payload as { runId: number }).runId === started.id) {
      const s = (payload as { status: string }).status
      if (s === 'running') io.stderr(`Run #${started.id} "${started.name}" is training.\n`)
    }
    if (event !== 'run.onDidProgress') return
    const p = payload as RunProgress
    if (p.runId !== started.id) return
    if (p.kind === 'started') last = { ...last, totalSteps: p.totalSteps ?? 0 }
    else if (p.kind === 'step') last = { ...last, step: p.step ?? last.step, totalSteps: p.totalSteps ?? last.totalSteps, loss: p.loss, tokensPerSecond: p.tokensPerSecond, etaMs: p.etaMs }
    else if (p.kind === 'eval') last = { ...last, f1: p.f1 }
    else if (p.kind === 'log' && p.message && p.level !== 'info') {
      io.stderr(`${drawn ? '\n' : ''}${p.level}: ${p.message}\n`)
      drawn = false
      return
    } else return
    io.stderr(`\r${progressLine(last)}`)
    drawn = true
  })
  if (!args.json) io.stderr(started.status === 'queued' ? `Run #${started.id} is queued behind the run training now.\n` : `Run #${started.id} "${started.name}" is training.\n`)
  let cancelled = false
  void io.untilStopped?.().then(() => {
    if (!cancelled) {
      cancelled = true
      io.stderr('\nCancelling after the current step…\n')
      void host.call('run.cancel', { id: started.id }).catch(() => {})
    }
  })
  const run = await host.runs.waitFor(started.id)
  off()
  if (drawn) io.stderr('\n')
  const detail = await host.call('run.get', { id: run.id, logLimit: 0 })
  const dev = finalEvaluation(detail, 'dev')?.result
  const test = finalEvaluation(detail, 'test')?.result
  const result = {
    runId: run.id,
    name: run.name,
    status: run.status,
    error: run.error,
    backend: run.backend,
    trainableParams: run.trainableParams,
    totalParams: run.totalParams,
    bestStep: run.bestStep,
    seconds: run.startedAt && run.endedAt ? (Date.parse(run.endedAt) - Date.parse(run.startedAt)) / 1000 : null,
    checkpoints: run.checkpointDir,
    dev: metricsOf(dev),
    test: metricsOf(test),
  }
  if (args.json) io.stdout(`${JSON.stringify(result)}\n`)
  else {
    const lines = [`Run #${run.id} ${run.status}${run.error ? `: ${run.error}` : ''}.`]
    if (run.trainableParams !== null) lines.push(`Parameters: ${run.trainableParams.toLocaleString('en-US')} trained of ${run.totalParams?.toLocaleString('en-US')}; best dev F1 at step ${run.bestStep ?? '—'}.`)
    if (dev) lines.push('', 'Dev (best checkpoint):', formatReport(dev))
    if (test) lines.push('', 'Test (best checkpoint):', formatReport(test))
    lines.push('', `Checkpoints: ${run.checkpointDir}`)
    io.stdout(`${lines.join('\n')}\n`)
  }
  return run.status === 'completed' ? 0 : 1
}

export async function evalCommand(args: ParsedArgs, host: Host, io: CliIo, runId: number): Promise<number> {
  if (args.robustness) return robustnessCommand(args, host, io, runId)
  const mode = args.mode ?? 'default'
  if (!['default', 'strict', 'both'].includes(mode)) throw new UsageError(`--mode must be default, strict or both (not "${mode}")`)
  if (args.split && args.file) throw new UsageError('use either --split or --file, not both')
  if (args.split && !['train', 'dev', 'test'].includes(args.split)) throw new UsageError(`--split must be train, dev or test (not "${args.split}")`)
  const evals = await host.call('run.evaluate', {
    id: runId,
    ...(args.file ? { file: { path: resolve(args.file), ...(args.format ? { format: args.format } : {}) } } : { split: (args.split ?? 'test') as 'test' }),
    modes: mode === 'both' ? ['default', 'strict'] : [mode as 'default'],
  })
  if (args.json) {
    io.stdout(`${JSON.stringify({ runId, evaluations: evals.map((e) => ({ split: e.split, mode: e.mode, checkpoint: e.checkpoint, ...metricsOf(e.result), confusion: e.result.confusion })) })}\n`)
  } else {
    for (const e of evals) {
      const c = e.result.confusion.errors
      io.stdout(`Run #${runId}, ${e.split}, ${e.mode} mode, ${e.checkpoint} checkpoint:\n${formatReport(e.result)}\n` + `Errors: ${c.missed} missed, ${c.spurious} spurious, ${c.wrongType} wrong type, ${c.wrongBoundary} wrong boundary, ${c.wrongBoth} wrong type and boundary.\n\n`)
    }
  }
  return 0
}

export async function predictCommand(args: ParsedArgs, host: Host, io: CliIo, runId: number): Promise<number> {
  if (!args.in || !args.out) throw new UsageError('predict needs --in FILE and --out FILE')
  if (args.format !== undefined && !(FORMATS as readonly string[]).includes(args.format)) throw new UsageError(`--format for predictions must be one of ${FORMATS.join(', ')}`)
  if (args.scheme !== undefined && !(FILE_TAG_SCHEMES as readonly string[]).includes(args.scheme)) throw new UsageError(`--scheme must be one of ${FILE_TAG_SCHEMES.join(', ')}`)
  // The same code path as the app's run.predictFile: read any import format, predict chunk by chunk.
  const prediction = await predictFile(host.db, host.runs, { id: runId, path: resolve(args.in) }, (p) => {
    if (!args.json && p.phase === 'predicting') io.stderr(`\r${p.documents} / ${p.total} documents`)
  })
  if (!args.json) io.stderr('\n')
  const outFormat = (args.format as Format | undefined) ?? defaultOutputFormat(prediction.format)
  const written = await writePredictions(resolve(args.out), outFormat, prediction.documents, args.scheme ? { scheme: args.scheme as FileTagScheme } : {})
  const summary = { runId, documents: written.documents, entities: written.entities, out: resolve(args.out), format: outFormat }
  io.stdout(args.json ? `${JSON.stringify(summary)}\n` : `Predicted ${written.entities} entities in ${written.documents} documents: ${summary.out} (${outFormat}).\n`)
  return 0
}

export async function runsListCommand(args: ParsedArgs, host: Host, io: CliIo, projectId: number): Promise<number> {
  const runs = await host.call('run.list', { projectId })
  io.stdout(args.json ? `${JSON.stringify(runs, null, 2)}\n` : `${runs.length ? runs.map(runLine).join('\n') : 'No runs yet. Start one: tagtune train <project> --config run.json'}\n`)
  return 0
}

export async function pretrainCommand(args: ParsedArgs, host: Host, io: CliIo, projectId: number): Promise<number> {
  if (!args.config) throw new UsageError('pretrain needs --config pretrain.json (see the README for its fields)')
  const config = readConfig(args.config)
  if (args.model) config.model = resolve(args.model)
  let drawn = false
  const outcome = await pretrainProject(host.db, host.runs, host.dataDir, { projectId, config, ...(args.file ? { file: resolve(args.file) } : {}), ...(args.out ? { out: resolve(args.out) } : {}), ...(args.backend ? { backend: args.backend as never } : {}) }, (m) => {
    if (args.json) return
    if (m.type === 'pretrain-step') {
      io.stderr(`\r${progressLine({ step: m.step, totalSteps: m.totalSteps, loss: m.loss, tokensPerSecond: m.tokensPerSecond, etaMs: m.etaMs })}`)
      drawn = true
    } else if (m.type === 'log' && m.message && m.level !== 'info') io.stderr(`${drawn ? '\n' : ''}${m.level}: ${m.message}\n`)
  })
  if (drawn) io.stderr('\n')
  // Without --out the result goes into the model library (Models view, the Train picker).
  let library: ModelSummary | null = null
  if (!args.out && outcome.status === 'completed') {
    try {
      library = host.models.registerPretrained(outcome.outDir, outcome).model
    } catch (err) {
      // The model is there all the same: say where, and why the library does not list it.
      io.stderr(`warning: the model was not added to the library: ${(err as Error).message}\n`)
    }
  }
  const path = library?.path ?? outcome.outDir
  io.stdout(
    args.json
      ? `${JSON.stringify({ ...outcome, outDir: path, libraryId: library?.id ?? null })}\n`
      : `Pretrained on ${outcome.texts} texts: ${outcome.steps} steps, final MLM loss ${outcome.finalLoss.toFixed(4)}, ${outcome.seconds.toFixed(0)} s (${outcome.status}).\n` +
          `Model: ${path}${library ? ` (in the model library as "${library.name}")` : ''}\n` +
          `Fine-tune it with "model": "${path}" in a run config, or tagtune train <project> --config run.json --model ${path}\n`,
  )
  return outcome.status === 'completed' ? 0 : 1
}

async function robustnessCommand(args: ParsedArgs, host: Host, io: CliIo, runId: number): Promise<number> {
  if (args.file) throw new UsageError('--robustness evaluates on a split of the run (--split), not a file')
  const rows = await host.call('run.robustness', {
    id: runId,
    split: (args.split ?? 'test') as 'test',
    ...(args.epsilons ? { epsilons: args.epsilons } : {}),
    ...(args.noise !== undefined ? { noise: args.noise } : {}),
  })
  if (args.json) io.stdout(`${JSON.stringify({ runId, split: args.split ?? 'test', robustness: rows })}\n`)
  else {
    const width = Math.max(...rows.map((r) => r.setting.length), 7)
    const lines = [`Run #${runId}, ${args.split ?? 'test'} split: entity F1 under attack (seqeval default mode)`, '', `${'setting'.padEnd(width)}      F1      P      R   ΔF1`]
    for (const r of rows) lines.push(`${r.setting.padEnd(width)}  ${(r.f1 * 100).toFixed(2).padStart(6)} ${(r.precision * 100).toFixed(2).padStart(6)} ${(r.recall * 100).toFixed(2).padStart(6)} ${r.kind === 'clean' ? '     ' : (r.delta * 100).toFixed(2).padStart(6)}`)
    io.stdout(`${lines.join('\n')}\n`)
  }
  return 0
}
