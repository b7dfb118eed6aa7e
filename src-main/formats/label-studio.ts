/**
 * Label Studio JSON export (a `<Labels>` + `<Text>` project): a JSON array of tasks
 *   {"id", "data": {"text"}, "annotations": [{"completed_by", "was_cancelled"?, "result": [
 *     {"id", "from_name", "to_name", "type": "labels", "value": {"start", "end", "text", "labels": [...]}}]}],
 *    "predictions": [{"model_version", "score", "result": [... same, with an optional per-region "score"]}]}
 * Also read: a single task object, older `completions` instead of `annotations`, and JSON_MIN
 * (flat objects: data fields plus one key per `from_name`, e.g. `"label": [{start, end, text, labels}]`).
 * Offsets are UTF-16 units already (Label Studio is JavaScript). Decisions:
 * - Gold spans come from the LAST annotation that is not `was_cancelled`; a region with several labels
 *   gives one span per label. Other result types (relation, choices, ...) are counted in the notes.
 * - A region whose `value.text` differs from the text at its offsets is reported and skipped.
 * - `meta` keeps the task `id`, the other `data` fields (`meta.data`) and, when the text is not in
 *   `data.text`, the field it came from (`meta.textKey`), so an export goes back to the same field.
 */
import { describe, isInt, isObject, type Json, type Report } from './json-records'
import { checkUtf16Span, compareSpans } from './offsets'
import type { DocumentRecord, ReadContext, ReadSummary, ScoredSpanRecord } from './types'

/** Keys JSON_MIN adds next to the data fields; they are not data and not the text. */
const MIN_KEYS = new Set(['id', 'annotator', 'annotation_id', 'created_at', 'updated_at', 'lead_time'])

class Counts {
  readonly textKeys = new Map<string, number>()
  readonly ignoredTypes = new Map<string, number>()
  severalAnnotations = 0
  cancelled = 0
  jsonMin = 0
  bump(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1)
  }
}

export async function* readLabelStudio(text: string, ctx: ReadContext): AsyncGenerator<DocumentRecord, ReadSummary> {
  const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  let root: unknown
  try {
    root = JSON.parse(json)
  } catch (e) {
    const message = (e as Error).message
    // V8 gives "(line N column M)" or "at position N" for most errors, nothing for "Unexpected token".
    const lineCol = /\(line (\d+) column \d+\)/.exec(message)
    const pos = /position (\d+)/.exec(message)
    const line = lineCol ? Number(lineCol[1]) : pos ? lineAt(json, Number(pos[1])) : undefined
    ctx.report({ kind: 'syntax', file: ctx.file, line, message: `not valid JSON: ${message}` })
    return { notes: [] }
  }
  if (!Array.isArray(root) && !isObject(root)) {
    ctx.report({ kind: 'syntax', file: ctx.file, message: `expected a JSON array of Label Studio tasks, got ${describe(root)}` })
    return { notes: [] }
  }
  const tasks: unknown[] = Array.isArray(root) ? root : [root]
  const counts = new Counts()
  for (let i = 0; i < tasks.length; i++) {
    const record = i + 1
    const report: Report = (kind, message, field) => ctx.report({ kind, file: ctx.file, record, field, message })
    const task = tasks[i]
    if (!isObject(task)) {
      report('syntax', `task ${record} must be a JSON object, got ${describe(task)}; task skipped`)
      continue
    }
    const doc = 'data' in task ? readTask(task, report, counts) : readMinTask(task, report, counts)
    if (!doc) continue
    doc.source = { file: ctx.file, record }
    yield doc
  }
  return { notes: notesOf(counts) }
}

/** 1-based line of a character position (for the parser's "at position N"). */
function lineAt(text: string, pos: number): number {
  let line = 1
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) line++
  return line
}

/** The document text of a data object: `text`, else its first string field. */
function pickText(data: Json, skip: Set<string>, report: Report, where: string): { text: string; key: string } | null {
  const field = where ? `${where}.text` : 'text'
  if (typeof data.text === 'string') return { text: data.text, key: 'text' }
  if (data.text !== undefined) {
    report('field', `${field} must be a string, got ${describe(data.text)}; task skipped`, field)
    return null
  }
  const key = Object.keys(data).find((k) => !skip.has(k) && typeof data[k] === 'string')
  if (key !== undefined) return { text: data[key] as string, key }
  report('field', `${field} is missing and no other field${where ? ` of ${where}` : ''} is a string; task skipped`, field)
  return null
}

function baseDoc(text: string, key: string, id: unknown, rest: Json, counts: Counts, report: Report): DocumentRecord | null {
  if (text.trim() === '') {
    report('empty-document', 'the text is empty; task skipped')
    return null
  }
  if (key !== 'text') counts.bump(counts.textKeys, key)
  const meta: Json = {}
  if (id !== undefined) meta.id = id
  if (Object.keys(rest).length > 0) meta.data = rest
  if (key !== 'text') meta.textKey = key
  return { text, spans: [], meta, source: { file: '' } }
}

