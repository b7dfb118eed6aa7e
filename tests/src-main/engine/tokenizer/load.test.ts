// Vocabulary and config files: parsing, the folder loader, and its reports naming the file at fault.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTempDirs } from '../../../helpers/temp-dir'
import { sharedDataAvailable } from '../../../helpers/shared-data'
import {
  loadBertTokenizer,
  loadTokenizerFiles,
  loadVocabFile,
  parseTokenizerConfig,
  parseTokenizerJson,
  parseVocabTxt,
  resolveOptions,
  TokenizerFileError,
  vocabFromMap,
} from '../../../../src-main/engine/tokenizer'
import { VOCAB_DIR } from './shared-vocabs'

const tempDir = useTempDirs()
const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']

function folder(files: Record<string, string | object>): string {
  const dir = tempDir()
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content))
  return dir
}
const tokenizerJson = (vocab: Record<string, number>, extra: object = {}) => ({
  version: '1.0',
  added_tokens: [],
  normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
  pre_tokenizer: { type: 'BertPreTokenizer' },
  model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  ...extra,
})
const asMap = (tokens: string[]) => Object.fromEntries(tokens.map((t, i) => [t, i]))

/** The error a function throws, for checking its file and message. */
function thrown(fn: () => unknown): TokenizerFileError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(TokenizerFileError)
    return err as TokenizerFileError
  }
  throw new Error('did not throw')
}

describe('parseVocabTxt', () => {
  it('gives each line its index, with \\n, \\r\\n or \\r endings and an optional final newline', () => {
    for (const text of ['a\nb\nc\n', 'a\r\nb\r\nc\r\n', 'a\rb\rc', 'a\nb\nc', '\uFEFFa\nb\nc\n']) {
      const v = parseVocabTxt(text)
      expect(v.idToToken).toEqual(['a', 'b', 'c'])
      expect(v.size).toBe(3)
      expect(v.tokenToId.get('c')).toBe(2)
    }
  })

  it('keeps empty lines as tokens and lets the last of duplicate lines win, as transformers does', () => {
    const v = parseVocabTxt('a\n\nb\na\n')
    expect(v.idToToken).toEqual(['a', '', 'b', 'a'])
    expect(v.tokenToId.get('a')).toBe(3)
    expect(v.tokenToId.get('')).toBe(1)
  })

  it('refuses an empty vocabulary, naming the file', () => {
    expect(thrown(() => parseVocabTxt('\n', 'my/vocab.txt')).message).toBe('my/vocab.txt: the vocabulary is empty')
  })
})

