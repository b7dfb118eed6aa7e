/** One annotator's spans on one document, and the messages that read and save them. */
import { z } from 'zod'
import { AnnotationStatus, Split, SpanTuple } from './dataset'

export const ANNOTATOR_NAME_MAX = 100
export const AnnotatorName = z.string().trim().min(1, 'annotator name is empty').max(ANNOTATOR_NAME_MAX)

export const AnnotationRecord = z.strictObject({
  id: z.number().int().positive(),
  documentId: z.number().int().positive(),
  annotator: z.string(),
  status: AnnotationStatus,
  spans: z.array(SpanTuple),
  /** Starts at 0 and grows by one with every save. */
  version: z.number().int().nonnegative(),
  updatedAt: z.string(),
})
export type AnnotationRecord = z.infer<typeof AnnotationRecord>

export const DocumentDetail = z.strictObject({
  id: z.number().int().positive(),
  projectId: z.number().int().positive(),
  position: z.number().int().nonnegative(),
  text: z.string(),
  split: Split,
  annotations: z.array(AnnotationRecord),
  previousId: z.number().int().positive().nullable(),
  nextId: z.number().int().positive().nullable(),
})
export type DocumentDetail = z.infer<typeof DocumentDetail>

export const AnnotationSave = z.strictObject({
  documentId: z.number().int().positive(),
  annotator: AnnotatorName,
  spans: z.array(SpanTuple).max(100_000),
  status: AnnotationStatus,
  /**
   * The version this edit started from: 0 for a first annotation. When someone saved in
   * between, the save is refused with CONFLICT and their version in the error's details.
   */
  expectedVersion: z.number().int().nonnegative(),
})
export type AnnotationSave = z.input<typeof AnnotationSave>

export const AnnotationChange = z.strictObject({
  projectId: z.number().int().positive(),
  documentId: z.number().int().positive(),
  annotator: z.string(),
  version: z.number().int().nonnegative(),
})

export const DictionaryTerm = z.string().trim().min(1).max(200)

export const Dictionary = z.strictObject({
  entries: z.array(z.strictObject({ labelId: z.number().int().positive(), terms: z.array(z.string()) })),
})
export type Dictionary = z.infer<typeof Dictionary>

export const DictionarySet = z.strictObject({
  projectId: z.number().int().positive(),
  labelId: z.number().int().positive(),
  /** The label's whole term list; blank lines are dropped and repeats merged. */
  terms: z.array(z.string().max(200, 'a term is longer than 200 characters')).max(50_000, 'at most 50,000 terms per label'),
})

export const LabelAllInput = z.strictObject({
  projectId: z.number().int().positive(),
  /** The exact text to find (whole words in Latin script). */
  text: z.string().min(1).max(500),
  labelId: z.number().int().positive(),
  annotator: AnnotatorName,
  /** Count and show examples, change nothing. */
  dryRun: z.boolean().default(true),
})

export const LabelAllResult = z.strictObject({
  documents: z.number(),
  spans: z.number(),
  /** A few places, to preview: the document, and the text around the match. */
  examples: z.array(z.strictObject({ documentId: z.number(), position: z.number(), before: z.string(), match: z.string(), after: z.string() })),
  /** Present when applied: undo it with annotation.undoBulk. */
  bulkId: z.number().optional(),
})
export type LabelAllResult = z.infer<typeof LabelAllResult>

export const UndoBulkResult = z.strictObject({
  restored: z.number(),
  /** Documents edited again since: left as they are. */
  skipped: z.number(),
})

const LabelAgreement = z.strictObject({ labelId: z.number(), f1: z.number(), spans: z.number() })
export const AgreementReport = z.strictObject({
  annotators: z.array(z.string()),
  pairs: z.array(z.strictObject({ a: z.string(), b: z.string(), documents: z.number(), f1: z.number(), perLabel: z.array(LabelAgreement) })),
  perLabel: z.array(LabelAgreement),
  disagreements: z.array(z.strictObject({ documentId: z.number(), position: z.number(), annotators: z.array(z.string()), differing: z.number() })),
})
