/**
 * brat standoff: `doc.txt` (the whole text is one document) + `doc.ann`, tab-separated lines:
 *   T1<TAB>Organization 0 4<TAB>Sony
 * Only T (text-bound) lines become spans; offsets are code points into the .txt content exactly as
 * given (no BOM or newline normalisation, since offsets address it). Decisions:
 * - The covered text after the second tab must equal the text at the offsets (line breaks compare
 *   equal to spaces, because the writer puts a line break inside a span as a space), else
 *   'span-text-mismatch' and the span is skipped.
 * - A discontinuous span (`0 5;10 15`) cannot be represented: a 'field' problem naming the line, span skipped.
 * - R, E, A/M, N, *, # lines (relations, events, attributes, normalisations, equivalences, notes) are
 *   counted in the notes; any other line is a 'syntax' problem.
 */
import { compareSpans, offsetConverter, spanFromCodePoints, spanToCodePoints } from './offsets'
import type { DocumentRecord, ProblemKind, ReadContext, ReadSummary, SpanRecord } from './types'

/** One brat document: `name` is the base name shared by the .txt and .ann files (no extension). */
export interface BratDocument {
  name: string
  text: string
  ann: string
}

const IGNORED: Record<string, string> = {
  R: 'relation',
  E: 'event',
  A: 'attribute',
  M: 'attribute',
  N: 'normalization',
  '*': 'equivalence',
  '#': 'note',
}

const T_LINE = /^(T\S*)\t(\S+) ([^\t]*)(?:\t(.*))?$/
const OFFSETS = /^(\d+) (\d+)$/
const asShown = (s: string): string => s.replace(/[\r\n]/g, ' ')

export async function* readBrat(
  pairs: AsyncIterable<BratDocument> | Iterable<BratDocument>,
  ctx: ReadContext,
): AsyncGenerator<DocumentRecord, ReadSummary> {
  const ignored = new Map<string, number>()
  let record = 0
  for await (const { name, text, ann } of pairs) {
    record++
    const annFile = `${name}.ann`
    if (text.trim() === '') {
      ctx.report({ kind: 'empty-document', file: `${name}.txt`, message: `${name}.txt is empty; document skipped` })
      continue
    }
    const conv = offsetConverter(text)
    const spans: SpanRecord[] = []
    const lines = ann.split('\n')
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!
      if (line.trim() === '') continue
      const report = (kind: ProblemKind, message: string, field?: string): void => ctx.report({ kind, file: annFile, line: i + 1, field, message })
      const kind = IGNORED[line.charAt(0)]
      if (kind) {
        ignored.set(kind, (ignored.get(kind) ?? 0) + 1)
        continue
      }
      const m = T_LINE.exec(line)
      if (!m) {
        report('syntax', `not a brat annotation line (expected "T1<TAB>Type start end<TAB>text"): ${JSON.stringify(line.slice(0, 80))}`)
        continue
      }
      const [, id, label, offsets, covered] = m as unknown as [string, string, string, string, string | undefined]
      if (offsets.includes(';')) {
        report('field', `${id} is a discontinuous span (${offsets}), which Tagtune cannot represent; span skipped`, id)
        continue
      }
      const o = OFFSETS.exec(offsets.trim())
      if (!o) {
        report('field', `${id}: offsets must be "start end", got ${JSON.stringify(offsets)}; span skipped`, id)
        continue
      }
      const check = spanFromCodePoints(conv, Number(o[1]), Number(o[2]))
      if (!check.ok) {
        report(check.kind, `${id}: ${check.message}`, id)
        continue
      }
      const actual = text.slice(check.start, check.end)
      if (covered !== undefined && asShown(covered) !== asShown(actual)) {
        report('span-text-mismatch', `${id}: the text at [${o[1]}, ${o[2]}) is ${JSON.stringify(actual)} but the annotation says ${JSON.stringify(covered)}; span skipped`, id)
        continue
      }
      spans.push({ start: check.start, end: check.end, label })
    }
    spans.sort(compareSpans)
    yield { text, spans, meta: { name }, source: { file: `${name}.txt`, record } }
  }
  const notes: string[] = []
  if (ignored.size > 0) {
    const list = [...ignored].map(([kind, n]) => `${n} ${kind}`).join(', ')
    notes.push(`Ignored annotation lines that are not entity spans (T): ${list}.`)
  }
  return { notes }
}

/** A name safe as a file name: no path separators or reserved characters, not hidden. */
function safeName(name: string): string {
  const cleaned = name.replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_').replace(/^\.+/, '_').trim()
  return cleaned === '' ? 'doc' : cleaned
}

/**
 * One `{ name, text, ann }` per document: `name` from `meta.name` (made safe for a file name, and
 * unique) or `doc-<n>` (1-based); `ann` has one `T<i>` line per span in code points. Whitespace in a
 * label becomes `_` (brat types cannot contain spaces); a line break inside a span's covered text
 * is written as a space.
 */
export async function* writeBrat(docs: AsyncIterable<DocumentRecord> | Iterable<DocumentRecord>): AsyncGenerator<BratDocument> {
  const used = new Set<string>()
  let n = 0
  for await (const doc of docs) {
    n++
    const base = typeof doc.meta.name === 'string' && doc.meta.name !== '' ? safeName(doc.meta.name) : `doc-${n}`
    let name = base
    for (let k = 2; used.has(name); k++) name = `${base}-${k}`
    used.add(name)
    const conv = offsetConverter(doc.text)
    const ann = doc.spans
      .map((s, i) => {
        const cp = spanToCodePoints(conv, s)
        return `T${i + 1}\t${s.label.replace(/\s/g, '_')} ${cp.start} ${cp.end}\t${asShown(doc.text.slice(s.start, s.end))}\n`
      })
      .join('')
    yield { name, text: doc.text, ann }
  }
}
