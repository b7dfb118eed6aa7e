/**
 * Exporting a project's documents (all or one split) in any format, streamed page by page
 * to a file (or, for brat, a folder of .txt/.ann pairs). A failed export leaves no partial file.
 */
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { z } from 'zod'
import type { DB } from '../../store/db'
import { pageDocuments, type ExportRow } from '../../store/repositories/documents'
import { writeBratFiles, writeFormat } from '../../formats/registry'
import type { DocumentRecord, TokenRecord } from '../../formats/types'
import type { ExportOptions, ExportResult, FileTagScheme, Format, Split, SpanTuple } from '../../../src-shared/domain/dataset'
import type { Project } from '../../../src-shared/domain/project'
import { AppError } from '../../../src-shared/ipc/errors'

export type ExportInput = z.output<typeof ExportOptions>

const PAGE = 1000

function rowToRecord(row: ExportRow, labelNames: ReadonlyMap<number, string>): DocumentRecord {
  const spans = (row.spans ? (JSON.parse(row.spans) as SpanTuple[]) : []).map(([start, end, id]) => ({ start, end, label: labelNames.get(id) ?? `label-${id}` }))
  const meta = JSON.parse(row.meta) as Record<string, unknown>
  const source = (meta['source'] as DocumentRecord['source'] | undefined) ?? { file: 'tagtune' }
  delete meta['source']
  delete meta['predictions']
  const rec: DocumentRecord = { text: row.text, spans, split: row.split, meta: { ...meta, split: row.split }, source }
  if (row.tokens) {
    rec.tokens = (JSON.parse(row.tokens) as (number | string)[][]).map(([start, end, ...columns]): TokenRecord => ({
      start: start as number,
      end: end as number,
      ...(columns.length ? { columns: columns as string[] } : {}),
    }))
  }
  if (row.annotator) rec.annotator = row.annotator
  return rec
}

/** The project's documents as records, read a page at a time. */
export async function* projectRecords(db: DB, project: Project, split: Split | undefined, counts?: { documents: number; spans: number }): AsyncGenerator<DocumentRecord> {
  const names = new Map(project.labels.map((l) => [l.id, l.name]))
  let after = -1
  for (;;) {
    const rows = pageDocuments(db, project.id, split, after, PAGE)
    if (rows.length === 0) return
    for (const row of rows) {
      const rec = rowToRecord(row, names)
      if (counts) {
        counts.documents++
        counts.spans += rec.spans.length
      }
      yield rec
    }
    after = rows[rows.length - 1]!.position
  }
}

/** Text chunks of a whole export in one file (any format but brat). */
export function exportChunks(db: DB, project: Project, format: Exclude<Format, 'brat'>, split: Split | undefined, scheme: FileTagScheme | undefined, counts?: { documents: number; spans: number }): AsyncGenerator<string> {
  return writeFormat(format, projectRecords(db, project, split, counts), { scheme: scheme ?? project.tagScheme })
}

export async function runExport(db: DB, project: Project, input: ExportInput, local: boolean): Promise<ExportResult> {
  if (!local) throw new AppError('FORBIDDEN', 'Writing to a path on the workstation is only allowed from the desktop app or the CLI; download the export instead.')
  const started = Date.now()
  const split = input.split === 'all' ? undefined : input.split
  const counts = { documents: 0, spans: 0 }
  const files: string[] = []
  try {
    if (input.format === 'brat') {
      mkdirSync(input.path, { recursive: true })
      for await (const f of writeBratFiles(projectRecords(db, project, split, counts))) {
        for (const [ext, body] of [['.txt', f.text], ['.ann', f.ann]] as const) {
          const file = join(input.path, `${f.name}${ext}`)
          writeFileSync(file, body)
          files.push(file)
        }
      }
    } else {
      await pipeline(Readable.from(exportChunks(db, project, input.format, split, input.scheme, counts)), createWriteStream(input.path))
      files.push(input.path)
    }
  } catch (err) {
    if (input.format !== 'brat') rmSync(input.path, { force: true })
    for (const f of files) rmSync(f, { force: true })
    if (err instanceof AppError) throw err
    throw new AppError('INVALID_INPUT', `The export to ${input.path} failed: ${(err as Error).message}`)
  }
  return { files, documents: counts.documents, spans: counts.spans, seconds: (Date.now() - started) / 1000 }
}
