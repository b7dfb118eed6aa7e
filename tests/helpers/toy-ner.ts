/**
 * A toy NER corpus over the tiny-bert fixture's vocabulary: sentences from templates with
 * person and location names, so a tiny model can learn it in a few dozen steps.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Host } from '../../src-main/host/create-host'
import { seededRandom } from '../../src-shared/domain/splits'
import type { NerDocument } from '../../src-main/engine/data'
import { offsetConverter, spanToCodePoints } from '../../src-main/formats/offsets'
import { loadBertTokenizer, type BertTokenizer } from '../../src-main/engine/tokenizer'

export const TINY_BERT = join(import.meta.dirname, '../fixtures/tiny-bert')

const PEOPLE = ['john', 'mary', 'anna', 'john smith', 'mary smith', 'johnson']
const PLACES = ['new york', 'paris', 'london', 'berlin', 'beijing', 'china', 'france']
const TEMPLATES = ['{P} lives in {L}', '{P} visited {L} yesterday', 'hello {P}', '{P} works at the bank in {L}', 'the old man from {L} was born in {L}', '{P} and {P} went to {L} today']

export function toyDocuments(count: number, seed: number, prefix = 'd'): NerDocument[] {
  const random = seededRandom(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
  const docs: NerDocument[] = []
  for (let i = 0; i < count; i++) {
    const template = pick(TEMPLATES)
    let text = ''
    const spans: NerDocument['spans'][number][] = []
    for (const part of template.split(/(\{[PL]\})/)) {
      if (part === '{P}' || part === '{L}') {
        const value = pick(part === '{P}' ? PEOPLE : PLACES)
        spans.push({ start: text.length, end: text.length + value.length, label: part === '{P}' ? 'PER' : 'LOC' })
        text += value
      } else text += part
    }
    docs.push({ id: `${prefix}${i}`, text, spans })
  }
  return docs
}

export function tinyTokenizer(): BertTokenizer {
  return loadBertTokenizer(TINY_BERT).tokenizer
}

/** Writes `docs` as a doccano JSONL file (what the import dialog and `data import` read), with doccano's code-point offsets. */
export function doccanoFile(path: string, docs: readonly NerDocument[]): string {
  const line = (d: NerDocument): string => {
    const conv = offsetConverter(d.text)
    const label = d.spans.map((s) => {
      const c = spanToCodePoints(conv, s)
      return [c.start, c.end, s.label]
    })
    return JSON.stringify({ text: d.text, label })
  }
  writeFileSync(path, docs.map(line).join('\n') + '\n')
  return path
}

/** A project "Toy" (PER, LOC) with 48 train, 12 dev and 12 test documents, all done. */
export async function toyProject(host: Host, dir: string): Promise<number> {
  const p = await host.call('project.create', { name: 'Toy', labels: [{ name: 'PER' }, { name: 'LOC' }] })
  for (const [split, docs] of [['train', toyDocuments(48, 1, 't')], ['dev', toyDocuments(12, 2, 'v')], ['test', toyDocuments(12, 3, 's')]] as const) {
    await host.call('dataset.import', { projectId: p.id, files: [{ path: doccanoFile(join(dir, `${split}.jsonl`), docs) }], format: 'doccano', split })
  }
  return p.id
}
