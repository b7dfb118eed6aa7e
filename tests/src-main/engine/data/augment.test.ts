import { describe, expect, it } from 'vitest'
import {
  augmentDocuments,
  augmentedId,
  collectMentions,
  collectTokensByLabel,
  labelWiseTokenReplacement,
  mentionReplacement,
  shuffleWithinSegments,
  synonymReplacement,
} from '../../../../src-main/engine/data/augment'
import type { NerDocument, NerSpan } from '../../../../src-main/engine/data/alignment'
import { seededRandom } from '../../../../src-shared/domain/splits'

/** A document from its text and the span texts (found left to right). */
function doc(id: string, text: string, ...entities: [string, string][]): NerDocument {
  const spans: NerSpan[] = []
  let from = 0
  for (const [mention, label] of entities) {
    const start = text.indexOf(mention, from)
    if (start < 0) throw new Error(`${mention} not in ${text}`)
    spans.push({ start, end: start + mention.length, label })
    from = start + mention.length
  }
  return { id, text, spans }
}

const LATIN: NerDocument[] = [
  doc('l1', 'John Smith lives in New York City .', ['John Smith', 'PER'], ['New York City', 'LOC']),
  doc('l2', 'Mary works at Acme Corp in Paris, France.', ['Mary', 'PER'], ['Acme Corp', 'ORG'], ['Paris', 'LOC'], ['France', 'LOC']),
  doc('l3', 'Bob Lee met Mary in Berlin yesterday', ['Bob Lee', 'PER'], ['Mary', 'PER'], ['Berlin', 'LOC']),
  // A span with a leading space, adjacent spans without a gap, an astral emoji outside.
  { id: 'l4', text: 'We met in  Berlin today 😀 at ParisLondon', spans: [{ start: 10, end: 17, label: 'LOC' }, { start: 30, end: 35, label: 'LOC' }, { start: 35, end: 41, label: 'LOC' }] },
  doc('l5', 'Globex Inc hired Alice Wong', ['Globex Inc', 'ORG'], ['Alice Wong', 'PER']),
]

const CJK: NerDocument[] = [
  doc('c1', '张三在北京大学工作。', ['张三', 'PER'], ['北京大学', 'ORG']),
  doc('c2', '李四住在上海。', ['李四', 'PER'], ['上海', 'LOC']),
  doc('c3', '𠮷野家在东京开了新店', ['𠮷野家', 'ORG'], ['东京', 'LOC']),
  doc('c4', '王五去了𠮷林市 and met 𠮷田 today', ['王五', 'PER'], ['𠮷林市', 'LOC'], ['𠮷田', 'PER']),
]

const ALL = [...LATIN, ...CJK]

function wellFormed(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1)
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false
      i++
    } else if (c >= 0xdc00 && c <= 0xdfff) return false
  }
  return true
}

/** Spans valid, text well formed, and the same number of spans with the same types in order. */
function checkDoc(out: NerDocument, original: NerDocument): void {
  expect(wellFormed(out.text), out.text).toBe(true)
  let prevEnd = 0
  for (const s of out.spans) {
    expect(Number.isInteger(s.start) && Number.isInteger(s.end)).toBe(true)
    expect(s.start).toBeGreaterThanOrEqual(prevEnd)
    expect(s.end).toBeGreaterThan(s.start)
    expect(s.end).toBeLessThanOrEqual(out.text.length)
    expect(wellFormed(out.text.slice(s.start, s.end))).toBe(true)
    prevEnd = s.end
  }
  const types = [...original.spans].sort((a, b) => a.start - b.start).map((s) => s.label)
  expect(out.spans.map((s) => s.label)).toEqual(types)
}

const spanText = (d: NerDocument, s: NerSpan): string => d.text.slice(s.start, s.end)

/** Words as augment.ts reads them: whitespace-separated, each CJK character alone. */
function words(text: string): string[] {
  return text
    .split(/\s+/u)
    .flatMap((w) => w.split(/([\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3000-\u303f\uff00-\uffef])/u))
    .filter((w) => w.length > 0)
}

/** The text outside spans, one string per gap. */
function gaps(d: NerDocument): string[] {
  const out: string[] = []
  let at = 0
  for (const s of d.spans) {
    out.push(d.text.slice(at, s.start))
    at = s.end
  }
  out.push(d.text.slice(at))
  return out
}

