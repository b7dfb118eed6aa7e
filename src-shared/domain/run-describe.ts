/**
 * Runs in a few words, for tables and reports: the recipe a config follows ("full", "LoRA r8",
 * "FGM", "adapter 64 + PGD + augmentation") and the model a run started from. Pure; reads the
 * stored JSON leniently (old or hand-written configs lack fields).
 */

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null)

/** The training recipe of a run config in a few words. */
export function describeRecipe(config: unknown): string {
  const c = obj(config) ?? {}
  const parts: string[] = []
  const peft = obj(c.peft)
  switch (peft?.method) {
    case 'lora':
      parts.push(`LoRA r${typeof peft.rank === 'number' ? peft.rank : 8}`)
      break
    case 'adapter':
      parts.push(`adapter ${typeof peft.size === 'number' ? peft.size : 64}`)
      break
    case 'bitfit':
      parts.push('BitFit')
      break
    case 'freeze': {
      const layers = typeof peft.layers === 'number' ? peft.layers : 0
      const emb = peft.embeddings !== false
      parts.push(`frozen ${[emb ? 'embeddings' : '', layers > 0 ? `${layers} layer${layers === 1 ? '' : 's'}` : ''].filter(Boolean).join(' + ') || 'nothing'}`)
      break
    }
    default:
      break
  }
  const adv = obj(c.adversarial)
  if (adv?.method === 'fgm' || adv?.method === 'pgd') parts.push(String(adv.method).toUpperCase())
  if (parts.length === 0) parts.push('full')
  if (obj(c.augmentation)) parts.push('augmentation')
  if (c.classWeights !== null && c.classWeights !== undefined) parts.push('class weights')
  if (typeof c.maxSteps === 'number' && c.maxSteps > 0) parts.push(`${c.maxSteps} steps`)
  return parts.join(' + ')
}

/** "bert-base-cased", or "scratch 256×4" for a model built from scratch. */
export function describeModel(model: unknown): string {
  const m = obj(model)
  if (!m) return '–'
  if (m.kind === 'folder') return String(m.name ?? m.path ?? 'model folder')
  if (m.kind === 'scratch') return `scratch ${m.hiddenSize ?? '?'}×${m.numLayers ?? '?'}`
  return '–'
}

/** The backend label a run trained on ("wasm (CPU)"), or '–'. */
export function describeBackend(backend: unknown): string {
  const b = obj(backend)
  if (!b) return '–'
  return String(b.label ?? (b.device ? `${b.name} (${b.device})` : b.name ?? '–'))
}

/** Wall-clock time from start to end, or null while either is unknown. */
export function runDurationMs(run: { startedAt: string | null; endedAt: string | null }): number | null {
  if (!run.startedAt || !run.endedAt) return null
  const ms = Date.parse(run.endedAt) - Date.parse(run.startedAt)
  return Number.isFinite(ms) && ms >= 0 ? ms : null
}
