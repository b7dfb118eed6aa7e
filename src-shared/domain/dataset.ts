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
