import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../../../src-shared/domain/splits'
import {
  buildMlmExamples,
  chineseRuns,
  dictionarySegmenter,
  discoverChineseWords,
  maskableUnits,
  maskExamples,
  maskTokens,
  MLM_IGNORE_INDEX,
  mlmWordStarts,
} from '../../../../src-main/engine/data/mlm'
import { tinyTokenizer } from '../../../helpers/toy-ner'

const VOCAB = 1000
const MASK = 4
const SPECIAL = new Set([0, 1, 2, 3, 4])

/** Long sequences of ordinary ids with specials sprinkled in. */
function corpus(sequences: number, length: number, seed: number): Int32Array[] {
  const random = seededRandom(seed)
  return Array.from({ length: sequences }, () => {
    const ids = new Int32Array(length)
    for (let i = 0; i < length; i++) ids[i] = random() < 0.05 ? Math.floor(random() * 4) : 5 + Math.floor(random() * (VOCAB - 5))
    ids[0] = 2
    ids[length - 1] = 3
    return ids
  })
}

describe('maskTokens', () => {
  it('selects ~15% of the tokens, 80/10/10 mask/random/kept, never a special, labels = original ids', () => {
    const random = seededRandom(123)
    let candidates = 0
    let selected = 0
    let masked = 0
    let randomised = 0
    let kept = 0
    for (const ids of corpus(200, 256, 1)) {
      const m = maskTokens(ids, { vocabSize: VOCAB, maskId: MASK, specialIds: SPECIAL, random, wholeWord: false })
      for (let i = 0; i < ids.length; i++) {
        const special = SPECIAL.has(ids[i]!)
        if (!special) candidates++
        if (m.labels[i] === MLM_IGNORE_INDEX) {
          expect(m.inputIds[i]).toBe(ids[i]) // not selected: untouched
          continue
        }
        expect(special).toBe(false)
        expect(m.labels[i]).toBe(ids[i])
        selected++
        if (m.inputIds[i] === MASK) masked++
        else if (m.inputIds[i] === ids[i]) kept++
        else {
          randomised++
          expect(SPECIAL.has(m.inputIds[i]!)).toBe(false)
          expect(m.inputIds[i]).toBeGreaterThanOrEqual(0)
          expect(m.inputIds[i]).toBeLessThan(VOCAB)
        }
      }
      expect(m.selected).toBe(m.labels.filter((l) => l !== MLM_IGNORE_INDEX).length)
    }
    // ~48 600 candidates: the standard error of the rate is 0.0016, of the shares below ~0.005.
    expect(selected / candidates).toBeGreaterThan(0.14)
    expect(selected / candidates).toBeLessThan(0.16)
    expect(masked / selected).toBeGreaterThan(0.78)
    expect(masked / selected).toBeLessThan(0.82)
    // A random draw equal to the original (1 in ~995) counts as kept: negligible.
    expect(randomised / selected).toBeGreaterThan(0.085)
    expect(randomised / selected).toBeLessThan(0.115)
    expect(kept / selected).toBeGreaterThan(0.085)
    expect(kept / selected).toBeLessThan(0.115)
  })

  it('is repeatable from the seed and honours the probability', () => {
    const [ids] = corpus(1, 500, 2)
    const a = maskTokens(ids!, { vocabSize: VOCAB, maskId: MASK, specialIds: SPECIAL, random: seededRandom(5), wholeWord: false })
    const b = maskTokens(ids!, { vocabSize: VOCAB, maskId: MASK, specialIds: SPECIAL, random: seededRandom(5), wholeWord: false })
    const c = maskTokens(ids!, { vocabSize: VOCAB, maskId: MASK, specialIds: SPECIAL, random: seededRandom(6), wholeWord: false })
    expect(a).toEqual(b)
    expect(c.labels).not.toEqual(a.labels)
    const high = maskTokens(ids!, { vocabSize: VOCAB, maskId: MASK, specialIds: SPECIAL, random: seededRandom(5), wholeWord: false, probability: 0.5 })
    expect(high.selected).toBeGreaterThan(200)
    expect(high.selected).toBeLessThan(280)
    const none = maskTokens(ids!, { vocabSize: VOCAB, maskId: MASK, specialIds: SPECIAL, random: seededRandom(5), wholeWord: false, probability: 0 })
    expect(none.selected).toBe(0)
    expect([...none.inputIds]).toEqual([...ids!])
  })

  it('selects at least one token of a short sequence, and nothing in an all-special one', () => {
    for (let s = 0; s < 50; s++) {
      const m = maskTokens([2, 10, 11, 3], { vocabSize: VOCAB, maskId: MASK, specialIds: SPECIAL, random: seededRandom(s), wholeWord: false })
      expect(m.selected).toBeGreaterThanOrEqual(1)
      expect(m.labels[0]).toBe(MLM_IGNORE_INDEX)
      expect(m.labels[3]).toBe(MLM_IGNORE_INDEX)
    }
    expect(maskTokens([2, 3, 0, 0], { vocabSize: VOCAB, maskId: MASK, specialIds: SPECIAL, random: seededRandom(1), wholeWord: false }).selected).toBe(0)
  })

  it('whole-word masking selects all pieces of a word or none, at ~15% of the tokens', () => {
    const random = seededRandom(9)
    let tokens = 0
    let selected = 0
    const wordRandom = seededRandom(77)
    for (const ids of corpus(200, 200, 3)) {
      // Words of 1 to 4 pieces.
      const wordStarts = new Uint8Array(ids.length)
      for (let i = 0; i < ids.length; ) {
        wordStarts[i] = 1
        i += 1 + Math.floor(wordRandom() * 4)
      }
      const m = maskTokens(ids, { vocabSize: VOCAB, maskId: MASK, specialIds: SPECIAL, random, wholeWord: true, wordStarts })
      const units = maskableUnits(ids, SPECIAL, true, wordStarts)
      expect(units.some(([a, b]) => b - a > 1)).toBe(true)
      for (const [a, b] of units) {
        const picked = Array.from({ length: b - a }, (_, k) => m.labels[a + k] !== MLM_IGNORE_INDEX)
        expect(picked.every((p) => p === picked[0])).toBe(true)
        for (let k = a; k < b; k++) if (picked[0]) expect(m.labels[k]).toBe(ids[k])
      }
      for (let i = 0; i < ids.length; i++) {
        if (SPECIAL.has(ids[i]!)) expect(m.labels[i]).toBe(MLM_IGNORE_INDEX)
        else tokens++
        if (m.labels[i] !== MLM_IGNORE_INDEX) selected++
      }
    }
    expect(selected / tokens).toBeGreaterThan(0.13)
    expect(selected / tokens).toBeLessThan(0.17)
  })

  it('a word stops at a special token', () => {
    const units = maskableUnits([2, 10, 11, 3, 12, 13], SPECIAL, true, Uint8Array.from([1, 1, 0, 0, 0, 0]))
    expect(units).toEqual([[1, 3], [4, 6]])
  })
})

