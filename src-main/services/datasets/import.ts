/**
 * Importing files into a project: detect the format and encoding, stream the records, check
 * every span against the project (range, overlaps, labels), stage the documents, and only if
 * nothing blocks the import copy them in one transaction. A refused import changes nothing.
 */
import type { z } from 'zod'
import type { DB } from '../../store/db'
import * as docs from '../../store/repositories/documents'
import { openTextFile, EncodingError, type TextSource } from '../../formats/text-source'
import { detectFormat } from '../../formats/detect'
import { isAnnotatedFormat, readSources } from '../../formats/registry'
import type { DocumentRecord, Problem } from '../../formats/types'
import { AppError } from '../../../src-shared/ipc/errors'
import { LabelName, type Project } from '../../../src-shared/domain/project'
import { SPLITS, type Format, type ImportOptions, type ImportProgress, type ImportReport, type Split, type SpanTuple } from '../../../src-shared/domain/dataset'
import type { UploadService } from '../uploads'
import { countTokens } from '../../../src-shared/domain/text'

export type ImportInput = z.output<typeof ImportOptions>

export interface ImportDeps {
  db: DB
  uploads: UploadService
  getProject(id: number): Project
  /** Adds labels (by name) to the project; returns the updated project. */
  addLabels(projectId: number, names: string[]): Project
  progress(p: ImportProgress): void
  now?: () => Date
}

/** How many problems a report lists; all are counted. */
export const REPORTED_PROBLEMS = 20
const PREVIEW_DOCUMENTS = 10
const STAGE_BATCH = 2000

interface StagedDoc {
  text: string
  spans: [number, number, string][]
  tokens?: (number | string)[][]
  meta: Record<string, unknown>
  split: Split
  annotator?: string
}

async function openAll(deps: ImportDeps, input: ImportInput, local: boolean): Promise<{ sources: TextSource[]; uploadIds: string[] }> {
  const sources: TextSource[] = []
  const uploadIds: string[] = []
  for (const ref of input.files) {
    let path: string
    let name: string | undefined
    if ('path' in ref) {
      if (!local) throw new AppError('FORBIDDEN', 'Reading a path on the workstation is only allowed from the desktop app or the CLI; upload the file instead.')
      path = ref.path
    } else {
      const u = deps.uploads.resolve(ref.uploadId)
      path = u.path
      name = u.name
      uploadIds.push(u.id)
    }
    try {
      sources.push(await openTextFile(path, { encoding: input.encoding, ...(name ? { name } : {}) }))
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT') throw new AppError('NOT_FOUND', `The file ${path} does not exist.`)
      if (code === 'EISDIR') throw new AppError('INVALID_INPUT', `${path} is a folder: choose the files in it.`)
      throw new AppError('INVALID_INPUT', `Cannot read ${path}: ${(err as Error).message}`)
    }
  }
  return { sources, uploadIds }
}

async function chooseFormat(input: ImportInput, sources: TextSource[]): Promise<{ format: Format; formatReason: string }> {
  if (input.format !== 'auto') return { format: input.format, formatReason: 'chosen' }
  if (sources.some((s) => /\.ann$/i.test(s.file))) return { format: 'brat', formatReason: 'an .ann file is among the files: brat standoff' }
  const d = detectFormat(await sources[0]!.sample(), sources[0]!.file)
  if (!d.format) throw new AppError('INVALID_FILE', `Tagtune could not tell the format of ${sources[0]!.file}: ${d.reason} Choose the format.`)
  return { format: d.format, formatReason: d.reason }
}

function where(p: { file: string; line?: number | undefined; record?: number | undefined; field?: string | undefined }): string {
  return [p.file, p.line !== undefined ? `line ${p.line}` : p.record !== undefined ? `record ${p.record}` : '', p.field ? `field ${p.field}` : '']
    .filter(Boolean)
    .join(', ')
}

export function describeProblem(p: Problem): string {
  return `${where(p)}: ${p.message}`
}

function splitOf(input: ImportInput, rec: DocumentRecord): Split {
  if (input.split !== 'from-file') return input.split
  const fromFile = rec.split ?? rec.meta['split']
  return typeof fromFile === 'string' && (SPLITS as readonly string[]).includes(fromFile) ? (fromFile as Split) : 'unassigned'
}

