/** Reading a document for the editor and saving one annotator's work on it. */
import type { z } from 'zod'
import type { DB } from '../store/db'
import * as repo from '../store/repositories/annotations'
import type { ProjectService } from './projects'
import { AppError } from '../../src-shared/ipc/errors'
import type { AnnotationRecord, AnnotationSave, DocumentDetail } from '../../src-shared/domain/annotation'
import { checkSpans, sortSpans } from '../../src-shared/domain/spans'

export interface AnnotationService {
  getDocument(id: number): DocumentDetail
  save(input: z.output<typeof AnnotationSave>): AnnotationRecord
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
  }
}
