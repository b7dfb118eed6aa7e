/**
 * Recipes that fill the Train view's form. A technique the trainer cannot run would be listed
 * disabled (`unavailable`) rather than faked; today every recipe runs. Pure.
 */
import { configToDraft, type ConfigDraft } from './config-form'

type Values = Partial<Omit<ConfigDraft, 'extra'>>

/** The form's defaults (the run config's own), without the pass-through fields. */
function defaults(): Values {
  const { extra: _extra, ...rest } = configToDraft({})
  return rest
}

export interface Preset {
  id: string
  title: string
  blurb: string
  /** Draft fields the preset sets; absent for techniques that are not available yet. */
  apply?: Values
  /** Config fields without a form input that the preset sets (e.g. peft); other presets clear them. */
  extra?: Record<string, unknown>
  /** Why it cannot be chosen yet. */
  unavailable?: string
}

export const NOT_YET = 'coming with the techniques issue'

export const PRESETS: Preset[] = [
  {
    id: 'full',
    title: 'Full fine-tune',
    blurb: 'Every weight trains: the Hugging Face run_ner recipe (learning rate 5e-5, 3 epochs, batch 16, 10% warmup, linear decay).',
    apply: defaults(),
  },
  {
    id: 'quick',
    title: 'Quick check',
    blurb: '30 steps with a dev evaluation every 10: checks that the data and the model fit together before a long run.',
    apply: { ...defaults(), maxSteps: '30', evalEvery: '10' },
  },
  {
    id: 'top-layers',
    title: 'Top layers only',
    blurb: 'Freezes the embeddings and all but the top 2 layers and trains those and the head: faster and lighter on small data.',
    apply: { ...defaults(), learningRate: '1e-4' },
    extra: { peft: { method: 'freeze', embeddings: true, layers: -2 } },
  },
  {
    id: 'lora',
    title: 'LoRA',
    blurb: 'Trains small low-rank updates (rank 8) of the query and value projections beside frozen weights; merged into the model when saved.',
    apply: { ...defaults(), learningRate: '5e-4' },
    extra: { peft: { method: 'lora', rank: 8, alpha: 16, dropout: 0.1, targets: ['query', 'value'] } },
  },
  {
    id: 'fgm',
    title: 'Adversarial (FGM)',
    blurb: 'Full fine-tune that also trains on word embeddings pushed along the gradient (ε = 1): more robust to noisy spellings, about 2× slower.',
    apply: { ...defaults(), adversarial: 'fgm', advEpsilon: '1' },
  },
  {
    id: 'crf',
    title: 'CRF',
    blurb: 'A conditional random field over the tags, trained on whole tag sequences and decoded with Viterbi: never an invalid sequence, often better boundaries.',
    apply: defaults(),
    extra: { head: 'crf' },
  },
]

/** Config fields presets own outside the form: a preset without them clears them. */
export const PRESET_EXTRA_KEYS = ['peft', 'head'] as const

/** The preset whose values the draft holds, if any. */
export function matchingPreset(draft: ConfigDraft): Preset | undefined {
  return PRESETS.find(
    (p) =>
      p.apply &&
      Object.entries(p.apply).every(([k, v]) => draft[k as keyof Values] === v) &&
      PRESET_EXTRA_KEYS.every((k) => JSON.stringify(p.extra?.[k]) === JSON.stringify(draft.extra[k])),
  )
}
