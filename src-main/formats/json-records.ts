/**
 * What the JSON formats (doccano, spaCy/Prodigy, CLUENER, Label Studio) share: the JSONL record loop
 * (each line parsed once, problems reported with the line number) and the small helpers used to check
 * parsed values and to build the records a writer emits. The line numbering under the record loop
 * (`numberedLines`) also serves the plain-text reader.
 */
import type { ProblemKind, ReadContext } from './types'

export type Json = Record<string, unknown>

/** Reports a problem of the record being read; the file and line (or record) are already bound. */
export type Report = (kind: ProblemKind, message: string, field?: string) => void

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
export const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v)
/** The kind of a JSON value, for messages: "null", "an array", "string", "number" ... */
export const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v)

/** `{id?, ...fields, ...other meta keys}`: the record a writer emits (own keys only, never a prototype). */
export const withMeta = (meta: Json, fields: [string, unknown][], reserved: Set<string>): Json =>
  Object.fromEntries([
    ...(meta.id !== undefined ? [['id', meta.id] as [string, unknown]] : []),
    ...fields,
    ...Object.entries(meta).filter(([k]) => !reserved.has(k) && k !== 'id'),
  ])

/** The keys of a record that the format does not use itself: what a reader keeps in `meta`. */
export const metaOf = (rec: Json, reserved: Set<string>): Json => Object.fromEntries(Object.entries(rec).filter(([k]) => !reserved.has(k)))

/** The lines with their 1-based numbers; a byte order mark at the start of the first line is dropped. */
export async function* numberedLines(lines: AsyncIterable<string>): AsyncGenerator<{ line: number; text: string }> {
  let line = 0
  for await (const raw of lines) {
    line++
    yield { line, text: line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw }
  }
}

/** One JSON lines record: the parsed object, its line, and a `report` bound to that line. */
export interface JsonRecord {
  rec: Json
  line: number
  report: Report
}

/**
 * The JSON objects of a JSON lines file, one per non-blank line. A line that is not valid JSON, or is
 * JSON but not an object, is reported as 'syntax' with its line number and skipped.
 */
export async function* jsonRecords(lines: AsyncIterable<string>, ctx: ReadContext): AsyncGenerator<JsonRecord> {
  for await (const { line, text } of numberedLines(lines)) {
    if (text.trim() === '') continue
    const report: Report = (kind, message, field) => ctx.report({ kind, file: ctx.file, line, field, message })
    let rec: unknown
    try {
      rec = JSON.parse(text)
    } catch (e) {
      report('syntax', `not valid JSON: ${(e as Error).message}`)
      continue
    }
    if (!isObject(rec)) {
      report('syntax', `expected a JSON object with "text", got ${describe(rec)}`)
      continue
    }
    yield { rec, line, report }
  }
}

/** The record's `text`, or null (reported) when it is missing, not a string, or blank. */
export function recordText(rec: Json, report: Report): string | null {
  const text = rec.text
  if (typeof text !== 'string') {
    report('field', text === undefined ? 'the "text" field is missing' : `"text" must be a string, got ${describe(text)}`, 'text')
    return null
  }
  if (text.trim() === '') {
    report('empty-document', 'the text is empty; record skipped')
    return null
  }
  return text
}
