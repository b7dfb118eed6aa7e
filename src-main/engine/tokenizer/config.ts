/**
 * BERT tokenizer options: transformers' defaults, what a tokenizer_config.json says, and how the
 * two combine with a tokenizer.json. Pure.
 */
import { TokenizerFileError, type TokenizerJsonModel } from './vocab'

export interface BertTokenizerOptions {
  /** Lowercase the text. Default true, as transformers' BertTokenizer(Fast). */
  doLowerCase: boolean
  /** Strip accents; null (the default) means the same as doLowerCase. */
  stripAccents: boolean | null
  /** Put spaces around CJK ideographs. Default true. */
  tokenizeChineseChars: boolean
  /** Whitespace-delimited tokens never split (see BasicTokenizerOptions.neverSplit). */
  neverSplit: string[]
  unkToken: string
  clsToken: string
  sepToken: string
  padToken: string
  maskToken: string
  /** Further tokens matched whole in the text, like the special tokens (additional_special_tokens, added tokens). */
  additionalSpecialTokens: string[]
  /** Prefix of WordPiece continuation pieces. */
  continuingSubwordPrefix: string
  /** Longer words (in code points) are [UNK]. */
  maxInputCharsPerWord: number
  /** model_max_length, when the config gives one. Not used by the tokenizer itself. */
  modelMaxLength?: number
}

export const BERT_DEFAULTS: Readonly<BertTokenizerOptions> = Object.freeze({
  doLowerCase: true,
  stripAccents: null,
  tokenizeChineseChars: true,
  neverSplit: [],
  unkToken: '[UNK]',
  clsToken: '[CLS]',
  sepToken: '[SEP]',
  padToken: '[PAD]',
  maskToken: '[MASK]',
  additionalSpecialTokens: [],
  continuingSubwordPrefix: '##',
  maxInputCharsPerWord: 100,
})

/** strip_accents as transformers resolves it: unset follows do_lower_case. */
export function resolvedStripAccents(options: Pick<BertTokenizerOptions, 'doLowerCase' | 'stripAccents'>): boolean {
  return options.stripAccents ?? options.doLowerCase
}

/** The options that a tokenizer_config.json sets; keys it does not have are absent. */
export type TokenizerConfig = Partial<BertTokenizerOptions>

