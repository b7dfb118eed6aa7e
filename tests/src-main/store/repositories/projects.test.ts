import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../../../src-main/store/db'
import { getProject, insertProject, listLabels, listProjects, replaceLabels } from '../../../../src-main/store/repositories/projects'

function fresh() {
  const db = openDatabase(':memory:')
  const id = insertProject(db, { name: 'News', description: '', taskType: 'ner', tagScheme: 'iob2', allowNested: false, guidelines: '', now: '2026-01-01T00:00:00.000Z' })
  return { db, id }
}

const label = (name: string, shortcut: string | null, id?: number) => ({ ...(id ? { id } : {}), name, color: '#111111', shortcut, description: '' })

describe('projects repository', () => {
  it('maps rows to projects with labels in position order', () => {
    const { db, id } = fresh()
    replaceLabels(db, id, [label('PER', '1'), label('ORG', '2'), label('LOC', '3')])
    const p = getProject(db, id)!
    expect(p).toMatchObject({ id, name: 'News', taskType: 'ner', tagScheme: 'iob2', version: 0, createdAt: '2026-01-01T00:00:00.000Z' })
    expect(p.labels.map((l) => l.name)).toEqual(['PER', 'ORG', 'LOC'])
    expect(listProjects(db)[0]!.labels).toEqual(p.labels)
  })

  it('swaps two labels’ names and keys in one replace, keeping their ids', () => {
    const { db, id } = fresh()
    replaceLabels(db, id, [label('PER', '1'), label('ORG', '2')])
    const [per, org] = listLabels(db, id)
    replaceLabels(db, id, [label('ORG', '2', per!.id), label('PER', '1', org!.id)])
    const after = listLabels(db, id)
    expect(after.map((l) => [l.id, l.name, l.shortcut])).toEqual([
      [per!.id, 'ORG', '2'],
      [org!.id, 'PER', '1'],
    ])
  })

  it('removes labels left out and adds new ones', () => {
    const { db, id } = fresh()
    replaceLabels(db, id, [label('PER', '1'), label('ORG', '2')])
    const [per] = listLabels(db, id)
    replaceLabels(db, id, [label('PER', '1', per!.id), label('MISC', '4')])
    expect(listLabels(db, id).map((l) => l.name)).toEqual(['PER', 'MISC'])
    expect(listLabels(db, id)[0]!.id).toBe(per!.id)
  })
})