describe('collectors', () => {
  it('collect mentions by type and words by label, CJK per character, astral characters whole', () => {
    const mentions = collectMentions(ALL)
    expect(mentions.get('PER')).toEqual(['John Smith', 'Mary', 'Bob Lee', 'Alice Wong', '张三', '李四', '王五', '𠮷田'])
    expect(mentions.get('LOC')).toEqual(['New York City', 'Paris', 'France', 'Berlin', 'London', '上海', '东京', '𠮷林市'])
    const tokens = collectTokensByLabel(ALL)
    expect(tokens.get('ORG')).toEqual(['Acme', 'Corp', 'Globex', 'Inc', '北', '京', '大', '学', '𠮷', '野', '家'])
    expect(tokens.get('O')).toContain('😀')
    expect(tokens.get('O')).toContain(',')
    expect(tokens.get('O')).toContain('在')
    expect(tokens.get('O')).not.toContain('Paris,')
    for (const list of tokens.values()) for (const w of list) expect(wellFormed(w)).toBe(true)
  })
})

describe('mentionReplacement', () => {
  const mentions = collectMentions(ALL)

  it('replaces every mention (rate 1) by another mention of the same type; spans are exactly the inserted mentions', () => {
    for (let seed = 0; seed < 30; seed++) {
      const random = seededRandom(seed)
      for (const d of ALL) {
        const out = mentionReplacement(d, mentions, 1, random)
        checkDoc(out, d)
        const sorted = [...d.spans].sort((a, b) => a.start - b.start)
        out.spans.forEach((s, k) => {
          const text = spanText(out, s)
          expect(mentions.get(s.label)).toContain(text)
          expect(text).not.toBe(spanText(d, sorted[k]!).trim())
        })
      }
    }
  })

  it('keeps the text around mentions, including whitespace a span had at its edge', () => {
    const d = LATIN[3]!
    const out = mentionReplacement(d, new Map([['LOC', ['Berlin', 'Rome']]]), 1, seededRandom(1))
    expect(out.text.startsWith('We met in  Rome today 😀 at ')).toBe(true)
    expect(spanText(out, out.spans[0]!)).toBe('Rome')
  })

  it('leaves a mention alone when its type has no other mention', () => {
    const d = LATIN[0]!
    const out = mentionReplacement(d, new Map([['PER', ['John Smith']]]), 1, seededRandom(1))
    expect(out).toEqual(d)
  })

  it('rate 0 is the identity', () => {
    for (const d of ALL) expect(mentionReplacement(d, mentions, 0, seededRandom(3))).toEqual(d)
  })
})

describe('labelWiseTokenReplacement', () => {
  const tokens = collectTokensByLabel(ALL)

  it('replaces words by words with the same label; spans adjust', () => {
    let changed = 0
    for (let seed = 0; seed < 30; seed++) {
      const random = seededRandom(seed)
      for (const d of ALL) {
        const out = labelWiseTokenReplacement(d, tokens, 0.7, random)
        checkDoc(out, d)
        if (out.text !== d.text) changed++
        for (const s of out.spans) for (const w of words(spanText(out, s))) expect(tokens.get(s.label), `${w} in ${out.text}`).toContain(w)
        for (const g of gaps(out)) for (const w of words(g)) expect(tokens.get('O')).toContain(w)
      }
    }
    expect(changed).toBeGreaterThan(200)
  })

  it('works on Chinese text character by character and keeps astral characters whole', () => {
    const cjkTokens = collectTokensByLabel(CJK.slice(0, 3))
    expect(cjkTokens.get('ORG')).toEqual(['北', '京', '大', '学', '𠮷', '野', '家'])
    const d = CJK[2]! // 𠮷野家在东京开了新店
    for (let seed = 0; seed < 20; seed++) {
      const out = labelWiseTokenReplacement(d, cjkTokens, 1, seededRandom(seed))
      checkDoc(out, d)
      const before = [...d.text]
      const after = [...out.text]
      expect(after).toHaveLength(before.length)
      after.forEach((ch, k) => expect(ch).not.toBe(before[k]))
      expect([...spanText(out, out.spans[0]!)]).toHaveLength(3)
      expect(cjkTokens.get('ORG')).toEqual(expect.arrayContaining([...spanText(out, out.spans[0]!)]))
      expect([...spanText(out, out.spans[1]!)]).toHaveLength(2)
    }
  })

  it('keeps Latin replacements of CJK characters apart with a space, outside spans at span edges', () => {
    const tokens = new Map([
      ['ORG', ['Globex', 'Inc']],
      ['PER', ['Ann']],
      ['O', ['the', 'and']],
    ])
    const d = CJK[0]! // 张三在北京大学工作。
    for (let seed = 0; seed < 10; seed++) {
      const out = labelWiseTokenReplacement(d, tokens, 1, seededRandom(seed))
      checkDoc(out, d)
      expect(out.text).toMatch(/^Ann Ann (the|and) ((Globex|Inc) ){3}(Globex|Inc) ((the|and) ){2}(the|and)$/)
      expect(spanText(out, out.spans[0]!)).toBe('Ann Ann')
      expect(spanText(out, out.spans[1]!)).toMatch(/^((Globex|Inc) ){3}(Globex|Inc)$/)
    }
  })

  it('rate 0 is the identity', () => {
    for (const d of ALL) expect(labelWiseTokenReplacement(d, tokens, 0, seededRandom(3))).toEqual(d)
  })
})

