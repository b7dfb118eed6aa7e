// BertModel parameter names and shapes, and matching checkpoints against them.
import { describe, expect, it } from 'vitest'
import { describeMismatch, expectedBertWeights, matchWeights, parseSafetensors, writeSafetensors } from '../../../../src-main/engine/model'

const tiny = { vocab_size: 10, hidden_size: 4, num_hidden_layers: 2, intermediate_size: 6, max_position_embeddings: 8, type_vocab_size: 2 }

type T = { shape: number[]; data: Float32Array }
const tensor = (shape: number[]): T => ({ shape, data: new Float32Array(shape.reduce((a, d) => a * d, 1)) })

function checkpoint(prefix = '', options: { pooler?: boolean } = {}): Map<string, T> {
  const m = new Map<string, T>()
  for (const [name, shape] of expectedBertWeights(tiny)) {
    if (!options.pooler && name.startsWith('pooler.')) continue
    m.set(prefix + name, tensor(shape))
  }
  return m
}

describe('expectedBertWeights', () => {
  it('lists the Hugging Face names with PyTorch [out, in] shapes', () => {
    const w = expectedBertWeights(tiny)
    expect(w.size).toBe(5 + 16 * 2 + 2)
    expect(w.get('embeddings.word_embeddings.weight')).toEqual([10, 4])
    expect(w.get('embeddings.position_embeddings.weight')).toEqual([8, 4])
    expect(w.get('embeddings.token_type_embeddings.weight')).toEqual([2, 4])
    expect(w.get('embeddings.LayerNorm.weight')).toEqual([4])
    expect(w.get('embeddings.LayerNorm.bias')).toEqual([4])
    for (const qkv of ['query', 'key', 'value']) {
      expect(w.get(`encoder.layer.1.attention.self.${qkv}.weight`)).toEqual([4, 4])
      expect(w.get(`encoder.layer.1.attention.self.${qkv}.bias`)).toEqual([4])
    }
    expect(w.get('encoder.layer.0.attention.output.dense.weight')).toEqual([4, 4])
    expect(w.get('encoder.layer.0.attention.output.LayerNorm.bias')).toEqual([4])
    expect(w.get('encoder.layer.0.intermediate.dense.weight')).toEqual([6, 4])
    expect(w.get('encoder.layer.0.intermediate.dense.bias')).toEqual([6])
    expect(w.get('encoder.layer.0.output.dense.weight')).toEqual([4, 6])
    expect(w.get('encoder.layer.0.output.dense.bias')).toEqual([4])
    expect(w.get('encoder.layer.0.output.LayerNorm.weight')).toEqual([4])
    expect(w.get('pooler.dense.weight')).toEqual([4, 4])
    expect(w.has('encoder.layer.2.output.dense.weight')).toBe(false)
  })

  it('counts 109,482,240 parameters for bert-base-uncased', () => {
    const w = expectedBertWeights({ vocab_size: 30522, hidden_size: 768, num_hidden_layers: 12, intermediate_size: 3072, max_position_embeddings: 512, type_vocab_size: 2 })
    let total = 0
    for (const s of w.values()) total += s.reduce((a, d) => a * d, 1)
    expect(total).toBe(109_482_240)
  })
})

