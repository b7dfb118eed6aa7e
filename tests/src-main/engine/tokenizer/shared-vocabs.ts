// The real BERT vocabularies in ../shared/data/vocab, loaded once per test file.
import { join } from 'node:path'
import { SHARED_DATA } from '../../../helpers/shared-data'
import { createBertTokenizer, loadTokenizerFiles, type BertTokenizer, type BertTokenizerOptions } from '../../../../src-main/engine/tokenizer'

export const VOCAB_DIR = join(SHARED_DATA, 'vocab')
export const VECTORS = join(SHARED_DATA, 'tokenizer-vectors', 'bert-vocab-matched-cases.json')

export type VocabName = 'bert-base-uncased' | 'bert-base-cased' | 'bert-base-chinese'

const cache = new Map<string, BertTokenizer>()

/** The tokenizer of a shared vocab folder, with options over its own files' (e.g. doLowerCase). */
export function sharedTokenizer(name: VocabName, options: Partial<BertTokenizerOptions> = {}): BertTokenizer {
  const key = `${name} ${JSON.stringify(options)}`
  let t = cache.get(key)
  if (!t) {
    const loaded = loadTokenizerFiles(join(VOCAB_DIR, name))
    t = createBertTokenizer(loaded.vocab, { ...loaded.options, ...options })
    cache.set(key, t)
  }
  return t
}
