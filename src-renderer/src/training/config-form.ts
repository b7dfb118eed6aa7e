/**
 * The Train view's form over RunConfig: every knob with a label and a one-line explanation,
 * a draft the inputs edit (numbers kept as typed), the config the draft stands for, and the
 * problems of that config from the same zod schema the host and the trainer use. Pure.
 */
import { ModelSource, RunConfig } from '@shared/domain/run-config'

/** What the inputs hold: numbers as typed (so "5e-5" and a half-typed "0." survive), booleans as is. */
export interface ConfigDraft {
  epochs: string
  maxSteps: string
  batchSize: string
  gradientAccumulation: string
  learningRate: string
  warmupRatio: string
  schedule: string
  weightDecay: string
  maxGradNorm: string
  dropout: string
  labelSmoothing: string
  maxLength: string
  stride: string
  labelAllSubtokens: boolean
  scheme: string
  seed: string
  /** 'epoch', or a number of steps. */
  evalEvery: string
  /** Empty: no early stopping. */
  earlyStoppingPatience: string
  earlyStoppingMinDelta: string
  evalMode: string
  evalBatchSize: string
  bucketByLength: boolean
  /** '' (none), 'balanced', or per type as "PER=2, LOC=1.5". */
  classWeights: string
  /** '' (none), 'fgm' or 'pgd'. */
  adversarial: string
  advEpsilon: string
  advAlpha: string
  advSteps: string
  augmentation: boolean
  augMention: string
  augToken: string
  augSynonym: string
  augShuffle: string
  augCopies: string
  /** One word per line: "big: large, huge". */
  augSynonyms: string
  /** Config fields the form has no input for (set through the JSON editor): passed on as they are. */
  extra: Record<string, unknown>
}

export interface ModelDraft {
  kind: 'folder' | 'scratch'
  folder: string
  vocab: string
  hiddenSize: string
  numLayers: string
  numHeads: string
  intermediateSize: string
  maxPositions: string
  lowercase: 'auto' | 'yes' | 'no'
}

export type SectionKey = 'optimisation' | 'windows' | 'evaluation' | 'regularisation' | 'techniques'

export const SECTIONS: { key: SectionKey; title: string }[] = [
  { key: 'optimisation', title: 'Optimisation' },
  { key: 'windows', title: 'Windows and labels' },
  { key: 'evaluation', title: 'Evaluation and stopping' },
  { key: 'regularisation', title: 'Regularisation and reproducibility' },
  { key: 'techniques', title: 'Techniques' },
]

type DraftField = Exclude<keyof ConfigDraft, 'extra'>

export interface FieldSpec {
  key: DraftField
  /** Path of the field in RunConfig, as zod names it in its issues. */
  path: string
  label: string
  help: string
  section: SectionKey
  kind: 'number' | 'select' | 'bool' | 'eval-every' | 'text' | 'lines'
  options?: { value: string; label: string }[]
  /** Shown when the input is empty. */
  placeholder?: string
  /** Shown only when this holds (the knobs of a technique that is on). */
  when?: (d: ConfigDraft) => boolean
}

const adversarialOn = (d: ConfigDraft): boolean => d.adversarial !== ''
const augmentationOn = (d: ConfigDraft): boolean => d.augmentation

