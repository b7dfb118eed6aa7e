/**
 * The shapes every format reader produces and every writer consumes. Offsets are JavaScript
 * string offsets (UTF-16 code units), half-open [start, end). Readers of formats whose offsets
 * are code points (doccano, spaCy/Prodigy, brat, CLUENER) convert at the edge.
 * Pure data: no SQLite, no Electron here.
 */
import type { FileTagScheme, Format, InvalidTagPolicy, Split } from '../../src-shared/domain/dataset'

export interface SpanRecord {
  start: number
  end: number
  label: string
}

export interface ScoredSpanRecord extends SpanRecord {
  score?: number
}

/** A token of a token-based format (CoNLL), kept so an export reproduces the same token lines. */
export interface TokenRecord {
  start: number
  end: number
  /** Columns between the token and the tag in the source (POS, chunk ...), kept for round trips. */
  columns?: string[]
}

export interface DocumentRecord {
  text: string
  /** Gold spans, sorted by start then end. */
  spans: SpanRecord[]
  tokens?: TokenRecord[]
  split?: Split
  annotator?: string
  /** Model predictions carried by the file (Label Studio `predictions`), kept apart from gold spans. */
  predictions?: { model?: string; score?: number; spans: ScoredSpanRecord[] }[]
  /**
   * Format-specific facts needed for an exact round trip or useful to show, e.g.
   * `{ docStart: true }` (CoNLL: a -DOCSTART- line precedes this sentence),
   * `{ id: 17 }` (the record's id in the source), `{ data: {...} }` (Label Studio task data).
   */
  meta: Record<string, unknown>
  /** Where the document starts in the source: for error messages ("file, line or record"). */
  source: { file: string; line?: number; record?: number }
}

export const PROBLEM_KINDS = [
  'syntax', // unreadable line or record
  'field', // a required field missing or of the wrong type
  'invalid-tag-sequence', // I- without B-, E- without B- ... (repaired or rejected per policy)
  'unknown-tag', // a tag that is not O and has no known prefix
  'mixed-scheme', // tags of two schemes in one file (e.g. S- and M- next to IOB1 I- runs)
  'span-out-of-range',
  'span-text-mismatch', // the span's text given in the file differs from the text at its offsets
  'empty-span',
  'overlap', // overlapping spans (refused unless the project allows nesting)
  'unknown-label', // a label the project does not have
  'empty-document',
  'encoding',
] as const
export type ProblemKind = (typeof PROBLEM_KINDS)[number]

export interface Problem {
  kind: ProblemKind
  file: string
  line?: number
  record?: number
  field?: string
  message: string
  /** True when the reader fixed it (e.g. invalid tag sequence under the 'repair' policy): a warning, not an error. */
  repaired?: boolean
}

/** Receives problems as readers find them; the caller decides how many to keep and whether to stop. */
export interface ReadContext {
  file: string
  report(problem: Problem): void
}

export interface ConllReadOptions {
  /** Index of the tag column; negative counts from the end. Default -1 (last). */
  tagColumn?: number
  /** Column separator. Default 'auto' (tab if the line has one, else runs of spaces). */
  separator?: 'auto' | 'space' | 'tab'
  /** Tag scheme of the file. Default 'auto' (detected from the tags, reported in the result). */
  scheme?: FileTagScheme | 'auto'
  /** How tokens join into text. 'auto': no separator between CJK characters, else one space. */
  joiner?: 'auto' | 'space' | 'none'
  /** Weibo NER: every token is a character followed by a segmentation digit, which is dropped. */
  weiboDigits?: boolean
  invalidTags?: InvalidTagPolicy
}

export interface ConllWriteOptions {
  scheme: FileTagScheme
  separator?: 'space' | 'tab'
  /** Write the kept extra columns (POS, chunk) between token and tag. Default true. */
  keepColumns?: boolean
  /** Write `-DOCSTART- -X- -X- O` lines where the source had them. Default true. */
  docStart?: boolean
}

/** What a reader says about the file as a whole once it is read. */
export interface ReadSummary {
  /** CoNLL: the scheme detected or used. */
  scheme?: FileTagScheme
  notes: string[]
}

export interface FormatDetection {
  format: Format
  /** Why this format was chosen, for the user ("every line is JSON with `text` and `label`"). */
  reason: string
}

export type { FileTagScheme, Format, InvalidTagPolicy, Split }
