/**
 * The run config: every knob of a fine-tuning run, validated the same way by the CLI, the
 * Train view and the trainer process. Defaults follow Hugging Face's run_ner recipe for BERT.
 * Pure (zod only).
 */
import { z } from 'zod'

const positiveInt = z.number().int().positive()
const unit = z.number().min(0).max(1)

/** A new model of this shape, initialised at random, with the vocabulary at `vocab`. */
export const ScratchModel = z.strictObject({
  vocab: z.string().min(1),
  hiddenSize: positiveInt.default(256),
  numLayers: positiveInt.default(4),
  numHeads: positiveInt.default(4),
  intermediateSize: positiveInt.optional(),
  maxPositions: positiveInt.default(512),
  /** Lowercase the text (an uncased vocabulary). Default: decided by the vocabulary (no uppercase token → lowercase). */
  lowercase: z.boolean().optional(),
})
export type ScratchModel = z.infer<typeof ScratchModel>

/** The folder of a model to start from, or a new model; a bad value is told which and why. */
export const ModelSource = z.union([z.string().min(1), z.strictObject({ scratch: ScratchModel })], {
  error: (issue) => {
    const input = issue.input
    if (input === undefined) return 'required: the folder of the model to start from, or {"scratch": {...}} for a new one'
    if (input !== null && typeof input === 'object' && 'scratch' in input) {
      const r = ScratchModel.safeParse((input as { scratch: unknown }).scratch)
      if (!r.success) return r.error.issues.map((i) => `scratch${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`).join('; ')
    }
    return 'expected the folder of a model (a path) or {"scratch": {...}} for a new one'
  },
})
export type ModelSource = z.infer<typeof ModelSource>

export const EarlyStopping = z.strictObject({
  /** Evaluations without a better dev entity F1 before stopping. */
  patience: positiveInt,
  /** Smallest F1 gain that counts as better. */
  minDelta: z.number().min(0).default(0),
})

/** NER data augmentation, applied afresh each epoch with seed + epoch. Rates are per mention / word / segment. */
export const Augmentation = z.strictObject({
  mentionReplacement: unit.default(0),
  tokenReplacement: unit.default(0),
  synonymReplacement: unit.default(0),
  /** word -> synonyms (a user dictionary) for synonymReplacement. */
  synonyms: z.record(z.string(), z.array(z.string())).default({}),
  shuffleWithinSegments: unit.default(0),
  /** Augmented copies of each training document per epoch (the originals are always kept). */
  copies: z.number().int().min(0).max(10).default(1),
})
export type Augmentation = z.infer<typeof Augmentation>

/** Adversarial training on the word embeddings: FGM (one step of size epsilon) or PGD (steps of alpha within epsilon). */
export const Adversarial = z.strictObject({
  method: z.enum(['fgm', 'pgd']),
  epsilon: z.number().positive().max(100).default(1),
  alpha: z.number().positive().max(100).optional(),
  steps: z.number().int().min(1).max(20).default(3),
})
export type Adversarial = z.infer<typeof Adversarial>

export const LORA_TARGETS = ['query', 'key', 'value', 'attention_output', 'ffn'] as const

/** Parameter-efficient fine-tuning. The classification head always trains. */
export const Peft = z.discriminatedUnion('method', [
  z.strictObject({
    method: z.literal('freeze'),
    /** Freeze the embeddings (word, position, token type, their LayerNorm). */
    embeddings: z.boolean().default(true),
    /** Freeze the bottom k encoder layers; a negative k freezes all but the top |k|. */
    layers: z.number().int().default(0),
    /**
     * Compute the frozen layers' output once per window and reuse it in later epochs. Only
     * when that output cannot change: dropout 0, no augmentation, no adversarial training.
     */
    cacheOutputs: z.boolean().default(true),
  }),
  z.strictObject({ method: z.literal('bitfit') }),
  z.strictObject({
    method: z.literal('lora'),
    rank: z.number().int().min(1).max(256).default(8),
    alpha: z.number().positive().default(16),
    dropout: unit.default(0),
    targets: z.array(z.enum(LORA_TARGETS)).min(1).default(['query', 'value']),
  }),
  z.strictObject({
    method: z.literal('adapter'),
    /** Bottleneck size of the Houlsby adapters (after attention and after the FFN of every layer). */
    size: z.number().int().min(1).max(1024).default(64),
  }),
])
export type Peft = z.infer<typeof Peft>

