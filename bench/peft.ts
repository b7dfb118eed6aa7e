/**
 * Speed of parameter-efficient fine-tuning against full fine-tuning at the same shape: the
 * engine's training step (loss, gradients of the trained parameters, clipping, AdamW) with all
 * parameters, with only the top 2 layers and the head ("Top layers only"), and with LoRA (rank 8
 * on query and value), and top 2 layers again with the frozen part's outputs reused from the
 * first epoch (peft.cacheOutputs: the steady state of epochs 2 and later; dropout 0). Prints
 * ms/step, tokens/s and the speed-up over full fine-tuning.
 *
 *   npm run bench:peft -- --vocab 21128 --hidden 256 --layers 4 --heads 4 --seq 64 --batch 16
 */
import { AdamW, clipByGlobalNorm } from '../src-main/engine/optim/adamw'
import { disposeGrads, lossAndGradients } from '../src-main/engine/train/step'
import { frozenLinearWeights, preparePeft } from '../src-main/engine/peft'
import { countParams } from '../src-main/engine/model/bert'
import type { Peft } from '../src-shared/domain/run-config'
import { FrozenOutputCache, frozenPrefixLayers } from '../src-main/engine/train/frozen-cache'
import type { Batch, EncodedWindow } from '../src-main/engine/data'
import { parseFlags, setUp, timeSteps } from './lib/engine-bench'

const o = parseFlags(process.argv.slice(2), 'train')
const variants: [string, Peft | null, { reuse?: boolean }?][] = [
  ['full fine-tuning', null],
  ['top 2 layers + head', { method: 'freeze', embeddings: true, layers: -2, cacheOutputs: false }],
  ['LoRA r8 (query, value)', { method: 'lora', rank: 8, alpha: 16, dropout: 0, targets: ['query', 'value'] }],
  ['top 2, frozen reused', { method: 'freeze', embeddings: true, layers: -2, cacheOutputs: true }, { reuse: true }],
]
const rows: { variant: string; trainable: number; msPerStepMedian: number; tokensPerSecond: number }[] = []
for (const [name, peft, how] of variants) {
  const bench = await setUp(o)
  const trainable = preparePeft(bench.model, peft, o.seed)
  // As the training loop does: frozen linear weights skip their gradient.
  bench.model.frozenWeights = frozenLinearWeights(bench.model.params.keys(), trainable)
  let frozen: FrozenOutputCache | undefined
  if (how?.reuse) {
    // Every batch's windows computed once beforehand, as the first epoch does.
    bench.model.config = { ...bench.model.config, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 }
    frozen = new FrozenOutputCache(bench.model, frozenPrefixLayers(bench.model, [...trainable]), 0, 2 ** 31)
    for (const b of bench.batches) {
      b.windows = Array.from({ length: b.batchSize }, () => ({ length: b.seqLength }) as EncodedWindow)
      frozen.hiddenFor(b as Batch).dispose()
    }
  }
  const optimizer = new AdamW({ weightDecay: o.weightDecay })
  const timing = timeSteps(o, (i) => {
    const batch = bench.batches[i % bench.batches.length]!
    const r = lossAndGradients(bench.model, batch, trainable, { seed: i, ...(frozen ? { frozen } : {}) })
    const clipped = clipByGlobalNorm(r.grads, o.maxGradNorm)
    optimizer.apply(bench.model.params, clipped.grads, o.lr)
    disposeGrads(clipped.grads)
  })
  optimizer.dispose()
  const tokens = o.batch * o.seq
  rows.push({ variant: name, trainable: countParams(bench.model.params, trainable), msPerStepMedian: timing.median, tokensPerSecond: tokens / (timing.median / 1000) })
  for (const v of bench.model.params.values()) v.dispose()
}
const full = rows[0]!.msPerStepMedian
console.log(`\nshape: vocab ${o.vocab}, hidden ${o.hidden}, ${o.layers} layers, ${o.heads} heads, batch ${o.batch} × seq ${o.seq}`)
for (const r of rows) {
  console.log(`${r.variant.padEnd(24)} ${r.trainable.toLocaleString('en-US').padStart(11)} trained  ${r.msPerStepMedian.toFixed(0).padStart(6)} ms/step  ${Math.round(r.tokensPerSecond).toString().padStart(6)} tok/s  speed-up ×${(full / r.msPerStepMedian).toFixed(2)}`)
}
console.log(JSON.stringify({ shape: { vocab: o.vocab, hidden: o.hidden, layers: o.layers, heads: o.heads, seq: o.seq, batch: o.batch }, rows: rows.map((r) => ({ ...r, speedUp: full / r.msPerStepMedian })) }))