export const FIELDS: FieldSpec[] = [
  { key: 'epochs', path: 'epochs', label: 'Epochs', section: 'optimisation', kind: 'number', help: 'Passes over the training windows; fractions are allowed (1.5).' },
  { key: 'maxSteps', path: 'maxSteps', label: 'Max steps', section: 'optimisation', kind: 'number', help: 'When above 0, stop after this many optimizer steps instead (epochs repeat as needed).' },
  { key: 'batchSize', path: 'batchSize', label: 'Batch size', section: 'optimisation', kind: 'number', help: 'Windows per forward pass; memory grows with it.' },
  { key: 'gradientAccumulation', path: 'gradientAccumulation', label: 'Gradient accumulation', section: 'optimisation', kind: 'number', help: 'Batches summed per optimizer step: a larger effective batch without more memory.' },
  { key: 'learningRate', path: 'learningRate', label: 'Learning rate', section: 'optimisation', kind: 'number', help: 'Peak AdamW step size; 2e-5 to 5e-5 for pretrained BERT, higher from scratch.' },
  { key: 'warmupRatio', path: 'warmupRatio', label: 'Warmup ratio', section: 'optimisation', kind: 'number', help: 'Share of the steps over which the rate climbs from 0 to its peak.' },
  {
    key: 'schedule',
    path: 'schedule',
    label: 'Schedule',
    section: 'optimisation',
    kind: 'select',
    options: [
      { value: 'linear', label: 'Linear decay' },
      { value: 'cosine', label: 'Cosine decay' },
      { value: 'constant', label: 'Constant' },
    ],
    help: 'How the learning rate falls after warmup.',
  },
  { key: 'weightDecay', path: 'weightDecay', label: 'Weight decay', section: 'optimisation', kind: 'number', help: "AdamW's decoupled decay (not applied to biases and LayerNorm)." },
  { key: 'maxGradNorm', path: 'maxGradNorm', label: 'Gradient clipping', section: 'optimisation', kind: 'number', help: 'Global gradient norm is clipped to this; 0 turns clipping off.' },
  { key: 'maxLength', path: 'maxLength', label: 'Max length', section: 'windows', kind: 'number', help: 'Tokens per window with [CLS] and [SEP]; longer documents become overlapping windows.' },
  { key: 'stride', path: 'stride', label: 'Window overlap', section: 'windows', kind: 'number', placeholder: 'a quarter of max length', help: 'Tokens shared by consecutive windows of a long document.' },
  {
    key: 'scheme',
    path: 'scheme',
    label: 'Tag scheme',
    section: 'windows',
    kind: 'select',
    options: [
      { value: 'iob2', label: 'IOB2 (B-, I-)' },
      { value: 'iobes', label: 'IOBES (B-, I-, E-, S-)' },
    ],
    help: 'Tags the model predicts per word; IOBES marks ends and single-word entities too.',
  },
  { key: 'labelAllSubtokens', path: 'labelAllSubtokens', label: 'Label every sub-token', section: 'windows', kind: 'bool', help: 'Train on all WordPiece pieces of a word, not only the first (the Hugging Face default).' },
  { key: 'bucketByLength', path: 'bucketByLength', label: 'Bucket by length', section: 'windows', kind: 'bool', help: 'Batch windows of similar length together: less padding, faster steps.' },
  { key: 'evalEvery', path: 'evalEvery', label: 'Evaluate on dev', section: 'evaluation', kind: 'eval-every', help: 'When to score dev entity F1 and keep the best checkpoint.' },
  {
    key: 'evalMode',
    path: 'evalMode',
    label: 'F1 mode',
    section: 'evaluation',
    kind: 'select',
    options: [
      { value: 'default', label: 'seqeval default' },
      { value: 'strict', label: 'seqeval strict' },
    ],
    help: 'How entities are read from tags for the dev F1 that picks the best checkpoint.',
  },
  { key: 'earlyStoppingPatience', path: 'earlyStopping.patience', label: 'Early stopping patience', section: 'evaluation', kind: 'number', placeholder: 'off', help: 'Stop after this many evaluations without a better dev F1; empty never stops early.' },
  { key: 'earlyStoppingMinDelta', path: 'earlyStopping.minDelta', label: 'Minimum improvement', section: 'evaluation', kind: 'number', when: (d) => d.earlyStoppingPatience.trim() !== '', help: 'Smallest dev F1 gain that counts as better (0.001 = 0.1 point).' },
  { key: 'evalBatchSize', path: 'evalBatchSize', label: 'Eval batch size', section: 'evaluation', kind: 'number', help: 'Windows per batch when predicting dev and test (no gradients: can be larger).' },
  { key: 'dropout', path: 'dropout', label: 'Dropout', section: 'regularisation', kind: 'number', placeholder: "model's own (0.1)", help: 'Dropout of hidden states and attention; empty keeps what the model was trained with.' },
  { key: 'labelSmoothing', path: 'labelSmoothing', label: 'Label smoothing', section: 'regularisation', kind: 'number', help: 'Share of the target probability spread over the other tags; 0 is plain cross-entropy.' },
  { key: 'seed', path: 'seed', label: 'Seed', section: 'regularisation', kind: 'number', help: 'Seeds initialisation, shuffling and dropout: the same seed and data give the same run.' },
  {
    key: 'classWeights',
    path: 'classWeights',
    label: 'Class weights',
    section: 'techniques',
    kind: 'text',
    placeholder: 'none',
    help: "Loss weight per entity type: empty, 'balanced' (inverse frequency, capped at 10) or PER=2, LOC=1.5.",
  },
  {
    key: 'adversarial',
    path: 'adversarial',
    label: 'Adversarial training',
    section: 'techniques',
    kind: 'select',
    options: [
      { value: '', label: 'off' },
      { value: 'fgm', label: 'FGM (one step)' },
      { value: 'pgd', label: 'PGD (several steps)' },
    ],
    help: 'Also train on word embeddings pushed along the gradient: more robust to noisy spellings, about 2× slower.',
  },
  { key: 'advEpsilon', path: 'adversarial.epsilon', label: 'Perturbation size (ε)', section: 'techniques', kind: 'number', when: adversarialOn, help: 'Norm of the embedding perturbation (FGM) or of its bound (PGD).' },
  { key: 'advAlpha', path: 'adversarial.alpha', label: 'PGD step size (α)', section: 'techniques', kind: 'number', placeholder: 'ε / steps', when: (d) => d.adversarial === 'pgd', help: 'Size of each PGD step inside the ε ball.' },
  { key: 'advSteps', path: 'adversarial.steps', label: 'PGD steps', section: 'techniques', kind: 'number', when: (d) => d.adversarial === 'pgd', help: 'Attack steps per training step (each one a forward and backward pass).' },
  { key: 'augmentation', path: 'augmentation', label: 'Data augmentation', section: 'techniques', kind: 'bool', help: 'Add altered copies of the training documents, drawn afresh each epoch.' },
  { key: 'augMention', path: 'augmentation.mentionReplacement', label: 'Mention replacement', section: 'techniques', kind: 'number', when: augmentationOn, help: 'Share of entity mentions swapped for another mention of the same type.' },
  { key: 'augToken', path: 'augmentation.tokenReplacement', label: 'Token replacement', section: 'techniques', kind: 'number', when: augmentationOn, help: 'Share of words swapped for another word of the same tag seen in training.' },
  { key: 'augSynonym', path: 'augmentation.synonymReplacement', label: 'Synonym replacement', section: 'techniques', kind: 'number', when: augmentationOn, help: 'Share of words outside entities swapped for a synonym from the list below.' },
  { key: 'augShuffle', path: 'augmentation.shuffleWithinSegments', label: 'Shuffle within segments', section: 'techniques', kind: 'number', when: augmentationOn, help: 'Share of segments (an entity, or the words between two) whose words are shuffled.' },
  { key: 'augCopies', path: 'augmentation.copies', label: 'Copies per document', section: 'techniques', kind: 'number', when: augmentationOn, help: 'Altered copies of each training document per epoch; the originals always stay.' },
  { key: 'augSynonyms', path: 'augmentation.synonyms', label: 'Synonyms', section: 'techniques', kind: 'lines', placeholder: 'big: large, huge', when: augmentationOn, help: 'One word per line, then a colon and its synonyms separated by commas.' },
]

