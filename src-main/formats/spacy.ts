/**
 * spaCy / Prodigy JSONL spans (Prodigy `ner_manual` tasks, `prodigy db-out` output):
 *   {"text": ..., "tokens": [{"text", "start", "end", "id", "ws"}], "spans": [{"start", "end", "label",
 *    "token_start", "token_end"}], "answer": "accept", "_input_hash": 1, "_task_hash": 2}
 * Offsets are code points. Decisions:
 * - Records answered "reject" or "ignore" are not annotations: they are skipped and counted in the notes.
 *   Records without `answer` (plain spaCy JSONL) are read.
 * - Character offsets are authoritative; `token_start`/`token_end` are not read but recomputed on export.
 * - `tokens`, when present and valid, become `DocumentRecord.tokens` (so a CoNLL export keeps Prodigy's
 *   tokenisation); a single bad token drops the tokens of that record (reported).
 * - A span's optional `text` must match the text at its offsets, else 'span-text-mismatch'.
 * - `_annotator_id` becomes `annotator`; every other key except text/tokens/spans is kept in `meta`.
 */
import { describe, isInt, isObject, jsonRecords, metaOf, recordText, withMeta, type Json, type Report } from './json-records'
import { compareSpans, offsetConverter, spanFromCodePoints, spanToCodePoints, type OffsetConverter } from './offsets'
import type { DocumentRecord, ReadContext, ReadSummary, SpanRecord, TokenRecord } from './types'

const RESERVED = new Set(['text', 'tokens', 'spans', '_annotator_id'])

export async function* readSpacy(lines: AsyncIterable<string>, ctx: ReadContext): AsyncGenerator<DocumentRecord, ReadSummary> {
  const skipped = { reject: 0, ignore: 0 }
  for await (const { rec, line, report } of jsonRecords(lines, ctx)) {
    const answer = rec.answer
    if (answer === 'reject' || answer === 'ignore') {
      skipped[answer]++
      continue
    }
    if (answer !== undefined && answer !== 'accept') {
      report('field', `"answer" must be "accept", "reject" or "ignore", got ${JSON.stringify(answer)}; record skipped`, 'answer')
      continue
    }
    const text = recordText(rec, report)
    if (text === null) continue
    const conv = offsetConverter(text)
    const spans = readSpans(rec.spans, conv, report)
    const tokens = readTokens(rec.tokens, conv, report)

    const doc: DocumentRecord = { text, spans, meta: metaOf(rec, RESERVED), source: { file: ctx.file, line } }
    if (tokens) doc.tokens = tokens
    if (typeof rec._annotator_id === 'string') doc.annotator = rec._annotator_id
    yield doc
  }
  const notes: string[] = []
  if (skipped.reject + skipped.ignore > 0) {
    notes.push(`Skipped ${skipped.reject} rejected and ${skipped.ignore} ignored Prodigy answer(s): only accepted records are annotations.`)
  }
  return { notes }
}

function readSpans(value: unknown, conv: OffsetConverter, report: Report): SpanRecord[] {
  const spans: SpanRecord[] = []
  if (value === undefined || value === null) return spans
  if (!Array.isArray(value)) {
    report('field', `"spans" must be a list, got ${describe(value)}`, 'spans')
    return spans
  }
  value.forEach((s, i) => {
    const f = `spans[${i}]`
    if (!isObject(s)) return report('field', `${f} must be an object, got ${describe(s)}; span skipped`, f)
    for (const k of ['start', 'end'] as const) {
      if (!isInt(s[k])) return report('field', `${f}.${k} must be an integer offset, got ${JSON.stringify(s[k]) ?? 'nothing'}; span skipped`, `${f}.${k}`)
    }
    if (typeof s.label !== 'string' || s.label === '') {
      return report('field', `${f}.label must be a label name, got ${JSON.stringify(s.label) ?? 'nothing'}; span skipped`, `${f}.label`)
    }
    const check = spanFromCodePoints(conv, s.start as number, s.end as number)
    if (!check.ok) return report(check.kind, `${f}: ${check.message}`, f)
    const covered = conv.text.slice(check.start, check.end)
    if (typeof s.text === 'string' && s.text !== covered) {
      return report('span-text-mismatch', `${f}: the text at [${s.start}, ${s.end}) is ${JSON.stringify(covered)} but the span says ${JSON.stringify(s.text)}; span skipped`, `${f}.text`)
    }
    spans.push({ start: check.start, end: check.end, label: s.label })
  })
  return spans.sort(compareSpans)
}

function readTokens(value: unknown, conv: OffsetConverter, report: Report): TokenRecord[] | undefined {
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value)) {
    report('field', `"tokens" must be a list, got ${describe(value)}; tokens ignored`, 'tokens')
    return undefined
  }
  const tokens: TokenRecord[] = []
  for (let i = 0; i < value.length; i++) {
    const t: unknown = value[i]
    const f = `tokens[${i}]`
    if (!isObject(t) || !isInt(t.start) || !isInt(t.end)) {
      report('field', `${f} must be an object with integer "start" and "end"; tokens of this record ignored`, f)
      return undefined
    }
    const s = conv.fromCodePoint(t.start)
    const e = conv.fromCodePoint(t.end)
    if (s === null || e === null || e < s) {
      report('span-out-of-range', `${f} [${t.start}, ${t.end}) is outside the text; tokens of this record ignored`, f)
      return undefined
    }
    tokens.push({ start: s, end: e })
  }
  return tokens
}

/**
 * Writes `{"text", "tokens"?, "spans": [{start, end, label, token_start?, token_end?}], ...meta}` per line,
 * code-point offsets. Tokens are written (Prodigy shape: text, start, end, id, ws) only when the document
 * has tokens; then spans whose edges fall on token edges get `token_start`/`token_end` (inclusive).
 * `annotator` is written as `_annotator_id`. The result loads with `prodigy db-in` and with
 * `doc.char_span(start, end, label)` in spaCy.
 */
export async function* writeSpacy(docs: AsyncIterable<DocumentRecord> | Iterable<DocumentRecord>): AsyncGenerator<string> {
  for await (const doc of docs) {
    const conv = offsetConverter(doc.text)
    const fields: [string, unknown][] = [['text', doc.text]]
    const tokenAt = { start: new Map<number, number>(), end: new Map<number, number>() }
    if (doc.tokens) {
      const tokens = doc.tokens.map((t, i) => {
        const cp = spanToCodePoints(conv, t)
        const next = doc.tokens![i + 1]
        tokenAt.start.set(t.start, i)
        tokenAt.end.set(t.end, i)
        const ws = doc.text.charAt(t.end) === ' ' && (next === undefined || next.start > t.end)
        return { text: doc.text.slice(t.start, t.end), start: cp.start, end: cp.end, id: i, ws }
      })
      fields.push(['tokens', tokens])
    }
    const spans = doc.spans.map((s) => {
      const cp = spanToCodePoints(conv, s)
      const span: Json = { start: cp.start, end: cp.end, label: s.label }
      const ts = tokenAt.start.get(s.start)
      const te = tokenAt.end.get(s.end)
      if (ts !== undefined && te !== undefined && te >= ts) Object.assign(span, { token_start: ts, token_end: te })
      return span
    })
    fields.push(['spans', spans])
    if (doc.annotator !== undefined) fields.push(['_annotator_id', doc.annotator])
    yield JSON.stringify(withMeta(doc.meta, fields, RESERVED)) + '\n'
  }
}
