/** Reading a document for the editor and saving one annotator's work on it. */
import type { z } from 'zod'
import type { DB } from '../store/db'
import * as repo from '../store/repositories/annotations'
import type { ProjectService } from './projects'
import { AppError } from '../../src-shared/ipc/errors'
import type { AnnotationRecord, AnnotationSave, DocumentDetail, LabelAllInput, LabelAllResult } from '../../src-shared/domain/annotation'
import { checkSpans, occurrences, sortSpans } from '../../src-shared/domain/spans'
import * as bulk from '../store/repositories/bulk-edits'
import { agreement, type AgreementReport, type AnnotatedDocument } from '../../src-shared/domain/agreement'
import type { SpanTuple } from '../../src-shared/domain/dataset'

export interface AnnotationService {
  getDocument(id: number): DocumentDetail
  save(input: z.output<typeof AnnotationSave>): AnnotationRecord
  labelAll(input: z.output<typeof LabelAllInput>): LabelAllResult
  undoBulk(id: number): { restored: number; skipped: number }
  agreement(projectId: number): AgreementReport
}

export function createAnnotationService(
  db: DB,
  projects: ProjectService,
  changed: (c: { projectId: number; documentId: number; annotator: string; version: number }) => void,
  now = () => new Date().toISOString(),
): AnnotationService {
  function mustGet(id: number): repo.DocumentRow {
    const d = repo.getDocumentRow(db, id)
    if (!d) throw new AppError('NOT_FOUND', `There is no document with id ${id}; it may have been deleted.`, { id })
    return d
  }

  return {
    getDocument(id) {
      const d = mustGet(id)
      return { id: d.id, projectId: d.project_id, position: d.position, text: d.text, split: d.split, annotations: repo.listAnnotations(db, d.id), ...repo.neighbours(db, d.project_id, d.position) }
    },

    save(input) {
      const saved = db.transaction(() => {
        const d = mustGet(input.documentId)
        const project = projects.get(d.project_id)
        const issues = checkSpans(d.text, input.spans, new Set(project.labels.map((l) => l.id)), project.allowNested)
        if (issues.length) {
          const details = issues.map((i) => ({ path: `spans.${i.index}`, message: i.message }))
          throw new AppError('INVALID_INPUT', `The annotation was not saved: ${issues[0]!.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}.`, details)
        }
        const r = repo.saveAnnotation(db, { ...input, spans: sortSpans(input.spans), now: now() })
        if (!r) {
          const current = repo.getAnnotation(db, d.id, input.annotator)
          throw new AppError(
            'CONFLICT',
            `This document was saved elsewhere by ${input.annotator} (version ${current?.version ?? 0}) after you opened version ${input.expectedVersion}. Compare both versions and choose.`,
            { current },
          )
        }
        return { record: r, projectId: d.project_id }
      })()
      changed({ projectId: saved.projectId, documentId: saved.record.documentId, annotator: saved.record.annotator, version: saved.record.version })
      return saved.record
    },

    labelAll(input) {
      const project = projects.get(input.projectId)
      if (!project.labels.some((l) => l.id === input.labelId)) throw new AppError('INVALID_INPUT', `Label id ${input.labelId} is not in project "${project.name}".`)
      const plan: { doc: { id: number; position: number; text: string }; before: AnnotationRecord | undefined; base: SpanTuple[]; status: AnnotationRecord['status']; added: SpanTuple[] }[] = []
      for (const doc of bulk.documentsContaining(db, project.id, input.text)) {
        const all = repo.listAnnotations(db, doc.id)
        const mine = all.find((a) => a.annotator === input.annotator)
        const start = mine ?? all.find((a) => a.status === 'done') ?? all[0]
        const base = start?.spans ?? []
        const added: SpanTuple[] = []
        for (const [s, e] of occurrences(doc.text, input.text)) {
          const clash = [...base, ...added].some(([a, b, l]) => (a === s && b === e && l === input.labelId) || (!project.allowNested && s < b && a < e))
          if (!clash) added.push([s, e, input.labelId])
        }
        if (added.length) plan.push({ doc, before: mine, base, status: start?.status === 'todo' || !start ? 'in-progress' : start.status, added })
      }
      const examples = plan.slice(0, 8).map(({ doc, added }) => {
        const [s, e] = added[0]!
        return { documentId: doc.id, position: doc.position, before: doc.text.slice(Math.max(0, s - 40), s), match: doc.text.slice(s, e), after: doc.text.slice(e, e + 40) }
      })
      const summary = { documents: plan.length, spans: plan.reduce((n, p) => n + p.added.length, 0), examples }
      if (input.dryRun || plan.length === 0) return summary
      const when = now()
      const changes: bulk.BulkChange[] = []
      const bulkId = db.transaction(() => {
        for (const p of plan) {
          const r = repo.saveAnnotation(db, { documentId: p.doc.id, annotator: input.annotator, spans: sortSpans([...p.base, ...p.added]), status: p.status, expectedVersion: p.before?.version ?? 0, now: when })
          if (!r) throw new AppError('CONFLICT', 'A document changed while labelling all occurrences; nothing was changed. Try again.')
          changes.push({ documentId: p.doc.id, before: p.before ? { spans: p.before.spans, status: p.before.status } : null, afterVersion: r.version })
        }
        return bulk.insertBulkEdit(db, { projectId: project.id, annotator: input.annotator, description: `label "${input.text}" everywhere`, changes, now: when })
      })()
      for (const c of changes) changed({ projectId: project.id, documentId: c.documentId, annotator: input.annotator, version: c.afterVersion })
      return { ...summary, bulkId }
    },

    agreement(projectId) {
      projects.get(projectId)
      const docs = new Map<number, AnnotatedDocument>()
      for (const r of repo.sharedAnnotations(db, projectId)) {
        const d = docs.get(r.documentId) ?? { documentId: r.documentId, position: r.position, annotations: [] }
        d.annotations.push({ annotator: r.annotator, spans: JSON.parse(r.spans) as SpanTuple[] })
        docs.set(r.documentId, d)
      }
      return agreement([...docs.values()])
    },

    undoBulk(id) {
      const edit = bulk.getBulkEdit(db, id)
      if (!edit) throw new AppError('NOT_FOUND', `There is no bulk edit ${id}.`)
      if (edit.undoneAt) throw new AppError('CONFLICT', `That bulk edit was already undone (${edit.undoneAt}).`)
      const when = now()
      const done: { documentId: number; version: number }[] = []
      let skipped = 0
      db.transaction(() => {
        for (const c of edit.changes) {
          const r = repo.saveAnnotation(db, { documentId: c.documentId, annotator: edit.annotator, spans: c.before?.spans ?? [], status: c.before?.status ?? 'todo', expectedVersion: c.afterVersion, now: when })
          if (r) done.push({ documentId: c.documentId, version: r.version })
          else skipped++
        }
        bulk.markUndone(db, id, when)
      })()
      for (const d of done) changed({ projectId: edit.projectId, documentId: d.documentId, annotator: edit.annotator, version: d.version })
      return { restored: done.length, skipped }
    },
  }
}
