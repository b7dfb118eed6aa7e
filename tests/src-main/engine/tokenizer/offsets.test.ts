// Offsets checked against the original text: every token's [start, end) slice, cleaned and (for
// an uncased vocab) lowercased and stripped of accents, is the token without its '##'; nothing
// but whitespace and removed characters is left uncovered; and annotation spans of the real NER
// data sets (UTF-16 offsets, as the store keeps them) line up with whole tokens.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SHARED_DATA, sharedDataAvailable } from '../../../helpers/shared-data'
import type { BertTokenizer } from '../../../../src-main/engine/tokenizer'
import { sharedTokenizer } from './shared-vocabs'

const available = sharedDataAvailable('the real texts and vocabularies for the tokenizer offset checks')

// An independent statement of what the normalizer does to a stretch of original text.
const REMOVED = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\uFFFD]/gu
const SPACE = /^[\s\p{Zs}]$/u
function normalize(s: string, lower: boolean): string {
  let x = s.replace(REMOVED, '')
  if (lower) x = Array.from(x.normalize('NFD').replace(/\p{Mn}/gu, ''), (c) => c.toLowerCase()).join('')
  return x
}

/**
 * Checks one text, adding what is wrong to `problems` (plain checks: expect() per token would make
 * this slow). Returns the number of tokens.
 */