describe('tokenizer.json', () => {
  it('reads the WordPiece model, normalizer and added tokens', () => {
    const m = parseTokenizerJson(JSON.stringify(tokenizerJson(asMap(SPECIALS), { added_tokens: [{ id: 5, content: '<ent>', special: false }] })))
    expect(m.vocab.size).toBe(5)
    expect(m).toMatchObject({ unkToken: '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100, addedTokens: [{ content: '<ent>', id: 5, special: false }] })
    expect(m.normalizer).toEqual({ cleanText: true, handleChineseChars: true, stripAccents: null, lowercase: true })
  })

  it('accepts the older format without model.type', () => {
    const j = tokenizerJson(asMap(SPECIALS)) as { model: Record<string, unknown> }
    delete j.model.type
    expect(parseTokenizerJson(JSON.stringify(j)).vocab.size).toBe(5)
  })

  it.each([
    ['not JSON', '{"model": ', /^tokenizer\.json: not valid JSON/],
    ['a BPE model', JSON.stringify({ model: { type: 'BPE', vocab: {}, merges: [] } }), 'tokenizer.json: model type "BPE" is not WordPiece: not a BERT tokenizer'],
    ['no model', JSON.stringify({ version: '1.0' }), 'tokenizer.json: has no "model" object'],
    ['no vocab', JSON.stringify({ model: { type: 'WordPiece' } }), 'tokenizer.json: model.vocab is not an object of token: id'],
    ['a fractional id', JSON.stringify({ model: { type: 'WordPiece', vocab: { a: 0.5 } } }), 'tokenizer.json: model.vocab: the id of "a" is not a non-negative integer (0.5)'],
    ['another normalizer', JSON.stringify(tokenizerJson(asMap(SPECIALS), { normalizer: { type: 'Lowercase' } })), 'tokenizer.json: normalizer "Lowercase" is not supported (only BertNormalizer)'],
    ['another pre-tokenizer', JSON.stringify(tokenizerJson(asMap(SPECIALS), { pre_tokenizer: { type: 'Whitespace' } })), 'tokenizer.json: pre_tokenizer "Whitespace" is not supported (only BertPreTokenizer)'],
    ['clean_text off', JSON.stringify(tokenizerJson(asMap(SPECIALS), { normalizer: { type: 'BertNormalizer', clean_text: false } })), 'tokenizer.json: normalizer.clean_text = false is not supported'],
  ])('refuses %s', (_, content, message) => {
    const err = thrown(() => parseTokenizerJson(content))
    expect(err.file).toBe('tokenizer.json')
    if (typeof message === 'string') expect(err.message).toBe(message)
    else expect(err.message).toMatch(message)
  })

  it('refuses two tokens with one id', () => {
    expect(thrown(() => vocabFromMap({ a: 0, b: 0 })).message).toBe('tokenizer.json: model.vocab: id 0 is given to both "a" and "b"')
  })
})

describe('tokenizer_config.json and the resolved options', () => {
  it('reads the BERT options, tokens given as strings or AddedToken objects', () => {
    expect(
      parseTokenizerConfig({
        do_lower_case: false,
        strip_accents: null,
        tokenize_chinese_chars: false,
        never_split: ['[X]'],
        unk_token: { content: '<unk>', __type: 'AddedToken' },
        cls_token: '<s>',
        additional_special_tokens: ['<e1>', { content: '<e2>' }],
        model_max_length: 512,
        tokenizer_class: 'BertTokenizer',
      }),
    ).toEqual({ doLowerCase: false, stripAccents: null, tokenizeChineseChars: false, neverSplit: ['[X]'], unkToken: '<unk>', clsToken: '<s>', additionalSpecialTokens: ['<e1>', '<e2>'], modelMaxLength: 512 })
    // transformers' placeholder for "no limit" is dropped.
    expect(parseTokenizerConfig({ model_max_length: 1e30 })).toEqual({})
  })

  it.each([
    [{ do_lower_case: 'yes' }, 'tokenizer_config.json: do_lower_case is not true or false'],
    [{ strip_accents: 1 }, 'tokenizer_config.json: strip_accents is not true, false or null'],
    [{ never_split: '[X]' }, 'tokenizer_config.json: never_split is not a list of strings'],
    [{ unk_token: 5 }, 'tokenizer_config.json: unk_token is neither a string nor an object with a string "content"'],
  ])('refuses %j', (json, message) => {
    expect(thrown(() => parseTokenizerConfig(json)).message).toBe(message)
  })

  it('uses BERT defaults where the config is silent, and strip_accents follows do_lower_case', () => {
    expect(resolveOptions(undefined).options).toMatchObject({ doLowerCase: true, stripAccents: null, tokenizeChineseChars: true, unkToken: '[UNK]', maxInputCharsPerWord: 100 })
    expect(resolveOptions({ doLowerCase: false }).options.doLowerCase).toBe(false)
  })

  it('lets the config (or its defaults) override the tokenizer.json normalizer, as BertTokenizerFast does, and says so', () => {
    const tj = parseTokenizerJson(JSON.stringify(tokenizerJson(asMap(SPECIALS), { normalizer: { type: 'BertNormalizer', lowercase: false, strip_accents: null } })))
    const silent = resolveOptions(undefined, tj)
    expect(silent.options.doLowerCase).toBe(true)
    expect(silent.warnings).toEqual([
      "tokenizer.json's normalizer has lowercase=false but tokenizer_config.json does not set do_lower_case, which defaults to true; using do_lower_case=true, as transformers does",
    ])
    const said = resolveOptions({ doLowerCase: false }, tj)
    expect(said).toEqual({ options: expect.objectContaining({ doLowerCase: false }), warnings: [] })
  })
})

describe('loading a model folder', () => {
  const vocabTxt = [...SPECIALS, 'hello', 'world', '<ent>'].join('\n') + '\n'

  it('reads vocab.txt with tokenizer_config.json', () => {
    const dir = folder({ 'vocab.txt': vocabTxt, 'tokenizer_config.json': { do_lower_case: false } })
    const { tokenizer, files, warnings } = loadBertTokenizer(dir)
    expect(files).toEqual(['vocab.txt', 'tokenizer_config.json'])
    expect(warnings).toEqual([])
    expect(tokenizer.options.doLowerCase).toBe(false)
    expect(tokenizer.encode('hello World').tokens).toEqual(['hello', '[UNK]'])
  })

  it('says when tokenizer_config.json is missing and BERT defaults are used', () => {
    const { options, warnings } = loadTokenizerFiles(folder({ 'vocab.txt': vocabTxt }))
    expect(options.doLowerCase).toBe(true)
    expect(warnings).toEqual(["tokenizer_config.json not found: using BERT's defaults (do_lower_case=true, tokenize_chinese_chars=true), as transformers does"])
  })

  it('prefers tokenizer.json, adds its added tokens, and reports a vocab.txt that disagrees', () => {
    const tj = tokenizerJson(asMap([...SPECIALS, 'hello', 'world']), { added_tokens: [{ id: 7, content: '<ent>', special: true }] })
    const dir = folder({ 'tokenizer.json': tj, 'vocab.txt': [...SPECIALS, 'hello', 'mundo'].join('\n'), 'tokenizer_config.json': { do_lower_case: true } })
    const { tokenizer, files, warnings } = loadBertTokenizer(dir)
    expect(files).toEqual(['tokenizer.json', 'vocab.txt', 'tokenizer_config.json'])
    expect(warnings).toEqual(['vocab.txt and tokenizer.json disagree (1 id differs, first id 6: "mundo" in vocab.txt, "world" in tokenizer.json); using tokenizer.json'])
    expect(tokenizer.vocab.size).toBe(8)
    expect(tokenizer.encode('Hello<ent>world')).toEqual({ tokens: ['hello', '<ent>', 'world'], ids: [5, 7, 6], offsets: [[0, 5], [5, 10], [10, 15]] })
  })

  it('takes special tokens from special_tokens_map.json over tokenizer_config.json', () => {
    const dir = folder({ 'vocab.txt': vocabTxt, 'tokenizer_config.json': { mask_token: '[MASK]' }, 'special_tokens_map.json': { mask_token: '<ent>' } })
    expect(loadBertTokenizer(dir).tokenizer.mask).toEqual({ token: '<ent>', id: 7 })
  })

  it('warns when config.json has fewer embeddings than the vocabulary has ids', () => {
    const { warnings } = loadTokenizerFiles(folder({ 'vocab.txt': vocabTxt, 'tokenizer_config.json': {}, 'config.json': { vocab_size: 6 } }))
    expect(warnings).toEqual(['vocab.txt has ids up to 7 but config.json says vocab_size 6: the model has no embedding for ids from 6 on'])
  })

  it.each([
    ['no folder', null, 'folder not found'],
    ['no vocabulary file', { 'tokenizer_config.json': {} }, 'neither vocab.txt nor tokenizer.json is there: a BERT tokenizer needs one of them'],
  ])('reports %s with the folder', (_, files, message) => {
    const dir = files ? folder(files) : join(tempDir(), 'missing')
    const err = thrown(() => loadTokenizerFiles(dir))
    expect(err.file).toBe(dir)
    expect(err.message).toBe(`${dir}: ${message}`)
  })

  it.each([
    ['malformed tokenizer_config.json', { 'vocab.txt': 'x', 'tokenizer_config.json': '{do_lower_case: true}' }, 'tokenizer_config.json', /^tokenizer_config\.json: not valid JSON/],
    ['a wrongly typed option', { 'vocab.txt': vocabTxt, 'tokenizer_config.json': { do_lower_case: 1 } }, 'tokenizer_config.json', /do_lower_case is not true or false/],
    ['malformed tokenizer.json', { 'tokenizer.json': '[]', 'vocab.txt': vocabTxt }, 'tokenizer.json', /^tokenizer\.json: not a JSON object$/],
    ['an empty vocab.txt', { 'vocab.txt': '' }, 'vocab.txt', /the vocabulary is empty/],
    ['[UNK] missing from the vocabulary', { 'vocab.txt': 'hello\n', 'tokenizer_config.json': {} }, 'vocab.txt', /^vocab\.txt: the unk_token "\[UNK\]" is not in the vocabulary$/],
    ['a malformed special_tokens_map.json', { 'vocab.txt': vocabTxt, 'special_tokens_map.json': '' }, 'special_tokens_map.json', /not valid JSON/],
    ['a malformed config.json', { 'vocab.txt': vocabTxt, 'config.json': { vocab_size: 'many' } }, 'config.json', /vocab_size is not a positive integer/],
  ])('reports %s by its file name', (_, files, file, message) => {
    const err = thrown(() => loadTokenizerFiles(folder(files)))
    expect(err.file).toBe(file)
    expect(err.message).toMatch(message)
  })

  it('loads a single vocabulary file, vocab.txt or tokenizer.json', () => {
    const dir = folder({ 'vocab.txt': vocabTxt, 'tok.json': tokenizerJson(asMap(SPECIALS)) })
    expect(loadVocabFile(join(dir, 'vocab.txt')).size).toBe(8)
    expect(loadVocabFile(join(dir, 'tok.json')).size).toBe(5)
    expect(thrown(() => loadVocabFile(join(dir, 'nope.txt'))).message).toBe(`${join(dir, 'nope.txt')}: not found`)
  })
})

describe.skipIf(!sharedDataAvailable('the shared BERT vocabulary folders'))('the shared vocabulary folders', () => {
  it('bert-base-uncased: vocab.txt and tokenizer_config.json, lowercasing', () => {
    const { vocab, options, files, warnings } = loadTokenizerFiles(join(VOCAB_DIR, 'bert-base-uncased'))
    expect(files).toEqual(['vocab.txt', 'tokenizer_config.json', 'config.json'])
    expect(warnings).toEqual([])
    expect(vocab.size).toBe(30522)
    expect(options.doLowerCase).toBe(true)
    expect([vocab.tokenToId.get('[UNK]'), vocab.tokenToId.get('[CLS]'), vocab.tokenToId.get('[SEP]'), vocab.tokenToId.get('the')]).toEqual([100, 101, 102, 1996])
  })

  it('bert-base-chinese: tokenizer.json agreeing with vocab.txt, not lowercasing', () => {
    const { vocab, options, files, warnings } = loadTokenizerFiles(join(VOCAB_DIR, 'bert-base-chinese'))
    expect(files).toEqual(['tokenizer.json', 'vocab.txt', 'tokenizer_config.json', 'config.json'])
    expect(warnings).toEqual([])
    expect(vocab.size).toBe(21128)
    expect(options.doLowerCase).toBe(false)
    expect(vocab.tokenToId.get('一')).toBe(671)
  })

  it('bert-base-cased: only vocab.txt, so transformers\' default do_lower_case=true applies (and is reported)', () => {
    const { vocab, options, files, warnings } = loadTokenizerFiles(join(VOCAB_DIR, 'bert-base-cased'))
    expect(files).toEqual(['vocab.txt'])
    expect(warnings).toHaveLength(1)
    expect(vocab.size).toBe(28996)
    expect(options.doLowerCase).toBe(true)
  })
})
