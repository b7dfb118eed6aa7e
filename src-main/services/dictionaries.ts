/** Gazetteers per label, the source of dictionary pre-annotation. */
import type { DB } from '../store/db'
import * as repo from '../store/repositories/dictionaries'
import type { ProjectService } from './projects'
import type { Dictionary } from '../../src-shared/domain/annotation'
import { AppError } from '../../src-shared/ipc/errors'

export function createDictionaryService(db: DB, projects: ProjectService) {
  return {
    get(projectId: number): Dictionary {
      const p = projects.get(projectId)
      const byLabel = new Map(p.labels.map((l) => [l.id, [] as string[]]))
      for (const t of repo.listTerms(db, projectId)) byLabel.get(t.labelId)?.push(t.term)
      return { entries: [...byLabel].map(([labelId, terms]) => ({ labelId, terms })) }
    },
    set(projectId: number, labelId: number, terms: string[]): Dictionary {
      const p = projects.get(projectId)
      if (!p.labels.some((l) => l.id === labelId)) throw new AppError('INVALID_INPUT', `Label id ${labelId} is not in project "${p.name}".`, [{ path: 'labelId', message: 'not a label of this project' }])
      const clean = [...new Set(terms.map((t) => t.trim()).filter(Boolean))]
      db.transaction(() => repo.replaceTerms(db, labelId, clean))()
      return this.get(projectId)
    },
  }
}
