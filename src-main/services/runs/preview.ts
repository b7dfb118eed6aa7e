/**
 * Before a run starts: the documents it would train on (only those marked done, per split), how
 * the model's tokenizer cuts them into windows, every span that does not align with its tokens
 * (engine/data/alignment.ts, the same code the trainer runs), and an estimate of memory and time
 * per epoch. The tokenizer is plain TypeScript, so this runs in the host; nothing is stored.
 */
import { resolve } from 'node:path'
import type { DB } from '../../store/db'
import * as repo from '../../store/repositories/runs'
import { getProject } from '../../store/repositories/projects'
import { inspectModelFolder } from '../../engine/model/folder'
import { BERT_CONFIG_DEFAULTS } from '../../engine/model/bert-config'
import { createBertTokenizer, loadBertTokenizer, loadVocabFile, type BertTokenizer } from '../../engine/tokenizer'
import { buildTagSet, encodeDocument, type AlignmentIssue } from '../../engine/data'
import { ModelSource, parseRunConfig, type RunConfig } from '../../../src-shared/domain/run-config'
import { ALIGNMENT_CONTEXT as CONTEXT, type AlignmentIssueJson, type RunPreview } from '../../../src-shared/domain/run'
import { emptyPerSplit, SPLITS, type DatasetProgress, type SpanTuple, type Split } from '../../../src-shared/domain/dataset'
import { AppError } from '../../../src-shared/ipc/errors'
import { bertParamCount, epochTime, steadyMedian, trainingMemory, type BertShape, type MeasuredRun } from './estimate'

export interface PreviewInput {
  projectId: number
  config: Record<string, unknown>
}

export interface PreviewContext {
  /** The project's document counts (for the documents left out because they are not done). */
  progress: DatasetProgress
  /** What the run would train on: 'gpu' or 'cpu', and the tfjs backend name when known ('tensorflow', 'wasm', 'cpu'). */
  device: 'gpu' | 'cpu'
  backendName: string | null
}

const MAX_ISSUES = 200
const PAGE = 1000

interface LoadedModel {
  tokenizer: BertTokenizer
  shape: BertShape
  description: string
  lowercase: boolean
}

/** An uncased vocabulary has (almost) no token with an uppercase letter: the trainer's rule for from-scratch models (trainer/model-source.ts). */
function looksUncased(tokens: readonly (string | undefined)[]): boolean {
  let upper = 0
  for (const t of tokens) if (t && !t.startsWith('[') && /\p{Lu}/u.test(t)) upper++
  return upper < 50
}

function loadModel(source: ModelSource): LoadedModel {
  if (typeof source === 'string') {
    const dir = resolve(source)
    const folder = inspectModelFolder(dir)
    const { tokenizer } = loadBertTokenizer(dir)
    const c = folder.config
    return {
      tokenizer,
      shape: {
        vocabSize: c.vocab_size,
        hiddenSize: c.hidden_size,
        numLayers: c.num_hidden_layers,
        numHeads: c.num_attention_heads,
        intermediateSize: c.intermediate_size,
        maxPositions: c.max_position_embeddings,
        typeVocabSize: c.type_vocab_size,
      },
      description: dir,
      lowercase: tokenizer.options.doLowerCase,
    }
  }
  const s = source.scratch
  if (s.hiddenSize % s.numHeads !== 0) throw new Error(`hiddenSize ${s.hiddenSize} is not a multiple of numHeads ${s.numHeads}`)
  const vocab = loadVocabFile(resolve(s.vocab))
  const lowercase = s.lowercase ?? looksUncased(vocab.idToToken)
  return {
    tokenizer: createBertTokenizer(vocab, { doLowerCase: lowercase }),
    shape: {
      vocabSize: vocab.size,
      hiddenSize: s.hiddenSize,
      numLayers: s.numLayers,
      numHeads: s.numHeads,
      intermediateSize: s.intermediateSize ?? 4 * s.hiddenSize,
      maxPositions: s.maxPositions,
      typeVocabSize: BERT_CONFIG_DEFAULTS.type_vocab_size,
    },
    description: `new model from scratch over ${resolve(s.vocab)}`,
    lowercase,
  }
}

/** A key that is equal for runs starting from the same model: what makes a measured speed reusable. */
export function modelKey(source: ModelSource | repo.RunModel | undefined, maxLength: number): string {
  if (source === undefined) return ''
  if (typeof source === 'string') return `folder:${resolve(source)}|${maxLength}`
  if ('kind' in source) {
    if (source.kind === 'folder') return `folder:${String(source.path)}|${maxLength}`
    const r = source as Record<string, unknown>
    return `scratch:${String(r.vocab)}:${String(r.hiddenSize)}:${String(r.numLayers)}:${String(r.numHeads)}:${String(r.intermediateSize ?? 4 * Number(r.hiddenSize))}|${maxLength}`
  }
  const s = source.scratch
  return `scratch:${resolve(s.vocab)}:${s.hiddenSize}:${s.numLayers}:${s.numHeads}:${s.intermediateSize ?? 4 * s.hiddenSize}|${maxLength}`
}

