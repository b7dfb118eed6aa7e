/** Documents, splits and annotation statuses: shared vocabulary of the dataset features. */
import { z } from 'zod'

export const SPLITS = ['train', 'dev', 'test', 'unassigned'] as const
export const Split = z.enum(SPLITS)
export type Split = z.infer<typeof Split>

export const ANNOTATION_STATUSES = ['todo', 'in-progress', 'done', 'skipped'] as const
export const AnnotationStatus = z.enum(ANNOTATION_STATUSES)
export type AnnotationStatus = z.infer<typeof AnnotationStatus>

/** Formats Tagtune reads and writes. */
export const FORMATS = ['conll', 'doccano', 'label-studio', 'spacy', 'cluener', 'brat', 'text'] as const
export const Format = z.enum(FORMATS)
export type Format = z.infer<typeof Format>

export const FORMAT_TITLES: Record<Format, string> = {
  conll: 'CoNLL columns (token per line)',
  doccano: 'doccano JSONL',
  'label-studio': 'Label Studio JSON export',
  spacy: 'spaCy / Prodigy JSONL',
  cluener: 'CLUENER2020 JSON lines',
  brat: 'brat standoff (.txt + .ann)',
  text: 'Plain text (one document per line)',
}

/** Tag schemes a CoNLL file may use. BILOU is read and written but is not a project scheme. */
export const FILE_TAG_SCHEMES = ['iob1', 'iob2', 'iobes', 'bmes', 'bilou'] as const
export const FileTagScheme = z.enum(FILE_TAG_SCHEMES)
export type FileTagScheme = z.infer<typeof FileTagScheme>

/** What to do with an invalid tag sequence (I- without B-, BMES E- without B-, ...). */
export const INVALID_TAG_POLICIES = ['repair', 'reject'] as const
export const InvalidTagPolicy = z.enum(INVALID_TAG_POLICIES)
export type InvalidTagPolicy = z.infer<typeof InvalidTagPolicy>

/** A stored span: [start, end, labelId], UTF-16 offsets, half-open. */
export const SpanTuple = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative(), z.number().int().positive()])
export type SpanTuple = z.infer<typeof SpanTuple>

export const DocumentItem = z.strictObject({
  id: z.number().int().positive(),
  position: z.number().int().nonnegative(),
  text: z.string(),
  split: Split,
  status: AnnotationStatus,
  annotator: z.string().nullable(),
  spans: z.array(SpanTuple),
  /** Version of the shown annotation (0 when the document has none yet). */
  version: z.number().int().nonnegative(),
  /** With a suggestion run (`runId` in the filter): that model's confidence in the document, null when it has not predicted it. */
  modelConfidence: z.number().nullable().optional(),
})
export type DocumentItem = z.infer<typeof DocumentItem>

export const DocumentFilter = z.strictObject({
  projectId: z.number().int().positive(),
  split: Split.optional(),
  status: AnnotationStatus.optional(),
  labelId: z.number().int().positive().optional(),
  /** Case-insensitive substring of the text. */
  text: z.string().max(500).optional(),
  offset: z.number().int().nonnegative().default(0),
  limit: z.number().int().positive().max(500).default(50),
  /**
   * Queue order: the documents' order, a shuffle that is the same for the same seed, or the
   * documents a finished run's model is least sure of first (needs `runId`; documents it has not
   * predicted come last, in document order).
   */
  order: z.enum(['position', 'random', 'least-confident']).default('position'),
  seed: z.number().int().min(0).max(2 ** 31).default(0),
  /** The run whose suggestions order the queue and give each row its modelConfidence. */
  runId: z.number().int().positive().optional(),
  /** Only the documents after this one in the queue's order ("go on" from a document, which need not match the filters itself). */
  after: z.number().int().positive().optional(),
}).refine((f) => f.order !== 'least-confident' || f.runId !== undefined, { message: 'least-confident order needs the runId of the model whose confidence orders it', path: ['runId'] })
export type DocumentFilter = z.input<typeof DocumentFilter>

