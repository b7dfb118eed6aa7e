// Tiny made-up vocabularies and helpers for the data tests: no shared data needed.
import { createBertTokenizer, parseVocabTxt, type BertTokenizer } from '../../../../src-main/engine/tokenizer'
import type { EncodedWindow, TagSet } from '../../../../src-main/engine/data'
import { seededRandom } from '../../../../src-shared/domain/splits'

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
const ENGLISH = ['Ada', 'lives', 'in', 'New', 'York', 'City', 'NewYork', 'George', 'Wash', '##ing', '##ton', 'visited', 'Paris', 'and', 'the', '.', ',', 'Lo', '##ve', '##lace', 'met']
const CHINESE = ['我', '在', '北', '京', '住', '𠮷', '野', '家', '。', '上', '海', '和']

/** A cased tokenizer over English words (Washington = Wash ##ing ##ton) and a few CJK characters (𠮷 included). */
export function tinyTokenizer(): BertTokenizer {
  return createBertTokenizer(parseVocabTxt([...SPECIALS, ...ENGLISH, ...CHINESE].join('\n') + '\n'), { doLowerCase: false })
}

/** One-hot rows [ids.length * numTags]; an id < 0 (ignored label) gets a random tag, which must not matter. */
export function oneHot(ids: ArrayLike<number>, numTags: number, seed = 1): Float32Array {
  const random = seededRandom(seed)
  const out = new Float32Array(ids.length * numTags)
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]! >= 0 ? ids[k]! : Math.floor(random() * numTags)
    out[k * numTags + id] = 1
  }
  return out
}

/** Tag strings of label ids (-100 stays '-'). */
export function tagNames(labels: ArrayLike<number>, tagSet: TagSet): string[] {
  return Array.from(labels, (id) => (id < 0 ? '-' : tagSet.tags[id]!))
}

/** A fake window of `length` positions (ids 100 + position, labels 0, -100 at the edges). */
export function fakeWindow(docId: number, windowIndex: number, length: number): EncodedWindow {
  const inputIds = Int32Array.from({ length }, (_, k) => (k === 0 ? 2 : k === length - 1 ? 3 : 100 + k))
  const labels = Int32Array.from({ length }, (_, k) => (k === 0 || k === length - 1 ? -100 : k % 3))
  const wordStarts = Uint8Array.from({ length }, (_, k) => (k === 0 || k === length - 1 ? 0 : 1))
  return { docId, windowIndex, inputIds, labels, tokenStart: 0, length, wordStarts, docTokenCount: length - 2 }
}