/** Top-level config fields the form edits (the others go through the JSON editor). */
export const FORM_KEYS: readonly string[] = [...new Set(['model', ...FIELDS.map((f) => f.path.split('.')[0]!)])]

export const MODEL_FIELDS: { key: Exclude<keyof ModelDraft, 'kind' | 'folder' | 'lowercase' | 'vocab'>; path: string; label: string; help: string; placeholder?: string }[] = [
  { key: 'hiddenSize', path: 'model.scratch.hiddenSize', label: 'Hidden size', help: 'Width of every layer; a multiple of the heads.' },
  { key: 'numLayers', path: 'model.scratch.numLayers', label: 'Layers', help: 'Transformer layers.' },
  { key: 'numHeads', path: 'model.scratch.numHeads', label: 'Attention heads', help: 'Heads per layer.' },
  { key: 'intermediateSize', path: 'model.scratch.intermediateSize', label: 'Feed-forward size', placeholder: '4 × hidden', help: 'Inner width of each feed-forward block.' },
  { key: 'maxPositions', path: 'model.scratch.maxPositions', label: 'Positions', help: 'Longest window the model can read.' },
]

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v))

/** The draft of a config (defaults filled in by the schema); unknown fields are ignored. */
export function configToDraft(config: Record<string, unknown> = {}): ConfigDraft {
  const parsed = RunConfig.safeParse(config)
  const c = parsed.success ? parsed.data : RunConfig.parse({})
  return {
    epochs: str(c.epochs),
    maxSteps: str(c.maxSteps),
    batchSize: str(c.batchSize),
    gradientAccumulation: str(c.gradientAccumulation),
    learningRate: str(c.learningRate),
    warmupRatio: str(c.warmupRatio),
    schedule: c.schedule,
    weightDecay: str(c.weightDecay),
    maxGradNorm: str(c.maxGradNorm),
    dropout: str(c.dropout),
    labelSmoothing: str(c.labelSmoothing),
    maxLength: str(c.maxLength),
    stride: str(c.stride),
    labelAllSubtokens: c.labelAllSubtokens,
    scheme: c.scheme,
    seed: str(c.seed),
    evalEvery: str(c.evalEvery),
    earlyStoppingPatience: str(c.earlyStopping?.patience),
    earlyStoppingMinDelta: str(c.earlyStopping?.minDelta ?? 0),
    evalMode: c.evalMode,
    evalBatchSize: str(c.evalBatchSize),
    bucketByLength: c.bucketByLength,
    classWeights: weightsToText(c.classWeights),
    adversarial: c.adversarial?.method ?? '',
    advEpsilon: str(c.adversarial?.epsilon ?? 1),
    advAlpha: str(c.adversarial?.alpha),
    advSteps: str(c.adversarial?.steps ?? 3),
    augmentation: c.augmentation !== null,
    augMention: str(c.augmentation?.mentionReplacement ?? 0.3),
    augToken: str(c.augmentation?.tokenReplacement ?? 0),
    augSynonym: str(c.augmentation?.synonymReplacement ?? 0),
    augShuffle: str(c.augmentation?.shuffleWithinSegments ?? 0),
    augCopies: str(c.augmentation?.copies ?? 1),
    augSynonyms: Object.entries(c.augmentation?.synonyms ?? {})
      .map(([w, syn]) => `${w}: ${syn.join(', ')}`)
      .join('\n'),
    extra: Object.fromEntries(Object.entries(config).filter(([k]) => !FORM_KEYS.includes(k))),
  }
}

