/**
 * Plain text: one document per non-empty line, no spans (for annotating from scratch). Lines that
 * are empty or only whitespace are skipped and counted in the notes; other lines are kept as they are.
 */
import type { DocumentRecord, ReadContext, ReadSummary } from './types'

export async function* readPlainText(lines: AsyncIterable<string>, ctx: ReadContext): AsyncGenerator<DocumentRecord, ReadSummary> {
  let lineNo = 0
  let blank = 0
  for await (const raw of lines) {
    lineNo++
    let text = lineNo === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw
    if (text.endsWith('\r')) text = text.slice(0, -1)
    if (text.trim() === '') {
      blank++
      continue
    }
    yield { text, spans: [], meta: {}, source: { file: ctx.file, line: lineNo } }
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
