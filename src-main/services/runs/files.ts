/**
 * Documents from a file for evaluation or prediction (any import format, detected when not
 * given). Problems name the file and line. (Predictions are written by predict-file.ts.)
 */
import { FORMATS, type Format } from '../../../src-shared/domain/dataset'
import { AppError } from '../../../src-shared/ipc/errors'
import { detectFormat } from '../../formats/detect'
import { readSources } from '../../formats/registry'
import { openTextFile } from '../../formats/text-source'
import type { Problem } from '../../formats/types'

export interface FileDocument {
  text: string
  spans: { start: number; end: number; label: string }[]
}

function where(p: Problem): string {
  return `${p.file}${p.line !== undefined ? `, line ${p.line}` : p.record !== undefined ? `, record ${p.record}` : ''}${p.field ? ` (${p.field})` : ''}`
}

export async function readDocumentsFile(path: string, format?: string): Promise<{ format: Format; documents: FileDocument[] }> {
  if (format !== undefined && !(FORMATS as readonly string[]).includes(format)) {
    throw new AppError('INVALID_INPUT', `Unknown format "${format}"; use one of ${FORMATS.join(', ')}.`, { field: 'format' })
  }
  let source
  try {
    source = await openTextFile(path)
  } catch (err) {
    throw new AppError('NOT_FOUND', `${path}: ${(err as Error).message}`)
  }
  if (source.binary) throw new AppError('INVALID_FILE', `${source.file} is not a text file: ${source.binary}`)
  let chosen = format as Format | undefined
  if (!chosen) {
    const d = detectFormat(await source.sample(), source.file)
    if (!d.format) throw new AppError('INVALID_FILE', `${source.file}: ${d.reason}`)
    chosen = d.format
  }
  const problems: Problem[] = []
  const documents: FileDocument[] = []
  const gen = readSources(chosen, [source], {}, (p) => void problems.push(p))
  for await (const rec of gen) {
    if (rec.text.length > 0) documents.push({ text: rec.text, spans: rec.spans.map((s) => ({ start: s.start, end: s.end, label: s.label })) })
  }
  const errors = problems.filter((p) => !p.repaired)
  if (errors.length > 0) {
    const shown = errors.slice(0, 10).map((p) => `  ${where(p)}: ${p.message}`)
    throw new AppError('INVALID_FILE', `${source.file} cannot be read as ${chosen}:\n${shown.join('\n')}${errors.length > 10 ? `\n  … and ${errors.length - 10} more` : ''}`)
  }
  return { format: chosen, documents }
}
