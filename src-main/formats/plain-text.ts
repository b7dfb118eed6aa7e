/**
 * Plain text: one document per non-empty line, no spans (for annotating from scratch). Lines that
 * are empty or only whitespace are skipped and counted in the notes; other lines are kept as they are.
 */
import { numberedLines } from './json-records'
import type { DocumentRecord, ReadContext, ReadSummary } from './types'

export async function* readPlainText(lines: AsyncIterable<string>, ctx: ReadContext): AsyncGenerator<DocumentRecord, ReadSummary> {
  let blank = 0
  for await (const { line, text: raw } of numberedLines(lines)) {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (text.trim() === '') {
      blank++
      continue
    }
    yield { text, spans: [], meta: {}, source: { file: ctx.file, line } }
  }
  return { notes: blank > 0 ? [`Skipped ${blank} blank line${blank === 1 ? '' : 's'}.`] : [] }
}

/**
 * One line per document; spans are not written. A line break inside a document (LF, CRLF or CR)
 * becomes one space, so that every document stays on its own line and reads back as one document.
 */
export async function* writePlainText(docs: AsyncIterable<DocumentRecord> | Iterable<DocumentRecord>): AsyncGenerator<string> {
  for await (const doc of docs) yield doc.text.replace(/\r\n|[\r\n]/g, ' ') + '\n'
}
