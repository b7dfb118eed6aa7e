/**
 * Reading a tokenizer from disk: the only module here that touches the file system. A model
 * folder may hold vocab.txt and/or tokenizer.json, and optionally tokenizer_config.json,
 * special_tokens_map.json and config.json; whatever is missing or malformed is reported with the
 * file's name (TokenizerFileError), and what is merely odd comes back as warnings.
 */
import { readFileSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { parseTokenizerConfig, resolveOptions, type BertTokenizerOptions, type TokenizerConfig } from './config'
import { createBertTokenizer, type BertTokenizer, type TokenizerSettings } from './tokenizer'
import { parseJsonObject, parseTokenizerJson, parseVocabTxt, TokenizerFileError, type TokenizerJsonModel, type Vocab } from './vocab'

export const TOKENIZER_FILES = {
  vocabTxt: 'vocab.txt',
  tokenizerJson: 'tokenizer.json',
  tokenizerConfig: 'tokenizer_config.json',
  specialTokensMap: 'special_tokens_map.json',
  modelConfig: 'config.json',
} as const

export interface LoadedTokenizerFiles {
  vocab: Vocab
  options: BertTokenizerOptions
  /** Names of the files that were read, in the folder. */
  files: string[]
  /** Things worth telling the user that do not stop loading. */
  warnings: string[]
}

/** Reads a text file, or undefined when it does not exist. Other failures name the file. */
function readText(path: string, name: string, required: boolean): string | undefined {
  let isFile: boolean
  try {
    isFile = statSync(path).isFile()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      if (required) throw new TokenizerFileError(name, 'not found')
      return undefined
    }
    throw new TokenizerFileError(name, `cannot be read (${(err as Error).message})`)
  }
  if (!isFile) throw new TokenizerFileError(name, 'is not a file')
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    throw new TokenizerFileError(name, `cannot be read (${(err as Error).message})`)
  }
}

/** A vocabulary file on its own: tokenizer.json (any *.json) or a one-token-per-line vocab.txt. */
export function loadVocabFile(path: string): Vocab {
  const name = basename(path)
  const text = readText(path, path, true)!
  return name.toLowerCase().endsWith('.json') ? withAddedTokens(parseTokenizerJson(text, name), name, []).vocab : parseVocabTxt(text, name)
}

/** The vocab of a tokenizer.json with its added tokens that the model vocab lacks. */
function withAddedTokens(tj: TokenizerJsonModel, file: string, warnings: string[]): { vocab: Vocab } {
  const missing = tj.addedTokens.filter((a) => !tj.vocab.tokenToId.has(a.content))
  for (const a of tj.addedTokens) {
    const id = tj.vocab.tokenToId.get(a.content)
    if (id !== undefined && id !== a.id) warnings.push(`${file}: added token ${JSON.stringify(a.content)} has id ${a.id} but the model vocab gives it ${id}; using ${id}`)
  }
  if (missing.length === 0) return { vocab: tj.vocab }
  const tokenToId = new Map(tj.vocab.tokenToId)
  const idToToken = [...tj.vocab.idToToken]
  for (const a of missing) {
    const other = idToToken[a.id]
    if (other !== undefined) throw new TokenizerFileError(file, `added token ${JSON.stringify(a.content)} has id ${a.id}, which is ${JSON.stringify(other)}'s`)
    tokenToId.set(a.content, a.id)
    idToToken[a.id] = a.content
  }
  return { vocab: { tokenToId, idToToken, size: idToToken.length } }
}

/**
 * Reads the tokenizer files of a model folder. The vocabulary comes from tokenizer.json when
 * there is one (as AutoTokenizer's fast tokenizer does), else from vocab.txt; the options from
 * tokenizer_config.json and special_tokens_map.json over BERT's defaults (see resolveOptions).
 */
