/**
 * Which parameters train under a PEFT method. Freezing and BitFit only choose among the
 * model's own parameters; LoRA and adapters add their own (see lora.ts, adapters.ts) and train
 * only those. The token-classification head always trains.
 */
import type { Peft } from '../../../src-shared/domain/run-config'
import { layerPrefix, type ParamMap } from '../model/bert'

const isHead = (name: string): boolean => name.startsWith('classifier.') || name.startsWith('crf.')
export const isLoraParam = (name: string): boolean => name.includes('.lora_')
export const isAdapterParam = (name: string): boolean => name.includes('.adapter.')

export function trainableNames(params: ParamMap, peft: Peft | null, numLayers: number): string[] {
  const names = [...params.keys()]
  if (!peft) return names.filter((n) => !isLoraParam(n) && !isAdapterParam(n))
  switch (peft.method) {
    case 'freeze': {
      // A negative count keeps that many top layers trainable and freezes the rest.
      const count = peft.layers < 0 ? Math.max(0, numLayers + peft.layers) : peft.layers
      if (count > numLayers) throw new Error(`peft.layers is ${peft.layers} but the model has ${numLayers} layers`)
      const frozenLayers = Array.from({ length: count }, (_, i) => `${layerPrefix(i)}.`)
      return names.filter((n) => !(peft.embeddings && n.startsWith('embeddings.')) && !frozenLayers.some((p) => n.startsWith(p)))
    }
    case 'bitfit':
      return names.filter((n) => isHead(n) || (n.endsWith('.bias') && !isLoraParam(n) && !isAdapterParam(n)))
    case 'lora':
      return names.filter((n) => isHead(n) || isLoraParam(n))
    case 'adapter':
      // Houlsby et al. also train the LayerNorms next to the adapters.
      return names.filter((n) => isHead(n) || isAdapterParam(n) || (n.includes('LayerNorm') && n.startsWith('encoder.')))
  }
}
