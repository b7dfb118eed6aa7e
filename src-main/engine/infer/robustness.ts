/**
 * How much a model's entity F1 drops under attack: adversarial perturbations of the word
 * embeddings (FGM, PGD, steered by the gold labels: a worst case) and text noise (typos:
 * character swaps, drops, insertions), each beside the clean F1 on the same documents.
 */
import { evaluateNer, type NerEvaluation } from '../../../src-shared/domain/ner-eval'
import { seededRandom } from '../../../src-shared/domain/splits'
import { encodeDocuments, type NerDocument, type TagSet } from '../data'
import { addTextNoise, type NoiseRates } from '../data/noise'
import { predictPerturbed, type AttackConfig } from '../adversarial/embedding-attack'
import type { TokenClassifier } from '../heads/token-classification'
import type { BertTokenizer } from '../tokenizer'
import { predictEncoded } from './predict'

export interface RobustnessOptions {
  maxLength: number
  batchSize: number
  labelAllSubtokens: boolean
  /** Embedding attacks to run (e.g. FGM at ε 0.5 and 1, PGD at ε 1). */
  attacks: AttackConfig[]
  /** Noise levels to run. */
  noise: NoiseRates[]
  seed: number
}

export interface RobustnessRow {
  kind: 'clean' | 'fgm' | 'pgd' | 'noise'
  /** What was applied, e.g. "FGM ε=1" or "noise swap 5% drop 5% insert 5%". */
  setting: string
  f1: number
  precision: number
  recall: number
  /** F1 minus the clean F1. */
  delta: number
}

const pct = (x: number): string => `${Math.round(x * 100)}%`

function score(model: TokenClassifier, tokenizer: BertTokenizer, tagSet: TagSet, docs: readonly NerDocument[], options: RobustnessOptions, attack?: AttackConfig): NerEvaluation {
  const encoded = encodeDocuments(docs, tokenizer, tagSet, { maxLength: options.maxLength, labelAllSubtokens: options.labelAllSubtokens }).documents
  const predictions = predictEncoded(model, tokenizer, tagSet, new Map(docs.map((d) => [d.id, d.text])), encoded, {
    maxLength: options.maxLength,
    batchSize: options.batchSize,
    labelAllSubtokens: options.labelAllSubtokens,
    ...(attack ? { predict: (b) => predictPerturbed(model, b, attack) } : {}),
  }).filter((p) => p.goldWordTags.length > 0)
  return evaluateNer(predictions.map((p) => p.goldWordTags), predictions.map((p) => p.wordTags), { mode: 'default', scheme: tagSet.scheme })
}

export function evaluateRobustness(model: TokenClassifier, tokenizer: BertTokenizer, tagSet: TagSet, docs: readonly NerDocument[], options: RobustnessOptions): RobustnessRow[] {
  const clean = score(model, tokenizer, tagSet, docs, options)
  const row = (kind: RobustnessRow['kind'], setting: string, e: NerEvaluation): RobustnessRow => ({ kind, setting, f1: e.f1, precision: e.precision, recall: e.recall, delta: e.f1 - clean.f1 })
  const rows = [row('clean', 'clean', clean)]
  for (const a of options.attacks) {
    const setting = a.method === 'fgm' ? `FGM ε=${a.epsilon}` : `PGD ε=${a.epsilon}, ${a.steps ?? 3} steps`
    rows.push(row(a.method, setting, score(model, tokenizer, tagSet, docs, options, a)))
  }
  options.noise.forEach((rates, i) => {
    const random = seededRandom(options.seed + i)
    const noisy = docs.map((d) => addTextNoise(d, rates, random))
    rows.push(row('noise', `noise: swap ${pct(rates.swap)}, drop ${pct(rates.drop)}, insert ${pct(rates.insert)}`, score(model, tokenizer, tagSet, noisy, options)))
  })
  return rows
}
