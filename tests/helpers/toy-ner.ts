/**
 * A toy NER corpus over the tiny-bert fixture's vocabulary: sentences from templates with
 * person and location names, so a tiny model can learn it in a few dozen steps.
 */
import { join } from 'node:path'
import { seededRandom } from '../../src-shared/domain/splits'
import type { NerDocument } from '../../src-main/engine/data'
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