describe('matchWeights', () => {
  it('matches a bare BertModel checkpoint', () => {
    const r = matchWeights(checkpoint('', { pooler: true }), tiny)
    expect(r).toMatchObject({ prefix: '', missing: [], missingOptional: [], unexpected: [], ignored: [], misshaped: [], ok: true })
    expect(r.weights.size).toBe(39)
  })

  it("strips the 'bert.' prefix and sets heads aside as harmless", () => {
    const ck = checkpoint('bert.')
    ck.set('classifier.weight', tensor([3, 4]))
    ck.set('classifier.bias', tensor([3]))
    ck.set('cls.predictions.bias', tensor([10]))
    ck.set('bert.embeddings.position_ids', tensor([1, 8]))
    const r = matchWeights(ck, tiny)
    expect(r.prefix).toBe('bert.')
    expect(r.ok).toBe(true)
    expect(r.weights.has('encoder.layer.1.output.LayerNorm.bias')).toBe(true)
    expect(r.weights.has('bert.encoder.layer.1.output.LayerNorm.bias')).toBe(false)
    expect(r.missing).toEqual([])
    expect(r.missingOptional).toEqual(['pooler.dense.weight', 'pooler.dense.bias'])
    expect(r.ignored.sort()).toEqual(['bert.embeddings.position_ids', 'classifier.bias', 'classifier.weight', 'cls.predictions.bias'])
    expect(r.unexpected).toEqual([])
  })

  it('maps TF-style gamma/beta to weight/bias', () => {
    const ck = new Map<string, T>()
    for (const [name, t] of checkpoint('bert.')) ck.set(name.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta'), t)
    expect([...ck.keys()]).toContain('bert.embeddings.LayerNorm.gamma')
    const r = matchWeights(ck, tiny)
    expect(r.ok).toBe(true)
    expect(r.weights.has('embeddings.LayerNorm.weight')).toBe(true)
    expect(r.weights.has('encoder.layer.0.output.LayerNorm.bias')).toBe(true)
  })

  it('reports missing, misshaped and unexpected tensors', () => {
    const ck = checkpoint()
    ck.delete('encoder.layer.1.attention.self.key.weight')
    ck.delete('embeddings.token_type_embeddings.weight')
    ck.set('encoder.layer.0.intermediate.dense.weight', tensor([4, 6])) // transposed
    ck.set('embeddings.word_embeddings.weight', tensor([11, 4]))
    ck.set('encoder.layer.2.output.dense.weight', tensor([4, 6])) // a layer too many
    ck.set('bert.embeddings.LayerNorm.weight', tensor([4])) // prefixed in a bare checkpoint
    const r = matchWeights(ck, tiny)
    expect(r.ok).toBe(false)
    expect(r.missing).toEqual(['embeddings.token_type_embeddings.weight', 'encoder.layer.1.attention.self.key.weight'])
    expect(r.misshaped).toEqual([
      { name: 'embeddings.word_embeddings.weight', expected: [10, 4], actual: [11, 4] },
      { name: 'encoder.layer.0.intermediate.dense.weight', expected: [6, 4], actual: [4, 6] },
    ])
    expect(r.unexpected).toEqual(['encoder.layer.2.output.dense.weight', 'bert.embeddings.LayerNorm.weight'])
    expect(r.weights.has('embeddings.word_embeddings.weight')).toBe(false)
  })

  it('counts a parameter given twice (weight and gamma) as unexpected', () => {
    const ck = checkpoint()
    ck.set('embeddings.LayerNorm.gamma', tensor([4]))
    const r = matchWeights(ck, tiny)
    expect(r.ok).toBe(true)
    expect(r.unexpected).toEqual(['embeddings.LayerNorm.gamma'])
  })

  it('reports everything missing for a checkpoint of another model', () => {
    const r = matchWeights(new Map([['transformer.h.0.attn.c_attn.weight', tensor([4, 12])]]), tiny)
    expect(r.missing.length).toBe(37)
    expect(r.unexpected).toEqual(['transformer.h.0.attn.c_attn.weight'])
  })

  it('works on tensors read from a safetensors file', () => {
    const r = matchWeights(parseSafetensors(writeSafetensors(checkpoint('bert.', { pooler: true }))), tiny)
    expect(r.ok).toBe(true)
    expect(r.weights.get('pooler.dense.weight')!.dtype).toBe('F32')
  })
})

describe('describeMismatch', () => {
  it('names the first 10 tensors of each list with counts', () => {
    const ck = checkpoint()
    for (const name of [...ck.keys()].filter((n) => n.startsWith('encoder.layer.1.'))) ck.delete(name)
    ck.set('embeddings.word_embeddings.weight', tensor([11, 4]))
    ck.set('mystery', tensor([1]))
    ck.set('classifier.weight', tensor([3, 4]))
    const text = describeMismatch(matchWeights(ck, tiny))
    expect(text).toContain('The weights do not match the BERT model described by config.json.')
    expect(text).toContain('16 missing tensors:\n  - encoder.layer.1.attention.self.query.weight')
    expect(text).toContain('  … and 6 more')
    expect(text.match(/^ {2}- encoder\.layer\.1\./gm)!.length).toBe(10)
    expect(text).toContain('1 tensor with the wrong shape:\n  - embeddings.word_embeddings.weight: expected [10, 4], found [11, 4]')
    expect(text).toContain('1 unexpected tensor (not part of a BERT encoder):\n  - mystery')
    expect(text).toContain('1 head or buffer tensor ignored (harmless):\n  - classifier.weight')
    expect(text).not.toContain('pooler')
  })

  it('says so when the weights match', () => {
    expect(describeMismatch(matchWeights(checkpoint(), tiny))).toBe('The weights match the BERT model described by config.json.')
  })
})