function weightsToText(w: RunConfig['classWeights']): string {
  if (w === null || w === undefined) return ''
  if (w === 'balanced') return 'balanced'
  return Object.entries(w)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')
}

/** '' → null, 'balanced', or "PER=2, LOC=1.5" → { PER: 2, LOC: 1.5 } (a part that does not read stays as text for the schema to refuse). */
export function readWeights(s: string): unknown {
  const t = s.trim()
  if (t === '' || t === 'none') return null
  if (t === 'balanced') return 'balanced'
  const out: Record<string, unknown> = {}
  for (const part of t.split(',').map((x) => x.trim()).filter(Boolean)) {
    const m = /^(.+?)\s*[=:]\s*(.+)$/.exec(part)
    if (!m) return t
    out[m[1]!.trim()] = readNumber(m[2]!)
  }
  return out
}

/** "big: large, huge" lines → { big: ['large', 'huge'] }. */
export function readSynonyms(s: string): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const line of s.split('\n')) {
    const i = line.indexOf(':')
    if (i <= 0) continue
    const word = line.slice(0, i).trim()
    const syn = line
      .slice(i + 1)
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)
    if (word && syn.length) out[word] = syn
  }
  return out
}

export function defaultModelDraft(): ModelDraft {
  return { kind: 'folder', folder: '', vocab: '', hiddenSize: '256', numLayers: '4', numHeads: '4', intermediateSize: '', maxPositions: '512', lowercase: 'auto' }
}

/** The model draft of a run's stored model source. */
export function modelToDraft(model: unknown): ModelDraft {
  const d = defaultModelDraft()
  const m = ModelSource.safeParse(model)
  if (!m.success) return d
  if (typeof m.data === 'string') return { ...d, folder: m.data }
  const s = m.data.scratch
  return {
    ...d,
    kind: 'scratch',
    vocab: s.vocab,
    hiddenSize: str(s.hiddenSize),
    numLayers: str(s.numLayers),
    numHeads: str(s.numHeads),
    intermediateSize: str(s.intermediateSize),
    maxPositions: str(s.maxPositions),
    lowercase: s.lowercase === undefined ? 'auto' : s.lowercase ? 'yes' : 'no',
  }
}

/** A typed number: undefined when empty, the number when it reads as one, else the text (for the schema to refuse). */
export function readNumber(s: string): number | string | undefined {
  const t = s.trim()
  if (t === '') return undefined
  const n = Number(t)
  return Number.isFinite(n) ? n : t
}

