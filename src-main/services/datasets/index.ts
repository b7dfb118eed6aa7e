/** Dataset use cases for one store: import, export, statistics, splits, the document list. */
import type { z } from 'zod'
import type { DB } from '../../store/db'
import * as docs from '../../store/repositories/documents'
import type { ProjectService } from '../projects'
import type { UploadService } from '../uploads'
import { runImport } from './import'
import { runExport } from './export'
import { computeProgress, computeStats } from './stats'
import { assignSplits, rarestLabel } from '../../../src-shared/domain/splits'
import {
  emptyPerSplit,
  type DatasetProgress,
  type DatasetStats,
  type DocumentFilter,
  type DocumentPage,
  type ExportOptions,
  type ExportResult,
  type ImportOptions,
  type ImportProgress,
  type ImportReport,
  type PerSplit,
  type Split,
  type SplitOptions,
  type SpanTuple,
} from '../../../src-shared/domain/dataset'
import { resolveLabelDefaults, type Project } from '../../../src-shared/domain/project'
import { AppError } from '../../../src-shared/ipc/errors'

export interface DatasetService {
  /** The project, or NOT_FOUND. */
  project(id: number): Project
  import(input: z.output<typeof ImportOptions>, local: boolean): Promise<ImportReport>
  export(input: z.output<typeof ExportOptions>, local: boolean): Promise<ExportResult>
  stats(projectId: number): DatasetStats
  progress(projectId: number): DatasetProgress
  split(input: z.output<typeof SplitOptions>): { documents: PerSplit; changed: number }
  list(filter: z.output<typeof DocumentFilter>): DocumentPage
  setSplit(projectId: number, documentIds: number[], split: Split): { moved: number }
  deleteDocuments(projectId: number, documentIds: number[]): { deleted: number }
}

export interface DatasetEvents {
  progress(p: ImportProgress): void
  changed(projectId: number): void
}

export function createDatasetService(db: DB, projects: ProjectService, uploads: UploadService, events: DatasetEvents): DatasetService {
  return {
    project: (id) => projects.get(id),

    async import(input, local) {
      const report = await runImport(
        {
          db,
          uploads,
          getProject: projects.get,
          addLabels: (projectId, names) => {
            const p = projects.get(projectId)
            return projects.update({ id: projectId, labels: resolveLabelDefaults([...p.labels, ...names.map((name) => ({ name }))]) })
          },
          progress: events.progress,
        },
        input,
        local,
      )
      if (report.committed) events.changed(input.projectId)
      return report
    },

    export: (input, local) => runExport(db, projects.get(input.projectId), input, local),

    stats: (projectId) => computeStats(db, projectId, projects.get(projectId).labels),
    progress: (projectId) => {
      projects.get(projectId)
      return computeProgress(db, projectId)
    },

    split(input) {
      const project = projects.get(input.projectId)
      const result = db.transaction(() => {
        const rows = db
          .prepare(`SELECT d.id, d.split, a.spans FROM documents d ${docs.SHOWN_ANNOTATION} WHERE d.project_id = ?`)
          .all(project.id) as { id: number; split: Split; spans: string | null }[]
        const chosen = input.scope === 'unassigned' ? rows.filter((r) => r.split === 'unassigned') : rows
        const labelsOf = new Map(chosen.map((r) => [r.id, [...new Set((r.spans ? (JSON.parse(r.spans) as SpanTuple[]) : []).map((s) => s[2]))]]))
        const frequency = new Map<number, number>()
        for (const ids of labelsOf.values()) for (const id of ids) frequency.set(id, (frequency.get(id) ?? 0) + 1)
        const assignment = assignSplits(
          chosen.map((r) => ({ id: r.id, stratum: input.stratify ? rarestLabel(labelsOf.get(r.id)!, frequency) : '' })),
          input.ratios,
          input.seed,
        )
        const update = db.prepare('UPDATE documents SET split = ? WHERE id = ?')
        let changed = 0
        for (const r of chosen) {
          const next = assignment.get(r.id)!
          if (next !== r.split) {
            update.run(next, r.id)
            changed++
          }
        }
        const documents = emptyPerSplit()
        for (const r of db.prepare('SELECT split, count(*) AS n FROM documents WHERE project_id = ? GROUP BY split').all(project.id) as { split: Split; n: number }[]) {
          documents[r.split] = r.n
        }
        return { documents, changed }
      })()
      events.changed(project.id)
      return result
    },

    list(filter) {
      projects.get(filter.projectId)
      return docs.listDocuments(db, filter, filter.offset, filter.limit, { kind: filter.order, seed: filter.seed, ...(filter.runId !== undefined ? { runId: filter.runId } : {}) })
    },

    setSplit(projectId, documentIds, split) {
      projects.get(projectId)
      const moved = db.transaction(() => {
        const n = docs.setSplit(db, projectId, documentIds, split)
        if (n !== documentIds.length) throw new AppError('NOT_FOUND', `${documentIds.length - n} of the documents are not in this project; nothing was moved.`)
        return n
      })()
      events.changed(projectId)
      return { moved }
    },

    deleteDocuments(projectId, documentIds) {
      projects.get(projectId)
      const deleted = db.transaction(() => {
        const n = docs.deleteDocuments(db, projectId, documentIds)
        if (n !== documentIds.length) throw new AppError('NOT_FOUND', `${documentIds.length - n} of the documents are not in this project; nothing was deleted.`)
        return n
      })()
      events.changed(projectId)
      return { deleted }
    },
  }
}
