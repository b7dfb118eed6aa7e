/**
 * The model a server answers with: a run's checkpoint folder loaded once (LoRA merged, adapters
 * and CRF restored), and a function from texts to spans with both code-point and UTF-16 offsets.
 * Long texts become overlapping windows inside the engine, as in evaluation.
 */
import { loadTokenClassifier } from '../engine/model/io'
import { loadBertTokenizer } from '../engine/tokenizer'
import { tagSetFromId2Label } from '../engine/data'
import { defaultStride } from '../engine/data/encode'
import { predictDocuments } from '../engine/infer/predict'
import { disposeParams } from '../engine/model/bert'
import { offsetConverter } from '../formats/offsets'
import type { ServedSpan } from '../../src-shared/domain/serving'

/** What to load: a model folder and how the run read text (from its config). */
export interface ModelSpec {
  dir: string
  /** The run it comes from (null for a bare model folder). */
  runId: number | null
  name: string
  maxLength: number
  stride?: number
  labelAllSubtokens: boolean
  /** Windows per forward pass inside one model call. */
  batchSize: number
}

export interface LoadedServedModel {
  runId: number | null
  name: string
  /** Entity types. */
  labels: string[]
  tags: string[]
  maxLength: number
  stride: number
  notes: string[]
  /** Spans per text, in order. Synchronous: it occupies the thread while it runs. */
  predict(texts: readonly string[]): ServedSpan[][]
  dispose(): void
}

export function loadServedModel(spec: ModelSpec): LoadedServedModel {
  const { tokenizer } = loadBertTokenizer(spec.dir)
  const { model, notes } = loadTokenClassifier(spec.dir, { peft: 'merged' })
  const tagSet = tagSetFromId2Label(model.labels)
  const maxLength = Math.min(spec.maxLength, model.config.max_position_embeddings)
  // A stride that no longer fits (maxLength capped by the model's positions) falls back to the default.
  const stride = spec.stride !== undefined && spec.stride < maxLength - 2 ? spec.stride : defaultStride(maxLength)
  const options = { maxLength, stride, batchSize: spec.batchSize, labelAllSubtokens: spec.labelAllSubtokens }
  let disposed = false
  return {
    runId: spec.runId,
    name: spec.name,
    labels: [...tagSet.types],
    tags: [...tagSet.tags],
    maxLength,
    stride,
    notes,
    predict(texts) {
      if (disposed) throw new Error('the model was unloaded')
      const docs = texts.map((text, id) => ({ id, text, spans: [] }))
      const predictions = predictDocuments(model, tokenizer, tagSet, docs, options)
      return predictions.map((p, i) => {
        const text = texts[i]!
        const offsets = offsetConverter(text)
        return p.spans.map((s) => ({
          start: offsets.toCodePoint(s.start) ?? s.start,
          end: offsets.toCodePoint(s.end) ?? s.end,
          startUtf16: s.start,
          endUtf16: s.end,
          label: s.label,
          text: text.slice(s.start, s.end),
          confidence: Math.min(1, Math.max(0, s.confidence)),
        }))
      })
    },
    dispose() {
      if (disposed) return
      disposed = true
      disposeParams(model.params)
    },
  }
}
