/**
 * Looking at a Hugging Face model folder: which files are there, and the parsed config.json.
 * Weights are not read here (see parseSafetensors); only their presence and format are checked.
 */
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { parseBertConfig, type BertConfig } from './bert-config'
import { ModelFileError } from './errors'

export const MODEL_FILES = {
  config: 'config.json',
  safetensors: 'model.safetensors',
  safetensorsIndex: 'model.safetensors.index.json',
  vocabTxt: 'vocab.txt',
  tokenizerJson: 'tokenizer.json',
  pytorch: 'pytorch_model.bin',
  tensorflow: 'tf_model.h5',
  flax: 'flax_model.msgpack',
} as const

export interface ModelFolder {
  dir: string
  configPath: string
  config: BertConfig
  weightsPath: string
  /** At least one of the two tokenizer files is present. */
  vocabPath?: string
  tokenizerJsonPath?: string
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/**
 * The Python one-liner that rewrites a folder's weights as one model.safetensors (AutoModel keeps
 * the encoder; Tagtune trains its own token-classification head).
 */
export function conversionCommand(dir: string, from: 'pytorch' | 'tf' | 'flax' = 'pytorch'): string {
  const d = dir.replace(/\\/g, '\\\\').replace(/'/g, "\\'")
  const load = from === 'tf' ? `'${d}', from_tf=True` : from === 'flax' ? `'${d}', from_flax=True` : `'${d}'`
  return `python -c "from transformers import AutoModel; AutoModel.from_pretrained(${load}).save_pretrained('${d}', safe_serialization=True, max_shard_size='10GB')"`
}

export function inspectModelFolder(dir: string): ModelFolder {
  let st
  try {
    st = statSync(dir)
  } catch {
    throw new ModelFileError(dir, 'model folder not found')
  }
  if (!st.isDirectory()) throw new ModelFileError(dir, 'is not a folder; choose the folder holding config.json and model.safetensors')

  const path = (name: string): string => join(dir, name)

  const configPath = path(MODEL_FILES.config)
  if (!isFile(configPath)) throw new ModelFileError(configPath, 'not found; a model folder needs the config.json saved with the model')
  let json: unknown
  try {
    json = JSON.parse(readFileSync(configPath, 'utf8'))
  } catch (err) {
    throw new ModelFileError(configPath, `is not valid JSON (${(err as Error).message})`)
  }
  const config = parseBertConfig(json, configPath)

  const weightsPath = path(MODEL_FILES.safetensors)
  if (!isFile(weightsPath)) {
    if (isFile(path(MODEL_FILES.safetensorsIndex))) {
      throw new ModelFileError(
        path(MODEL_FILES.safetensorsIndex),
        'sharded weights (several model-0000x-of-0000y.safetensors files) are not supported; BERT-sized models fit in one ' +
          `${MODEL_FILES.safetensors}. Re-save them as one file with:\n${conversionCommand(dir)}`,
      )
    }
    const sources = [
      [MODEL_FILES.pytorch, 'pytorch', 'torch'],
      [MODEL_FILES.tensorflow, 'tf', 'torch tensorflow'],
      [MODEL_FILES.flax, 'flax', 'torch flax'],
    ] as const
    const other = sources.find(([f]) => isFile(path(f)))
    if (other !== undefined) {
      const [name, from, pip] = other
      throw new ModelFileError(
        path(name),
        `Tagtune reads weights only in the safetensors format (${MODEL_FILES.safetensors}), and this folder has ${name}. ` +
          `Convert it once with Python (pip install transformers ${pip}):\n${conversionCommand(dir, from)}`,
      )
    }
    throw new ModelFileError(weightsPath, 'not found; the folder holds no model weights')
  }

  const folder: ModelFolder = { dir, configPath, config, weightsPath }
  if (isFile(path(MODEL_FILES.vocabTxt))) folder.vocabPath = path(MODEL_FILES.vocabTxt)
  if (isFile(path(MODEL_FILES.tokenizerJson))) folder.tokenizerJsonPath = path(MODEL_FILES.tokenizerJson)
  if (!folder.vocabPath && !folder.tokenizerJsonPath) {
    throw new ModelFileError(dir, `has no tokenizer: neither ${MODEL_FILES.vocabTxt} nor ${MODEL_FILES.tokenizerJson} is there`)
  }
  return folder
}
