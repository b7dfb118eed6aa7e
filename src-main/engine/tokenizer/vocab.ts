/**
 * WordPiece vocabularies: parsed from a vocab.txt (one token per line, id = line index) or from
 * the model block of a Hugging Face tokenizer.json. Pure: the text comes in, the file name is only
 * used in error messages.
 */

export interface Vocab {
  /** Token -> id. With duplicate lines in a vocab.txt the last one wins, as in transformers' load_vocab. */
  readonly tokenToId: ReadonlyMap<string, number>
  /** Id -> token; an id no token has is undefined. */
  readonly idToToken: ReadonlyArray<string | undefined>
  /** Number of ids (highest id + 1): the embedding rows the model needs. */
  readonly size: number
}

/** A tokenizer file that is missing, unreadable or malformed. `file` is the file's name or path. */
export class TokenizerFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`)
    this.name = 'TokenizerFileError'
  }
}

/** The WordPiece settings a tokenizer.json carries besides its vocab. */
export interface TokenizerJsonModel {
  vocab: Vocab
  unkToken?: string
  continuingSubwordPrefix?: string
  maxInputCharsPerWord?: number
  /** The BertNormalizer settings, when there is one. strip_accents null is kept as null. */
  normalizer?: { cleanText: boolean; handleChineseChars: boolean; stripAccents: boolean | null; lowercase: boolean }
  /** added_tokens: content and id, and whether special. */
  addedTokens: Array<{ content: string; id: number; special: boolean }>
}

/**
 * Parses a vocab.txt. Lines end with \n, \r\n or \r (Python's universal newlines); a final line
 * break does not start another token. A leading UTF-8 BOM is dropped.
 */
export function parseVocabTxt(content: string, file = 'vocab.txt'): Vocab {
  let text = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content
  if (text.endsWith('\r\n')) text = text.slice(0, -2)
  else if (text.endsWith('\n') || text.endsWith('\r')) text = text.slice(0, -1)
  if (text.length === 0) throw new TokenizerFileError(file, 'the vocabulary is empty')
  const tokens = text.split(/\r\n|\r|\n/)
  const tokenToId = new Map<string, number>()
  tokens.forEach((t, id) => tokenToId.set(t, id))
  return { tokenToId, idToToken: tokens, size: tokens.length }
}

/** Builds a Vocab from a token -> id object (tokenizer.json's model.vocab). */
export function vocabFromMap(map: unknown, file = 'tokenizer.json', where = 'model.vocab'): Vocab {
  if (map === null || typeof map !== 'object' || Array.isArray(map)) throw new TokenizerFileError(file, `${where} is not an object of token: id`)
  const tokenToId = new Map<string, number>()
  const idToToken: Array<string | undefined> = []
  for (const [token, id] of Object.entries(map as Record<string, unknown>)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0x7fffffff) {
      throw new TokenizerFileError(file, `${where}: the id of ${JSON.stringify(token)} is not a non-negative integer (${JSON.stringify(id)})`)
    }
    const other = idToToken[id]
    if (other !== undefined) throw new TokenizerFileError(file, `${where}: id ${id} is given to both ${JSON.stringify(other)} and ${JSON.stringify(token)}`)
    tokenToId.set(token, id)
    idToToken[id] = token
  }
  if (tokenToId.size === 0) throw new TokenizerFileError(file, `${where} is empty`)
  return { tokenToId, idToToken, size: idToToken.length }
}

function parseJson(content: string, file: string): unknown {
  try {
    return JSON.parse(content)
  } catch (err) {
    throw new TokenizerFileError(file, `not valid JSON (${err instanceof Error ? err.message : String(err)})`)
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * Parses a Hugging Face tokenizer.json whose model is WordPiece. Refuses other models, and
 * normalizers or pre-tokenizers that are not BERT's, rather than tokenizing differently.
 */
export function parseTokenizerJson(content: string, file = 'tokenizer.json'): TokenizerJsonModel {
  const json = parseJson(content, file)
  if (!isObject(json)) throw new TokenizerFileError(file, 'not a JSON object')
  const model = json.model
  if (!isObject(model)) throw new TokenizerFileError(file, 'has no "model" object')
  // Files written by older tokenizers versions have no model.type; WordPiece is recognised by its fields.
  const type = model.type ?? (typeof model.continuing_subword_prefix === 'string' || typeof model.max_input_chars_per_word === 'number' ? 'WordPiece' : undefined)
  if (type !== 'WordPiece') throw new TokenizerFileError(file, `model type ${JSON.stringify(type ?? 'unknown')} is not WordPiece: not a BERT tokenizer`)
  const vocab = vocabFromMap(model.vocab, file)

  const out: TokenizerJsonModel = { vocab, addedTokens: [] }
  if (model.unk_token !== undefined) {
    if (typeof model.unk_token !== 'string') throw new TokenizerFileError(file, 'model.unk_token is not a string')
    out.unkToken = model.unk_token
  }
  if (model.continuing_subword_prefix !== undefined && model.continuing_subword_prefix !== null) {
    if (typeof model.continuing_subword_prefix !== 'string') throw new TokenizerFileError(file, 'model.continuing_subword_prefix is not a string')
    out.continuingSubwordPrefix = model.continuing_subword_prefix
  }
  if (model.max_input_chars_per_word !== undefined && model.max_input_chars_per_word !== null) {
    const m = model.max_input_chars_per_word
    if (typeof m !== 'number' || !Number.isInteger(m) || m < 1) throw new TokenizerFileError(file, 'model.max_input_chars_per_word is not a positive integer')
    out.maxInputCharsPerWord = m
  }

  const norm = json.normalizer
  if (norm !== undefined && norm !== null) {
    if (!isObject(norm) || norm.type !== 'BertNormalizer') {
      throw new TokenizerFileError(file, `normalizer ${JSON.stringify(isObject(norm) ? norm.type : norm)} is not supported (only BertNormalizer)`)
    }
    const flag = (key: string, dflt: boolean): boolean => {
      const v = norm[key]
      if (v === undefined || v === null) return dflt
      if (typeof v !== 'boolean') throw new TokenizerFileError(file, `normalizer.${key} is not true or false`)
      return v
    }
    const strip = norm.strip_accents
    if (strip !== undefined && strip !== null && typeof strip !== 'boolean') throw new TokenizerFileError(file, 'normalizer.strip_accents is not true, false or null')
    out.normalizer = {
      cleanText: flag('clean_text', true),
      handleChineseChars: flag('handle_chinese_chars', true),
      stripAccents: typeof strip === 'boolean' ? strip : null,
      lowercase: flag('lowercase', true),
    }
    if (!out.normalizer.cleanText) throw new TokenizerFileError(file, 'normalizer.clean_text = false is not supported')
  }
  const pre = json.pre_tokenizer
  if (pre !== undefined && pre !== null && !(isObject(pre) && pre.type === 'BertPreTokenizer')) {
    throw new TokenizerFileError(file, `pre_tokenizer ${JSON.stringify(isObject(pre) ? pre.type : pre)} is not supported (only BertPreTokenizer)`)
  }

  const added = json.added_tokens
  if (added !== undefined && added !== null) {
    if (!Array.isArray(added)) throw new TokenizerFileError(file, 'added_tokens is not a list')
    for (const [k, a] of added.entries()) {
      if (!isObject(a) || typeof a.content !== 'string' || typeof a.id !== 'number' || !Number.isInteger(a.id) || a.id < 0) {
        throw new TokenizerFileError(file, `added_tokens[${k}] has no string content and integer id`)
      }
      out.addedTokens.push({ content: a.content, id: a.id, special: a.special === true })
    }
  }
  return out
}

/** Parses any JSON file into an object, with the file's name in the error. */
export function parseJsonObject(content: string, file: string): Record<string, unknown> {
  const json = parseJson(content, file)
  if (!isObject(json)) throw new TokenizerFileError(file, 'not a JSON object')
  return json
}
