/**
 * Predicted entities as the Predict view shows them: colours, the confidence threshold,
 * pieces of text to highlight, and the file names of exported predictions. Pure.
 */
import type { Format } from '@shared/domain/dataset'
import { LABEL_PALETTE } from '@shared/domain/project'
import { segments, type ShownSpan } from '../text/segments'

export interface PredictedSpan {
  start: number
  end: number
  label: string
  confidence: number
}

/** A predicted entity ready to draw: its text, colour and place in the prediction's span list. */
export interface ShownEntity extends ShownSpan {
  index: number
  text: string
  confidence: number
}

/** Texts up to this long are predicted as you type; longer ones on demand (button or Ctrl+Enter). */
export const AUTO_PREDICT_MAX_CHARS = 2000
/** run.predict takes texts up to this long; longer ones are predicted as a file. */
export const MAX_TEXT_CHARS = 1_000_000

/** The label's colour in the project, else a stable colour from the palette (labels the project no longer has). */
export function labelColor(label: string, projectColors: ReadonlyMap<string, string>): string {
  const own = projectColors.get(label)
  if (own) return own
  let h = 0
  for (let i = 0; i < label.length; i++) h = (h * 31 + label.charCodeAt(i)) >>> 0
  return LABEL_PALETTE[h % LABEL_PALETTE.length]!
}

export function entitiesOf(text: string, spans: readonly PredictedSpan[], colorOf: (label: string) => string): ShownEntity[] {
  return spans
    .map((s, index) => ({ index, start: s.start, end: s.end, label: s.label, confidence: s.confidence, color: colorOf(s.label), text: text.slice(s.start, s.end) }))
    .filter((e) => e.start >= 0 && e.start < e.end && e.end <= text.length)
    .sort((a, b) => a.start - b.start || a.end - b.end)
}

export function aboveThreshold<T extends { confidence: number }>(entities: readonly T[], threshold: number): T[] {
  return entities.filter((e) => e.confidence >= threshold)
}

/** Plain text and entities in order, for highlighting. */
export function entitySegments(text: string, entities: readonly ShownEntity[]): { text: string; entity?: ShownEntity }[] {
  // segments() hands back the very span objects it was given.
  return segments(text, entities).map((s) => (s.span ? { text: s.text, entity: s.span as ShownEntity } : { text: s.text }))
}

/** "97%" (never "100%" for a confidence below 1, never "0%" above 0). */
export function formatConfidence(c: number): string {
  const p = Math.round(c * 100)
  return `${c < 1 && p === 100 ? 99 : c > 0 && p === 0 ? 1 : p}%`
}

export type ConfidenceLevel = 'high' | 'medium' | 'low'
export function confidenceLevel(c: number): ConfidenceLevel {
  return c >= 0.9 ? 'high' : c >= 0.6 ? 'medium' : 'low'
}

/** Entities per label, in the order labels first appear. */
export function countByLabel(entities: readonly { label: string; color: string }[]): { label: string; color: string; count: number }[] {
  const out = new Map<string, { label: string; color: string; count: number }>()
  for (const e of entities) {
    const row = out.get(e.label) ?? { label: e.label, color: e.color, count: 0 }
    row.count++
    out.set(e.label, row)
  }
  return [...out.values()]
}

/** Whether to predict on every pause in typing: short, non-blank texts. */
export function predictsAsYouType(text: string): boolean {
  return text.trim().length > 0 && text.length <= AUTO_PREDICT_MAX_CHARS
}

/** Why a text cannot be predicted, or null. */
export function textProblem(text: string): string | null {
  if (text.trim().length === 0) return 'Type or paste some text first.'
  if (text.length > MAX_TEXT_CHARS) return `The text is ${text.length.toLocaleString('en-US')} characters long; texts up to ${MAX_TEXT_CHARS.toLocaleString('en-US')} are predicted here. Predict longer ones as a file below.`
  return null
}

export const OUTPUT_EXTENSIONS: Record<Format, string> = { conll: '.conll', doccano: '.jsonl', 'label-studio': '.json', spacy: '.jsonl', cluener: '.json', brat: '', text: '.txt' }

/** notes.txt → notes-predictions.jsonl (doccano); a brat export is a folder: notes-predictions. */
export function predictionFileName(file: string, format: Format): string {
  const base = file.replace(/\.[^./\\]*$/, '').replace(/[^\p{L}\p{N}._-]+/gu, '_') || 'predictions'
  return `${base}-predictions${OUTPUT_EXTENSIONS[format]}`
}

/** The format predictions are exported in by default: the file's own, or doccano for plain text and brat. */
export function defaultExportFormat(input: Format): Format {
  return input === 'text' || input === 'brat' ? 'doccano' : input
}
