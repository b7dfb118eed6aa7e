/**
 * Speed of parameter-efficient fine-tuning against full fine-tuning at the same shape: the
 * engine's training step (loss, gradients of the trained parameters, clipping, AdamW) with all
 * parameters, with only the top 2 layers and the head ("Top layers only"), and with LoRA (rank 8
 * on query and value). Prints ms/step, tokens/s and the speed-up over full fine-tuning.
 *
 *   npm run bench:peft -- --vocab 21128 --hidden 256 --layers 4 --heads 4 --seq 64 --batch 16
 */
import { AdamW, clipByGlobalNorm } from '../src-main/engine/optim/adamw'
import { disposeGrads, lossAndGradients } from '../src-main/engine/train/step'
import { frozenLinearWeights, preparePeft } from '../src-main/engine/peft'
import { countParams } from '../src-main/engine/model/bert'
import type { Peft } from '../src-shared/domain/run-config'
import { parseFlags, setUp, timeSteps } from './lib/engine-bench'

const o = parseFlags(process.argv.slice(2), 'train')
const variants: [string, Peft | null][] = [
  ['full fine-tuning', null],
  ['top 2 layers + head', { method: 'freeze', embeddings: true, layers: -2 }],
  ['LoRA r8 (query, value)', { method: 'lora', rank: 8, alpha: 16, dropout: 0, targets: ['query', 'value'] }],
]
const rows: { variant: string; trainable: number; msPerStepMedian: number; tokensPerSecond: number }[] = []
for (const [name, peft] of variants) {
  const bench = await setUp(o)
  const trainable = preparePeft(bench.model, peft, o.seed)
  // As the training loop does: frozen linear weights skip their gradient.
  bench.model.frozenWeights = frozenLinearWeights(bench.model.params.keys(), trainable)
  const optimizer = new AdamW({ weightDecay: o.weightDecay })
  const timing = timeSteps(o, (i) => {
    const batch = bench.batches[i % bench.batches.length]!
    const r = lossAndGradients(bench.model, batch, trainable, { seed: i })
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
