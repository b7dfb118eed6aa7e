/**
 * The BERT tokenizer: special tokens found in the text, basic tokenization, WordPiece, and each
 * token's [start, end) UTF-16 offsets in the original text, as BertTokenizerFast's
 * offset_mapping gives them (converted from code points to UTF-16 units). Pure, apart from a
 * bounded cache of WordPiece results per tokenizer.
 */
import { basicTokenize, type BasicTokenizerOptions, type Word } from './basic'
import { BERT_DEFAULTS, resolvedStripAccents, type BertTokenizerOptions } from './config'
import type { Vocab } from './vocab'
import { pieceBounds, wordPiece, type PieceBounds, type Pieces, type WordPieceModel } from './wordpiece'

/** [start, end) in the original text, UTF-16 code units. (0, 0) for added [CLS]/[SEP]. */
export type Offset = [start: number, end: number]

export interface Encoding {
  tokens: string[]
  ids: number[]
  offsets: Offset[]
}

/** An encoding with [CLS] ... [SEP] (and a second sequence ... [SEP]) around it. */
export interface EncodingWithSpecialTokens extends Encoding {
  /** 0 for [CLS], the first sequence and its [SEP]; 1 for the second sequence and its [SEP]. */
  typeIds: number[]
  /** 1 for the added [CLS]/[SEP], 0 for the sequences' own tokens. */
  specialTokensMask: number[]
}

export interface SpecialToken {
  token: string
  id: number
}

export interface BertTokenizer {
  readonly options: Readonly<BertTokenizerOptions>
  readonly vocab: Vocab
  readonly unk: SpecialToken
  readonly cls: SpecialToken
  readonly sep: SpecialToken
  readonly pad: SpecialToken
  /** Undefined when the vocabulary has no mask token. */
  readonly mask: SpecialToken | undefined
  /** Tokens and ids of `text`, without [CLS]/[SEP]. */
  encode(text: string): Encoding
  /** The tokens only. */
  tokenize(text: string): string[]
  /** [CLS] a [SEP] or [CLS] a [SEP] b [SEP]. */
  withSpecialTokens(a: Encoding, b?: Encoding): EncodingWithSpecialTokens
}

