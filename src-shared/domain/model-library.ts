/**
 * The model library: pretrained Hugging Face BERT folders imported from disk or downloaded from a
 * hub, and the best model of every fine-tuned run. Schemas of the `model.*` channels.
 */
import { z } from 'zod'

/** A library model is named by its number; a run's best model by `run-<run id>`. */
export const ModelId = z.string().regex(/^([1-9]\d{0,15}|run-[1-9]\d{0,15})$/, 'a model id is a number (a library model) or run-N (the best model of run N)')
export type ModelId = z.infer<typeof ModelId>

export const ModelName = z.string().trim().min(1, 'the name is empty').max(200, 'the name is longer than 200 characters')

export const IMPORT_MODES = ['copy', 'link'] as const
export const ImportMode = z.enum(IMPORT_MODES)
export type ImportMode = z.infer<typeof ImportMode>

/** Where a model came from. */
export const ModelSource = z.discriminatedUnion('kind', [
  /** A folder on the workstation, copied into the library or linked (files stay where they are). */
  z.strictObject({ kind: z.literal('local'), path: z.string(), mode: ImportMode }),
  /** A folder uploaded from a browser (always copied). `folder` is the name the browser gave. */
  z.strictObject({ kind: z.literal('upload'), folder: z.string() }),
  /** A Hugging Face compatible hub: `repo` at `revision`, resolved to `commit` when the hub said which. */
  z.strictObject({ kind: z.literal('hub'), endpoint: z.string(), repo: z.string(), revision: z.string(), commit: z.string().nullable() }),
  /** `tagtune pretrain`'s result: the model adapted to a project's text by masked-language-model training. */
  z.strictObject({
    kind: z.literal('pretrain'),
    projectId: z.number().int().positive(),
    projectName: z.string(),
    /** The text file pretrained on instead of the project's documents, else null. */
    file: z.string().nullable().default(null),
    texts: z.number().int().nonnegative(),
    steps: z.number().int().nonnegative(),
    finalLoss: z.number().nullable(),
  }),
  /** The best checkpoint of a fine-tuning run. */
  z.strictObject({
    kind: z.literal('run'),
    runId: z.number().int().positive(),
    projectId: z.number().int().positive(),
    projectName: z.string(),
    runName: z.string(),
    status: z.string(),
    /** Best dev entity F1 (0..1). */
    bestMetric: z.number().nullable(),
  }),
])
export type ModelSource = z.infer<typeof ModelSource>

export const ScriptShare = z.strictObject({ script: z.string(), share: z.number().min(0).max(1) })
export type ScriptShare = z.infer<typeof ScriptShare>

/** What the folder holds, read from config.json, the safetensors header and the tokenizer files. */
export const ModelInfo = z.strictObject({
  /** architectures[0] of config.json, e.g. BertForMaskedLM; 'BertModel' when the config names none. */
  architecture: z.string(),
  layers: z.number().int().positive(),
  hiddenSize: z.number().int().positive(),
  heads: z.number().int().positive(),
  intermediateSize: z.number().int().positive(),
  maxPositions: z.number().int().positive(),
  /** Every float tensor of model.safetensors, heads included (buffers such as position_ids are not parameters). */
  parameters: z.number().int().nonnegative(),
  /** F32, F16, BF16, or a list when mixed. */
  dtype: z.string(),
  /** Tokens in the vocabulary (vocab.txt lines, or tokenizer.json ids). */
  vocabSize: z.number().int().positive(),
  /** Embedding rows of the model (config.json vocab_size). */
  embeddingRows: z.number().int().positive(),
  vocabFile: z.enum(['vocab.txt', 'tokenizer.json']),
  /** The tokenizer keeps case (do_lower_case false). */
  cased: z.boolean(),
  /** What decided `cased`: the tokenizer config, or the vocabulary when no config said. */
  casingFrom: z.enum(['tokenizer_config', 'vocabulary']),
  language: z.strictObject({
    /** "Chinese", "English", "Multilingual", "Latin script", ...; "unknown" when nothing stands out. */
    hint: z.string(),
    /** Shares of the vocabulary's word tokens per script, largest first (at most 4). */
    scripts: z.array(ScriptShare),
  }),
  /** id2label of a fine-tuned token classifier, in id order; null for a pretrained model. */
  labels: z.array(z.string()).nullable(),
  files: z.array(z.strictObject({ name: z.string(), bytes: z.number().int().nonnegative() })),
})
export type ModelInfo = z.infer<typeof ModelInfo>

export const ModelSummary = z.strictObject({
  id: ModelId,
  name: z.string(),
  source: ModelSource,
  /** The folder to train from (in the data directory, or the run's checkpoint). */
  path: z.string(),
  /** Bytes of the folder's files on disk (for a linked model: of the files it links to). */
  sizeBytes: z.number().int().nonnegative(),
  /** Null when the folder cannot be read any more (see `problem`). */
  info: ModelInfo.nullable(),
  /** Why the model cannot be used now (a linked folder that is gone), else null. */
  problem: z.string().nullable(),
  /** What happened at import worth knowing (e.g. a do_lower_case written for a cased vocabulary). */
  notes: z.array(z.string()),
  createdAt: z.string(),
})
export type ModelSummary = z.infer<typeof ModelSummary>

const UploadId = z.string().regex(/^[a-f0-9]{32}$/, 'not an upload id')
/** A plain file name: no folders, no "..". */
const FileName = z
  .string()
  .min(1)
  .max(255)
  .refine((n) => !/[/\\\0]/.test(n) && n !== '.' && n !== '..', 'a file name without folders')