export function loadTokenizerFiles(dir: string): LoadedTokenizerFiles {
  let isDir: boolean
  try {
    isDir = statSync(dir).isDirectory()
  } catch {
    throw new TokenizerFileError(dir, 'folder not found')
  }
  if (!isDir) throw new TokenizerFileError(dir, 'is not a folder')
  const F = TOKENIZER_FILES
  const files: string[] = []
  const warnings: string[] = []
  const read = (name: string): string | undefined => {
    const text = readText(join(dir, name), name, false)
    if (text !== undefined) files.push(name)
    return text
  }

  const jsonText = read(F.tokenizerJson)
  const txtText = read(F.vocabTxt)
  if (jsonText === undefined && txtText === undefined) {
    throw new TokenizerFileError(dir, `neither ${F.vocabTxt} nor ${F.tokenizerJson} is there: a BERT tokenizer needs one of them`)
  }
  const tokenizerJson = jsonText === undefined ? undefined : parseTokenizerJson(jsonText, F.tokenizerJson)
  const txtVocab = txtText === undefined ? undefined : parseVocabTxt(txtText, F.vocabTxt)
  let vocab: Vocab
  let vocabFile: string
  if (tokenizerJson) {
    vocab = withAddedTokens(tokenizerJson, F.tokenizerJson, warnings).vocab
    vocabFile = F.tokenizerJson
    if (txtVocab) {
      const diff = compareVocabs(tokenizerJson.vocab, txtVocab)
      if (diff) warnings.push(`${F.vocabTxt} and ${F.tokenizerJson} disagree (${diff}); using ${F.tokenizerJson}`)
    }
  } else {
    vocab = txtVocab!
    vocabFile = F.vocabTxt
  }

  const configText = read(F.tokenizerConfig)
  let config: TokenizerConfig | undefined
  if (configText === undefined) {
    warnings.push(`${F.tokenizerConfig} not found: using BERT's defaults (do_lower_case=true, tokenize_chinese_chars=true), as transformers does`)
  } else {
    config = parseTokenizerConfig(parseJsonObject(configText, F.tokenizerConfig), F.tokenizerConfig)
  }
  const mapText = read(F.specialTokensMap)
  if (mapText !== undefined) {
    // transformers lets special_tokens_map.json override the config's special tokens.
    const map = parseTokenizerConfig(parseJsonObject(mapText, F.specialTokensMap), F.specialTokensMap)
    config = { ...config }
    for (const key of ['unkToken', 'clsToken', 'sepToken', 'padToken', 'maskToken'] as const) if (map[key] !== undefined) config[key] = map[key]
    if (map.additionalSpecialTokens) config.additionalSpecialTokens = [...new Set([...(config.additionalSpecialTokens ?? []), ...map.additionalSpecialTokens])]
  }
  const { options, warnings: optionWarnings } = resolveOptions(config, tokenizerJson)
  warnings.push(...optionWarnings)

  for (const [key, token] of [
    ['unk_token', options.unkToken],
    ['cls_token', options.clsToken],
    ['sep_token', options.sepToken],
    ['pad_token', options.padToken],
  ] as const) {
    if (!vocab.tokenToId.has(token)) throw new TokenizerFileError(vocabFile, `the ${key} ${JSON.stringify(token)} is not in the vocabulary`)
  }
  if (!vocab.tokenToId.has(options.maskToken)) warnings.push(`${vocabFile}: the mask_token ${JSON.stringify(options.maskToken)} is not in the vocabulary`)

  const modelText = read(F.modelConfig)
  if (modelText !== undefined) {
    const model = parseJsonObject(modelText, F.modelConfig)
    const size = model.vocab_size
    if (size !== undefined && (typeof size !== 'number' || !Number.isInteger(size) || size < 1)) throw new TokenizerFileError(F.modelConfig, 'vocab_size is not a positive integer')
    if (typeof size === 'number' && size < vocab.size) {
      warnings.push(`${vocabFile} has ids up to ${vocab.size - 1} but ${F.modelConfig} says vocab_size ${size}: the model has no embedding for ids from ${size} on`)
    }
  }
  return { vocab, options, files, warnings }
}

/** The tokenizer of a model folder, with the files read and the warnings. */
export function loadBertTokenizer(dir: string, settings?: TokenizerSettings): { tokenizer: BertTokenizer; files: string[]; warnings: string[] } {
  const { vocab, options, files, warnings } = loadTokenizerFiles(dir)
  return { tokenizer: createBertTokenizer(vocab, options, settings), files, warnings }
}

/** Undefined when equal, else a short description of the first differences. */
function compareVocabs(a: Vocab, b: Vocab): string | undefined {
  const n = Math.max(a.size, b.size)
  let count = 0
  let first = ''
  for (let id = 0; id < n; id++) {
    const x = a.idToToken[id]
    const y = b.idToToken[id]
    if (x !== y) {
      if (count === 0) first = `id ${id}: ${JSON.stringify(y)} in vocab.txt, ${JSON.stringify(x)} in tokenizer.json`
      count++
    }
  }
  return count === 0 ? undefined : `${count === 1 ? '1 id differs' : `${count} ids differ`}, first ${first}`
}