/** A token in a tokenizer_config: a string, or an AddedToken object {"content": ...}. */
function tokenText(v: unknown, file: string, key: string): string {
  if (typeof v === 'string') return v
  if (v !== null && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content
  throw new TokenizerFileError(file, `${key} is neither a string nor an object with a string "content"`)
}

/** Reads the options of a parsed tokenizer_config.json. Unknown keys are ignored; known ones of the wrong type are errors. */
export function parseTokenizerConfig(json: Record<string, unknown>, file = 'tokenizer_config.json'): TokenizerConfig {
  const out: TokenizerConfig = {}
  const bool = (key: string): boolean | undefined => {
    const v = json[key]
    if (v === undefined) return undefined
    if (typeof v !== 'boolean') throw new TokenizerFileError(file, `${key} is not true or false`)
    return v
  }
  const lower = bool('do_lower_case')
  if (lower !== undefined) out.doLowerCase = lower
  if (json.strip_accents !== undefined) {
    if (json.strip_accents !== null && typeof json.strip_accents !== 'boolean') throw new TokenizerFileError(file, 'strip_accents is not true, false or null')
    out.stripAccents = json.strip_accents
  }
  const cjk = bool('tokenize_chinese_chars')
  if (cjk !== undefined) out.tokenizeChineseChars = cjk
  if (json.never_split !== undefined && json.never_split !== null) {
    if (!Array.isArray(json.never_split) || !json.never_split.every((t) => typeof t === 'string')) throw new TokenizerFileError(file, 'never_split is not a list of strings')
    out.neverSplit = json.never_split as string[]
  }
  const tokens = [
    ['unk_token', 'unkToken'],
    ['cls_token', 'clsToken'],
    ['sep_token', 'sepToken'],
    ['pad_token', 'padToken'],
    ['mask_token', 'maskToken'],
  ] as const
  for (const [key, name] of tokens) {
    if (json[key] !== undefined && json[key] !== null) out[name] = tokenText(json[key], file, key)
  }
  const extra: string[] = []
  if (json.additional_special_tokens !== undefined && json.additional_special_tokens !== null) {
    if (!Array.isArray(json.additional_special_tokens)) throw new TokenizerFileError(file, 'additional_special_tokens is not a list')
    json.additional_special_tokens.forEach((t, k) => extra.push(tokenText(t, file, `additional_special_tokens[${k}]`)))
  }
  // Newer configs list every added token under added_tokens_decoder: {"id": {"content": ...}}.
  const decoder = json.added_tokens_decoder
  if (decoder !== undefined && decoder !== null) {
    if (typeof decoder !== 'object' || Array.isArray(decoder)) throw new TokenizerFileError(file, 'added_tokens_decoder is not an object')
    for (const [id, t] of Object.entries(decoder as Record<string, unknown>)) extra.push(tokenText(t, file, `added_tokens_decoder[${id}]`))
  }
  if (extra.length > 0) out.additionalSpecialTokens = [...new Set(extra)]
  if (json.model_max_length !== undefined && json.model_max_length !== null) {
    const m = json.model_max_length
    if (typeof m !== 'number' || !(m > 0)) throw new TokenizerFileError(file, 'model_max_length is not a positive number')
    // transformers writes a huge placeholder (1e30) when the length is unknown.
    if (m < 1e9) out.modelMaxLength = Math.floor(m)
  }
  return out
}

/**
 * Combines the sources the way transformers does. tokenizer_config.json wins; what it does not
 * set comes from BertTokenizer(Fast)'s defaults. tokenizer.json contributes the WordPiece
 * settings of its model and its added tokens, but its normalizer flags do NOT set the options:
 * BertTokenizerFast re-creates the normalizer from do_lower_case / strip_accents /
 * tokenize_chinese_chars (their defaults when the config is silent). Each disagreement between
 * the tokenizer.json normalizer and the result is returned as a warning.
 */
export function resolveOptions(config: TokenizerConfig | undefined, tokenizerJson?: Omit<TokenizerJsonModel, 'vocab'>): { options: BertTokenizerOptions; warnings: string[] } {
  const options: BertTokenizerOptions = { ...BERT_DEFAULTS, neverSplit: [], additionalSpecialTokens: [] }
  const warnings: string[] = []
  if (tokenizerJson) {
    if (tokenizerJson.unkToken !== undefined) options.unkToken = tokenizerJson.unkToken
    if (tokenizerJson.continuingSubwordPrefix !== undefined) options.continuingSubwordPrefix = tokenizerJson.continuingSubwordPrefix
    if (tokenizerJson.maxInputCharsPerWord !== undefined) options.maxInputCharsPerWord = tokenizerJson.maxInputCharsPerWord
  }
  for (const [key, value] of Object.entries(config ?? {})) {
    if (value !== undefined) (options as unknown as Record<string, unknown>)[key] = Array.isArray(value) ? [...value] : value
  }
  if (tokenizerJson) {
    const named = new Set([options.unkToken, options.clsToken, options.sepToken, options.padToken, options.maskToken, ...options.additionalSpecialTokens])
    for (const a of tokenizerJson.addedTokens) if (!named.has(a.content)) options.additionalSpecialTokens.push(a.content)
    const n = tokenizerJson.normalizer
    if (n) {
      const said = config ?? {}
      if (n.lowercase !== options.doLowerCase) {
        warnings.push(`tokenizer.json's normalizer has lowercase=${n.lowercase} but ${said.doLowerCase === undefined ? 'tokenizer_config.json does not set do_lower_case, which defaults to true' : `tokenizer_config.json sets do_lower_case=${options.doLowerCase}`}; using do_lower_case=${options.doLowerCase}, as transformers does`)
      }
      if (n.stripAccents !== options.stripAccents) {
        warnings.push(`tokenizer.json's normalizer has strip_accents=${n.stripAccents} but the options say ${options.stripAccents}; using ${options.stripAccents}, as transformers does`)
      }
      if (n.handleChineseChars !== options.tokenizeChineseChars) {
        warnings.push(`tokenizer.json's normalizer has handle_chinese_chars=${n.handleChineseChars} but the options say tokenize_chinese_chars=${options.tokenizeChineseChars}; using ${options.tokenizeChineseChars}, as transformers does`)
      }
    }
  }
  return { options, warnings }
}