/**
 * The newest completed run with a measured speed, preferring one on the same model and backend.
 * A run on another backend (wasm against tfjs-node) is not comparable and is not used.
 */
export function measuredRun(db: DB, key: string, backendName: string | null): MeasuredRun | null {
  const candidates = repo
    .runsWithStatus(db, 'completed')
    .filter((r) => r.totalParams !== null && (backendName === null || r.backend?.name === backendName))
    .sort((a, b) => (b.endedAt ?? '').localeCompare(a.endedAt ?? '') || b.id - a.id)
  let other: MeasuredRun | null = null
  for (const r of candidates) {
    const tps = steadyMedian((repo.metricSeries(db, r.id, ['train/tokens_per_second'])['train/tokens_per_second'] ?? []).map((p) => p.value))
    if (tps === null) continue
    const maxLength = Number((r.config as { maxLength?: unknown }).maxLength ?? 128)
    const same = modelKey(r.model, maxLength) === key
    const m = { id: r.id, name: r.name, tokensPerSecond: tps, params: r.totalParams!, sameModel: same }
    if (same) return m
    other ??= m
  }
  return other
}

function issueJson(split: string, text: string, a: AlignmentIssue): AlignmentIssueJson {
  return {
    split,
    documentId: Number(a.docId),
    start: a.span.start,
    end: a.span.end,
    label: a.span.label,
    text: a.text,
    reason: a.reason,
    encodedAs: a.encodedAs,
    trainedAs: a.encodedAs ? text.slice(a.encodedAs.start, a.encodedAs.end) : null,
    before: text.slice(Math.max(0, a.span.start - CONTEXT), a.span.start),
    after: text.slice(a.span.end, a.span.end + CONTEXT),
  }
}

