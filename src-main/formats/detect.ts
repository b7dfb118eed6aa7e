/**
 * Guessing a file's format from its first ~64 KB (decoded) and its name. The sample may end in the
 * middle of a record, so a last line that does not parse is not held against the file. The reason
 * is a sentence shown to the user.
 */
import { isObject } from './json-records'
import type { Format, FormatDetection } from './types'

export type Detection = FormatDetection | { format: null; reason: string }

const TAG = /^(?:O|[BIESMLU]-\S+)$/
/** Lines looked at; enough to be sure, few enough to stay fast on a 64 KB sample. */
const MAX_LINES = 500

export function detectFormat(sample: string, fileName: string): Detection {
  if (/\.ann$/i.test(fileName)) return { format: 'brat', reason: 'The file name ends in .ann: brat standoff (paired with the .txt of the same name).' }
  const text = sample.charCodeAt(0) === 0xfeff ? sample.slice(1) : sample
  const body = text.trimStart()
  if (body === '') return { format: null, reason: 'The file is empty.' }
  let lines = text.split(/\r?\n/)
  // The sample may be cut mid-line: drop the last line unless it is the only one.
  if (lines.length > 1) lines = lines.slice(0, -1)
  lines = lines.slice(0, MAX_LINES).filter((l) => l.trim() !== '')

  if (body[0] === '{' || body[0] === '[') return detectJson(body, lines)
  return detectConll(lines) ?? { format: 'text', reason: 'The file is neither JSON nor token-per-line columns with tags: each non-empty line becomes one document (plain text).' }
}

function detectJson(body: string, lines: string[]): Detection {
  const first = tryParse(lines[0] ?? body)
  if (first.ok && isObject(first.value)) return detectJsonLines(lines)
  // One JSON document (an array of tasks, or one pretty-printed object), possibly cut by the sample.
  const whole = tryParse(body)
  let item: unknown
  if (whole.ok) {
    if (Array.isArray(whole.value)) {
      if (whole.value.length === 0) return { format: null, reason: 'The file is an empty JSON array.' }
      item = whole.value[0]
    } else item = whole.value
  } else {
    const start = body[0] === '[' ? body.slice(1).search(/\S/) + 1 : 0
    if (body[0] === '[' && body[start] === ']') return { format: null, reason: 'The file is an empty JSON array.' }
    const raw = body[start] === '{' ? firstValue(body, start) : null
    const parsed = raw === null ? null : tryParse(raw)
    if (!parsed?.ok) return { format: null, reason: `The file starts like JSON but is not valid JSON (${whole.error}).` }
    item = parsed.value
  }
  const ls = labelStudioTask(item)
  if (ls) return { format: 'label-studio', reason: ls }
  return {
    format: null,
    reason: 'The file is one JSON document but not Label Studio tasks (objects with "data" and "annotations"); JSON lines formats need one record per line.',
  }
}

/** Why a JSON object is a Label Studio task, or null when it is not one. */
function labelStudioTask(v: unknown): string | null {
  if (!isObject(v)) return null
  if (isObject(v.data)) {
    if ('annotations' in v || 'predictions' in v || 'completions' in v) return 'The file is JSON with Label Studio tasks ("data" with "annotations" or "predictions").'
    return 'The file is JSON with Label Studio tasks ("data", no annotations yet).'
  }
  const regions = Object.values(v).some((x) => Array.isArray(x) && x.some((r) => isObject(r) && Array.isArray(r.labels) && 'start' in r))
  if (regions) return 'The file is a Label Studio JSON_MIN export (flat tasks with regions {start, end, labels}).'
  return null
}

function detectJsonLines(lines: string[]): Detection {
  let textOnly = 0
  let parsed = 0
  for (const line of lines) {
    const r = tryParse(line)
    if (!r.ok || !isObject(r.value)) continue
    parsed++
    const o = r.value
    if (isObject(o.data) && ('annotations' in o || 'predictions' in o || 'completions' in o)) {
      if (lines.length === 1) return { format: 'label-studio', reason: 'The file is one Label Studio task ("data" with "annotations").' }
      return { format: null, reason: 'The file has one Label Studio task per line; export the project from Label Studio as JSON (one array) instead.' }
    }
    if (typeof o.text !== 'string') continue
    if (isObject(o.label) && Object.values(o.label).every(isObject)) {
      return { format: 'cluener', reason: 'Every line is JSON with "text" and "label" as {type: {entity: [[start, end]]}} (CLUENER).' }
    }
    if (Array.isArray(o.spans)) return { format: 'spacy', reason: 'Every line is JSON with "text" and "spans" (spaCy / Prodigy).' }
    if (Array.isArray(o.tokens) && !('label' in o) && !('labels' in o)) {
      return { format: 'spacy', reason: 'Every line is JSON with "text" and "tokens" (spaCy / Prodigy).' }
    }
    const triples = Array.isArray(o.label) ? o.label : Array.isArray(o.labels) ? o.labels : null
    if (triples && triples.length > 0) {
      if (triples.every((t) => Array.isArray(t) && t.length >= 3 && typeof t[0] === 'number')) {
        return { format: 'doccano', reason: `Every line is JSON with "text" and "${Array.isArray(o.label) ? 'label' : 'labels'}" as [start, end, label] (doccano).` }
      }
      if (triples.every((t) => typeof t === 'string')) {
        return { format: null, reason: 'The lines are doccano text classification (labels are categories of the whole text), not entity spans.' }
      }
    }
    if (Array.isArray(o.entities) && o.entities.some((e) => isObject(e) && 'start_offset' in e)) {
      return { format: 'doccano', reason: 'Every line is JSON with "text" and "entities" with start_offset (doccano relation export).' }
    }
    textOnly++
  }
  if (parsed > 0 && textOnly === parsed) {
    return { format: 'doccano', reason: 'Every line is JSON with "text" and no annotations yet: read as doccano JSONL.' }
  }
  return { format: null, reason: 'The lines are JSON, but without a "text" field that Tagtune recognises.' }
}

function detectConll(lines: string[]): Detection | null {
  let checked = 0
  let tagged = 0
  for (const line of lines) {
    if (line.startsWith('-DOCSTART-')) continue
    checked++
    const cols = line.trim().split(/\s+/)
    if (cols.length >= 2 && TAG.test(cols[cols.length - 1]!)) tagged++
  }
  if (checked === 0 || tagged / checked < 0.9) return null
  return {
    format: 'conll',
    reason: `${tagged === checked ? 'Every' : `${tagged} of ${checked}`} non-blank line${tagged === checked ? ' has' : 's have'} a token and a last column with a tag such as O, B-X or I-X (CoNLL columns).`,
  }
}

function tryParse(s: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(s) }
  } catch (e) {
    return { ok: false, error: (e as Error).message }
  }
}

/** The text of the balanced JSON object or array starting at `from`, or null when the sample ends first. */
function firstValue(s: string, from: number): string | null {
  let depth = 0
  let inString = false
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (inString) {
      if (c === 92) i++ // backslash: skip the escaped character
      else if (c === 34) inString = false
    } else if (c === 34) inString = true
    else if (c === 123 || c === 91) depth++
    else if ((c === 125 || c === 93) && --depth === 0) return s.slice(from, i + 1)
  }
  return null
}