describe('Chinese words', () => {
  it('cuts CJK runs by forward maximum matching, else per character', () => {
    const seg = dictionarySegmenter(['北京', '北京大学', '上海'])
    expect(seg('我在北京大学上学')).toEqual([1, 1, 4, 1, 1])
    expect(seg('北京上海')).toEqual([2, 2])
    expect(seg('你好')).toEqual([1, 1])
    expect(chineseRuns('我在北京, hello 上海人')).toEqual(['我在北京', '上海人'])
  })

  it('discovers frequent cohesive n-grams from the corpus', () => {
    const texts: string[] = []
    const random = seededRandom(4)
    const fillers = [...'的了是在我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发后作里']
    for (let i = 0; i < 1000; i++) {
      let t = ''
      for (let k = 0; k < 20; k++) t += fillers[Math.floor(random() * fillers.length)]
      texts.push(i % 5 === 0 ? `${t.slice(0, 6)}有限公司${t.slice(6)}` : t)
    }
    const words = discoverChineseWords(texts)
    expect(words).toContain('有限公司')
    expect(words).toContain('有限')
    // Random pairs of filler characters are frequent but not cohesive.
    expect(words.filter((w) => [...w].every((c) => fillers.includes(c)))).toEqual([])
  })

  it('word starts join the pieces of a CJK word, and ## pieces to their word', () => {
    const tok = tinyTokenizer()
    const text = '我在北京 johnson, 上海人'
    const enc = tok.encode(text)
    expect(enc.tokens).toEqual(['我', '在', '北', '京', 'john', '##son', ',', '上', '海', '人'])
    expect([...mlmWordStarts(text, enc, tok)]).toEqual([1, 1, 1, 1, 1, 0, 1, 1, 1, 1])
    const seg = dictionarySegmenter(['北京', '上海'])
    expect([...mlmWordStarts(text, enc, tok, seg)]).toEqual([1, 1, 1, 0, 1, 0, 1, 1, 0, 1])
    // Not joined across a space.
    const spaced = '北 京'
    expect([...mlmWordStarts(spaced, tok.encode(spaced), tok, seg)]).toEqual([1, 1])
  })
})

