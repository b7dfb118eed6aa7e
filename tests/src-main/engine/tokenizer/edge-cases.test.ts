// Edge cases on the real vocabularies. The expected tokens and offsets of TABLE were produced by
// Hugging Face's Rust tokenizers (the BertTokenizerFast backend, npm tokenizers 0.23.2) with a
// BertNormalizer / BertPreTokenizer / WordPiece tokenizer.json over the same vocab.txt, offsets
// converted from code points to UTF-16. The cases after it are where this tokenizer follows
// transformers' Python BertTokenizer because the fast one has no equivalent (never_split) or
// differs from it (one CJK range).
import { describe, expect, it } from 'vitest'
import { sharedDataAvailable } from '../../../helpers/shared-data'
import type { Offset } from '../../../../src-main/engine/tokenizer'
import { sharedTokenizer, type VocabName } from './shared-vocabs'

const available = sharedDataAvailable('the BERT vocabularies for the tokenizer edge cases')

interface Case {
  vocab: VocabName
  lower: boolean
  name: string
  text: string
  tokens: string[]
  offsets: Offset[]
}

const TABLE: Case[] = [
  { vocab: 'bert-base-uncased', lower: true, name: 'empty string', text: '', tokens: [], offsets: [] },
  { vocab: 'bert-base-uncased', lower: true, name: 'whitespace only, Unicode spaces too', text: ' \t\n\r\u3000\u00A0\u2028 ', tokens: [], offsets: [] },
  { vocab: 'bert-base-uncased', lower: true, name: 'accents are stripped', text: 'Héllo Wörld, naïve café!', tokens: ['hello', 'world', ',', 'naive', 'cafe', '!'], offsets: [[0, 5], [6, 11], [11, 12], [13, 18], [19, 23], [23, 24]] },
  { vocab: 'bert-base-uncased', lower: true, name: 'a decomposed accent is dropped and not covered', text: 'cafe\u0301 ok', tokens: ['cafe', 'ok'], offsets: [[0, 4], [6, 8]] },
  { vocab: 'bert-base-uncased', lower: true, name: 'dotted capital I lowercases to two code points', text: 'İstanbul', tokens: ['istanbul'], offsets: [[0, 8]] },
  { vocab: 'bert-base-uncased', lower: true, name: 'capital sigma lowercases per character', text: 'ΟΔΟΣ', tokens: ['ο', '##δ', '##ο', '##σ'], offsets: [[0, 1], [1, 2], [2, 3], [3, 4]] },
  { vocab: 'bert-base-uncased', lower: true, name: 'control, zero-width and soft hyphen removed', text: '1\u00002\uFFFD3 a\u200Bb\u00ADc', tokens: ['123', 'abc'], offsets: [[0, 5], [6, 11]] },
  { vocab: 'bert-base-uncased', lower: true, name: 'tabs and newlines are spaces', text: 'tab\tnew\nline\r\nend', tokens: ['tab', 'new', 'line', 'end'], offsets: [[0, 3], [4, 7], [8, 12], [14, 17]] },
  { vocab: 'bert-base-uncased', lower: true, name: 'emoji', text: 'I ❤\uFE0F NY 😂!', tokens: ['i', '[UNK]', 'ny', '[UNK]', '!'], offsets: [[0, 1], [2, 3], [5, 7], [8, 10], [10, 11]] },
  { vocab: 'bert-base-uncased', lower: true, name: 'ZWJ emoji sequence', text: 'a 👩\u200D👩\u200D👧 family', tokens: ['a', '[UNK]', 'family'], offsets: [[0, 1], [2, 10], [11, 17]] },
  { vocab: 'bert-base-uncased', lower: true, name: 'CJK ideographs are words of their own', text: 'BERT模型很好用ok', tokens: ['bert', '[UNK]', '[UNK]', '[UNK]', '[UNK]', '[UNK]', 'ok'], offsets: [[0, 4], [4, 5], [5, 6], [6, 7], [7, 8], [8, 9], [9, 11]] },
  { vocab: 'bert-base-uncased', lower: true, name: 'astral CJK (Ext B)', text: '𠀀𠀁x', tokens: ['[UNK]', '[UNK]', 'x'], offsets: [[0, 2], [2, 4], [4, 5]] },
  { vocab: 'bert-base-uncased', lower: true, name: 'word of 100 characters is split', text: 'ab'.repeat(50), tokens: ['aba', ...Array<string>(48).fill('##ba'), '##b'], offsets: [[0, 3], ...Array.from({ length: 48 }, (_, k): Offset => [3 + 2 * k, 5 + 2 * k]), [99, 100]] },
  { vocab: 'bert-base-uncased', lower: true, name: 'word of 101 characters is [UNK]', text: 'ab'.repeat(50) + 'a ok', tokens: ['[UNK]', 'ok'], offsets: [[0, 101], [102, 104]] },
  { vocab: 'bert-base-uncased', lower: true, name: 'special tokens in the text stay whole', text: 'Hello [MASK] world[SEP]x', tokens: ['hello', '[MASK]', 'world', '[SEP]', 'x'], offsets: [[0, 5], [6, 12], [13, 18], [18, 23], [23, 24]] },
  { vocab: 'bert-base-uncased', lower: true, name: 'special tokens are case-sensitive', text: '[mask] [Mask]', tokens: ['[', 'mask', ']', '[', 'mask', ']'], offsets: [[0, 1], [1, 5], [5, 6], [7, 8], [8, 12], [12, 13]] },
  { vocab: 'bert-base-uncased', lower: true, name: 'unassigned code point is kept (as the fast tokenizer does)', text: 'a\u0378b c', tokens: ['[UNK]', 'c'], offsets: [[0, 3], [4, 5]] },
  { vocab: 'bert-base-uncased', lower: true, name: 'private use is removed', text: 'a\uE000b', tokens: ['ab'], offsets: [[0, 3]] },
  { vocab: 'bert-base-uncased', lower: true, name: 'punctuation: ASCII symbols and Unicode P*', text: 'don\'t $5+x=y «ok» ¿qué? ～…', tokens: ['don', '\'', 't', '$', '5', '+', 'x', '=', 'y', '«', 'ok', '»', '¿', 'que', '?', '～', '…'], offsets: [[0, 3], [3, 4], [4, 5], [6, 7], [7, 8], [8, 9], [9, 10], [10, 11], [11, 12], [13, 14], [14, 16], [16, 17], [18, 19], [19, 22], [22, 23], [24, 25], [25, 26]] },
  { vocab: 'bert-base-uncased', lower: true, name: 'Greek varia becomes a backtick after stripping', text: 'a\u1FEFb', tokens: ['a', '`', 'b'], offsets: [[0, 1], [1, 2], [2, 3]] },
  { vocab: 'bert-base-cased', lower: false, name: 'cased keeps accents', text: 'Héllo UNwantéd naïve', tokens: ['H', '##é', '##llo', 'UN', '##wan', '##té', '##d', 'na', '##ï', '##ve'], offsets: [[0, 1], [1, 2], [2, 5], [6, 8], [8, 11], [11, 13], [13, 14], [15, 17], [17, 18], [18, 20]] },
  { vocab: 'bert-base-cased', lower: false, name: 'ligatures and sharp s are not decomposed', text: 'ﬁnance Straße Ǆemal', tokens: ['ﬁ', '##nan', '##ce', 'St', '##ra', '##ße', '[UNK]'], offsets: [[0, 1], [1, 4], [4, 6], [7, 9], [9, 11], [11, 13], [14, 19]] },
  { vocab: 'bert-base-cased', lower: false, name: 'combining mark kept in cased', text: 'cafe\u0301', tokens: ['cafe', '##\u0301'], offsets: [[0, 4], [4, 5]] },
  { vocab: 'bert-base-cased', lower: false, name: 'emoji with variation selector', text: 'I ❤\uFE0F NY', tokens: ['I', '[UNK]', 'NY'], offsets: [[0, 1], [2, 4], [5, 7]] },
  { vocab: 'bert-base-cased', lower: false, name: 'mixed scripts', text: 'Москва Tokyo 東京 서울 القاهرة', tokens: ['М', '##о', '##с', '##к', '##в', '##а', 'Tokyo', '東', '京', '[UNK]', 'ا', '##ل', '##ق', '##ا', '##ه', '##ر', '##ة'], offsets: [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [7, 12], [13, 14], [14, 15], [16, 18], [19, 20], [20, 21], [21, 22], [22, 23], [23, 24], [24, 25], [25, 26]] },
  { vocab: 'bert-base-chinese', lower: false, name: 'Chinese with fullwidth punctuation', text: '我爱北京天安门！', tokens: ['我', '爱', '北', '京', '天', '安', '门', '！'], offsets: [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [6, 7], [7, 8]] },
  { vocab: 'bert-base-chinese', lower: false, name: 'Chinese mixed with Latin and digits', text: '2021年GDP增长8.1%', tokens: ['2021', '年', '[UNK]', '增', '长', '8', '.', '1', '%'], offsets: [[0, 4], [4, 5], [5, 8], [8, 9], [9, 10], [10, 11], [11, 12], [12, 13], [13, 14]] },
  { vocab: 'bert-base-chinese', lower: false, name: 'CJK compatibility ideographs are kept as they are without accent stripping', text: '\uF900\uF901x', tokens: ['[UNK]', '[UNK]', 'x'], offsets: [[0, 1], [1, 2], [2, 3]] },
  { vocab: 'bert-base-chinese', lower: true, name: 'accent stripping (NFD) maps CJK compatibility ideographs to unified ones', text: '\uF900\uF901x', tokens: ['\u8C48', '\u66F4', 'x'], offsets: [[0, 1], [1, 2], [2, 3]] },
  { vocab: 'bert-base-chinese', lower: false, name: 'fullwidth Latin', text: 'Ｈｅｌｌｏ，世界', tokens: ['[UNK]', '，', '世', '界'], offsets: [[0, 5], [5, 6], [6, 7], [7, 8]] },
  { vocab: 'bert-base-chinese', lower: false, name: 'Weibo-style text with emoji', text: '今天天气真好😊#北京#', tokens: ['今', '天', '天', '气', '真', '好', '[UNK]', '#', '北', '京', '#'], offsets: [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [6, 8], [8, 9], [9, 10], [10, 11], [11, 12]] },
  { vocab: 'bert-base-chinese', lower: true, name: 'lowercase=true with the Chinese vocab strips accents', text: 'Café北京ÉCOLE', tokens: ['cafe', '北', '京', 'eco', '##le'], offsets: [[0, 4], [4, 5], [5, 6], [6, 9], [9, 11]] },
]

