/**
 * Checking a Hugging Face model folder before it joins the library, without loading its weights:
 * config.json (a BERT the engine supports), the safetensors header (every tensor the config
 * needs, of the right shape and a dtype the engine reads), the tokenizer files (readable, their
 * special tokens present, a vocabulary that fits the embeddings). Reads files, writes nothing.
 *
 * A problem is an AppError INVALID_FILE whose message starts with the file's path and whose
 * details name the file and the config field or the tensors: `{ file, field?, tensors? }`.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import { AppError } from '../../../src-shared/ipc/errors'
import { LIBRARY_FILE_NAMES, type ModelInfo } from '../../../src-shared/domain/model-library'
import { ModelFileError } from '../../engine/model/errors'
import { inspectModelFolder, MODEL_FILES, type ModelFolder } from '../../engine/model/folder'
import { describeMismatch, matchWeights } from '../../engine/model/weights'
import { loadTokenizerFiles, type LoadedTokenizerFiles } from '../../engine/tokenizer/load'
import { TokenizerFileError } from '../../engine/tokenizer/vocab'
import { elementCount, LOADABLE_DTYPES, readSafetensorsHeader, type SafetensorsHeader, type TensorHeader } from './safetensors-header'
import { languageHint, vocabularyIsCased } from './vocab-facts'

export const TOKENIZER_CONFIG = 'tokenizer_config.json'

/** The files a library model keeps (see LIBRARY_FILE_NAMES). */
export const LIBRARY_FILES: readonly string[] = LIBRARY_FILE_NAMES

/** Buffers some checkpoints carry that are not parameters. */
const BUFFERS = /(^|\.)embeddings\.(position_ids|token_type_ids)$/

/** config.json fields parseBertConfig names at the start of its messages. */
const CONFIG_FIELDS = new Set([
  'model_type',
  'architectures',
  'vocab_size',
  'hidden_size',
  'num_hidden_layers',
  'num_attention_heads',
  'intermediate_size',
  'hidden_act',
  'hidden_dropout_prob',
  'attention_probs_dropout_prob',
  'max_position_embeddings',
  'type_vocab_size',
  'layer_norm_eps',
  'initializer_range',
  'pad_token_id',
  'position_embedding_type',
  'id2label',
  'label2id',
])

export interface ProblemDetails {
  file: string
  field?: string
  tensors?: string[]
}

export interface FolderCheck {
  info: ModelInfo
  /** Things that do not stop the model from being used, worth telling. */
  warnings: string[]
  /**
   * The vocabulary is cased but no tokenizer config sets do_lower_case, so transformers (and
   * Tagtune) would lowercase the text and miss every capitalised token: the library writes
   * do_lower_case: false into its copy.
   */
  needsCasedFix: boolean
  /** tokenizer_config.json as found (to patch with do_lower_case), or null when there is none. */
  tokenizerConfig: Record<string, unknown> | null
}

function invalid(message: string, details: ProblemDetails): AppError {
  return new AppError('INVALID_FILE', message, details)
}

function fromModelFileError(err: ModelFileError): AppError {
  const text = err.message.startsWith(`${err.file}: `) ? err.message.slice(err.file.length + 2) : err.message
  const field = /^([a-z_0-9]+)\b/.exec(text)?.[1]
  const details: ProblemDetails = { file: err.file }
  if (err.file.endsWith(MODEL_FILES.config) && field && CONFIG_FIELDS.has(field)) details.field = field
  const tensor = /tensor "([^"]+)"/.exec(text)?.[1]
  if (tensor !== undefined) details.tensors = [tensor]
  return invalid(err.message, details)
}

function readFolder(dir: string): ModelFolder {
  try {
    return inspectModelFolder(dir)
  } catch (err) {
    if (err instanceof ModelFileError) throw fromModelFileError(err)
    throw err
  }
}

function readHeader(path: string): SafetensorsHeader {
  try {
    return readSafetensorsHeader(path)
  } catch (err) {
    if (err instanceof ModelFileError) throw fromModelFileError(err)
    throw err
  }
}

function readTokenizer(dir: string): LoadedTokenizerFiles {
  try {
    return loadTokenizerFiles(dir)
  } catch (err) {
    if (err instanceof TokenizerFileError) {
      const file = isAbsolute(err.file) ? err.file : join(dir, err.file)
      const text = err.message.slice(err.file.length + 2)
      throw invalid(`${file}: ${text}`, { file })
    }
    throw err
  }
}

function readJsonObject(path: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null
  } catch {
    return null
  }
}

function fileSize(path: string): number | null {
  try {
    const st = statSync(path)
    return st.isFile() ? st.size : null
  } catch {
    return null
  }
}

/** The library's files present in `dir`, with their sizes (symbolic links followed). */
export function libraryFilesIn(dir: string): { name: string; bytes: number }[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  const out: { name: string; bytes: number }[] = []
  for (const name of LIBRARY_FILES) {
    if (!names.includes(name)) continue
    const bytes = fileSize(join(dir, name))
    if (bytes !== null) out.push({ name, bytes })
  }
  return out
}

/** Every file of the folder with its size: what the folder takes on disk. */
export function folderBytes(dir: string): number {
  let total = 0
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return 0
  }
  for (const n of names) total += fileSize(join(dir, n)) ?? 0
  return total
}

