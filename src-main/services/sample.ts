/** The sample project a first-time user can create in one click: 400 WNUT-17 sentences. */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Project } from '../../src-shared/domain/project'
import { AppError } from '../../src-shared/ipc/errors'
import type { ProjectService } from './projects'
import type { DatasetService } from './datasets'

export const SAMPLE_FILE = 'samples/wnut17-sample.conll'

export const SAMPLE_CREDIT =
  'Sample data: WNUT-17 Emerging and Rare Entities (Derczynski, Nichols, van Erp, Limsopatham, W-NUT 2017), CC-BY-4.0.'

const LABELS = [
  { name: 'person', description: 'Names of people, including usernames used as names and fictional characters' },
  { name: 'location', description: 'Places: countries, cities, buildings, natural locations' },
  { name: 'corporation', description: 'Companies and businesses' },
  { name: 'product', description: 'Named products, brands used as products, software' },
  { name: 'creative-work', description: 'Titles of songs, films, books, games, TV shows' },
  { name: 'group', description: 'Bands, sports teams, political parties, other named groups' },
]

export async function createSampleProject(projects: ProjectService, datasets: DatasetService, resourcesDir: string | undefined): Promise<Project> {
  const file = resourcesDir ? join(resourcesDir, SAMPLE_FILE) : undefined
  if (!file || !existsSync(file)) throw new AppError('UNAVAILABLE', `The sample data is missing from this installation${file ? ` (${file})` : ''}.`)
  const taken = new Set(projects.list().map((p) => p.name.toLowerCase()))
  let name = 'WNUT-17 sample'
  for (let i = 2; taken.has(name.toLowerCase()); i++) name = `WNUT-17 sample (${i})`
  const project = projects.create({
    name,
    description: `Noisy user-generated English (tweets, Reddit, YouTube, Stack Overflow) with six entity types. ${SAMPLE_CREDIT}`,
    taskType: 'ner',
    tagScheme: 'iob2',
    labels: LABELS,
  })
  try {
    await datasets.import(
      { projectId: project.id, files: [{ path: file }], format: 'conll', encoding: 'utf-8', scheme: 'iob2', tagColumn: -1, separator: 'tab', weiboDigits: false, invalidTags: 'repair', split: 'unassigned', status: 'done', unknownLabels: 'reject', dryRun: false, annotator: 'WNUT-17' },
      true,
    )
    datasets.split({ projectId: project.id, ratios: [0.8, 0.1, 0.1], seed: 17, stratify: true, scope: 'all' })
  } catch (err) {
    projects.delete(project.id)
    throw err
  }
  return projects.get(project.id)
}
