// Every case of tokenizer-vectors/bert-vocab-matched-cases.json (transformers.js' BERT tests, whose
// expectations come from the Python HF tokenizers) must come out exactly: the tokens without
// special tokens, and the ids with [CLS] ... [SEP] (pairs: [CLS] A [SEP] B [SEP]).
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { sharedDataAvailable } from '../../../helpers/shared-data'
import { sharedTokenizer, VECTORS, type VocabName } from './shared-vocabs'

const available = sharedDataAvailable('the BERT tokenizer test vectors')

interface VectorCase {
  text: string
  text_pair?: string
  tokens: string[]
  ids: number[]
  decoded: string
}

/** Which vocab and settings each model of the file uses (tokenizer-vectors/SOURCE.md). */
const MODELS: Record<string, { vocab: VocabName; doLowerCase: boolean }> = {
  'Xenova/bert-base-uncased': { vocab: 'bert-base-uncased', doLowerCase: true },
  'Xenova/distilbert-base-uncased-finetuned-sst-2-english': { vocab: 'bert-base-uncased', doLowerCase: true },
  'Xenova/bert-base-cased': { vocab: 'bert-base-cased', doLowerCase: false },
  'google-bert/bert-base-cased': { vocab: 'bert-base-cased', doLowerCase: false },
  'Xenova/distilbert-base-cased-distilled-squad': { vocab: 'bert-base-cased', doLowerCase: false },
  // The bert-base-chinese vocab with lowercase=true (bert-base-chinese itself does not lowercase).
  'Xenova/bge-base-zh-v1.5': { vocab: 'bert-base-chinese', doLowerCase: true },
}

const vectors: Record<string, Record<string, VectorCase>> = available ? JSON.parse(readFileSync(VECTORS, 'utf8')) : {}
const cases = Object.entries(vectors).flatMap(([model, byName]) => Object.entries(byName).map(([name, c]) => ({ model, name, ...c })))

describe.skipIf(!available)('HF tokenization vectors on the matching vocabularies', () => {
  it('covers every model of the file, 83 cases in all', () => {
    expect(Object.keys(vectors).sort()).toEqual(Object.keys(MODELS).sort())
    expect(cases).toHaveLength(83)
  })

  it.each(cases)('$model $name', ({ model, text, text_pair, tokens, ids }) => {
    const { vocab, doLowerCase } = MODELS[model]!
    const t = sharedTokenizer(vocab, { doLowerCase })
    const a = t.encode(text)
    const b = text_pair === undefined ? undefined : t.encode(text_pair)
    expect([...a.tokens, ...(b?.tokens ?? [])]).toEqual(tokens)
    const full = t.withSpecialTokens(a, b)
    expect(full.ids).toEqual(ids)
    // Every token of the text maps back to a non-empty stretch of it, in order.
    let last = 0
    for (const [s, e] of a.offsets) {
      expect(s).toBeGreaterThanOrEqual(last)
      expect(e).toBeGreaterThan(s)
      last = e
    }
    expect(last).toBeLessThanOrEqual(text.length)
  })
})