export const RunConfig = z
  .strictObject({
    model: ModelSource.optional(),
    epochs: z.number().positive().default(3),
    /** When > 0, the run stops after this many optimizer steps (epochs repeat as needed). */
    maxSteps: z.number().int().min(0).default(0),
    batchSize: positiveInt.default(16),
    gradientAccumulation: positiveInt.default(1),
    learningRate: z.number().positive().max(1).default(5e-5),
    warmupRatio: unit.default(0.1),
    schedule: z.enum(['linear', 'cosine', 'constant']).default('linear'),
    weightDecay: z.number().min(0).max(1).default(0.01),
    maxGradNorm: z.number().min(0).default(1),
    /** Dropout for hidden states and attention; null keeps the model's own (usually 0.1). */
    dropout: unit.nullable().default(null),
    labelSmoothing: z.number().min(0).max(0.5).default(0),
    /** Loss weight per tag: 'balanced' (inverse frequency in the train split, capped at 10) or a weight per entity type. */
    classWeights: z.union([z.literal('balanced'), z.record(z.string(), z.number().positive().max(100))]).nullable().default(null),
    augmentation: Augmentation.nullable().default(null),
    adversarial: Adversarial.nullable().default(null),
    peft: Peft.nullable().default(null),
    /** 'softmax': a tag per token; 'crf': a linear-chain CRF over the tags, decoded with Viterbi (no invalid sequences). */
    head: z.enum(['softmax', 'crf']).default('softmax'),
    /** Tokens per window including [CLS] and [SEP]; longer documents are split into overlapping windows. */
    maxLength: z.number().int().min(8).max(4096).default(128),
    /** Tokens shared by consecutive windows; default a quarter of maxLength. */
    stride: z.number().int().min(0).optional(),
    /** Train every sub-token of a word (true) or only the first (false, the default; the others are ignored in the loss). */
    labelAllSubtokens: z.boolean().default(false),
    /** Tag scheme the model predicts. */
    scheme: z.enum(['iob2', 'iobes']).default('iob2'),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(42),
    /** 'epoch', or evaluate on dev every N optimizer steps. */
    evalEvery: z.union([z.literal('epoch'), positiveInt]).default('epoch'),
    earlyStopping: EarlyStopping.nullable().default(null),
    /** seqeval mode for the dev F1 that picks the best checkpoint. */
    evalMode: z.enum(['default', 'strict']).default('default'),
    evalBatchSize: positiveInt.default(32),
    /** Bucket windows of similar length into batches (less padding, faster). */
    bucketByLength: z.boolean().default(true),
  })
  .refine((c) => c.stride === undefined || c.stride < c.maxLength - 2, { message: 'stride must be smaller than maxLength - 2', path: ['stride'] })
  .refine((c) => !(c.head === 'crf' && c.labelAllSubtokens), { message: 'a CRF head reads one tag per word: use it with labelAllSubtokens false', path: ['head'] })
export type RunConfig = z.infer<typeof RunConfig>
export type RunConfigInput = z.input<typeof RunConfig>

/** Field path and message of each problem, e.g. "learningRate: Too big: expected number to be <=1". */
export function runConfigProblems(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(config)'}: ${i.message}`)
}

export function parseRunConfig(json: unknown): { ok: true; config: RunConfig } | { ok: false; problems: string[] } {
  const r = RunConfig.safeParse(json)
  return r.success ? { ok: true, config: r.data } : { ok: false, problems: runConfigProblems(r.error) }
}

/** Domain-adaptive pretraining (masked language modelling) on a project's unlabeled text. */
export const PretrainRunConfig = z.strictObject({
  model: ModelSource,
  epochs: z.number().positive().default(1),
  maxSteps: z.number().int().min(0).default(0),
  batchSize: positiveInt.default(32),
  learningRate: z.number().positive().max(1).default(1e-4),
  warmupRatio: unit.default(0.06),
  weightDecay: z.number().min(0).max(1).default(0.01),
  maxLength: z.number().int().min(8).max(4096).default(128),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(42),
  /** Mask whole words; Chinese words are found in the corpus (or listed in `words`). */
  wholeWordMasking: z.boolean().default(false),
  maskProbability: z.number().min(0.01).max(0.5).default(0.15),
  /** Words for Chinese whole-word masking (a user dictionary). */
  words: z.array(z.string()).optional(),
})
export type PretrainRunConfig = z.infer<typeof PretrainRunConfig>