function put(out: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) out[key] = value
}

/** The config JSON the draft stands for: what run.start and run.preview receive. */
export function draftToConfig(model: ModelDraft, d: ConfigDraft): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (model.kind === 'folder') {
    if (model.folder.trim()) out.model = model.folder.trim()
  } else {
    const scratch: Record<string, unknown> = { vocab: model.vocab.trim() }
    for (const f of MODEL_FIELDS) put(scratch, f.key, readNumber(model[f.key]))
    if (model.lowercase !== 'auto') scratch.lowercase = model.lowercase === 'yes'
    out.model = { scratch }
  }
  for (const k of ['epochs', 'maxSteps', 'batchSize', 'gradientAccumulation', 'learningRate', 'warmupRatio', 'weightDecay', 'maxGradNorm', 'labelSmoothing', 'maxLength', 'stride', 'seed', 'evalBatchSize'] as const) {
    put(out, k, readNumber(d[k]))
  }
  out.schedule = d.schedule
  out.scheme = d.scheme
  out.evalMode = d.evalMode
  out.labelAllSubtokens = d.labelAllSubtokens
  out.bucketByLength = d.bucketByLength
  out.dropout = readNumber(d.dropout) ?? null
  out.evalEvery = d.evalEvery.trim() === 'epoch' || d.evalEvery.trim() === '' ? 'epoch' : readNumber(d.evalEvery)
  const patience = readNumber(d.earlyStoppingPatience)
  out.earlyStopping = patience === undefined ? null : { patience, minDelta: readNumber(d.earlyStoppingMinDelta) ?? 0 }
  out.classWeights = readWeights(d.classWeights)
  if (d.adversarial === '') out.adversarial = null
  else {
    const adv: Record<string, unknown> = { method: d.adversarial }
    put(adv, 'epsilon', readNumber(d.advEpsilon))
    if (d.adversarial === 'pgd') {
      put(adv, 'alpha', readNumber(d.advAlpha))
      put(adv, 'steps', readNumber(d.advSteps))
    }
    out.adversarial = adv
  }
  if (!d.augmentation) out.augmentation = null
  else {
    const aug: Record<string, unknown> = {}
    put(aug, 'mentionReplacement', readNumber(d.augMention))
    put(aug, 'tokenReplacement', readNumber(d.augToken))
    put(aug, 'synonymReplacement', readNumber(d.augSynonym))
    put(aug, 'shuffleWithinSegments', readNumber(d.augShuffle))
    put(aug, 'copies', readNumber(d.augCopies))
    aug.synonyms = readSynonyms(d.augSynonyms)
    out.augmentation = aug
  }
  return { ...out, ...d.extra }
}

interface Issue {
  code: string
  path: PropertyKey[]
  message: string
  origin?: string
  minimum?: number | bigint
  maximum?: number | bigint
  inclusive?: boolean
  expected?: string
}

/** The schema's issue in the words of the form (the schema's own message when there is no better one). */
export function describeIssue(issue: Issue): string {
  if (issue.code === 'invalid_type' && /received string/.test(issue.message)) return 'enter a number'
  if (issue.code === 'invalid_type' && issue.expected === 'int') return 'must be a whole number'
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return 'required'
  if (issue.code === 'too_small' && issue.origin === 'string') return 'required'
  if (issue.code === 'too_small' && issue.minimum !== undefined) return issue.inclusive ? `must be at least ${issue.minimum}` : `must be more than ${issue.minimum}`
  if (issue.code === 'too_big' && issue.maximum !== undefined) return issue.inclusive ? `must be at most ${issue.maximum}` : `must be less than ${issue.maximum}`
  if (issue.code === 'invalid_union' && issue.path.join('.') === 'evalEvery') return "'epoch' or a whole number of steps"
  return issue.message
}

/**
 * Problems per field path ("learningRate", "earlyStopping.patience", "model.scratch.vocab",
 * "model"), from RunConfig itself. The model is required here (the schema allows leaving it out).
 */
export function validateConfig(config: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {}
  const r = RunConfig.safeParse(config)
  if (!r.success) {
    for (const issue of r.error.issues as unknown as Issue[]) {
      const path = issue.path.length ? issue.path.map(String).join('.') : '(config)'
      if (!(path in out)) out[path] = describeIssue(issue)
    }
  }
  if (config.model === undefined) out.model = 'choose a model folder, or a vocabulary for a model from scratch'
  return out
}