export function checkModelFolder(dir: string): FolderCheck {
  const folder = readFolder(dir)
  const config = folder.config
  const rawConfig = readJsonObject(folder.configPath) ?? {}
  const warnings: string[] = []

  // The weights: the header only.
  const header = readHeader(folder.weightsPath)
  const byName = new Map<string, TensorHeader>(header.tensors.map((t) => [t.name, t]))
  const match = matchWeights(byName, config)
  if (!match.ok) {
    // The harmless leftovers (heads, buffers) are not what is wrong: leave them out of the error.
    throw invalid(`${folder.weightsPath}: ${describeMismatch({ ...match, ignored: [] })}`, {
      file: folder.weightsPath,
      tensors: [...match.missing, ...match.misshaped.map((m) => m.name)].map((n) => match.prefix + n),
    })
  }
  for (const [name, t] of match.weights) {
    if (!LOADABLE_DTYPES.has(t.dtype)) {
      throw invalid(`${folder.weightsPath}: tensor "${t.name}" (${name}) has dtype ${t.dtype}; Tagtune reads weights in F32, F16 or BF16 only`, {
        file: folder.weightsPath,
        tensors: [t.name],
      })
    }
  }
  if (match.unexpected.length > 0) {
    const shown = match.unexpected.slice(0, 5).join(', ')
    warnings.push(`${MODEL_FILES.safetensors} holds ${match.unexpected.length} tensor(s) that are not part of a BERT encoder or a known head (${shown}${match.unexpected.length > 5 ? ', …' : ''}); they are ignored`)
  }
  const parameters = header.tensors.filter((t) => LOADABLE_DTYPES.has(t.dtype) || t.dtype === 'F64').filter((t) => !BUFFERS.test(t.name)).reduce((a, t) => a + elementCount(t.shape), 0)
  const dtypes = [...new Set([...match.weights.values()].map((t) => t.dtype))].sort()

  // The tokenizer.
  const tok = readTokenizer(dir)
  const vocabFile = folder.tokenizerJsonPath ? 'tokenizer.json' : 'vocab.txt'
  const vocabPath = join(dir, vocabFile)
  if (tok.vocab.size > config.vocab_size) {
    throw invalid(
      `${folder.configPath}: vocab_size is ${config.vocab_size}, but ${vocabPath} has ${tok.vocab.size} tokens: ids from ${config.vocab_size} on would have no embedding. ` +
        'The vocabulary does not belong to these weights.',
      { file: folder.configPath, field: 'vocab_size' },
    )
  }
  if (tok.vocab.size < config.vocab_size) {
    warnings.push(`${vocabFile} has ${tok.vocab.size} tokens and the model ${config.vocab_size} embedding rows: ${config.vocab_size - tok.vocab.size} rows are never used (harmless; some models pad their embeddings)`)
  }

  // Casing: what the tokenizer config says, else what the vocabulary shows.
  const tokenizerConfigPath = join(dir, TOKENIZER_CONFIG)
  const tokenizerConfig = fileSize(tokenizerConfigPath) === null ? null : readJsonObject(tokenizerConfigPath)
  const configured = typeof tokenizerConfig?.do_lower_case === 'boolean' ? (tokenizerConfig.do_lower_case as boolean) : undefined
  const vocabCased = vocabularyIsCased(tok.vocab.idToToken, tok.options.continuingSubwordPrefix)
  let cased: boolean
  let needsCasedFix = false
  if (configured !== undefined) {
    cased = !configured
    if (configured && vocabCased) warnings.push(`${TOKENIZER_CONFIG} sets do_lower_case true, but the vocabulary has capitalised tokens: text is lowercased and they are never used`)
  } else {
    cased = vocabCased
    needsCasedFix = vocabCased
  }
  for (const w of tok.warnings) {
    // Replaced by the casing decision above (and, for a cased vocabulary, the do_lower_case the library writes).
    if (w.startsWith(`${TOKENIZER_CONFIG} not found`)) continue
    warnings.push(w)
  }

  const labels = labelList(config.id2label)
  const info: ModelInfo = {
    architecture: config.architectures[0] ?? 'BertModel',
    layers: config.num_hidden_layers,
    hiddenSize: config.hidden_size,
    heads: config.num_attention_heads,
    intermediateSize: config.intermediate_size,
    maxPositions: config.max_position_embeddings,
    parameters,
    dtype: dtypes.join('+') || 'F32',
    vocabSize: tok.vocab.size,
    embeddingRows: config.vocab_size,
    vocabFile,
    cased,
    casingFrom: configured !== undefined ? 'tokenizer_config' : 'vocabulary',
    language: languageHint(tok.vocab.idToToken, tok.options.continuingSubwordPrefix, rawConfig.language ?? rawConfig.languages),
    labels,
    files: libraryFilesIn(dir),
  }
  return { info, warnings, needsCasedFix, tokenizerConfig }
}

function labelList(id2label: Record<number, string> | undefined): string[] | null {
  if (!id2label) return null
  const ids = Object.keys(id2label).map(Number).sort((a, b) => a - b)
  if (ids.length === 0 || ids.some((id, i) => id !== i)) return null
  // transformers writes LABEL_0, LABEL_1 ... when no labels were given: not a fine-tuned tag set.
  const labels = ids.map((id) => id2label[id]!)
  return labels.every((l, i) => l === `LABEL_${i}`) ? null : labels
}

/** tokenizer_config.json with do_lower_case false, keeping whatever else the original said. */
export function casedTokenizerConfig(original: Record<string, unknown> | null): string {
  return `${JSON.stringify({ ...(original ?? {}), do_lower_case: false }, null, 2)}\n`
}