export async function runImport(deps: ImportDeps, input: ImportInput, local: boolean): Promise<ImportReport> {
  const started = Date.now()
  const project = deps.getProject(input.projectId)
  const { sources, uploadIds } = await openAll(deps, input, local)

  const binary = sources.find((s) => s.binary)
  if (binary) {
    throw new AppError('INVALID_FILE', `${binary.file} is not a text file: ${binary.binary}. Export it as text (CoNLL, JSON lines, brat, plain text) first. Nothing was imported.`)
  }
  const { format, formatReason } = await chooseFormat(input, sources)

  const problems: Problem[] = []
  const problemCounts: Record<string, number> = {}
  let errors = 0
  let warnings = 0
  const report = (reported: Problem): void => {
    // Two schemes in one file make the entities ambiguous: that blocks the import even where the reader could guess.
    const p: Problem = reported.kind === 'mixed-scheme' && reported.repaired ? { ...reported, repaired: false, message: `${reported.message} (mixed tag schemes: fix the file or choose its scheme)` } : reported
    problemCounts[p.kind] = (problemCounts[p.kind] ?? 0) + 1
    if (p.repaired) warnings++
    else errors++
    if (problems.length < REPORTED_PROBLEMS) problems.push(p)
  }

  const byName = new Map(project.labels.map((l) => [l.name, l.name]))
  const byLowerName = new Map(project.labels.map((l) => [l.name.toLowerCase(), l.name]))
  const unknown = new Map<string, number>()
  const caseMapped = new Map<string, string>()
  const perLabel: Record<string, number> = {}
  const preview: ImportReport['preview'] = []
  const token = `${String(Date.now()).padStart(15, '0')}-${Math.random().toString(36).slice(2, 10)}`
  let batch: string[] = []
  let staged = 0
  let documents = 0
  let spanCount = 0
  let duplicates = 0
  let lastProgress = 0

  const totalBytes = sources.reduce((n, s) => n + s.progress().totalBytes, 0)
  const bytesRead = (): number => sources.reduce((n, s) => n + s.progress().bytesRead, 0)
  const tick = (phase: ImportProgress['phase'], file: string, force = false): void => {
    const t = Date.now()
    if (!force && t - lastProgress < 200) return
    lastProgress = t
    deps.progress({ projectId: project.id, phase, documents, bytesRead: phase === 'done' ? totalBytes : bytesRead(), totalBytes, file })
  }
  const flush = (): void => {
    if (batch.length === 0) return
    if (!input.dryRun && errors === 0) docs.stageDocuments(deps.db, token, staged, batch)
    staged += batch.length
    batch = []
  }

  const labelOf = (name: string, rec: DocumentRecord): string | undefined => {
    const exact = byName.get(name)
    if (exact) return exact
    const folded = byLowerName.get(name.toLowerCase())
    if (folded) {
      caseMapped.set(name, folded)
      return folded
    }
    const seen = unknown.get(name) ?? 0
    unknown.set(name, seen + 1)
    if (seen === 0 && input.unknownLabels === 'reject') {
      report({
        kind: 'unknown-label',
        file: rec.source.file,
        ...(rec.source.line !== undefined ? { line: rec.source.line } : {}),
        ...(rec.source.record !== undefined ? { record: rec.source.record } : {}),
        field: 'label',
        message: `label "${name}" is not in the project; add it to the project or import with "add unknown labels"`,
      })
    }
    return input.unknownLabels === 'add' ? name : undefined
  }

  let summary
  try {
    const gen = readSources(format, sources, { tagColumn: input.tagColumn, separator: input.separator, scheme: input.scheme, weiboDigits: input.weiboDigits, invalidTags: input.invalidTags }, report)
    let r = await gen.next()
    while (!r.done) {
      const rec = r.value
      const at = { file: rec.source.file, ...(rec.source.line !== undefined ? { line: rec.source.line } : {}), ...(rec.source.record !== undefined ? { record: rec.source.record } : {}) }
      if (rec.text.length === 0) {
        report({ kind: 'empty-document', ...at, field: 'text', message: 'the document has no text' })
      } else {
        const spans = [...rec.spans].sort((a, b) => a.start - b.start || a.end - b.end)
        const kept: [number, number, string][] = []
        let maxEnd = 0
        let prev: (typeof spans)[number] | undefined
        for (const s of spans) {
          if (prev && prev.start === s.start && prev.end === s.end && prev.label === s.label) {
            duplicates++
            continue
          }
          if (!(s.start >= 0 && s.end <= rec.text.length && s.start < s.end)) {
            report({ kind: 'span-out-of-range', ...at, field: 'spans', message: `span [${s.start}, ${s.end}) "${s.label}" is outside the text (length ${rec.text.length})` })
          } else if (!project.allowNested && s.start < maxEnd) {
            report({ kind: 'overlap', ...at, field: 'spans', message: `span [${s.start}, ${s.end}) "${s.label}" overlaps an earlier span ending at ${maxEnd}; this project does not allow nested entities` })
          } else {
            const label = labelOf(s.label, rec)
            if (label) {
              kept.push([s.start, s.end, label])
              perLabel[label] = (perLabel[label] ?? 0) + 1
            }
          }
          maxEnd = Math.max(maxEnd, s.end)
          prev = s
        }
        const split = splitOf(input, rec)
        const doc: StagedDoc = { text: rec.text, spans: kept, meta: { ...rec.meta, source: at }, split }
        if (rec.tokens) doc.tokens = rec.tokens.map((t) => (t.columns?.length ? [t.start, t.end, ...t.columns] : [t.start, t.end]))
        if (rec.annotator) doc.annotator = rec.annotator
        if (rec.predictions?.length) doc.meta['predictions'] = rec.predictions
        delete doc.meta['split']
        documents++
        spanCount += kept.length
        if (preview.length < PREVIEW_DOCUMENTS) {
          preview.push({ text: rec.text, spans: kept.map(([start, end, label]) => ({ start, end, label })), split, source: where(at) })
        }
        batch.push(JSON.stringify(doc))
        if (batch.length >= STAGE_BATCH) flush()
      }
      tick('reading', rec.source.file)
      r = await gen.next()
    }
    summary = r.value
    flush()
  } catch (err) {
    docs.clearStaging(deps.db, token)
    if (err instanceof EncodingError) {
      report({ kind: 'encoding', file: err.file, line: err.line, message: err.message })
      summary = { notes: [] }
    } else {
      throw err
    }
  }

  // Labels to add must be valid label names.
  const toAdd = input.unknownLabels === 'add' ? [...unknown.keys()] : []
  for (const name of toAdd) {
    const ok = LabelName.safeParse(name)
    if (!ok.success) report({ kind: 'unknown-label', file: sources[0]!.file, field: 'label', message: `label "${name}" cannot be added: ${ok.error.issues[0]!.message}` })
  }

  const notes = [...summary.notes]
  if (duplicates) notes.push(`${duplicates} duplicate span(s) (same offsets and label) were merged`)
  for (const [from, to] of caseMapped) notes.push(`label "${from}" in the file was matched to the project's "${to}"`)
  if (documents === 0 && errors === 0) report({ kind: 'empty-document', file: sources[0]!.file, message: 'the file holds no documents' })

  const result: ImportReport = {
    committed: false,
    files: sources.map((s) => s.file),
    format,
    formatReason,
    encoding: sources[0]!.encoding,
    encodingReason: sources[0]!.encodingReason,
    ...(summary.scheme ? { scheme: summary.scheme } : {}),
    documents,
    spans: spanCount,
    perLabel,
    unknownLabels: [...unknown].map(([name, count]) => ({ name, count })),
    addedLabels: [],
    errors,
    warnings,
    problemCounts,
    problems: problems.map((p) => ({ ...p })),
    notes,
    preview,
    seconds: 0,
  }

  if (input.dryRun || errors > 0) {
    docs.clearStaging(deps.db, token)
    result.seconds = (Date.now() - started) / 1000
    if (input.dryRun) return result
    tick('failed', sources[0]!.file, true)
    const first = problems.find((p) => !p.repaired)!
    throw new AppError(
      'INVALID_FILE',
      `${describeProblem(first)}${errors > 1 ? ` (and ${errors - 1} more problem${errors > 2 ? 's' : ''})` : ''}. Nothing was imported.`,
      result,
    )
  }

  tick('saving', sources[0]!.file, true)
  const now = (deps.now?.() ?? new Date()).toISOString()
  const status = input.status === 'auto' ? (isAnnotatedFormat(format) ? 'done' : 'todo') : input.status
  const importId = deps.db.transaction(() => {
    const labels = toAdd.length ? deps.addLabels(project.id, toAdd).labels : project.labels
    const ids = new Map(labels.map((l) => [l.name, l.id]))
    const id = docs.insertImport(deps.db, {
      projectId: project.id,
      files: result.files,
      format,
      encoding: result.encoding,
      options: { ...input, files: result.files },
      report: { ...result, preview: [] },
      documents,
      spans: spanCount,
      now,
    })
    let position = docs.nextPosition(deps.db, project.id)
    for (const row of docs.stagedDocuments(deps.db, token)) {
      const d = JSON.parse(row.doc) as StagedDoc
      const documentId = docs.insertDocument(deps.db, {
        projectId: project.id,
        position: position++,
        text: d.text,
        split: d.split,
        tokenCount: d.tokens ? d.tokens.length : countTokens(d.text),
        tokens: d.tokens ? JSON.stringify(d.tokens) : null,
        meta: JSON.stringify(d.meta),
        importId: id,
        now,
      })
      if (status !== 'todo' || d.spans.length > 0) {
        const spans: SpanTuple[] = d.spans.map(([s, e, name]) => [s, e, ids.get(name)!])
        docs.insertAnnotation(deps.db, { documentId, annotator: d.annotator ?? input.annotator ?? 'import', status, spans, now })
      }
    }
    docs.clearStaging(deps.db, token)
    return id
  })()
  for (const id of uploadIds) deps.uploads.remove(id)
  result.committed = true
  result.importId = importId
  result.addedLabels = toAdd
  result.seconds = (Date.now() - started) / 1000
  tick('done', sources[0]!.file, true)
  return result
}
