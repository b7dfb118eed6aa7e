// config.json validation: defaults, accepted values, and errors naming the field.
import { describe, expect, it } from 'vitest'
import { BERT_CONFIG_DEFAULTS, ModelFileError, parseBertConfig } from '../../../../src-main/engine/model'

const base = {
  architectures: ['BertForMaskedLM'],
  model_type: 'bert',
  vocab_size: 30522,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  initializer_range: 0.02,
  layer_norm_eps: 1e-12,
  pad_token_id: 0,
  position_embedding_type: 'absolute',
  transformers_version: '4.6.0.dev0',
  use_cache: true,
  gradient_checkpointing: false,
}

function errorOf(json: unknown, file?: string): ModelFileError {
  try {
    parseBertConfig(json, file)
  } catch (err) {
    expect(err).toBeInstanceOf(ModelFileError)
    return err as ModelFileError
  }
  throw new Error('expected parseBertConfig to throw')
}

describe('parseBertConfig', () => {
  it("reads bert-base-uncased's config.json", () => {
    const c = parseBertConfig(base)
    expect(c).toEqual({
      model_type: 'bert',
      architectures: ['BertForMaskedLM'],
      vocab_size: 30522,
      hidden_size: 768,
      num_hidden_layers: 12,
      num_attention_heads: 12,
      intermediate_size: 3072,
      hidden_act: 'gelu',
      hidden_dropout_prob: 0.1,
      attention_probs_dropout_prob: 0.1,
      max_position_embeddings: 512,
      type_vocab_size: 2,
      layer_norm_eps: 1e-12,
      initializer_range: 0.02,
      pad_token_id: 0,
      position_embedding_type: 'absolute',
    })
  })

  it('fills the transformers defaults for missing optional fields', () => {
    const c = parseBertConfig({ model_type: 'bert', vocab_size: 100, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16 })
    expect(c).toMatchObject({ ...BERT_CONFIG_DEFAULTS, architectures: [] })
    expect(c.id2label).toBeUndefined()
    expect(c.label2id).toBeUndefined()
  })

  it('accepts gelu_new and relu, and a null pad_token_id', () => {
    expect(parseBertConfig({ ...base, hidden_act: 'gelu_new' }).hidden_act).toBe('gelu_new')
    expect(parseBertConfig({ ...base, hidden_act: 'relu' }).hidden_act).toBe('relu')
    expect(parseBertConfig({ ...base, pad_token_id: null }).pad_token_id).toBeNull()
  })

  it('reads id2label with integer keys and label2id', () => {
    const c = parseBertConfig({ ...base, id2label: { '0': 'O', '1': 'B-PER', '2': 'I-PER' }, label2id: { O: 0, 'B-PER': 1, 'I-PER': 2 } })
    expect(c.id2label).toEqual({ 0: 'O', 1: 'B-PER', 2: 'I-PER' })
    expect(c.label2id).toEqual({ O: 0, 'B-PER': 1, 'I-PER': 2 })
  })

  it('accepts an old config without model_type when its architectures are BERT', () => {
    const { model_type: _, ...old } = base
    expect(parseBertConfig(old).model_type).toBe('bert')
    expect(parseBertConfig({ ...old, architectures: undefined }).architectures).toEqual([])
    expect(errorOf({ ...old, architectures: ['RobertaForMaskedLM'] }).message).toBe(
      "config.json: model_type is missing and architectures names RobertaForMaskedLM; Tagtune currently reads only BERT models (model_type 'bert')",
    )
  })

  it('refuses other model types, saying only BERT is read for now', () => {
    for (const t of ['roberta', 'distilbert', 'electra', 'gpt2']) {
      expect(errorOf({ ...base, model_type: t }).message).toBe(
        `config.json: model_type '${t}' is not supported; Tagtune currently reads only BERT models (model_type 'bert')`,
      )
    }
  })

  it('names the field when hidden_size is not divisible by the heads', () => {
    const e = errorOf({ ...base, num_attention_heads: 5 })
    expect(e.message).toBe('config.json: hidden_size (768) must be divisible by num_attention_heads (5)')
    expect(e.file).toBe('config.json')
  })

  it('refuses unsupported activations, naming them', () => {
    expect(errorOf({ ...base, hidden_act: 'silu' }).message).toBe("config.json: hidden_act 'silu' is not supported (use one of 'gelu', 'gelu_new', 'relu')")
    expect(errorOf({ ...base, hidden_act: 3 }).message).toMatch(/hidden_act 3 is not supported/)
  })

  it('requires the shape-defining sizes and checks they are positive integers', () => {
    for (const f of ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size']) {
      const { [f]: _, ...rest } = base as Record<string, unknown>
      expect(errorOf(rest).message).toBe(`config.json: ${f} is missing`)
    }
    expect(errorOf({ ...base, hidden_size: 0 }).message).toBe('config.json: hidden_size (0) must be a positive integer')
    expect(errorOf({ ...base, num_hidden_layers: 1.5 }).message).toBe('config.json: num_hidden_layers (1.5) must be a positive integer')
    expect(errorOf({ ...base, vocab_size: '30522' }).message).toBe("config.json: vocab_size ('30522') must be a positive integer")
    expect(errorOf({ ...base, max_position_embeddings: -1 }).message).toMatch(/max_position_embeddings \(-1\)/)
    expect(errorOf({ ...base, type_vocab_size: 0 }).message).toMatch(/type_vocab_size \(0\)/)
  })

  it('validates dropouts, layer_norm_eps, pad_token_id and position_embedding_type', () => {
    expect(errorOf({ ...base, hidden_dropout_prob: 1 }).message).toMatch(/hidden_dropout_prob \(1\) must be a number from 0 up to/)
    expect(errorOf({ ...base, attention_probs_dropout_prob: -0.1 }).message).toMatch(/attention_probs_dropout_prob \(-0\.1\)/)
    expect(errorOf({ ...base, layer_norm_eps: 0 }).message).toMatch(/layer_norm_eps \(0\) must be a positive number/)
    expect(errorOf({ ...base, pad_token_id: 30522 }).message).toBe(
      'config.json: pad_token_id (30522) must be an integer from 0 to vocab_size - 1 (30521)',
    )
    expect(errorOf({ ...base, position_embedding_type: 'relative_key' }).message).toBe(
      "config.json: position_embedding_type 'relative_key' is not supported (only 'absolute' is)",
    )
  })

  it('validates architectures, id2label and label2id', () => {
    expect(errorOf({ ...base, architectures: 'BertModel' }).message).toMatch(/architectures must be a list/)
    expect(errorOf({ ...base, id2label: { x: 'O' } }).message).toMatch(/id2label key 'x' is not a non-negative integer/)
    expect(errorOf({ ...base, id2label: { '0': 1 } }).message).toMatch(/id2label\[0\] \(1\) must be a string/)
    expect(errorOf({ ...base, id2label: ['O'] }).message).toMatch(/id2label must be an object/)
    expect(errorOf({ ...base, label2id: { O: '0' } }).message).toMatch(/label2id\['O'\] \('0'\) must be a non-negative integer/)
  })

  it('refuses non-objects and uses the file name given', () => {
    expect(errorOf([1]).message).toBe('config.json: is not a JSON object')
    expect(errorOf(null, '/models/x/config.json').message).toBe('/models/x/config.json: is not a JSON object')
  })
})