describe.skipIf(!available)('BERT tokenizer edge cases, as the HF fast tokenizer gives them', () => {
  it.each(TABLE)('$vocab lower=$lower: $name', ({ vocab, lower, text, tokens, offsets }) => {
    const t = sharedTokenizer(vocab, { doLowerCase: lower })
    const e = t.encode(text)
    expect(e.tokens).toEqual(tokens)
    expect(e.offsets).toEqual(offsets)
    expect(e.ids).toEqual(tokens.map((tok) => t.vocab.tokenToId.get(tok) ?? t.unk.id))
  })
})

describe.skipIf(!available)('where the Python BertTokenizer is followed', () => {
  it('uses transformers\' CJK ranges: U+2B820..U+2B91F are ideographs (the Rust normalizer starts that range at U+2B920)', () => {
    const t = sharedTokenizer('bert-base-uncased')
    // U+2B820 is the first CJK Extension E ideograph; U+2B91F is still in the range both disagree on.
    expect(t.encode('a\u{2B820}b\u{2B91F}c\u{2B920}d')).toEqual({
      tokens: ['a', '[UNK]', 'b', '[UNK]', 'c', '[UNK]', 'd'],
      ids: [1037, 100, 1038, 100, 1039, 100, 1040],
      offsets: [[0, 1], [1, 3], [3, 4], [4, 6], [6, 7], [7, 9], [9, 10]],
    })
  })

  it('keeps never_split tokens whole, unsplit and un-stripped, with their offsets', () => {
    const t = sharedTokenizer('bert-base-cased', { doLowerCase: false, neverSplit: ['[unused1]', 'C++', 'Zürich-Nord'] })
    const text = 'I code C++ in Zürich-Nord near [unused1] (C++) Zürich-Nord.'
    const e = t.encode(text)
    expect(e.tokens).toEqual(['I', 'code', 'C++', 'in', 'Zürich-Nord', 'near', '[unused1]', '(', 'C', '+', '+', ')', 'Zürich', '-', 'Nord', '.'])
    // A never_split token keeps its own id when the vocabulary has it, else it is the unknown id.
    expect(e.ids[2]).toBe(t.unk.id)
    expect(e.ids[6]).toBe(t.vocab.tokenToId.get('[unused1]'))
    expect(e.offsets.slice(0, 7).map(([s, en]) => text.slice(s, en))).toEqual(['I', 'code', 'C++', 'in', 'Zürich-Nord', 'near', '[unused1]'])
    // Only a whole whitespace-delimited token matches: "(C++)" and "Zürich-Nord." are split as usual.
    expect(e.offsets.slice(7).map(([s, en]) => text.slice(s, en))).toEqual(['(', 'C', '+', '+', ')', 'Zürich', '-', 'Nord', '.'])
  })

  it('with lowercasing, never_split is looked up after lowercasing (so only lowercase entries match), as BertTokenizer does', () => {
    const t = sharedTokenizer('bert-base-uncased', { neverSplit: ['[unused1]', 'e-mail', 'X-RAY'] })
    const text = 'Send an E-Mail [UNUSED1] x-ray'
    const e = t.encode(text)
    expect(e.tokens).toEqual(['send', 'an', 'e-mail', '[unused1]', 'x', '-', 'ray'])
    expect(e.offsets[2]).toEqual([8, 14])
    expect(e.offsets[3]).toEqual([15, 24])
    expect(e.ids[3]).toBe(t.vocab.tokenToId.get('[unused1]'))
  })

  it('never_split sees the cleaned token: removed characters inside do not prevent the match, and offsets still cover it', () => {
    const t = sharedTokenizer('bert-base-cased', { doLowerCase: false, neverSplit: ['C++'] })
    const text = ' C\u200B++ '
    expect(t.encode(text)).toEqual({ tokens: ['C++'], ids: [t.unk.id], offsets: [[1, 5]] })
  })
})
