/** Dataset statistics: SQL counts folded into the shape the Dataset view and `data stats` show. */
import type { DB } from '../../store/db'
import * as q from '../../store/repositories/dataset-stats'
import { emptyPerSplit, type DatasetProgress, type DatasetStats } from '../../../src-shared/domain/dataset'
import type { Label } from '../../../src-shared/domain/project'

/** Span lengths at or above this share the histogram's last bucket. */
export const SPAN_LENGTH_BUCKETS = 30

/** Documents per split and status, done per split, and each annotator's counts. */
export function computeProgress(db: DB, projectId: number): DatasetProgress {
  const documents = emptyPerSplit()
  for (const r of q.documentsPerSplit(db, projectId)) documents[r.split] = r.n
  const status = { todo: 0, 'in-progress': 0, done: 0, skipped: 0 }
  for (const r of q.countsByStatus(db, projectId)) status[r.status ?? 'todo'] += r.n
  const donePerSplit = emptyPerSplit()
  for (const r of q.donePerSplit(db, projectId)) donePerSplit[r.split] = r.n
  const people = new Map<string, DatasetStats['annotators'][number]>()
  for (const r of q.byAnnotator(db, projectId)) {
    const a = people.get(r.annotator) ?? { annotator: r.annotator, todo: 0, 'in-progress': 0, done: 0, skipped: 0 }
    a[r.status] += r.n
    people.set(r.annotator, a)
  }
  return { documents, donePerSplit, status, annotators: [...people.values()] }
}

export function computeStats(db: DB, projectId: number, labels: readonly Label[]): DatasetStats {
  const documents = emptyPerSplit()
  const characters = emptyPerSplit()
  const tokens = emptyPerSplit()
  const documentsWithoutEntities = emptyPerSplit()
  for (const r of q.countsBySplit(db, projectId)) {
    documents[r.split] = r.documents
    characters[r.split] = r.characters ?? 0
    tokens[r.split] = r.tokens ?? 0
    documentsWithoutEntities[r.split] = r.empty
  }

  const progress = computeProgress(db, projectId)

  const byLabel = new Map(labels.map((l) => [l.id, { labelId: l.id, label: l.name, color: l.color, perSplit: emptyPerSplit(), total: 0 }]))
  for (const r of q.entitiesByLabelAndSplit(db, projectId)) {
    const e = byLabel.get(Number(r.labelId))
    if (!e) continue
    e.perSplit[r.split] += r.n
    e.total += r.n
  }

  const histogram = new Map<number, number>()
  for (const r of q.spanLengths(db, projectId)) {
    const bucket = Math.min(r.length, SPAN_LENGTH_BUCKETS)
    histogram.set(bucket, (histogram.get(bucket) ?? 0) + r.n)
  }
  const maxLength = Math.max(0, ...histogram.keys())
  const spanLengths = Array.from({ length: maxLength }, (_, i) => ({
    length: i + 1,
    orLonger: i + 1 === SPAN_LENGTH_BUCKETS,
    count: histogram.get(i + 1) ?? 0,
  }))

  const index = new Map(labels.map((l, i) => [l.id, i]))
  const matrix = labels.map(() => labels.map(() => 0))
  for (const r of q.labelSetsPerDocument(db, projectId)) {
    const present = r.labels
      .split(',')
      .map((s) => index.get(Number(s)))
      .filter((i): i is number => i !== undefined)
    for (const i of present) for (const j of present) matrix[i]![j]!++
  }

  return {
    documents,
    donePerSplit: progress.donePerSplit,
    annotators: progress.annotators,
    status: progress.status,
    characters,
    tokens,
    entities: [...byLabel.values()],
    spanLengths,
    documentsWithoutEntities,
    cooccurrence: { labels: labels.map((l) => l.name), matrix },
  }
}
