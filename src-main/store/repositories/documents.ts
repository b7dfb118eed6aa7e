/** Documents and annotations as rows. Spans are stored as JSON `[[start, end, labelId], ...]`. */
import { cached, type DB } from '../db'
import type { AnnotationStatus, DocumentItem, SpanTuple, Split } from '../../../src-shared/domain/dataset'

/**
 * The annotation a document is shown, exported and counted with: its done annotation if any,
 * else the most recently updated one. One per document; annotators' others stay stored.
 */
export const SHOWN_ANNOTATION = `LEFT JOIN annotations a ON a.id = (
  SELECT a2.id FROM annotations a2 WHERE a2.document_id = d.id
  ORDER BY a2.status = 'done' DESC, a2.updated_at DESC, a2.id DESC LIMIT 1)`

export interface NewDocument {
  projectId: number
  position: number
  text: string
  split: Split
  tokenCount: number
  /** JSON of the token list, or null. */
  tokens: string | null
  /** JSON object. */
  meta: string
  importId: number | null
  now: string
}

export function insertDocument(db: DB, d: NewDocument): number {
  return Number(
    cached(
      db,
      `INSERT INTO documents (project_id, position, text, split, token_count, tokens, meta, import_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(d.projectId, d.position, d.text, d.split, d.tokenCount, d.tokens, d.meta, d.importId, d.now).lastInsertRowid,
  )
}

export function insertAnnotation(db: DB, a: { documentId: number; annotator: string; status: AnnotationStatus; spans: SpanTuple[]; now: string }): number {
  return Number(
    cached(db, 'INSERT INTO annotations (document_id, annotator, status, spans, span_count, version, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?)').run(a.documentId, a.annotator, a.status, JSON.stringify(a.spans), a.spans.length, a.now).lastInsertRowid,
  )
}

export function nextPosition(db: DB, projectId: number): number {
  const row = db.prepare('SELECT COALESCE(MAX(position) + 1, 0) AS p FROM documents WHERE project_id = ?').get(projectId) as { p: number }
  return row.p
}

interface ItemRow {
  id: number
  position: number
  text: string
  split: Split
  status: AnnotationStatus | null
  annotator: string | null
  spans: string | null
  version: number | null
  model_confidence?: number | null
}

function rowToItem(r: ItemRow): DocumentItem {
  return {
    id: r.id,
    position: r.position,
    text: r.text,
    split: r.split,
    status: r.status ?? 'todo',
    annotator: r.annotator,
    spans: r.spans ? (JSON.parse(r.spans) as SpanTuple[]) : [],
    version: r.version ?? 0,
    ...(r.model_confidence !== undefined ? { modelConfidence: r.model_confidence } : {}),
  }
}

export interface DocumentQuery {
  projectId: number
  split?: Split | undefined
  status?: AnnotationStatus | undefined
  labelId?: number | undefined
  text?: string | undefined
  /** Only the documents after this one in the queue's order (it need not match the filters itself). */
  after?: number | undefined
}

function where(q: DocumentQuery): { sql: string; params: unknown[] } {
  const parts = ['d.project_id = ?']
  const params: unknown[] = [q.projectId]
  if (q.split) {
    parts.push('d.split = ?')
    params.push(q.split)
  }
  if (q.status) {
    parts.push(q.status === 'todo' ? "(a.status IS NULL OR a.status = 'todo')" : 'a.status = ?')
    if (q.status !== 'todo') params.push(q.status)
  }
  if (q.labelId !== undefined) {
    parts.push('EXISTS (SELECT 1 FROM json_each(a.spans) j WHERE j.value ->> 2 = ?)')
    params.push(q.labelId)
  }
  if (q.text) {
    parts.push('instr(lower(d.text), lower(?)) > 0')
    params.push(q.text)
  }
  return { sql: parts.join(' AND '), params }
}

export type DocumentOrder = { kind: 'position' | 'random' | 'least-confident'; seed: number; runId?: number }

/**
 * The queue's sort keys, as SQL over a document alias `d` and its model suggestion `ms`. A shuffle
 * that is stable for a seed orders by a multiplicative hash of (id XOR seed) (SQLite has no ^, so
 * a|b - a&b); least confident first puts documents the run has not predicted (no confidence,
 * which is within 0..1) last.
 */
function orderKeys(order: DocumentOrder, d = 'd', ms = 'ms'): string[] {
  if (order.kind === 'random') {
    const seed = String((order.seed * 7919 + 104729) % 2147483647)
    return [`(((${d}.id | ${seed}) - (${d}.id & ${seed})) * 2654435761) % 4294967296`, `${d}.id`]
  }
  if (order.kind === 'least-confident') return [`coalesce(${ms}.confidence, 2)`, `${d}.position`]
  return [`${d}.position`]
}

export function listDocuments(db: DB, q: DocumentQuery, offset: number, limit: number, requested: DocumentOrder = { kind: 'position', seed: 0 }): { total: number; items: DocumentItem[] } {
  const w = where(q)
  const runId = requested.runId
  const order = runId === undefined && requested.kind === 'least-confident' ? { ...requested, kind: 'position' as const } : requested
  const model = runId === undefined ? { select: '', join: '', params: [] as unknown[], other: '' } : { select: ', ms.confidence AS model_confidence', join: 'LEFT JOIN model_suggestions ms ON ms.run_id = ? AND ms.document_id = d.id', params: [runId] as unknown[], other: 'LEFT JOIN model_suggestions mc ON mc.run_id = ? AND mc.document_id = c.id' }
  // "After a document": its keys compared as a row, so ties and filters need no special case.
  const keys = orderKeys(order)
  const after =
    q.after === undefined
      ? { sql: '', params: [] as unknown[] }
      : { sql: ` AND (${keys.join(', ')}) > (SELECT ${orderKeys(order, 'c', 'mc').join(', ')} FROM documents c ${model.other} WHERE c.id = ? AND c.project_id = ?)`, params: [...model.params, q.after, q.projectId] }
  // Counting needs the shown annotation only when a filter looks at it, and the model only when "after" sorts by it.
  const countJoin = `${q.status !== undefined || q.labelId !== undefined ? SHOWN_ANNOTATION : ''} ${after.sql && order.kind === 'least-confident' ? model.join : ''}`
  const countParams = after.sql && order.kind === 'least-confident' ? model.params : []
  const total = (cached(db, `SELECT count(*) AS n FROM documents d ${countJoin} WHERE ${w.sql}${after.sql}`).get(...countParams, ...w.params, ...after.params) as { n: number }).n
  const rows = db
    .prepare(
      `SELECT d.id, d.position, d.text, d.split, a.status, a.annotator, a.spans, a.version${model.select}
       FROM documents d ${SHOWN_ANNOTATION} ${model.join} WHERE ${w.sql}${after.sql} ORDER BY ${keys.join(', ')} LIMIT ? OFFSET ?`,
    )
    .all(...model.params, ...w.params, ...after.params, limit, offset) as ItemRow[]
  return { total, items: rows.map(rowToItem) }
}

export interface ExportRow {
  id: number
  position: number
  text: string
  split: Split
  tokens: string | null
  meta: string
  annotator: string | null
  status: AnnotationStatus | null
  spans: string | null
}

/**
 * A page of a project's documents (optionally one split) after `afterPosition`, in position
 * order. Read page by page (keyset), so no statement stays open while an export awaits I/O.
 */
export function pageDocuments(db: DB, projectId: number, split: Split | undefined, afterPosition: number, limit: number): ExportRow[] {
  const sql = `SELECT d.id, d.position, d.text, d.split, d.tokens, d.meta, a.annotator, a.status, a.spans
    FROM documents d ${SHOWN_ANNOTATION} WHERE d.project_id = ? AND d.position > ? ${split ? 'AND d.split = ?' : ''} ORDER BY d.position LIMIT ?`
  const stmt = db.prepare(sql)
  return (split ? stmt.all(projectId, afterPosition, split, limit) : stmt.all(projectId, afterPosition, limit)) as ExportRow[]
}

/** Move documents to a split; returns how many of the given ids belong to the project. */
export function setSplit(db: DB, projectId: number, ids: readonly number[], split: Split): number {
  const stmt = db.prepare('UPDATE documents SET split = ? WHERE id = ? AND project_id = ?')
  let n = 0
  for (const id of ids) n += stmt.run(split, id, projectId).changes
  return n
}

export function deleteDocuments(db: DB, projectId: number, ids: readonly number[]): number {
  const stmt = db.prepare('DELETE FROM documents WHERE id = ? AND project_id = ?')
  let n = 0
  for (const id of ids) n += stmt.run(id, projectId).changes
  return n
}

// Staging: an import streams its documents here in small transactions, then copies them in one.

export function stageDocuments(db: DB, token: string, firstSeq: number, docs: readonly string[]): void {
  const stmt = cached(db, 'INSERT INTO import_staging (token, seq, doc) VALUES (?, ?, ?)')
  db.transaction(() => docs.forEach((d, i) => stmt.run(token, firstSeq + i, d)))()
}

/** Staged documents in order, a page at a time (an open iterator would block the inserts that follow). */
export function* stagedDocuments(db: DB, token: string, pageSize = 2000): Generator<{ seq: number; doc: string }> {
  const stmt = cached(db, 'SELECT seq, doc FROM import_staging WHERE token = ? AND seq > ? ORDER BY seq LIMIT ?')
  let after = -1
  for (;;) {
    const rows = stmt.all(token, after, pageSize) as { seq: number; doc: string }[]
    if (rows.length === 0) return
    yield* rows
    after = rows[rows.length - 1]!.seq
  }
}

export function clearStaging(db: DB, token: string): void {
  db.prepare('DELETE FROM import_staging WHERE token = ?').run(token)
}

/** Remove staging rows left by imports that died (tokens start with a zero-padded timestamp). */
export function clearStaleStaging(db: DB, olderThan: Date): number {
  return db.prepare('DELETE FROM import_staging WHERE token < ?').run(String(olderThan.getTime()).padStart(15, '0')).changes
}

export function insertImport(
  db: DB,
  r: { projectId: number; files: string[]; format: string; encoding: string; options: unknown; report: unknown; documents: number; spans: number; now: string },
): number {
  return Number(
    db
      .prepare('INSERT INTO imports (project_id, files, format, encoding, options, report, documents, spans, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(r.projectId, JSON.stringify(r.files), r.format, r.encoding, JSON.stringify(r.options), JSON.stringify(r.report), r.documents, r.spans, r.now).lastInsertRowid,
  )
}