export const DocumentPage = z.strictObject({ total: z.number().int().nonnegative(), items: z.array(DocumentItem) })
export type DocumentPage = z.infer<typeof DocumentPage>

const PerSplit = z.strictObject({ train: z.number(), dev: z.number(), test: z.number(), unassigned: z.number() })
export type PerSplit = z.infer<typeof PerSplit>

export const DatasetStats = z.strictObject({
  documents: PerSplit,
  characters: PerSplit,
  tokens: PerSplit,
  /** Documents per annotation status (documents without an annotation count as todo). */
  status: z.strictObject({ todo: z.number(), 'in-progress': z.number(), done: z.number(), skipped: z.number() }),
  entities: z.array(z.strictObject({ labelId: z.number(), label: z.string(), color: z.string(), perSplit: PerSplit, total: z.number() })),
  /** Entities per span length in characters; the last bucket holds everything at or above its length. */
  spanLengths: z.array(z.strictObject({ length: z.number(), orLonger: z.boolean(), count: z.number() })),
  documentsWithoutEntities: PerSplit,
  /** Progress per split: documents whose shown annotation is done. */
  donePerSplit: PerSplit,
  /** Each annotator's work: documents they annotated, by status. */
  annotators: z.array(z.strictObject({ annotator: z.string(), todo: z.number(), 'in-progress': z.number(), done: z.number(), skipped: z.number() })),
  /** Number of documents in which both labels occur (diagonal: documents with the label). */
  cooccurrence: z.strictObject({ labels: z.array(z.string()), matrix: z.array(z.array(z.number())) }),
})
export type DatasetStats = z.infer<typeof DatasetStats>

export function emptyPerSplit(): PerSplit {
  return { train: 0, dev: 0, test: 0, unassigned: 0 }
}

export const ENCODING_CHOICES = ['auto', 'utf-8', 'utf-16le', 'utf-16be', 'gb18030', 'gbk', 'windows-1252'] as const
export const EncodingChoice = z.enum(ENCODING_CHOICES)

/** A file to read: a path on the machine running Tagtune (desktop app, CLI) or an upload (browser). */
export const FileRef = z.union([
  z.strictObject({ path: z.string().min(1) }),
  z.strictObject({ uploadId: z.string().regex(/^[a-f0-9]{32}$/, 'not an upload id') }),
])
export type FileRef = z.infer<typeof FileRef>

export const ImportOptions = z.strictObject({
  projectId: z.number().int().positive(),
  files: z.array(FileRef).min(1, 'choose at least one file').max(10_000),
  format: z.union([Format, z.literal('auto')]).default('auto'),
  encoding: EncodingChoice.default('auto'),
  /** CoNLL: tag scheme of the file. */
  scheme: z.union([FileTagScheme, z.literal('auto')]).default('auto'),
  /** CoNLL: the tag column (negative counts from the end). */
  tagColumn: z.number().int().min(-20).max(20).default(-1),
  separator: z.enum(['auto', 'space', 'tab']).default('auto'),
  /** CoNLL: Weibo NER tokens carry a trailing segmentation digit. */
  weiboDigits: z.boolean().default(false),
  invalidTags: InvalidTagPolicy.default('repair'),
  /** Split for the imported documents; 'from-file' keeps a split the file names, else unassigned. */
  split: z.union([Split, z.literal('from-file')]).default('from-file'),
  /** Status of the imported annotations; 'auto': done for annotated formats, todo for plain text. */
  status: z.union([AnnotationStatus, z.literal('auto')]).default('auto'),
  annotator: z.string().trim().min(1).max(100).optional(),
  /** Labels the project does not have: refuse the import (listing them), or add them to the project. */
  unknownLabels: z.enum(['reject', 'add']).default('reject'),
  /** Read and check everything, import nothing: the preview. */
  dryRun: z.boolean().default(false),
})
export type ImportOptions = z.input<typeof ImportOptions>

