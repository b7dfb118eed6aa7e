/**
 * Parameter-efficient fine-tuning: prepare a model for a PEFT method (add LoRA or adapter
 * variables unless a resumed checkpoint brought them) and say which parameters train.
 */
import type { Peft } from '../../../src-shared/domain/run-config'
import type { TokenClassifier } from '../heads/token-classification'
import { addAdapters } from './adapters'
import { addLora, hasLora, type LoraSettings } from './lora'
import { isAdapterParam, trainableNames } from './select'

export { trainableNames } from './select'
export { mergeLora, type LoraSettings } from './lora'

export function preparePeft(model: TokenClassifier & { lora?: LoraSettings }, peft: Peft | null, seed: number): string[] {
  if (peft?.method === 'lora') {
    if (!hasLora(model.params)) addLora(model.params, model.config, peft.targets, peft.rank, seed)
    model.lora = { rank: peft.rank, alpha: peft.alpha, dropout: peft.dropout }
  } else if (peft?.method === 'adapter') {
    if (![...model.params.keys()].some(isAdapterParam)) addAdapters(model.params, model.config, peft.size, seed)
  }
  return trainableNames(model.params, peft, model.config.num_hidden_layers)
}

/** The encoder's linear weights outside `trainable`: the forward pass skips their gradients (BertModel.frozenWeights). */
export function frozenLinearWeights(names: Iterable<string>, trainable: readonly string[]): Set<string> {
  const t = new Set(trainable)
  return new Set([...names].filter((n) => n.startsWith('encoder.') && n.endsWith('.weight') && !n.includes('LayerNorm') && !t.has(n)))
}