function readTask(task: Json, report: Report, counts: Counts): DocumentRecord | null {
  if (!isObject(task.data)) {
    report('field', `"data" must be an object, got ${describe(task.data)}; task skipped`, 'data')
    return null
  }
  const picked = pickText(task.data, new Set(), report, 'data')
  if (!picked) return null
  const rest = Object.fromEntries(Object.entries(task.data).filter(([k]) => k !== picked.key))
  const doc = baseDoc(picked.text, picked.key, task.id, rest, counts, report)
  if (!doc) return null

  const annKey = 'annotations' in task ? 'annotations' : 'completions'
  const annotations = task[annKey]
  if (annotations !== undefined && annotations !== null) {
    if (!Array.isArray(annotations)) report('field', `"${annKey}" must be a list, got ${describe(annotations)}`, annKey)
    else {
      const usable = annotations.map((a: unknown, j) => ({ a, j })).filter(({ a }) => !(isObject(a) && a.was_cancelled === true))
      counts.cancelled += annotations.length - usable.length
      if (usable.length > 1) counts.severalAnnotations++
      const last = usable.at(-1)
      if (last) {
        const f = `${annKey}[${last.j}]`
        if (!isObject(last.a)) report('field', `${f} must be an object, got ${describe(last.a)}`, f)
        else {
          doc.spans = readResult(last.a.result, doc.text, `${f}.result`, report, counts)
          const by = annotatorOf(last.a.completed_by)
          if (by !== undefined) doc.annotator = by
        }
      }
    }
  }
  const predictions = task.predictions
  if (predictions !== undefined && predictions !== null) {
    if (!Array.isArray(predictions)) report('field', `"predictions" must be a list, got ${describe(predictions)}`, 'predictions')
    else {
      const preds: NonNullable<DocumentRecord['predictions']> = []
      predictions.forEach((p: unknown, j) => {
        const f = `predictions[${j}]`
        if (!isObject(p)) return report('field', `${f} must be an object, got ${describe(p)}; prediction skipped`, f)
        const pred: NonNullable<DocumentRecord['predictions']>[number] = { spans: readResult(p.result, doc.text, `${f}.result`, report, counts, true) }
        if (typeof p.model_version === 'string' || typeof p.model_version === 'number') pred.model = String(p.model_version)
        if (typeof p.score === 'number') pred.score = p.score
        preds.push(pred)
      })
      if (preds.length > 0) doc.predictions = preds
    }
  }
  return doc
}

/** `completed_by` is a user id (number) or, in some exports, a user object. */
function annotatorOf(v: unknown): string | undefined {
  if (typeof v === 'number' || typeof v === 'string') return String(v)
  if (isObject(v)) {
    if (typeof v.email === 'string') return v.email
    if (typeof v.id === 'number' || typeof v.id === 'string') return String(v.id)
  }
  return undefined
}

/** The `labels` regions of a result list; per-region scores are kept for predictions only. */
function readResult(result: unknown, text: string, where: string, report: Report, counts: Counts, scored = false): ScoredSpanRecord[] {
  const spans: ScoredSpanRecord[] = []
  if (result === undefined || result === null) return spans
  if (!Array.isArray(result)) {
    report('field', `${where} must be a list, got ${describe(result)}`, where)
    return spans
  }
  result.forEach((r: unknown, k) => {
    const f = `${where}[${k}]`
    if (!isObject(r)) return report('field', `${f} must be an object, got ${describe(r)}; region skipped`, f)
    if (r.type !== 'labels') {
      counts.bump(counts.ignoredTypes, typeof r.type === 'string' ? r.type : 'untyped')
      return
    }
    readRegion(r.value, f + '.value', text, report, spans, scored && typeof r.score === 'number' ? r.score : undefined)
  })
  return spans.sort(compareSpans)
}

/** One `labels` region `{start, end, text?, labels}` → one span per label. */
function readRegion(value: unknown, f: string, text: string, report: Report, into: ScoredSpanRecord[], score?: number): void {
  if (!isObject(value)) return report('field', `${f} must be an object, got ${describe(value)}; region skipped`, f)
  for (const k of ['start', 'end'] as const) {
    if (!isInt(value[k])) return report('field', `${f}.${k} must be an integer offset, got ${JSON.stringify(value[k]) ?? 'nothing'}; region skipped`, `${f}.${k}`)
  }
  const labels = value.labels
  if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === 'string' && l !== '')) {
    return report('field', `${f}.labels must be a non-empty list of label names, got ${JSON.stringify(labels) ?? 'nothing'}; region skipped`, `${f}.labels`)
  }
  const start = value.start as number
  const end = value.end as number
  const check = checkUtf16Span(text, start, end)
  if (!check.ok) return report(check.kind, `${f}: ${check.message}`, f)
  if (typeof value.text === 'string' && value.text !== text.slice(start, end)) {
    return report(
      'span-text-mismatch',
      `${f}: the text at [${start}, ${end}) is ${JSON.stringify(text.slice(start, end))} but the region says ${JSON.stringify(value.text)}; region skipped`,
      `${f}.text`,
    )
  }
  for (const label of labels as string[]) into.push(score === undefined ? { start, end, label } : { start, end, label, score })
}

