/** Small text facts used across the app. Pure. */

/** Han, kana, hangul and CJK punctuation: written without spaces, annotated per character. */
export const CJK = /[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]|[\ud840-\ud87f][\udc00-\udfff]/

const TOKEN = new RegExp(`${CJK.source}|[\\p{L}\\p{N}\\p{M}_]+|[^\\s]`, 'gu')

/** Tokens as a word-level tokenizer counts them: words, single punctuation marks, single CJK characters. */
export function countTokens(text: string): number {
  let n = 0
  TOKEN.lastIndex = 0
  while (TOKEN.exec(text)) n++
  return n
}
