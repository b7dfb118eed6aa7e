/**
 * Model folders for the library tests: the tiny BERT fixture copied into a temp dir, and the
 * malformed variants made from it (a file missing, a tensor missing or mis-shaped, a vocabulary
 * that does not fit, another architecture, PyTorch weights only, a cased vocabulary without a
 * tokenizer config). Tensors are rewritten with the engine's safetensors writer.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseSafetensors, writeSafetensors, type WritableTensor } from '../../../../src-main/engine/model/safetensors'
import { TINY_BERT } from '../../../helpers/toy-ner'

export { TINY_BERT }

/** The files of the fixture that make the model (the f16/bf16 variants and references are extra). */
export const TINY_FILES = ['config.json', 'vocab.txt', 'tokenizer_config.json', 'model.safetensors'] as const

export function tinyCopy(dir: string, name = 'tiny-bert'): string {
  const out = join(dir, name)
  mkdirSync(out, { recursive: true })
  for (const f of TINY_FILES) copyFileSync(join(TINY_BERT, f), join(out, f))
  return out
}

export function tinyTensors(): Map<string, WritableTensor> {
  const t = parseSafetensors(new Uint8Array(readFileSync(join(TINY_BERT, 'model.safetensors'))))
  return new Map([...t].map(([k, v]) => [k, { shape: v.shape, data: v.data }]))
}

/** Parameters of the fixture, counted from its tensors (independently of the library's header reader). */
export function tinyParameterCount(): number {
  let n = 0
  for (const t of tinyTensors().values()) n += t.data.length
  return n
}

export function writeTensors(folder: string, tensors: Map<string, WritableTensor>): void {
  writeFileSync(join(folder, 'model.safetensors'), writeSafetensors(tensors, { format: 'pt' }))
}

function editJson(path: string, edit: (o: Record<string, unknown>) => void): void {
  const o = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
  edit(o)
  writeFileSync(path, JSON.stringify(o, null, 2))
}

export interface Variant {
  name: string
  make(dir: string): string
  /** The file the error must name (relative to the folder, or '' for the folder itself). */
  file: string
  /** Text the message must contain: the field or the tensor, and what is wrong. */
  says: string[]
  field?: string
  tensor?: string
}

export const MALFORMED: Variant[] = [
  {
    name: 'missing config.json',
    make: (d) => {
      const f = tinyCopy(d)
      rmSync(join(f, 'config.json'))
      return f
    },
    file: 'config.json',
    says: ['not found'],
  },
  {
    name: 'missing vocabulary',
    make: (d) => {
      const f = tinyCopy(d)
      rmSync(join(f, 'vocab.txt'))
      return f
    },
    file: '',
    says: ['neither vocab.txt nor tokenizer.json'],
  },
  {
    name: 'missing model.safetensors',
    make: (d) => {
      const f = tinyCopy(d)
      rmSync(join(f, 'model.safetensors'))
      return f
    },
    file: 'model.safetensors',
    says: ['not found', 'no model weights'],
  },
  {
    name: 'a tensor of the wrong shape',
    make: (d) => {
      const f = tinyCopy(d)
      const t = tinyTensors()
      t.set('bert.encoder.layer.1.intermediate.dense.weight', { shape: [32, 32], data: new Float32Array(32 * 32) })
      writeTensors(f, t)
      return f
    },
    file: 'model.safetensors',
    says: ['wrong shape', 'encoder.layer.1.intermediate.dense.weight: expected [64, 32], found [32, 32]'],
    tensor: 'bert.encoder.layer.1.intermediate.dense.weight',
  },
  {
    name: 'a missing tensor',
    make: (d) => {
      const f = tinyCopy(d)
      const t = tinyTensors()
      t.delete('bert.encoder.layer.0.attention.self.value.bias')
      writeTensors(f, t)
      return f
    },
    file: 'model.safetensors',
    says: ['1 missing tensor', 'encoder.layer.0.attention.self.value.bias'],
    tensor: 'bert.encoder.layer.0.attention.self.value.bias',
  },
  {
    name: 'a truncated model.safetensors',
    make: (d) => {
      const f = tinyCopy(d)
      const bytes = readFileSync(join(f, 'model.safetensors'))
      writeFileSync(join(f, 'model.safetensors'), bytes.subarray(0, bytes.length - 1000))
      return f
    },
    file: 'model.safetensors',
    says: ['truncated'],
  },
  {
    name: 'a vocabulary larger than the embeddings',
    make: (d) => {
      const f = tinyCopy(d)
      writeFileSync(join(f, 'vocab.txt'), `${readFileSync(join(f, 'vocab.txt'), 'utf8')}extra1\nextra2\n`)
      return f
    },
    file: 'config.json',
    field: 'vocab_size',
    says: ['vocab_size is 128', '130 tokens'],
  },
  {
    name: 'an unsupported architecture (gpt2)',
    make: (d) => {
      const f = tinyCopy(d)
      editJson(join(f, 'config.json'), (o) => {
        o.model_type = 'gpt2'
        o.architectures = ['GPT2LMHeadModel']
      })
      return f
    },
    file: 'config.json',
    field: 'model_type',
    says: ["model_type 'gpt2' is not supported"],
  },
  {
    name: 'pytorch_model.bin only',
    make: (d) => {
      const f = tinyCopy(d)
      rmSync(join(f, 'model.safetensors'))
      writeFileSync(join(f, 'pytorch_model.bin'), 'PK\x03\x04 not really a zip')
      return f
    },
    file: 'pytorch_model.bin',
    says: ['safetensors format', 'save_pretrained'],
  },
  {
    name: 'a config without hidden_size',
    make: (d) => {
      const f = tinyCopy(d)
      editJson(join(f, 'config.json'), (o) => delete o.hidden_size)
      return f
    },
    file: 'config.json',
    field: 'hidden_size',
    says: ['hidden_size is missing'],
  },
]

/**
 * A tiny BERT over a cased vocabulary and without tokenizer_config.json (as bert-base-cased is
 * shipped in ../shared), or over `vocab` when given. Weights are zeros of the right shapes.
 */
export function casedFolder(dir: string, vocab?: string[]): string {
  const out = join(dir, 'cased-bert')
  mkdirSync(out, { recursive: true })
  const tokens = vocab ?? [
    '[PAD]',
    '[UNK]',
    '[CLS]',
    '[SEP]',
    '[MASK]',
    ...'the and of to is was with which in on at by for from a an'.split(' '),
    ...Array.from({ length: 120 }, (_, i) => `Name${String.fromCharCode(65 + (i % 26))}${i}`),
    ...Array.from({ length: 40 }, (_, i) => `##x${i}`),
  ]
  writeFileSync(join(out, 'vocab.txt'), `${tokens.join('\n')}\n`)
  const config = JSON.parse(readFileSync(join(TINY_BERT, 'config.json'), 'utf8')) as Record<string, unknown>
  config.vocab_size = tokens.length
  delete config.id2label
  delete config.label2id
  config.architectures = ['BertForMaskedLM']
  writeFileSync(join(out, 'config.json'), JSON.stringify(config, null, 2))
  const t = tinyTensors()
  t.delete('classifier.weight')
  t.delete('classifier.bias')
  t.set('bert.embeddings.word_embeddings.weight', { shape: [tokens.length, 32], data: new Float32Array(tokens.length * 32) })
  writeTensors(out, t)
  return out
}