describe('synonymReplacement', () => {
  const synonyms = new Map<string, string[]>([
    ['lives', ['resides', 'dwells']],
    ['met', ['encountered']],
    ['yesterday', ['the day before']],
    ['we', ['they']],
    ['Paris', ['the capital']], // an entity here: never replaced
    ['工作', ['上班']],
    ['住在', ['居住在']],
    ['在', ['于']],
  ])

  it('replaces words outside entities only, by their synonyms', () => {
    const random = seededRandom(4)
    const out = ALL.map((d) => synonymReplacement(d, synonyms, 1, random))
    out.forEach((o, i) => {
      checkDoc(o, ALL[i]!)
      // Entities keep their text.
      const sorted = [...ALL[i]!.spans].sort((a, b) => a.start - b.start)
      o.spans.forEach((s, k) => expect(spanText(o, s)).toBe(spanText(ALL[i]!, sorted[k]!)))
    })
    expect(out[0]!.text).toMatch(/^John Smith (resides|dwells) in New York City \.$/)
    expect(out[2]!.text).toBe('Bob Lee encountered Mary in Berlin the day before')
    // 'We' matches 'we' and keeps its capital.
    expect(out[3]!.text.startsWith('They encountered in  Berlin today 😀 at ParisLondon')).toBe(true)
    // Longest match first in Chinese: 住在 rather than 在; 工作 as one word.
    expect(out[5]!.text).toBe('张三于北京大学上班。')
    expect(out[6]!.text).toBe('李四居住在上海。')
  })

  it('rate 0 and an empty dictionary are the identity', () => {
    for (const d of ALL) {
      expect(synonymReplacement(d, synonyms, 0, seededRandom(3))).toEqual(d)
      expect(synonymReplacement(d, new Map(), 1, seededRandom(3))).toEqual(d)
    }
  })
})

describe('shuffleWithinSegments', () => {
  it('permutes the words inside each entity and each stretch between entities', () => {
    let changed = 0
    for (let seed = 0; seed < 30; seed++) {
      const random = seededRandom(seed)
      for (const d of ALL) {
        const out = shuffleWithinSegments(d, 1, random)
        checkDoc(out, d)
        expect(out.text.length).toBe(d.text.length)
        const sorted = [...d.spans].sort((a, b) => a.start - b.start)
        out.spans.forEach((s, k) => {
          expect(s.start).toBe(sorted[k]!.start)
          expect(s.end).toBe(sorted[k]!.end)
          expect(words(spanText(out, s)).sort()).toEqual(words(spanText(d, sorted[k]!)).sort())
        })
        const before = gaps({ ...d, spans: sorted })
        gaps(out).forEach((g, k) => expect(words(g).sort()).toEqual(words(before[k]!).sort()))
        if (out.text !== d.text) changed++
      }
    }
    expect(changed).toBeGreaterThan(100)
  })

  it('keeps Latin words of CJK text apart when shuffled next to each other', () => {
    const d = doc('m', '我们去IBM中国Inc开会', ['IBM中国Inc', 'ORG'])
    const seen = new Set<string>()
    for (let seed = 0; seed < 40; seed++) {
      const out = shuffleWithinSegments(d, 1, seededRandom(seed))
      checkDoc(out, d)
      const entity = spanText(out, out.spans[0]!)
      seen.add(entity)
      expect(entity).not.toMatch(/IBMInc|IncIBM/)
      expect(words(entity).sort()).toEqual(['IBM', 'Inc', '中', '国'].sort())
    }
    expect(seen.size).toBeGreaterThan(3)
  })

  it('rate 0 is the identity', () => {
    for (const d of ALL) expect(shuffleWithinSegments(d, 0, seededRandom(3))).toEqual(d)
  })
})