export const ReportedProblem = z.strictObject({
  kind: z.string(),
  file: z.string(),
  line: z.number().optional(),
  record: z.number().optional(),
  field: z.string().optional(),
  message: z.string(),
  repaired: z.boolean().optional(),
})
export type ReportedProblem = z.infer<typeof ReportedProblem>

export const PreviewDocument = z.strictObject({
  text: z.string(),
  spans: z.array(z.strictObject({ start: z.number(), end: z.number(), label: z.string() })),
  split: Split,
  source: z.string(),
})

export const ImportReport = z.strictObject({
  committed: z.boolean(),
  importId: z.number().optional(),
  files: z.array(z.string()),
  format: Format,
  formatReason: z.string(),
  encoding: z.string(),
  encodingReason: z.string(),
  scheme: FileTagScheme.optional(),
  documents: z.number(),
  spans: z.number(),
  perLabel: z.record(z.string(), z.number()),
  unknownLabels: z.array(z.strictObject({ name: z.string(), count: z.number() })),
  /** Labels added to the project by this import (unknownLabels: 'add'). */
  addedLabels: z.array(z.string()),
  /** Problems that block the import (not repaired). */
  errors: z.number(),
  /** Problems that were repaired (invalid tag sequences under 'repair'). */
  warnings: z.number(),
  problemCounts: z.record(z.string(), z.number()),
  /** The first problems, in file order. */
  problems: z.array(ReportedProblem),
  notes: z.array(z.string()),
  preview: z.array(PreviewDocument),
  seconds: z.number(),
})
export type ImportReport = z.infer<typeof ImportReport>

export const ExportOptions = z.strictObject({
  projectId: z.number().int().positive(),
  format: Format,
  split: z.union([Split, z.literal('all')]).default('all'),
  /** CoNLL: the scheme to write; default the project's. BILOU allowed. */
  scheme: FileTagScheme.optional(),
  /** A file path (a folder for brat). Only from the desktop app and the CLI; browsers download. */
  path: z.string().min(1),
})
export type ExportOptions = z.input<typeof ExportOptions>

export const ExportResult = z.strictObject({
  files: z.array(z.string()),
  documents: z.number(),
  spans: z.number(),
  seconds: z.number(),
})
export type ExportResult = z.infer<typeof ExportResult>

export const SplitOptions = z.strictObject({
  projectId: z.number().int().positive(),
  ratios: z.tuple([z.number().min(0), z.number().min(0), z.number().min(0)]).refine((r) => r[0] + r[1] + r[2] > 0, 'ratios must not all be zero'),
  seed: z.number().int().min(0).max(2 ** 31).default(42),
  /** Keep each entity type's share equal across splits (by the rarest label in each document). */
  stratify: z.boolean().default(true),
  /** Which documents to (re)assign. */
  scope: z.enum(['all', 'unassigned']).default('all'),
})
export type SplitOptions = z.input<typeof SplitOptions>

export const ImportProgress = z.strictObject({
  projectId: z.number(),
  phase: z.enum(['reading', 'saving', 'done', 'failed']),
  documents: z.number(),
  bytesRead: z.number(),
  totalBytes: z.number(),
  file: z.string(),
})
export type ImportProgress = z.infer<typeof ImportProgress>

/** The cheap part of the statistics: enough for progress bars. */
export const DatasetProgress = z.strictObject({
  documents: PerSplit,
  donePerSplit: PerSplit,
  status: z.strictObject({ todo: z.number(), 'in-progress': z.number(), done: z.number(), skipped: z.number() }),
  annotators: z.array(z.strictObject({ annotator: z.string(), todo: z.number(), 'in-progress': z.number(), done: z.number(), skipped: z.number() })),
})
export type DatasetProgress = z.infer<typeof DatasetProgress>
