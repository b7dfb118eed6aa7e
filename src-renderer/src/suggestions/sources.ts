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