describe('augmentDocuments', () => {
  const config = { mentionReplacement: 0.5, tokenReplacement: 0.3, synonymReplacement: 0.5, synonyms: { lives: ['resides'], 在: ['于'] }, shuffleWithinSegments: 0.3, copies: 3 }

  it('returns the originals each followed by its copies, valid and with the same entity types', () => {
    const out = augmentDocuments(ALL, config, 7)
    expect(out).toHaveLength(ALL.length * 4)
    ALL.forEach((d, i) => {
      expect(out[i * 4]).toBe(d)
      for (let c = 1; c <= 3; c++) {
        const copy = out[i * 4 + c]!
        expect(copy.id).toBe(augmentedId(d.id, c))
        checkDoc(copy, d)
      }
    })
    expect(out.filter((d, i) => i % 4 !== 0 && d.text !== ALL[Math.floor(i / 4)]!.text).length).toBeGreaterThan(10)
  })

  it('is deterministic per seed', () => {
    expect(augmentDocuments(ALL, config, 7)).toEqual(augmentDocuments(ALL, config, 7))
    expect(augmentDocuments(ALL, config, 8)).not.toEqual(augmentDocuments(ALL, config, 7))
  })

  it('keeps every invariant over many seeds and rates', () => {
    const random = seededRandom(1234)
    for (let seed = 0; seed < 100; seed++) {
      const cfg = { mentionReplacement: random(), tokenReplacement: random(), synonymReplacement: random(), synonyms: { met: ['saw'], 在: ['于', '位于'] }, shuffleWithinSegments: random(), copies: 1 }
      const out = augmentDocuments(ALL, cfg, seed)
      ALL.forEach((d, i) => checkDoc(out[2 * i + 1]!, d))
    }
  })

  it('with all rates 0 the copies equal their originals; copies 0 returns the originals', () => {
    const out = augmentDocuments(ALL, { mentionReplacement: 0, tokenReplacement: 0, shuffleWithinSegments: 0, copies: 2 }, 1)
    ALL.forEach((d, i) => {
      expect(out[i * 3 + 1]).toEqual({ ...d, id: augmentedId(d.id, 1) })
      expect(out[i * 3 + 2]).toEqual({ ...d, id: augmentedId(d.id, 2) })
    })
    expect(augmentDocuments(ALL, { ...config, copies: 0 }, 1)).toEqual(ALL)
  })

  it('leaves documents with invalid spans unchanged and rejects bad rates', () => {
    const bad: NerDocument = { id: 'x', text: 'New York City', spans: [{ start: 0, end: 8, label: 'LOC' }, { start: 4, end: 13, label: 'LOC' }] }
    const split: NerDocument = { id: 'y', text: 'a𠮷b c', spans: [{ start: 0, end: 2, label: 'X' }] }
    const out = augmentDocuments([...ALL, bad, split], { ...config, copies: 1 }, 3)
    expect(out.at(-3)).toEqual({ ...bad, id: augmentedId('x', 1) })
    expect(out.at(-1)).toEqual({ ...split, id: augmentedId('y', 1) })
    expect(() => augmentDocuments(ALL, { tokenReplacement: 1.5 }, 1)).toThrow(RangeError)
    expect(() => augmentDocuments(ALL, { copies: -1 }, 1)).toThrow(RangeError)
  })
})
