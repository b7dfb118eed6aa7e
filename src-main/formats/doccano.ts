/**
 * doccano JSONL (sequence labeling). One JSON object per line:
 *   {"id": 1, "text": "EU rejects ...", "label": [[0, 2, "ORG"], [11, 17, "MISC"]]}
 * Older versions use `labels`; the relation-extraction export uses
 *   {"text": ..., "entities": [{"id", "start_offset", "end_offset", "label"}], "relations": [...]}
 * Offsets are code points, half-open. Relations are not kept (counted in the summary notes).
 * Every other top-level key (`id`, `comments`, custom metadata ...) is kept in `meta` and written back.
 */
import { describe, isObject, jsonRecords, metaOf, recordText, withMeta } from './json-records'
import { compareSpans, offsetConverter, spanFromCodePoints, spanToCodePoints } from './offsets'
import type { DocumentRecord, ReadContext, ReadSummary, SpanRecord } from './types'

const RESERVED = new Set(['text', 'label', 'labels', 'entities', 'relations'])

export async function* readDoccano(lines: AsyncIterable<string>, ctx: ReadContext): AsyncGenerator<DocumentRecord, ReadSummary> {
  let relations = 0
  let bothKeys = 0
  for await (const { rec, line, report } of jsonRecords(lines, ctx)) {
    const text = recordText(rec, report)
    if (text === null) continue
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

    spans.sort(compareSpans)
    yield { text, spans, meta: metaOf(rec, RESERVED), source: { file: ctx.file, line } }
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