export function previewRun(db: DB, input: PreviewInput, ctx: PreviewContext): RunPreview {
  const project = getProject(db, input.projectId)
  if (!project) throw new AppError('NOT_FOUND', `There is no project with id ${input.projectId}.`, { id: input.projectId })
  const labels = project.labels.map((l) => l.name)
  const labelNames = new Map(project.labels.map((l) => [l.id, l.name]))

  const parsed = parseRunConfig(input.config)
  const problems = parsed.ok ? [] : parsed.problems
  const config: RunConfig | null = parsed.ok ? parsed.config : null
  if (config && !config.model) problems.push('model: choose a model folder, or a vocabulary for a model from scratch')

  // The model and its tokenizer, when the config names one.
  const given = ModelSource.safeParse(input.config.model)
  const source: ModelSource | undefined = config?.model ?? (given.success ? given.data : undefined)
  let model: LoadedModel | null = null
  let modelError: string | null = null
  if (source !== undefined) {
    try {
      model = loadModel(source)
    } catch (err) {
      modelError = (err as Error).message
    }
  } else {
    modelError = 'No model chosen yet.'
  }
  const tagSet = config ? buildTagSet(labels, config.scheme) : null
  if (model && config && config.maxLength > model.shape.maxPositions) {
    problems.push(`maxLength: ${config.maxLength} is longer than the model's ${model.shape.maxPositions} positions`)
  }
  const canEncode = model !== null && config !== null && tagSet !== null && config.maxLength <= model.shape.maxPositions

  const documents = emptyPerSplit()
  const entities = Object.fromEntries(SPLITS.map((s) => [s, Object.fromEntries(labels.map((l) => [l, 0]))])) as Record<Split, Record<string, number>>
  const windows = emptyPerSplit()
  const tokens = emptyPerSplit()
  const windowDocs = emptyPerSplit()
  let longestWindow = 0
  let dropped = 0
  const issues: AlignmentIssueJson[] = []
  const bySplit: Record<string, number> = {}
  const byReason: Record<string, number> = {}
  let issueCount = 0
  let encodeError: string | null = null

  let after: { position: number; id: number } | null = null
  for (;;) {
    const rows = repo.snapshotSourcePage(db, project.id, true, after, PAGE)
    if (rows.length === 0) break
    after = { position: rows[rows.length - 1]!.position, id: rows[rows.length - 1]!.id }
    for (const r of rows) {
      documents[r.split]++
      const spans: { start: number; end: number; label: string }[] = []
      for (const [start, end, labelId] of r.spans ? (JSON.parse(r.spans) as SpanTuple[]) : []) {
        const name = labelNames.get(labelId)
        if (name === undefined) dropped++
        else {
          spans.push({ start, end, label: name })
          entities[r.split][name]!++
        }
      }
      // Documents in no split are not trained on; they are counted above and not tokenized.
      if (!canEncode || r.split === 'unassigned' || encodeError) continue
      try {
        const encoded = encodeDocument({ id: r.id, text: r.text, spans }, model!.tokenizer, tagSet!, { maxLength: config!.maxLength, stride: config!.stride, labelAllSubtokens: config!.labelAllSubtokens })
        windowDocs[r.split]++
        windows[r.split] += encoded.windows.length
        for (const w of encoded.windows) {
          tokens[r.split] += w.length
          longestWindow = Math.max(longestWindow, w.length)
        }
        for (const a of encoded.alignment) {
          issueCount++
          bySplit[r.split] = (bySplit[r.split] ?? 0) + 1
          byReason[a.reason] = (byReason[a.reason] ?? 0) + 1
          if (issues.length < MAX_ISSUES) issues.push(issueJson(r.split, r.text, a))
        }
      } catch (err) {
        encodeError = `document ${r.id}: ${(err as Error).message}`
      }
    }
  }
  if (encodeError) problems.push(`data: ${encodeError}`)

  const doneTotal = SPLITS.reduce((n, s) => n + documents[s], 0)
  const allTotal = SPLITS.reduce((n, s) => n + ctx.progress.documents[s], 0)
  const numTags = tagSet?.tags.length ?? 1 + 2 * labels.length
  const params = model ? bertParamCount(model.shape, numTags).total : null

  let estimate: RunPreview['estimate'] = null
  if (model && config && canEncode && !encodeError && windows.train > 0 && params !== null) {
    // Augmentation adds fresh altered copies of every training document each epoch.
    const copies = config.augmentation ? 1 + config.augmentation.copies : 1
    const trainWindows = windows.train * copies
    const batchesPerEpoch = Math.ceil(trainWindows / config.batchSize)
    const stepsPerEpoch = Math.max(1, Math.ceil(batchesPerEpoch / config.gradientAccumulation))
    const totalSteps = config.maxSteps > 0 ? config.maxSteps : Math.max(1, Math.ceil(config.epochs * stepsPerEpoch))
    const epochs = totalSteps / stepsPerEpoch
    const memory = trainingMemory({ params, trainableParams: params, batchSize: config.batchSize, length: Math.min(config.maxLength, Math.max(longestWindow, 2)), shape: model.shape })
    const measured = measuredRun(db, modelKey(source, config.maxLength), ctx.backendName)
    // Adversarial training adds a forward and backward pass per attack step.
    const passes = config.adversarial ? 1 + (config.adversarial.method === 'pgd' ? config.adversarial.steps : 1) : 1
    const time = epochTime({ trainTokens: tokens.train * copies * passes, devTokens: tokens.dev, params, measured, device: ctx.device })
    const evalsPerEpoch = windows.dev === 0 ? 0 : config.evalEvery === 'epoch' ? 1 : stepsPerEpoch / config.evalEvery
    const extras = [
      copies > 1 ? `${copies}× the training windows per epoch (augmentation)` : '',
      passes > 1 ? `${passes} forward and backward passes per step (adversarial ${config.adversarial!.method.toUpperCase()})` : '',
    ].filter(Boolean)
    estimate = {
      stepsPerEpoch,
      totalSteps,
      epochs,
      memoryBytes: memory.total,
      memoryParts: memory.parts,
      memoryBasis: memory.basis,
      secondsPerEpoch: time.secondsPerEpoch,
      evalSeconds: time.evalSeconds,
      totalSeconds: epochs * (time.secondsPerEpoch + evalsPerEpoch * time.evalSeconds),
      tokensPerSecond: time.tokensPerSecond,
      timeBasis: extras.length ? `${time.basis}; counting ${extras.join(' and ')}` : time.basis,
      basisRunId: time.basisRunId,
      device: ctx.device === 'gpu' ? 'GPU' : 'CPU',
    }
  }

  return {
    problems,
    data: { labels, documents, entities, notDone: Math.max(0, allTotal - doneTotal), droppedSpans: dropped },
    model: {
      description: model?.description ?? (typeof source === 'string' ? source : source ? 'new model from scratch' : ''),
      error: modelError,
      vocabSize: model?.shape.vocabSize ?? null,
      hiddenSize: model?.shape.hiddenSize ?? null,
      numLayers: model?.shape.numLayers ?? null,
      numHeads: model?.shape.numHeads ?? null,
      intermediateSize: model?.shape.intermediateSize ?? null,
      maxPositions: model?.shape.maxPositions ?? null,
      lowercase: model?.lowercase ?? null,
      params,
    },
    windows: canEncode && !encodeError ? { documents: windowDocs, windows, tokens, longestWindow } : null,
    alignment: canEncode && !encodeError ? { total: issueCount, bySplit, byReason, issues } : null,
    estimate,
  }
}
