/** Projects: the list, the selected one, and every change, kept in step with other windows. */
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { Project, ProjectCreate, ProjectUpdate } from '@shared/domain/project'
import { useApi } from '../api/client'
import { useListed } from './listed'

export const useProjectsStore = defineStore('projects', () => {
  const api = useApi()
  const { items: projects, loaded, loading, loadError, load } = useListed(() => api.invoke('project.list', {}))
  /** Set when another window or user changed or deleted a project this window has open. */
  const changedElsewhere = ref<{ id: number; kind: 'updated' | 'deleted' } | null>(null)
  let ownWrites = 0
  /** A message for the editor that opens next, e.g. "Project created." after the create form gives way to the project. */
  const flash = ref<{ projectId: number; text: string } | null>(null)
  function takeFlash(projectId: number): string | null {
    if (flash.value?.projectId !== projectId) return null
    const text = flash.value.text
    flash.value = null
    return text
  }

  const byId = computed(() => new Map(projects.value.map((p) => [p.id, p])))

  api.on('project.onDidChange', (change) => {
    if (ownWrites === 0 && change.kind !== 'created') changedElsewhere.value = { id: change.projectId, kind: change.kind }
    void load()
  })

  async function write<T>(fn: () => Promise<T>): Promise<T> {
    ownWrites++
    try {
      const value = await fn()
      await load()
      return value
    } finally {
      // Our own change event arrives just after the answer; let it pass before re-arming.
      setTimeout(() => ownWrites--, 300)
    }
  }

  const create = (input: ProjectCreate): Promise<Project> => write(() => api.invoke('project.create', input))
  const update = (input: ProjectUpdate): Promise<Project> => write(() => api.invoke('project.update', input))
  const createSample = (): Promise<Project> => write(() => api.invoke('project.createSample', {}))
  const remove = (id: number): Promise<{ id: number }> => write(() => api.invoke('project.delete', { id }))

  return { flash, takeFlash, projects, loaded, loading, loadError, changedElsewhere, byId, load, create, createSample, update, remove }
})