export const ModelImport = z.union([
  /** A folder on the machine running Tagtune (desktop app and CLI only). */
  z.strictObject({
    path: z.string().min(1, 'the folder path is empty').max(4096),
    mode: ImportMode.default('copy'),
    name: ModelName.optional(),
  }),
  /** A folder a browser uploaded file by file (see POST /api/upload); always copied. */
  z.strictObject({
    upload: z.strictObject({
      /** The folder's name as the browser saw it, used in messages and as the default model name. */
      folder: z.string().trim().min(1).max(255),
      files: z.array(z.strictObject({ name: FileName, uploadId: UploadId })).min(1).max(32),
      /** Names of the folder's other files, not uploaded (a pytorch_model.bin is worth a precise message). */
      otherFiles: z.array(z.string().max(255)).max(10_000).default([]),
    }),
    name: ModelName.optional(),
  }),
])
export type ModelImport = z.input<typeof ModelImport>

/**
 * The files a library model keeps: the model, its tokenizer, a model card, and Tagtune's CRF and
 * PEFT extras. The rest of a folder (other frameworks' weights, ONNX, training state) stays out.
 */
export const LIBRARY_FILE_NAMES: readonly string[] = [
  'config.json',
  'model.safetensors',
  'vocab.txt',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'README.md',
  'crf.safetensors',
  'peft.safetensors',
  'peft_config.json',
]

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co'

const HttpUrl = z
  .string()
  .max(2048)
  .refine((u) => {
    try {
      const p = new URL(u).protocol
      return p === 'http:' || p === 'https:'
    } catch {
      return false
    }
  }, 'an http:// or https:// URL')

export const ModelDownload = z.strictObject({
  /** A Hugging Face compatible hub (mirrors serve the same URL layout). */
  endpoint: HttpUrl.default(DEFAULT_HUB_ENDPOINT),
  /** owner/name, or a bare name (old canonical repos such as bert-base-cased). */
  repo: z.string().regex(/^[A-Za-z0-9][\w.-]{0,95}(\/[A-Za-z0-9][\w.-]{0,95})?$/, 'a repository such as google-bert/bert-base-cased').refine((r) => !r.includes('..'), 'a repository such as google-bert/bert-base-cased'),
  /** A branch, tag or commit. */
  revision: z.string().min(1).max(255).regex(/^[\w.\-/]+$/, 'a branch, tag or commit such as main').refine((r) => !r.split('/').some((s) => s === '' || s === '.' || s === '..'), 'a branch, tag or commit such as main').default('main'),
  /** Sent as Authorization: Bearer; never stored. */
  token: z.string().min(1).max(1000).regex(/^[\x21-\x7e]+$/, 'a token without spaces').optional(),
  /** http://[user:pass@]host:port; overrides HTTPS_PROXY / HTTP_PROXY. */
  proxy: HttpUrl.optional(),
  name: ModelName.optional(),
})
export type ModelDownload = z.input<typeof ModelDownload>

export const ModelImportResult = z.strictObject({
  model: ModelSummary,
  /** Lines for the user: what was checked, copied, fixed. */
  report: z.array(z.string()),
})
export type ModelImportResult = z.infer<typeof ModelImportResult>

export const ModelDownloadProgress = z.strictObject({
  endpoint: z.string(),
  repo: z.string(),
  revision: z.string(),
  phase: z.enum(['listing', 'downloading', 'verifying', 'registering', 'done', 'failed']),
  /** The file being transferred, when downloading. */
  file: z.string().nullable(),
  fileIndex: z.number().int().nonnegative(),
  fileCount: z.number().int().nonnegative(),
  fileBytes: z.number().int().nonnegative(),
  fileTotal: z.number().int().nonnegative().nullable(),
  /** Bytes of all files so far (including what earlier attempts left in .part files). */
  bytes: z.number().int().nonnegative(),
  totalBytes: z.number().int().nonnegative().nullable(),
  /** Where this file's transfer resumed (0 for a fresh start). */
  resumedFrom: z.number().int().nonnegative(),
})
export type ModelDownloadProgress = z.infer<typeof ModelDownloadProgress>

export const ModelChange = z.strictObject({ kind: z.enum(['added', 'deleted']), id: ModelId })
export type ModelChange = z.infer<typeof ModelChange>

/** "1.2 GB", "98 KB". */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let v = n / 1000
  let u = 0
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000
    u++
  }
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[u]}`
}

/** "110M", "4.4M", "53.9K". */
export function formatParameters(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 1)}B`
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e8 ? 0 : 1)}M`
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`
  return String(n)
}

/** "hub google-bert/bert-base-cased@main", "run #12", "/models/x (linked)". */
export function describeSource(s: ModelSource): string {
  switch (s.kind) {
    case 'local':
      return `${s.path}${s.mode === 'link' ? ' (linked)' : ' (copied)'}`
    case 'upload':
      return `uploaded folder ${s.folder}`
    case 'hub':
      return `${s.repo}@${s.revision}${s.commit && s.commit !== s.revision ? ` (${s.commit.slice(0, 10)})` : ''}${s.endpoint === DEFAULT_HUB_ENDPOINT ? '' : ` from ${s.endpoint}`}`
    case 'pretrain':
      return `pretrained on ${s.file ?? s.projectName} (${s.texts} texts, ${s.steps} steps)`
    case 'run':
      return `run #${s.runId} ${s.runName} (${s.projectName})`
  }
}