describe('buildMlmExamples', () => {
  const tok = tinyTokenizer()

  it('tokenizes texts, skips empty ones and cuts long ones into chunks of at most maxLength - 2', () => {
    const long = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? 'johnson' : 'paris')).join(' ')
    const examples = buildMlmExamples(['hello world', '', long], tok, { maxLength: 10 })
    expect(examples[0]!.ids.length).toBe(2)
    expect(examples[0]!.source).toBe(0)
    const chunks = examples.slice(1)
    expect(chunks.every((e) => e.source === 2 && e.ids.length <= 8 && e.ids.length > 0)).toBe(true)
    // Consecutive, no overlap, nothing lost; no chunk starts with a ## piece.
    expect(chunks.flatMap((e) => [...e.ids])).toEqual(tok.encode(long).ids)
    expect(chunks.every((e) => e.wordStarts[0] === 1 && tok.vocab.idToToken[e.ids[0]!] !== '##son')).toBe(true)
  })

  it('packs short texts together when asked', () => {
    const texts = ['hello world', 'john lives in paris', 'mary visited london yesterday']
    const packed = buildMlmExamples(texts, tok, { maxLength: 10, pack: true })
    expect(packed.map((e) => e.ids.length)).toEqual([6, 4])
    expect(packed.map((e) => e.source)).toEqual([0, 2])
    expect(packed.flatMap((e) => [...e.ids])).toEqual(texts.flatMap((t) => tok.encode(t).ids))
  })

  it('maskExamples adds [CLS]/[SEP], never masks them, and masks afresh with a new seed', () => {
    const examples = buildMlmExamples(['john lives in paris and mary works at the bank in london today'], tok, { maxLength: 32 })
    const options = { clsId: tok.cls.id, sepId: tok.sep.id, maskId: tok.mask!.id, vocabSize: tok.vocab.size, specialIds: new Set([tok.pad.id, tok.unk.id, tok.mask!.id]), wholeWord: true, probability: 0.3 }
    const a = maskExamples(examples, { ...options, seed: 1 })[0]!
    expect(a.inputIds[0]).toBe(tok.cls.id)
    expect(a.inputIds[a.length - 1]).toBe(tok.sep.id)
    expect(a.labels[0]).toBe(MLM_IGNORE_INDEX)
    expect(a.labels[a.length - 1]).toBe(MLM_IGNORE_INDEX)
    expect(a.selected).toBeGreaterThan(0)
    expect(maskExamples(examples, { ...options, seed: 1 })[0]).toEqual(a)
    expect(maskExamples(examples, { ...options, seed: 2 })[0]!.labels).not.toEqual(a.labels)
  })
})
