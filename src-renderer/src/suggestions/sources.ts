/**
 * Suggestions: spans proposed to the annotator, who accepts or rejects each. A source turns a
 * text (and the spans already there) into suggestions; the dictionary is the first source, a
 * trained model's predictions plug in as another. Pure.
 */
import type { SpanTuple } from '@shared/domain/dataset'
import type { Dictionary } from '@shared/domain/annotation'
import { occurrences } from '@shared/domain/spans'

export interface Suggestion {
  start: number
  end: number
  labelId: number
  source: 'dictionary' | 'model'
  /** 0..1; dictionary matches are 1. */
  confidence: number
}

export interface SuggestionSource {
  readonly id: Suggestion['source']
  suggest(text: string, spans: readonly SpanTuple[]): Suggestion[]
}

export const suggestionKey = (s: { start: number; end: number; labelId: number }): string => `${s.start}:${s.end}:${s.labelId}`

/**
 * Whole-word matches of every term, longest first, skipping places already annotated or
 * already claimed by a longer match ("New York City" wins over "York").
 */
export function dictionarySource(dictionary: Dictionary): SuggestionSource {
  const terms = dictionary.entries.flatMap((e) => e.terms.map((term) => ({ term, labelId: e.labelId }))).sort((a, b) => b.term.length - a.term.length)
  return {
    id: 'dictionary',
    suggest(text, spans) {
      const taken: [number, number][] = spans.map(([s, e]) => [s, e])
      const free = (s: number, e: number): boolean => taken.every(([a, b]) => e <= a || s >= b)
      const out: Suggestion[] = []
      for (const { term, labelId } of terms) {
        for (const [s, e] of occurrences(text, term)) {
          if (!free(s, e)) continue
          taken.push([s, e])
          out.push({ start: s, end: e, labelId, source: 'dictionary', confidence: 1 })
        }
      }
      return out.sort((a, b) => a.start - b.start)
    },
  }
}

/**
 * A finished run's predictions for this document (suggestions.get), proposed where nothing is
 * annotated yet and at or above `minConfidence`.
 */
export function modelSource(predicted: readonly { start: number; end: number; labelId: number; confidence: number }[], minConfidence = 0): SuggestionSource {
  return {
    id: 'model',
    suggest(_text, spans) {
      const free = (s: number, e: number): boolean => spans.every(([a, b]) => e <= a || s >= b)
      return predicted
        .filter((p) => p.confidence >= minConfidence && free(p.start, p.end))
        .map((p) => ({ start: p.start, end: p.end, labelId: p.labelId, source: 'model' as const, confidence: p.confidence }))
        .sort((a, b) => a.start - b.start)
    },
  }
}

/**
 * Suggestions of several sources, in text order; where two overlap, the first source's wins
 * (the model before the dictionary: it has seen the context).
 */
export function combineSources(sources: readonly SuggestionSource[]): SuggestionSource {
  return {
    id: sources[0]?.id ?? 'dictionary',
    suggest(text, spans) {
      const out: Suggestion[] = []
      for (const source of sources) {
        for (const s of source.suggest(text, spans)) {
          if (out.every((o) => s.end <= o.start || s.start >= o.end)) out.push(s)
        }
      }
      return out.sort((a, b) => a.start - b.start)
    },
  }
}
