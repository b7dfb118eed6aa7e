/**
 * doccano JSONL (sequence labeling). One JSON object per line:
 *   {"id": 1, "text": "EU rejects ...", "label": [[0, 2, "ORG"], [11, 17, "MISC"]]}
 * Older versions use `labels`; the relation-extraction export uses
 *   {"text": ..., "entities": [{"id", "start_offset", "end_offset", "label"}], "relations": [...]}
 * Offsets are code points, half-open. Relations are not kept (counted in the summary notes).
 * Every other top-level key (`id`, `comments`, custom metadata ...) is kept in `meta` and written back.
 */
import { compareSpans, offsetConverter, spanFromCodePoints, spanToCodePoints } from './offsets'
import type { DocumentRecord, ProblemKind, ReadContext, ReadSummary, SpanRecord } from './types'

const RESERVED = new Set(['text', 'label', 'labels', 'entities', 'relations'])

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
/** `{id?, ...fields, ...other meta keys}`: the record a writer emits (own keys only, never a prototype). */
const withMeta = (meta: Json, fields: [string, unknown][], reserved: Set<string>): Json =>
  Object.fromEntries([
    ...(meta.id !== undefined ? [['id', meta.id] as [string, unknown]] : []),
    ...fields,
    ...Object.entries(meta).filter(([k]) => !reserved.has(k) && k !== 'id'),
  ])
const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v)

export async function* readDoccano(lines: AsyncIterable<string>, ctx: ReadContext): AsyncGenerator<DocumentRecord, ReadSummary> {
  let lineNo = 0
  let relations = 0
  let bothKeys = 0
  for await (const raw of lines) {
    lineNo++
    const line = lineNo === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw
    if (line.trim() === '') continue
    const at = lineNo
    const report = (kind: ProblemKind, message: string, field?: string): void => ctx.report({ kind, file: ctx.file, line: at, field, message })

    let rec: unknown
    try {
      rec = JSON.parse(line)
    } catch (e) {
      report('syntax', `not valid JSON: ${(e as Error).message}`)
      continue
    }
    if (!isObject(rec)) {
      report('syntax', `expected a JSON object with "text", got ${describe(rec)}`)
      continue
    }
    const text = rec.text
    if (typeof text !== 'string') {
      report('field', text === undefined ? 'the "text" field is missing' : `"text" must be a string, got ${describe(text)}`, 'text')
      continue
    }
    if (text.trim() === '') {
      report('empty-document', 'the text is empty; record skipped')
      continue
    }

    const conv = offsetConverter(text)
    const spans: SpanRecord[] = []
    const add = (start: unknown, end: unknown, label: unknown, field: string, names: [string, string, string]): void => {
      for (const [v, name] of [[start, names[0]], [end, names[1]]] as const) {
        if (typeof v !== 'number' || !Number.isInteger(v)) {
          report('field', `${field}${name} must be an integer offset, got ${JSON.stringify(v) ?? 'nothing'}; span skipped`, field + name)
          return
        }
      }
      if (typeof label !== 'string' || label === '') {
        report('field', `${field}${names[2]} must be a label name, got ${JSON.stringify(label) ?? 'nothing'}; span skipped`, field + names[2])
        return
      }
      const check = spanFromCodePoints(conv, start as number, end as number)
      if (check.ok) spans.push({ start: check.start, end: check.end, label })
      else report(check.kind, `${field}: ${check.message}`, field)
    }

    const key = 'label' in rec ? 'label' : 'labels'
    if ('label' in rec && 'labels' in rec) bothKeys++
    const triples = rec[key]
    if (triples !== undefined && triples !== null) {
      if (!Array.isArray(triples)) report('field', `"${key}" must be a list of [start, end, label], got ${describe(triples)}`, key)
      else
        triples.forEach((t, i) => {
          if (!Array.isArray(t) || t.length < 3) report('field', `${key}[${i}] must be [start, end, label], got ${JSON.stringify(t)}; span skipped`, `${key}[${i}]`)
          else add(t[0], t[1], t[2], `${key}[${i}]`, ['[0]', '[1]', '[2]'])
        })
    }
    const entities = rec.entities
    if (entities !== undefined && entities !== null) {
      if (!Array.isArray(entities)) report('field', `"entities" must be a list, got ${describe(entities)}`, 'entities')
      else
        entities.forEach((ent, i) => {
          if (!isObject(ent)) report('field', `entities[${i}] must be an object, got ${describe(ent)}; span skipped`, `entities[${i}]`)
          else add(ent.start_offset, ent.end_offset, ent.label, `entities[${i}]`, ['.start_offset', '.end_offset', '.label'])
        })
    }
    if (Array.isArray(rec.relations)) relations += rec.relations.length

    const meta = Object.fromEntries(Object.entries(rec).filter(([k]) => !RESERVED.has(k)))
    spans.sort(compareSpans)
    yield { text, spans, meta, source: { file: ctx.file, line: at } }
  }
  const notes: string[] = []
  if (relations > 0) notes.push(`${relations} relation${relations === 1 ? '' : 's'} ignored: Tagtune keeps entity spans only.`)
  if (bothKeys > 0) notes.push(`${bothKeys} record${bothKeys === 1 ? ' has' : 's have'} both "label" and "labels"; "label" was used.`)
  return { notes }
}

/**
 * Writes `{"id"?, "text", "label": [[start, end, label], ...]}` per line (code-point offsets), then the
 * other `meta` keys. Meta keys that would clash with the format (`text`, `label`, `labels`,
 * `entities`, `relations`) are not written.
 */
export async function* writeDoccano(docs: AsyncIterable<DocumentRecord> | Iterable<DocumentRecord>): AsyncGenerator<string> {
  for await (const doc of docs) {
    const conv = offsetConverter(doc.text)
    const label = doc.spans.map((s) => {
      const cp = spanToCodePoints(conv, s)
      return [cp.start, cp.end, s.label]
    })
    yield JSON.stringify(withMeta(doc.meta, [['text', doc.text], ['label', label]], RESERVED)) + '\n'
  }
}