export interface TokenizerSettings {
  /**
   * Like transformers' split_special_tokens: when true, "[SEP]" written in the text is tokenized
   * as ordinary text. Default false: the special tokens (and additionalSpecialTokens) are found
   * in the text and kept whole, as both HF tokenizers do by default.
   */
  splitSpecialTokens?: boolean
  /** Distinct words whose WordPiece split is remembered. Default 100 000. */
  cacheSize?: number
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/**
 * A tokenizer over `vocab`. Options not given take BERT's defaults. Throws when the unknown,
 * [CLS], [SEP] or [PAD] token is not in the vocabulary.
 */
export function createBertTokenizer(vocab: Vocab, options: Partial<BertTokenizerOptions> = {}, settings: TokenizerSettings = {}): BertTokenizer {
  const opts: BertTokenizerOptions = { ...BERT_DEFAULTS, ...options }
  const idOf = (token: string, what: string): SpecialToken => {
    const id = vocab.tokenToId.get(token)
    if (id === undefined) throw new Error(`The ${what} token ${JSON.stringify(token)} is not in the vocabulary`)
    return { token, id }
  }
  const unk = idOf(opts.unkToken, 'unknown')
  const cls = idOf(opts.clsToken, 'classifier')
  const sep = idOf(opts.sepToken, 'separator')
  const pad = idOf(opts.padToken, 'padding')
  const maskId = vocab.tokenToId.get(opts.maskToken)
  const mask = maskId === undefined ? undefined : { token: opts.maskToken, id: maskId }

  const basic: BasicTokenizerOptions = {
    lowercase: opts.doLowerCase,
    stripAccents: resolvedStripAccents(opts),
    tokenizeChineseChars: opts.tokenizeChineseChars,
    neverSplit: new Set(opts.neverSplit),
  }
  const model: WordPieceModel = {
    vocab: vocab.tokenToId,
    unkToken: unk.token,
    unkId: unk.id,
    prefix: opts.continuingSubwordPrefix,
    maxInputCharsPerWord: opts.maxInputCharsPerWord,
  }
  const bounds: PieceBounds = pieceBounds(model)

  // Special tokens in the text: leftmost match, longest first (as a trie or aho-corasick would).
  const specials = [...new Set([opts.unkToken, opts.clsToken, opts.sepToken, opts.padToken, opts.maskToken, ...opts.additionalSpecialTokens])].filter((t) => t.length > 0)
  specials.sort((x, y) => y.length - x.length)
  const specialRe = settings.splitSpecialTokens || specials.length === 0 ? null : new RegExp(specials.map(escapeRegExp).join('|'), 'g')

  const cacheSize = settings.cacheSize ?? 100_000
  const cache = new Map<string, Pieces>()
  const piecesOf = (word: string): Pieces => {
    let p = cache.get(word)
    if (p === undefined) {
      p = wordPiece(word, model, bounds)
      if (cache.size >= cacheSize) cache.clear()
      cache.set(word, p)
    }
    return p
  }

  const words: Word[] = []
  const encodeRange = (text: string, from: number, to: number, out: Encoding): void => {
    words.length = 0
    basicTokenize(text, basic, from, to, words)
    for (const w of words) {
      if (w.neverSplit) {
        // transformers keeps a never_split token as it is; its id is the unknown one when it is not in the vocabulary.
        out.tokens.push(w.text)
        out.ids.push(vocab.tokenToId.get(w.text) ?? unk.id)
        out.offsets.push([w.start, w.end])
        continue
      }
      const p = piecesOf(w.text)
      let a = 0
      for (let k = 0; k < p.tokens.length; k++) {
        const b = p.ends[k]!
        out.tokens.push(p.tokens[k]!)
        out.ids.push(p.ids[k]!)
        out.offsets.push(w.align === null ? [w.start + a, w.start + b] : [w.align[2 * a]!, w.align[2 * b - 1]!])
        a = b
      }
    }
  }

  const encode = (text: string): Encoding => {
    const out: Encoding = { tokens: [], ids: [], offsets: [] }
    let last = 0
    if (specialRe) {
      specialRe.lastIndex = 0
      for (let m = specialRe.exec(text); m !== null; m = specialRe.exec(text)) {
        encodeRange(text, last, m.index, out)
        out.tokens.push(m[0])
        out.ids.push(vocab.tokenToId.get(m[0]) ?? unk.id)
        out.offsets.push([m.index, m.index + m[0].length])
        last = m.index + m[0].length
      }
    }
    encodeRange(text, last, text.length, out)
    return out
  }

  return {
    options: opts,
    vocab,
    unk,
    cls,
    sep,
    pad,
    mask,
    encode,
    tokenize: (text) => encode(text).tokens,
    withSpecialTokens: (a, b) => addSpecialTokens(cls, sep, a, b),
  }
}

/** [CLS] a [SEP] (b [SEP]); the added tokens have offsets (0, 0), as in the fast tokenizer. */
export function addSpecialTokens(cls: SpecialToken, sep: SpecialToken, a: Encoding, b?: Encoding): EncodingWithSpecialTokens {
  const out: EncodingWithSpecialTokens = { tokens: [], ids: [], offsets: [], typeIds: [], specialTokensMask: [] }
  const add = (token: string, id: number, offset: Offset, typeId: number, special: number): void => {
    out.tokens.push(token)
    out.ids.push(id)
    out.offsets.push(offset)
    out.typeIds.push(typeId)
    out.specialTokensMask.push(special)
  }
  const addAll = (e: Encoding, typeId: number): void => {
    for (let k = 0; k < e.tokens.length; k++) add(e.tokens[k]!, e.ids[k]!, [e.offsets[k]![0], e.offsets[k]![1]], typeId, 0)
    add(sep.token, sep.id, [0, 0], typeId, 1)
  }
  add(cls.token, cls.id, [0, 0], 0, 1)
  addAll(a, 0)
  if (b) addAll(b, 1)
  return out
}
