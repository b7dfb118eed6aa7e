// The tokenizer's pieces on small made-up vocabularies: no shared data needed.
import { describe, expect, it } from 'vitest'
import {
  addSpecialTokens,
  basicTokenize,
  createBertTokenizer,
  parseVocabTxt,
  pieceBounds,
  wordPiece,
  type BasicTokenizerOptions,
  type Vocab,
  type WordPieceModel,
} from '../../../../src-main/engine/tokenizer'

const vocabOf = (tokens: string[]): Vocab => parseVocabTxt(tokens.join('\n') + '\n')
const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']

describe('wordPiece', () => {
  const vocab = vocabOf([...SPECIALS, 'un', '##aff', '##able', 'run', 'runn', '##ing', '##ning', 'a', '##a', '😂', '##😂', '\uD83D', '##\uDE02', 'x', '##x'])
  const model: WordPieceModel = { vocab: vocab.tokenToId, unkToken: '[UNK]', unkId: 1, prefix: '##', maxInputCharsPerWord: 100 }
  const bounds = pieceBounds(model)

  it.each([
    ['unaffable', ['un', '##aff', '##able'], [2, 5, 9]],
    // Longest match first: "runn" + "##ing", not "run" + "##ning".
    ['running', ['runn', '##ing'], [4, 7]],
    ['aaa', ['a', '##a', '##a'], [1, 2, 3]],
    // One unmatched remainder makes the whole word [UNK].
    ['unaffablez', ['[UNK]'], [10]],
    // Astral characters are whole: never the lone surrogate entries.
    ['😂😂', ['😂', '##😂'], [2, 4]],
    ['x😂', ['x', '##😂'], [1, 3]],
  ])('%s', (word, tokens, ends) => {
    for (const b of [bounds, undefined]) {
      const p = wordPiece(word, model, b)
      expect(p.tokens).toEqual(tokens)
      expect(p.ends).toEqual(ends)
      expect(p.ids).toEqual(tokens.map((t) => vocab.tokenToId.get(t)))
    }
  })

  it('counts max_input_chars_per_word in code points, not UTF-16 units', () => {
    const small = { ...model, maxInputCharsPerWord: 3 }
    expect(wordPiece('😂😂😂', small, bounds).tokens).toEqual(['😂', '##😂', '##😂'])
    expect(wordPiece('😂😂😂😂', small, bounds).tokens).toEqual(['[UNK]'])
    expect(wordPiece('xxxx', small, bounds)).toEqual({ tokens: ['[UNK]'], ids: [1], ends: [4] })
  })

  it('bounds the search by the longest vocabulary entries', () => {
    expect(bounds).toEqual({ maxFirst: 6, maxContinuation: 4 })
  })
})

describe('basicTokenize', () => {
  const opts = (o: Partial<BasicTokenizerOptions> = {}): BasicTokenizerOptions => ({ lowercase: true, stripAccents: true, tokenizeChineseChars: true, neverSplit: new Set(), ...o })
  const words = (text: string, o?: Partial<BasicTokenizerOptions>) => basicTokenize(text, opts(o)).map((w) => ({ text: w.text, start: w.start, end: w.end, align: w.align && Array.from(w.align) }))

  it('splits on whitespace and punctuation, lowercases and strips accents, keeping plain offsets', () => {
    expect(words(' Héllo,  WORLD! ')).toEqual([
      { text: 'hello', start: 1, end: 6, align: null },
      { text: ',', start: 6, end: 7, align: null },
      { text: 'world', start: 9, end: 14, align: null },
      { text: '!', start: 14, end: 15, align: null },
    ])
  })

  it('treats every non-alphanumeric printable ASCII character as punctuation', () => {
    expect(words('a$b^c`d|e~f<g').map((w) => w.text)).toEqual(['a', '$', 'b', '^', 'c', '`', 'd', '|', 'e', '~', 'f', '<', 'g'])
  })

  it('aligns characters per source character once the word stops being a plain copy', () => {
    // The NUL is removed: "ab" comes from [0,1) and [2,3).
    expect(words('a\u0000b')).toEqual([{ text: 'ab', start: 0, end: 3, align: [0, 1, 2, 3] }])
    // A decomposed accent is dropped and not part of the word.
    expect(words('cafe\u0301')).toEqual([{ text: 'cafe', start: 0, end: 4, align: null }])
    // Lowercasing İ without stripping gives two code points, both from [0,1).
    expect(words('İx', { stripAccents: false })).toEqual([{ text: 'i\u0307x', start: 0, end: 2, align: [0, 1, 0, 1, 1, 2] }])
    // An astral character keeps its two units.
    expect(words('x😂y')).toEqual([{ text: 'x😂y', start: 0, end: 4, align: null }])
  })

  it('sets CJK ideographs apart, unless tokenizeChineseChars is off', () => {
    expect(words('中a文𠀀').map((w) => [w.text, w.start, w.end])).toEqual([['中', 0, 1], ['a', 1, 2], ['文', 2, 3], ['𠀀', 3, 5]])
    expect(words('中a文', { tokenizeChineseChars: false }).map((w) => w.text)).toEqual(['中a文'])
  })

  it('strips accents without lowercasing when asked', () => {
    expect(words('Héllo', { lowercase: false }).map((w) => w.text)).toEqual(['Hello'])
    expect(words('Héllo', { lowercase: false, stripAccents: false }).map((w) => w.text)).toEqual(['Héllo'])
  })

  it('keeps never_split chunks whole', () => {
    const ns = basicTokenize('see [e1] or [e1]. x', opts({ neverSplit: new Set(['[e1]']) }))
    expect(ns.map((w) => [w.text, w.neverSplit])).toEqual([['see', false], ['[e1]', true], ['or', false], ['[', false], ['e1', false], [']', false], ['.', false], ['x', false]])
  })

  it('tokenizes only the given range, with offsets in the whole text', () => {
    expect(basicTokenize('skip THIS part', opts(), 5, 9).map((w) => [w.text, w.start, w.end])).toEqual([['this', 5, 9]])
  })
})

