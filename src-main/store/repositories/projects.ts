/** Projects and their labels as rows: plain functions over a database handle, bound parameters only. */
import type { DB } from '../db'
import type { Label, Project, TagScheme, TaskType } from '../../../src-shared/domain/project'

interface ProjectRow {
  id: number
  name: string
  description: string
  task_type: TaskType
  tag_scheme: TagScheme
  allow_nested: number
  guidelines: string
  version: number
  created_at: string
  updated_at: string
}

interface LabelRow {
  id: number
  project_id: number
  name: string
  color: string
  shortcut: string | null
  description: string
  position: number
}

function rowToLabel(row: LabelRow): Label {
  return { id: row.id, name: row.name, color: row.color, shortcut: row.shortcut, description: row.description }
}

function rowToProject(row: ProjectRow, labels: Label[]): Project {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    taskType: row.task_type,
    tagScheme: row.tag_scheme,
    labels,
    allowNested: row.allow_nested === 1,
    guidelines: row.guidelines,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export function listProjects(db: DB): Project[] {
  const rows = db.prepare('SELECT * FROM projects ORDER BY updated_at DESC, id DESC').all() as ProjectRow[]
  const labelRows = db.prepare('SELECT * FROM labels ORDER BY project_id, position').all() as LabelRow[]
  const byProject = new Map<number, Label[]>()
  for (const l of labelRows) {
    const list = byProject.get(l.project_id) ?? []
    list.push(rowToLabel(l))
    byProject.set(l.project_id, list)
  }
  return rows.map((r) => rowToProject(r, byProject.get(r.id) ?? []))
}

export function getProject(db: DB, id: number): Project | undefined {
  const row = db.prepare('SELECT * FROM projects WHERE id = ?').get(id) as ProjectRow | undefined
  return row ? rowToProject(row, listLabels(db, id)) : undefined
}

export function findProjectIdByName(db: DB, name: string): number | undefined {
  const row = db.prepare('SELECT id FROM projects WHERE name = ?').get(name) as { id: number } | undefined
  return row?.id
}

export function listLabels(db: DB, projectId: number): Label[] {
  const rows = db.prepare('SELECT * FROM labels WHERE project_id = ? ORDER BY position').all(projectId) as LabelRow[]
  return rows.map(rowToLabel)
}

export interface NewProjectRow {
  name: string
  description: string
  taskType: TaskType
  tagScheme: TagScheme
  allowNested: boolean
  guidelines: string
  now: string
}

export function insertProject(db: DB, p: NewProjectRow): number {
  const info = db
    .prepare(
      `INSERT INTO projects (name, description, task_type, tag_scheme, allow_nested, guidelines, version, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)`,
    )
    .run(p.name, p.description, p.taskType, p.tagScheme, p.allowNested ? 1 : 0, p.guidelines, p.now, p.now)
  return Number(info.lastInsertRowid)
}

export interface ProjectFields {
  name?: string
  description?: string
  tagScheme?: TagScheme
  allowNested?: boolean
  guidelines?: string
}

/** Apply the given fields and bump the version; returns false when the project does not exist. */
export function updateProjectRow(db: DB, id: number, fields: ProjectFields, now: string): boolean {
  const info = db
    .prepare(
      `UPDATE projects SET
         name = COALESCE(?, name),
         description = COALESCE(?, description),
         tag_scheme = COALESCE(?, tag_scheme),
         allow_nested = COALESCE(?, allow_nested),
         guidelines = COALESCE(?, guidelines),
         version = version + 1,
         updated_at = ?
       WHERE id = ?`,
    )
    .run(fields.name ?? null, fields.description ?? null, fields.tagScheme ?? null, fields.allowNested === undefined ? null : fields.allowNested ? 1 : 0, fields.guidelines ?? null, now, id)
  return info.changes === 1
}

export function deleteProjectRow(db: DB, id: number): boolean {
  return db.prepare('DELETE FROM projects WHERE id = ?').run(id).changes === 1
}

export interface LabelWrite {
  id?: number
  name: string
  color: string
  shortcut: string | null
  description: string
}

/**
 * Make the project's label set exactly `labels`, in that order: rows with an id are updated in
 * place (so references to a renamed label survive), new ones inserted, missing ones deleted.
 * Positions are first moved out of the way so the unique indexes never see a transient clash.
 */
export function replaceLabels(db: DB, projectId: number, labels: readonly LabelWrite[]): void {
  const keep = new Set(labels.flatMap((l) => (l.id === undefined ? [] : [l.id])))
  const existing = listLabels(db, projectId)
  const del = db.prepare('DELETE FROM labels WHERE id = ? AND project_id = ?')
  for (const l of existing) if (!keep.has(l.id)) del.run(l.id, projectId)
  // Clear names and shortcuts of kept rows first: renaming A->B and B->A in one update must not collide.
  const park = db.prepare(`UPDATE labels SET name = ' parked ' || id, shortcut = NULL WHERE id = ? AND project_id = ?`)
  for (const id of keep) park.run(id, projectId)
  const upd = db.prepare(
    'UPDATE labels SET name = ?, color = ?, shortcut = ?, description = ?, position = ? WHERE id = ? AND project_id = ?',
  )
  const ins = db.prepare(
    'INSERT INTO labels (project_id, name, color, shortcut, description, position) VALUES (?, ?, ?, ?, ?, ?)',
  )
  labels.forEach((l, position) => {
    if (l.id === undefined) ins.run(projectId, l.name, l.color, l.shortcut, l.description, position)
    else upd.run(l.name, l.color, l.shortcut, l.description, position, l.id, projectId)
  })
}