function checkOffsets(t: BertTokenizer, text: string, problems: string[]): number {
  const lower = t.options.doLowerCase
  const e = t.encode(text)
  const covered = new Uint8Array(text.length)
  const unk = t.unk.token
  const fail = (what: string) => problems.length < 20 && problems.push(`${JSON.stringify(text)}: ${what}`)
  let k = 0
  while (k < e.tokens.length) {
    // Tokens that share an original character (a Hangul syllable decomposed into jamo, say) are
    // checked as one group.
    let j = k + 1
    let groupEnd = e.offsets[k]![1]
    while (j < e.tokens.length && e.offsets[j]![0] < groupEnd) groupEnd = Math.max(groupEnd, e.offsets[j++]![1])
    const [start] = e.offsets[k]!
    const tokens = e.tokens.slice(k, j)
    const slice = text.slice(start, groupEnd)
    if (!(start < groupEnd)) fail(`${tokens} has an empty range`)
    if (k > 0 && start < e.offsets[k - 1]![1]) fail(`${tokens} starts before the previous token ends`)
    for (const at of [start, groupEnd]) if (/[\uDC00-\uDFFF]/.test(text[at] ?? '') && /[\uD800-\uDBFF]/.test(text[at - 1] ?? '')) fail(`${tokens}: offset ${at} splits a surrogate pair`)
    if (tokens.includes(unk)) {
      if (tokens.length !== 1) fail(`[UNK] shares a character with ${tokens}`)
      if (normalize(slice, lower).length === 0 || /\s/.test(slice.replace(REMOVED, ''))) fail(`[UNK] covers ${JSON.stringify(slice)}`)
    } else {
      const want = tokens.map((x) => x.replace(/^##/, '')).join('')
      if (normalize(slice, lower) !== want) fail(`${JSON.stringify(tokens)} covers ${JSON.stringify(slice)}`)
    }
    covered.fill(1, start, groupEnd)
    k = j
  }
  for (let i = 0; i < text.length; i++) {
    if (covered[i]) continue
    const cp = text.codePointAt(i)!
    const ch = String.fromCodePoint(cp)
    // Uncovered: whitespace, removed characters, or a mark that accent stripping drops.
    if (!(SPACE.test(ch) || normalize(ch, lower) === '')) fail(`U+${cp.toString(16)} at ${i} belongs to no token`)
    if (cp > 0xffff) i++
  }
  return e.tokens.length
}

/**
 * Sentences of a CoNLL-style file: the tokens joined by `sep`, and each entity's [start, end).
 * `map` rewrites each token (Weibo's carry a word-segmentation digit: "科0").
 */
function conll(file: string, sep: string, map = (w: string) => w): Array<{ text: string; spans: Array<[number, number]> }> {
  const out: Array<{ text: string; spans: Array<[number, number]> }> = []
  let words: string[] = []
  let tags: string[] = []
  const flush = () => {
    if (words.length === 0) return
    let text = ''
    const spans: Array<[number, number]> = []
    words.forEach((w, i) => {
      if (i > 0) text += sep
      const tag = tags[i]!
      if (tag.startsWith('B-') || (tag.startsWith('I-') && !(tags[i - 1] ?? 'O').endsWith(tag.slice(2)))) spans.push([text.length, text.length + w.length])
      else if (tag.startsWith('I-')) spans[spans.length - 1]![1] = text.length + w.length
      text += w
    })
    out.push({ text, spans })
    words = []
    tags = []
  }
  for (const line of readFileSync(join(SHARED_DATA, file), 'utf8').split('\n')) {
    const cols = line.split(/\t| /)
    if (line.trim() === '' || line.startsWith('-DOCSTART-')) flush()
    else {
      words.push(map(cols[0]!))
      tags.push(cols[cols.length - 1]!)
    }
  }
  flush()
  return out
}

// Deterministic awkward texts: scripts, marks, emoji, controls, CJK, Hangul, fullwidth forms.
function awkwardTexts(n: number): string[] {
  let seed = 20240611
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed / 0x80000000)
  const pool = [[0x21, 0x7e], [0xa0, 0x24f], [0x300, 0x36f], [0x370, 0x3ff], [0x400, 0x4ff], [0x4e00, 0x4eff], [0x3000, 0x30ff], [0xac00, 0xac30], [0xff01, 0xff5e], [0x1f300, 0x1f64f], [0x20000, 0x2003f], [0xf900, 0xf90f], [0x0, 0x1f], [0x2000, 0x206f], [0x1e00, 0x1fff], [0x0900, 0x097f], [0xfe00, 0xfe0f], [0x1d400, 0x1d41f], [0x10400, 0x1044f], [0xe000, 0xe00f]] as const
  return Array.from({ length: n }, () => {
    let s = ''
    const len = 1 + Math.floor(rnd() * 40)
    for (let i = 0; i < len; i++) {
      const r = rnd()
      if (r < 0.25) s += ' '
      else if (r < 0.5) s += 'abcdefghijKLMNOPQRST0123456789'[Math.floor(rnd() * 30)]
      else {
        const [lo, hi] = pool[Math.floor(rnd() * pool.length)]!
        s += String.fromCodePoint(lo + Math.floor(rnd() * (hi - lo + 1)))
      }
    }
    return s
  })
}

describe.skipIf(!available)('token offsets in the original text', () => {
  it('WNUT-17 (train + dev) on the uncased and cased vocabularies', () => {
    const texts = [...conll('wnut17/wnut17train.conll', ' '), ...conll('wnut17/emerging.dev.conll', ' ')].map((s) => s.text)
    expect(texts).toHaveLength(3394 + 1009)
    for (const t of [sharedTokenizer('bert-base-uncased'), sharedTokenizer('bert-base-cased', { doLowerCase: false })]) {
      const problems: string[] = []
      let n = 0
      for (const text of texts) n += checkOffsets(t, text, problems)
      expect(problems).toEqual([])
      expect(n).toBeGreaterThan(100_000)
    }
  })

  it('Chinese NER text (Weibo, CLUENER) on the Chinese vocabulary, cased and lowercased', () => {
    const texts = [
      ...conll('weibo-ner/weiboNER_2nd_conll.train', '', (w) => w.slice(0, -1)).map((s) => s.text),
      ...readFileSync(join(SHARED_DATA, 'cluener2020/train.json'), 'utf8').split('\n').filter(Boolean).slice(0, 3000).map((l) => (JSON.parse(l) as { text: string }).text),
    ]
    for (const t of [sharedTokenizer('bert-base-chinese'), sharedTokenizer('bert-base-chinese', { doLowerCase: true })]) {
      const problems: string[] = []
      for (const text of texts) checkOffsets(t, text, problems)
      expect(problems).toEqual([])
    }
  })

  it('awkward synthetic texts on all three vocabularies', () => {
    const texts = awkwardTexts(3000)
    const tokenizers = [sharedTokenizer('bert-base-uncased'), sharedTokenizer('bert-base-cased', { doLowerCase: false }), sharedTokenizer('bert-base-chinese', { doLowerCase: false })]
    const problems: string[] = []
    for (const t of tokenizers) for (const text of texts) checkOffsets(t, text, problems)
    expect(problems).toEqual([])
  })

  it('a Hangul syllable split into jamo pieces gives the pieces the same offsets, as the fast tokenizer does', () => {
    const t = sharedTokenizer('bert-base-uncased')
    const e = t.encode('한국')
    expect(e.tokens.length).toBeGreaterThan(2)
    expect(e.offsets[0]).toEqual([0, 1])
    expect(e.offsets[e.offsets.length - 1]).toEqual([1, 2])
  })

  it('WNUT-17 entity spans line up with whole tokens (no token straddles a span edge)', () => {
    const t = sharedTokenizer('bert-base-cased', { doLowerCase: false })
    const sentences = conll('wnut17/wnut17train.conll', ' ')
    const problems: string[] = []
    let spans = 0
    for (const { text, spans: ss } of sentences) {
      const { tokens, offsets } = t.encode(text)
      for (const [s, e] of ss) {
        spans++
        const inside = offsets.flatMap(([a, b], k) => (a < e && b > s ? [{ a, b, k }] : []))
        const where = `${JSON.stringify(text.slice(s, e))} in ${JSON.stringify(text)}`
        if (inside.length === 0) problems.push(`no token in ${where}`)
        else if (inside.some(({ a, b }) => a < s || b > e)) problems.push(`a token straddles ${where}`)
        else {
          const pieces = inside.map(({ k }) => tokens[k]!)
          const joined = pieces.map((p) => p.replace(/^##/, '')).join('')
          if (!pieces.includes(t.unk.token) && joined !== text.slice(s, e).replace(/[\s\p{Cf}\p{Co}\p{Cc}]/gu, '')) problems.push(`${JSON.stringify(pieces)} for ${where}`)
        }
      }
    }
    expect(problems).toEqual([])
    expect(spans).toBe(1975)
  })
})
