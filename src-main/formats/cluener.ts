/**
 * CLUENER2020 JSON lines: `{"text": str, "label": {type: {entity_string: [[start, end], ...]}}}` with
 * code-point offsets and an INCLUSIVE end: `text[start:end+1] == entity_string` must hold (else
 * 'span-text-mismatch', span skipped). `label` may be absent (the official test set). Other
 * top-level keys (e.g. `id`) are kept in `meta`.
 */
import { describe, isInt, isObject, jsonRecords, metaOf, recordText, withMeta } from './json-records'
import { compareSpans, offsetConverter, spanFromCodePoints, spanToCodePoints } from './offsets'
import type { DocumentRecord, ReadContext, ReadSummary, SpanRecord } from './types'

const RESERVED = new Set(['text', 'label'])

/** `label.name["叶老桂"]`: how a key is shown in a field path. */
const prop = (k: string): string => (/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`)

export async function* readCluener(lines: AsyncIterable<string>, ctx: ReadContext): AsyncGenerator<DocumentRecord, ReadSummary> {
  let unlabelled = 0
  for await (const { rec, line, report } of jsonRecords(lines, ctx)) {
    const text = recordText(rec, report)
    if (text === null) continue
    const spans: SpanRecord[] = []
    const label = rec.label
    if (label === undefined || label === null) unlabelled++
    else if (!isObject(label)) report('field', `"label" must be an object {type: {entity: [[start, end], ...]}}, got ${describe(label)}`, 'label')
    else {
      const conv = offsetConverter(text)
      for (const [type, entities] of Object.entries(label)) {
        const ft = `label${prop(type)}`
        if (!isObject(entities)) {
          report('field', `${ft} must be an object {entity: [[start, end], ...]}, got ${describe(entities)}; its spans skipped`, ft)
          continue
        }
        for (const [entity, positions] of Object.entries(entities)) {
          const fe = ft + `[${JSON.stringify(entity)}]`
          if (!Array.isArray(positions)) {
            report('field', `${fe} must be a list of [start, end], got ${describe(positions)}; its spans skipped`, fe)
            continue
          }
          positions.forEach((p: unknown, i) => {
            const f = `${fe}[${i}]`
            if (!Array.isArray(p) || p.length !== 2) return report('field', `${f} must be [start, end], got ${JSON.stringify(p)}; span skipped`, f)
            const [s, e] = p as unknown[]
            if (!isInt(s)) return report('field', `${f}[0] must be an integer offset, got ${JSON.stringify(s)}; span skipped`, `${f}[0]`)
            if (!isInt(e)) return report('field', `${f}[1] must be an integer offset, got ${JSON.stringify(e)}; span skipped`, `${f}[1]`)
            const check = spanFromCodePoints(conv, s, e + 1, `[${s}, ${e}] (inclusive end)`)
            if (!check.ok) return report(check.kind, `${f}: ${check.message}`, f)
            const covered = text.slice(check.start, check.end)
            if (covered !== entity) {
              return report('span-text-mismatch', `${f}: the text at [${s}, ${e}] is ${JSON.stringify(covered)}, not the entity string ${JSON.stringify(entity)}; span skipped`, f)
            }
            spans.push({ start: check.start, end: check.end, label: type })
          })
        }
      }
    }
    spans.sort(compareSpans)
    yield { text, spans, meta: metaOf(rec, RESERVED), source: { file: ctx.file, line } }
  }
  const notes: string[] = []
  if (unlabelled > 0) notes.push(`${unlabelled} record${unlabelled === 1 ? ' has' : 's have'} no "label" (read without spans).`)
  return { notes }
}

/**
 * Writes `{"id"?, "text", "label": {type: {entity: [[start, end_inclusive], ...]}}, ...meta}` per line, code
 * points; types appear in the order of their first span, entity strings likewise. A document without spans
 * gets `"label": {}`.
 */
export async function* writeCluener(docs: AsyncIterable<DocumentRecord> | Iterable<DocumentRecord>): AsyncGenerator<string> {
  for await (const doc of docs) {
    const conv = offsetConverter(doc.text)
    // Maps, not objects: a label or entity named "constructor" or "__proto__" must stay a plain key.
    const byLabel = new Map<string, Map<string, [number, number][]>>()
    for (const s of doc.spans) {
      const cp = spanToCodePoints(conv, s)
      const entity = doc.text.slice(s.start, s.end)
      let byEntity = byLabel.get(s.label)
      if (!byEntity) byLabel.set(s.label, (byEntity = new Map()))
      const positions = byEntity.get(entity)
      if (positions) positions.push([cp.start, cp.end - 1])
      else byEntity.set(entity, [[cp.start, cp.end - 1]])
    }
    const label = Object.fromEntries([...byLabel].map(([type, entities]) => [type, Object.fromEntries(entities)]))
    yield JSON.stringify(withMeta(doc.meta, [['text', doc.text], ['label', label]], RESERVED)) + '\n'
  }
}