describe('createBertTokenizer', () => {
  const vocab = vocabOf([...SPECIALS, 'hello', 'world', '##s', '!', 'a', '[', ']', 'mask', '<e>'])

  it('encodes with offsets and adds [CLS]/[SEP] with (0, 0) offsets', () => {
    const t = createBertTokenizer(vocab)
    const a = t.encode('Hello worlds!')
    expect(a).toEqual({ tokens: ['hello', 'world', '##s', '!'], ids: [5, 6, 7, 8], offsets: [[0, 5], [6, 11], [11, 12], [12, 13]] })
    const b = t.encode('a')
    expect(t.withSpecialTokens(a, b)).toEqual({
      tokens: ['[CLS]', 'hello', 'world', '##s', '!', '[SEP]', 'a', '[SEP]'],
      ids: [2, 5, 6, 7, 8, 3, 9, 3],
      offsets: [[0, 0], [0, 5], [6, 11], [11, 12], [12, 13], [0, 0], [0, 1], [0, 0]],
      typeIds: [0, 0, 0, 0, 0, 0, 1, 1],
      specialTokensMask: [1, 0, 0, 0, 0, 1, 0, 1],
    })
    expect(addSpecialTokens(t.cls, t.sep, { tokens: [], ids: [], offsets: [] }).ids).toEqual([2, 3])
  })

  it('finds special tokens in the text (longest first), unless splitSpecialTokens', () => {
    const t = createBertTokenizer(vocab, { additionalSpecialTokens: ['<e>'] })
    expect(t.encode('a[MASK]a <e>!')).toEqual({ tokens: ['a', '[MASK]', 'a', '<e>', '!'], ids: [9, 4, 9, 13, 8], offsets: [[0, 1], [1, 7], [7, 8], [9, 12], [12, 13]] })
    const split = createBertTokenizer(vocab, {}, { splitSpecialTokens: true })
    expect(split.tokenize('a[MASK]')).toEqual(['a', '[', 'mask', ']'])
  })

  it('gives the same answers with the WordPiece cache full, cleared or off', () => {
    const texts = ['Hello worlds', 'world hello', 'zzz hello', 'Hello worlds']
    const ref = createBertTokenizer(vocab).encode(texts.join(' '))
    const tiny = createBertTokenizer(vocab, {}, { cacheSize: 1 })
    expect(tiny.encode(texts.join(' '))).toEqual(ref)
  })

  it('needs the unknown, [CLS], [SEP] and [PAD] tokens in the vocabulary; [MASK] is optional', () => {
    expect(() => createBertTokenizer(vocabOf(['[CLS]', '[SEP]', '[PAD]']))).toThrow('The unknown token "[UNK]" is not in the vocabulary')
    expect(() => createBertTokenizer(vocabOf(['[UNK]', '[SEP]', '[PAD]']))).toThrow('classifier token "[CLS]"')
    expect(createBertTokenizer(vocabOf(['[UNK]', '[CLS]', '[SEP]', '[PAD]'])).mask).toBeUndefined()
    expect(createBertTokenizer(vocab, { unkToken: '<e>' }).encode('zzz').tokens).toEqual(['<e>'])
  })

  it('tokenizes the empty string and whitespace to nothing', () => {
    const t = createBertTokenizer(vocab)
    expect(t.encode('')).toEqual({ tokens: [], ids: [], offsets: [] })
    expect(t.encode(' \t\n\u00A0\u3000\u200B\u0000')).toEqual({ tokens: [], ids: [], offsets: [] })
  })
})
