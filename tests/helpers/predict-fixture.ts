/**
 * A run trained for real (trainer process, tiny BERT fixture) on English and Chinese toy
 * sentences, some with a character outside the BMP (𠮷, two UTF-16 units), so prediction tests
 * can check entities in both scripts and offsets after an astral character.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Host } from '../../src-main/host/create-host'
import type { NerDocument } from '../../src-main/engine/data'
import { seededRandom } from '../../src-shared/domain/splits'
import { TINY_BERT, toyDocuments } from './toy-ner'

/** Characters of the tiny vocabulary: 约翰 is a person, 北京/上海/中国 places; 𠮷 is unknown to it. */
const ZH_PEOPLE = ['约翰']
const ZH_PLACES = ['北京', '上海', '中国']
const ZH_TEMPLATES = ['{P}住在{L}。', '他是{L}人。', '我在{L}，{P}在{L}。', '{P}是{L}人', '𠮷{P}住在{L}。', '你好𠮷，{P}在{L}的人。']

export function chineseDocuments(count: number, seed: number, prefix = 'z'): NerDocument[] {
  const random = seededRandom(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
  return Array.from({ length: count }, (_, i) => {
    let text = ''
    const spans: NerDocument['spans'][number][] = []
    for (const part of pick(ZH_TEMPLATES).split(/(\{[PL]\})/)) {
      if (part === '{P}' || part === '{L}') {
        const value = pick(part === '{P}' ? ZH_PEOPLE : ZH_PLACES)
        spans.push({ start: text.length, end: text.length + value.length, label: part === '{P}' ? 'PER' : 'LOC' })
        text += value
      } else text += part
    }
    return { id: `${prefix}${i}`, text, spans }
  })
}

/** doccano JSONL: offsets in code points (𠮷 counts once), as the format defines them. */
export function doccanoCodePoints(path: string, docs: readonly NerDocument[]): string {
  const cp = (text: string, i: number): number => [...text.slice(0, i)].length
  writeFileSync(path, docs.map((d) => JSON.stringify({ text: d.text, label: d.spans.map((s) => [cp(d.text, s.start), cp(d.text, s.end), s.label]) })).join('\n') + '\n')
  return path
}

export const PREDICT_CONFIG = { model: TINY_BERT, epochs: 4, batchSize: 8, learningRate: 5e-3, maxLength: 32, dropout: 0, seed: 1, evalEvery: 'epoch' }

/** A project "People and places" (PER, LOC) with English and Chinese documents, and a completed run on it. */
export async function trainedPredictRun(host: Host, dir: string, name = 'People and places'): Promise<{ projectId: number; runId: number }> {
  const p = await host.call('project.create', { name, labels: [{ name: 'PER' }, { name: 'LOC' }] })
  const sets = [
    ['train', [...toyDocuments(40, 1, 't'), ...chineseDocuments(40, 11, 'tz')]],
    ['dev', [...toyDocuments(10, 2, 'v'), ...chineseDocuments(10, 12, 'vz')]],
    ['test', [...toyDocuments(10, 3, 's'), ...chineseDocuments(10, 13, 'sz')]],
  ] as const
  for (const [split, docs] of sets) {
    await host.call('dataset.import', { projectId: p.id, files: [{ path: doccanoCodePoints(join(dir, `${split}.jsonl`), docs) }], format: 'doccano', split })
  }
  const started = await host.call('run.start', { projectId: p.id, name: 'tiny mixed', config: PREDICT_CONFIG, backend: 'wasm' })
  const run = await host.runs.waitFor(started.id)
  if (run.status !== 'completed') throw new Error(`the fixture run ended ${run.status}: ${run.error ?? ''}`)
  return { projectId: p.id, runId: run.id }
}
