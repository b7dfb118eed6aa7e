/**
 * Project use cases over the store: the rules that span rows (unique names, label ids that
 * belong to the project, optimistic versions) live here; input shape is already validated.
 */
import type { z } from 'zod'
import type { DB } from '../store/db'
import { AppError } from '../../src-shared/ipc/errors'
import { resolveLabelDefaults, type Project } from '../../src-shared/domain/project'
import type { ProjectCreate as ProjectCreateSchema, ProjectUpdate as ProjectUpdateSchema } from '../../src-shared/domain/project'
import * as repo from '../store/repositories/projects'
import type { ProjectChange } from '../../src-shared/ipc/contract'

type CreateInput = z.output<typeof ProjectCreateSchema>
type UpdateInput = z.output<typeof ProjectUpdateSchema>

export interface ProjectService {
  list(): Project[]
  get(id: number): Project
  create(input: CreateInput): Project
  update(input: UpdateInput): Project
  delete(id: number): { id: number }
}

export function createProjectService(db: DB, emit: (change: ProjectChange) => void, now = () => new Date().toISOString()): ProjectService {
  function mustGet(id: number): Project {
    const p = repo.getProject(db, id)
    if (!p) throw new AppError('NOT_FOUND', `There is no project with id ${id}.`, { id })
    return p
  }

  function refuseTakenName(name: string, exceptId?: number): void {
    const other = repo.findProjectIdByName(db, name)
    if (other !== undefined && other !== exceptId) {
      throw new AppError('ALREADY_EXISTS', `A project named "${name}" already exists.`, [
        { path: 'name', message: `a project named "${name}" already exists` },
      ])
    }
  }

  return {
    list: () => repo.listProjects(db),

    get: mustGet,

    create(input) {
      const project = db.transaction(() => {
        refuseTakenName(input.name)
        const labels = input.labels ?? []
        if (labels.some((l) => l.id !== undefined)) {
          throw new AppError('INVALID_INPUT', 'New labels cannot carry an id.', [{ path: 'labels', message: 'new labels cannot carry an id' }])
        }
        const id = repo.insertProject(db, {
          name: input.name,
          description: input.description ?? '',
          taskType: input.taskType ?? 'ner',
          tagScheme: input.tagScheme ?? 'iob2',
          allowNested: input.allowNested ?? false,
          guidelines: input.guidelines ?? '',
          now: now(),
        })
        repo.replaceLabels(db, id, resolveLabelDefaults(labels))
        return mustGet(id)
      })()
      emit({ kind: 'created', projectId: project.id })
      return project
    },

    update(input) {
      const project = db.transaction(() => {
        const current = mustGet(input.id)
        if (input.expectedVersion !== undefined && input.expectedVersion !== current.version) {
          throw new AppError(
            'CONFLICT',
            `Project "${current.name}" was changed elsewhere (version ${current.version}, you edited version ${input.expectedVersion}). Reload it and apply your change again.`,
            { current },
          )
        }
        if (input.name !== undefined) refuseTakenName(input.name, current.id)
        if (input.labels) {
          const own = new Set(current.labels.map((l) => l.id))
          input.labels.forEach((l, i) => {
            if (l.id !== undefined && !own.has(l.id)) {
              throw new AppError('INVALID_INPUT', `Label id ${l.id} does not belong to project "${current.name}".`, [
                { path: `labels.${i}.id`, message: `label id ${l.id} does not belong to this project` },
              ])
            }
          })
          repo.replaceLabels(db, current.id, resolveLabelDefaults(input.labels))
        }
        const fields: repo.ProjectFields = {}
        if (input.name !== undefined) fields.name = input.name
        if (input.description !== undefined) fields.description = input.description
        if (input.tagScheme !== undefined) fields.tagScheme = input.tagScheme
        if (input.allowNested !== undefined) fields.allowNested = input.allowNested
        if (input.guidelines !== undefined) fields.guidelines = input.guidelines
        repo.updateProjectRow(db, current.id, fields, now())
        return mustGet(current.id)
      })()
      emit({ kind: 'updated', projectId: project.id })
      return project
    },

    delete(id) {
      db.transaction(() => {
        mustGet(id)
        repo.deleteProjectRow(db, id)
      })()
      emit({ kind: 'deleted', projectId: id })
      return { id }
    },
  }
}
