// Model folders: which files are found, and what the user is told when the weights are not safetensors.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTempDirs } from '../../../helpers/temp-dir'
import { conversionCommand, inspectModelFolder, ModelFileError } from '../../../../src-main/engine/model'

const tempDir = useTempDirs()
const config = { model_type: 'bert', vocab_size: 10, hidden_size: 4, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 8 }

function folder(files: Record<string, string>): string {
  const dir = tempDir()
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

function errorOf(dir: string): ModelFileError {
  try {
    inspectModelFolder(dir)
  } catch (err) {
    expect(err).toBeInstanceOf(ModelFileError)
    return err as ModelFileError
  }
  throw new Error('expected inspectModelFolder to throw')
}

describe('inspectModelFolder', () => {
  it('finds config.json, model.safetensors and the tokenizer files', () => {
    const dir = folder({ 'config.json': JSON.stringify(config), 'model.safetensors': '', 'vocab.txt': '[PAD]\n', 'tokenizer.json': '{}' })
    const f = inspectModelFolder(dir)
    expect(f).toEqual({
      dir,
      configPath: join(dir, 'config.json'),
      config: expect.objectContaining({ hidden_size: 4, hidden_act: 'gelu' }),
      weightsPath: join(dir, 'model.safetensors'),
      vocabPath: join(dir, 'vocab.txt'),
      tokenizerJsonPath: join(dir, 'tokenizer.json'),
    })
  })

  it('accepts either tokenizer file alone', () => {
    const a = inspectModelFolder(folder({ 'config.json': JSON.stringify(config), 'model.safetensors': '', 'tokenizer.json': '{}' }))
    expect(a.vocabPath).toBeUndefined()
    expect(a.tokenizerJsonPath).toMatch(/tokenizer\.json$/)
    expect(inspectModelFolder(folder({ 'config.json': JSON.stringify(config), 'model.safetensors': '', 'vocab.txt': '' })).tokenizerJsonPath).toBeUndefined()
  })

  it('explains how to convert a folder with only pytorch_model.bin', () => {
    const dir = folder({ 'config.json': JSON.stringify(config), 'pytorch_model.bin': 'x', 'vocab.txt': '' })
    const e = errorOf(dir)
    expect(e.file).toBe(join(dir, 'pytorch_model.bin'))
    expect(e.message).toContain('Tagtune reads weights only in the safetensors format (model.safetensors), and this folder has pytorch_model.bin')
    expect(e.message).toContain('pip install transformers torch)')
    expect(e.message).toContain(
      `python -c "from transformers import AutoModel; AutoModel.from_pretrained('${dir}').save_pretrained('${dir}', safe_serialization=True, max_shard_size='10GB')"`,
    )
  })

  it('explains how to convert tf_model.h5 (from_tf=True) and flax weights', () => {
    const tf = folder({ 'config.json': JSON.stringify(config), 'tf_model.h5': 'x', 'vocab.txt': '' })
    expect(errorOf(tf).message).toContain(`AutoModel.from_pretrained('${tf}', from_tf=True)`)
    expect(errorOf(tf).message).toContain('pip install transformers torch tensorflow')
    const flax = folder({ 'config.json': JSON.stringify(config), 'flax_model.msgpack': 'x', 'vocab.txt': '' })
    expect(errorOf(flax).message).toContain(`from_flax=True`)
  })

  it('refuses sharded safetensors with a way to re-save as one file', () => {
    const dir = folder({ 'config.json': JSON.stringify(config), 'model.safetensors.index.json': '{}', 'vocab.txt': '' })
    expect(errorOf(dir).message).toMatch(/sharded weights .* are not supported/)
  })

  it('reports missing weights, config, tokenizer and folder', () => {
    const noWeights = folder({ 'config.json': JSON.stringify(config), 'vocab.txt': '' })
    expect(errorOf(noWeights).message).toBe(`${join(noWeights, 'model.safetensors')}: not found; the folder holds no model weights`)
    const noConfig = folder({ 'model.safetensors': '', 'vocab.txt': '' })
    expect(errorOf(noConfig).file).toBe(join(noConfig, 'config.json'))
    expect(errorOf(noConfig).message).toMatch(/config\.json: not found/)
    const noTokenizer = folder({ 'config.json': JSON.stringify(config), 'model.safetensors': '' })
    expect(errorOf(noTokenizer).message).toBe(`${noTokenizer}: has no tokenizer: neither vocab.txt nor tokenizer.json is there`)
    expect(errorOf(join(noTokenizer, 'nope')).message).toMatch(/model folder not found/)
    expect(errorOf(join(noTokenizer, 'config.json')).message).toMatch(/is not a folder/)
  })

  it('reports a broken or non-BERT config.json with its path', () => {
    const broken = folder({ 'config.json': '{ "model_type": ', 'model.safetensors': '', 'vocab.txt': '' })
    expect(errorOf(broken).message).toMatch(/config\.json: is not valid JSON/)
    const roberta = folder({ 'config.json': JSON.stringify({ ...config, model_type: 'roberta' }), 'model.safetensors': '', 'vocab.txt': '' })
    expect(errorOf(roberta).message).toBe(
      `${join(roberta, 'config.json')}: model_type 'roberta' is not supported; Tagtune currently reads only BERT models (model_type 'bert')`,
    )
  })

  it('does not take a folder named model.safetensors for the weights', () => {
    const dir = folder({ 'config.json': JSON.stringify(config), 'vocab.txt': '' })
    mkdirSync(join(dir, 'model.safetensors'))
    expect(errorOf(dir).message).toMatch(/model\.safetensors: not found/)
  })
})

describe('conversionCommand', () => {
  it('quotes paths with quotes and backslashes for Python', () => {
    expect(conversionCommand("C:\\models\\bob's")).toContain("from_pretrained('C:\\\\models\\\\bob\\'s')")
  })
})