/** JSON_MIN: `{id?, <data fields>, <from_name>: [{start, end, text, labels}], annotator?, ...}`. */
function readMinTask(task: Json, report: Report, counts: Counts): DocumentRecord | null {
  counts.jsonMin++
  const regionKeys = Object.keys(task).filter((k) => Array.isArray(task[k]) && (task[k] as unknown[]).some((r) => isObject(r) && 'labels' in r))
  const skip = new Set([...MIN_KEYS, ...regionKeys])
  const picked = pickText(task, skip, report, '')
  if (!picked) return null
  const rest = Object.fromEntries(Object.entries(task).filter(([k]) => !skip.has(k) && k !== picked.key))
  const doc = baseDoc(picked.text, picked.key, task.id, rest, counts, report)
  if (!doc) return null
  for (const key of regionKeys) {
    ;(task[key] as unknown[]).forEach((r, k) => readRegion(r, `${key}[${k}]`, doc.text, report, doc.spans))
  }
  doc.spans.sort(compareSpans)
  if (typeof task.annotator === 'string' || typeof task.annotator === 'number') doc.annotator = String(task.annotator)
  return doc
}

function notesOf(c: Counts): string[] {
  const notes: string[] = []
  if (c.jsonMin > 0) notes.push(`${c.jsonMin} task(s) in JSON_MIN form (flat fields, one annotation each).`)
  for (const [key, n] of c.textKeys) notes.push(`${n} task(s) have no data.text: the text was taken from data.${key}.`)
  if (c.severalAnnotations > 0) notes.push(`${c.severalAnnotations} task(s) have several annotations: the last one that was not cancelled was used.`)
  if (c.cancelled > 0) notes.push(`${c.cancelled} cancelled (skipped) annotation(s) ignored.`)
  if (c.ignoredTypes.size > 0) {
    const list = [...c.ignoredTypes].map(([t, n]) => `${n} ${t}`).join(', ')
    notes.push(`Ignored results that are not entity spans: ${list}.`)
  }
  return notes
}

export interface LabelStudioWriteOptions {
  /**
   * Write `annotator` as the annotation's `completed_by`. Off by default: Label Studio refuses an import
   * whose `completed_by` is not a member of the project; omitted, the annotations go to the importing user.
   * When on, a numeric annotator is written as a user id and an e-mail as `{"email": ...}`; others are omitted.
   */
  annotators?: boolean
}

/**
 * Writes a JSON array of tasks importable into a Label Studio project whose config has
 * `<Labels name="label" toName="text">` and `<Text name="text" value="$text">` (or `$<meta.textKey>`).
 * A document gets an annotation when it has spans or an annotator (a document without either is
 * written as an unannotated task). Predictions are written back with model_version and scores.
 * Meta keys other than id/data/textKey become data fields. Yields one chunk per task.
 */
export async function* writeLabelStudio(
  docs: AsyncIterable<DocumentRecord> | Iterable<DocumentRecord>,
  options: LabelStudioWriteOptions = {},
): AsyncGenerator<string> {
  yield '['
  let n = 0
  for await (const doc of docs) {
    const { id, data, textKey, ...other } = doc.meta
    const key = typeof textKey === 'string' && textKey !== '' ? textKey : 'text'
    const task: Json = {}
    if (id !== undefined) task.id = id
    task.data = Object.fromEntries([[key, doc.text], ...Object.entries(isObject(data) ? data : {}), ...Object.entries(other)].filter(([k], i) => i === 0 || k !== key))
    const annotations: Json[] = []
    if (doc.spans.length > 0 || doc.annotator !== undefined) {
      const annotation: Json = { result: regions(doc.text, doc.spans, 'r') }
      const by = options.annotators ? completedBy(doc.annotator) : undefined
      if (by !== undefined) annotation.completed_by = by
      annotations.push(annotation)
    }
    task.annotations = annotations
    task.predictions = (doc.predictions ?? []).map((p, j) => {
      const pred: Json = {}
      if (p.model !== undefined) pred.model_version = p.model
      if (p.score !== undefined) pred.score = p.score
      pred.result = regions(doc.text, p.spans, `p${j}-`)
      return pred
    })
    yield (n++ === 0 ? '\n' : ',\n') + JSON.stringify(task)
  }
  yield '\n]\n'
}

function completedBy(annotator: string | undefined): unknown {
  if (annotator === undefined) return undefined
  if (/^\d+$/.test(annotator)) return Number(annotator)
  if (annotator.includes('@')) return { email: annotator }
  return undefined
}

function regions(text: string, spans: ScoredSpanRecord[], prefix: string): Json[] {
  return spans.map((s, i) => {
    const r: Json = {
      id: `${prefix}${i}`,
      from_name: 'label',
      to_name: 'text',
      type: 'labels',
      value: { start: s.start, end: s.end, text: text.slice(s.start, s.end), labels: [s.label] },
    }
    if (s.score !== undefined) r.score = s.score
    return r
  })
}
