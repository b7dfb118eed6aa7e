/**
 * The training data of a run, frozen: the project's documents with the annotation each shows,
 * label ids replaced by names, stored once per content hash so that runs on the same data
 * share it and a run can be reproduced and compared after annotations change.
 *
 * The hash is sha256 over a canonical serialisation: a header (format version, project id, label
 * names in project order), then one JSON line per document in document order:
 * `[id, split, text, spans, tokens]`, spans `[start, end, labelName]` sorted by start, end, label
 * name, tokens `[start, end]` pairs or null. Same data, same hash; any change to a text, a span,
 * a split, a label name or the label set gives another hash.
 */
import { createHash } from 'node:crypto'
import type { DB } from '../../store/db'
import * as runs from '../../store/repositories/runs'
import type { SnapshotDocument, SnapshotSummary } from '../../store/repositories/runs'
import { getProject } from '../../store/repositories/projects'
import { emptyPerSplit, SPLITS, type Split, type SpanTuple } from '../../../src-shared/domain/dataset'
import { AppError } from '../../../src-shared/ipc/errors'

export type { SnapshotDocument, SnapshotSummary } from '../../store/repositories/runs'

/** Bump when the serialisation changes: old hashes then no longer match new snapshots of the same data. */
const FORMAT = 'tagtune-snapshot/1'
const PAGE = 1000

export interface SnapshotOptions {
  /** Only documents whose shown annotation is done (default). Otherwise every document but skipped ones. */
  onlyDone?: boolean
}

export interface SnapshotResult {
  hash: string
  summary: SnapshotSummary
  /** The same data had been snapshotted before: nothing was written. */
  reused: boolean
  createdAt: string
}

const byStartEndLabel = (a: readonly [number, number, string], b: readonly [number, number, string]): number =>
  a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0)

/** The project's documents as they go into a snapshot, a page at a time, each with its token count. */
function* canonicalPages(db: DB, projectId: number, onlyDone: boolean, labelNames: ReadonlyMap<number, string>, dropped: { n: number }): Generator<(SnapshotDocument & { tokenCount: number })[]> {
  let after: { position: number; id: number } | null = null
  for (;;) {
    const rows = runs.snapshotSourcePage(db, projectId, onlyDone, after, PAGE)
    if (rows.length === 0) return
    yield rows.map((r) => {
      const spans: [number, number, string][] = []
      for (const [start, end, labelId] of r.spans ? (JSON.parse(r.spans) as SpanTuple[]) : []) {
        const name = labelNames.get(labelId)
        if (name === undefined) dropped.n++
        else spans.push([start, end, name])
      }
      spans.sort(byStartEndLabel)
      const tokens = r.tokens === null ? null : (JSON.parse(r.tokens) as (number | string)[][]).map((t) => [t[0], t[1]] as [number, number])
      return { id: r.id, split: r.split, text: r.text, spans: spans.map(([start, end, label]) => ({ start, end, label })), tokens, tokenCount: r.token_count }
    })
    const last = rows[rows.length - 1]!
    after = { position: last.position, id: last.id }
  }
}

function canonicalLine(d: SnapshotDocument): string {
  return JSON.stringify([d.id, d.split, d.text, d.spans.map((s) => [s.start, s.end, s.label]), d.tokens]) + '\n'
}

/**
 * Snapshot the project's training data: hash it, and store it unless a snapshot with that hash
 * exists (then it is reused and nothing is written). Reads and writes in one transaction, so the
 * stored documents are exactly the hashed ones. NOT_FOUND when the project does not exist.
 */
export function createSnapshot(db: DB, projectId: number, options: SnapshotOptions = {}, now = () => new Date().toISOString()): SnapshotResult {
  const onlyDone = options.onlyDone ?? true
  return db.transaction((): SnapshotResult => {
    const project = getProject(db, projectId)
    if (!project) throw new AppError('NOT_FOUND', `There is no project with id ${projectId}.`, { id: projectId })
    const labels = project.labels.map((l) => l.name)
    const labelNames = new Map(project.labels.map((l) => [l.id, l.name]))

    const hasher = createHash('sha256')
    hasher.update(JSON.stringify([FORMAT, project.id, labels]) + '\n')
    const documents = emptyPerSplit()
    const tokens = emptyPerSplit()
    const entities = Object.fromEntries(SPLITS.map((s) => [s, Object.fromEntries(labels.map((l) => [l, 0]))])) as Record<Split, Record<string, number>>
    const dropped = { n: 0 }
    for (const page of canonicalPages(db, project.id, onlyDone, labelNames, dropped)) {
      for (const d of page) {
        hasher.update(canonicalLine(d))
        documents[d.split]++
        tokens[d.split] += d.tokenCount
        for (const s of d.spans) entities[d.split][s.label]!++
      }
    }
    const hash = hasher.digest('hex')

    const existing = runs.getSnapshot(db, hash)
    if (existing) return { hash, summary: existing.summary, reused: true, createdAt: existing.createdAt }

    const summary: SnapshotSummary = { labels, documents, tokens, entities, droppedSpans: dropped.n }
    const createdAt = now()
    const snapshotId = runs.insertSnapshot(db, { hash, projectId: project.id, summary, now: createdAt })
    let seq = 0
    for (const page of canonicalPages(db, project.id, onlyDone, labelNames, { n: 0 })) {
      runs.insertSnapshotDocuments(db, snapshotId, seq, page.map(({ tokenCount: _, ...d }) => d))
      seq += page.length
    }
    return { hash, summary, reused: false, createdAt }
  }).immediate()
}

/** The snapshot's documents in order (of one split when given), read a page at a time: no statement stays open between pages. */
export function* readSnapshot(db: DB, hash: string, split?: Split, pageSize = PAGE): Generator<SnapshotDocument> {
  let after = -1
  for (;;) {
    const page = runs.snapshotDocumentsPage(db, hash, split, after, pageSize)
    if (page.length === 0) return
    for (const { seq: _, ...d } of page) yield d
    after = page[page.length - 1]!.seq
  }
}

/** The snapshot's project, summary and creation time, or undefined. */
export function snapshotInfo(db: DB, hash: string): runs.SnapshotInfo | undefined {
  return runs.getSnapshot(db, hash)
}
