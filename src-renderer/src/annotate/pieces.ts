/**
 * Cutting a text into pieces at every span and selection boundary, each knowing which spans
 * cover it, so the editor can draw nested spans as stacked underlines. Pure.
 */
import type { SpanTuple } from '@shared/domain/dataset'

export interface Piece {
  start: number
  end: number
  /** Indexes into the span list, outermost (longest) first. */
  covering: number[]
  selected: boolean
  /** Indexes of spans that end exactly here (their label tag is drawn after this piece). */
  endsHere: number[]
}

export function pieces(length: number, spans: readonly SpanTuple[], selection: { start: number; end: number } | null): Piece[] {
  const cuts = new Set<number>([0, length])
  for (const [s, e] of spans) {
    if (s >= 0 && e <= length && s < e) {
      cuts.add(s)
      cuts.add(e)
    }
  }
  if (selection && selection.start < selection.end) {
    cuts.add(Math.max(0, selection.start))
    cuts.add(Math.min(length, selection.end))
  }
  const points = [...cuts].sort((a, b) => a - b)
  const order = spans.map((s, i) => i).sort((a, b) => spans[b]![1] - spans[b]![0] - (spans[a]![1] - spans[a]![0]))
  const out: Piece[] = []
  for (let k = 0; k < points.length - 1; k++) {
    const start = points[k]!
    const end = points[k + 1]!
    if (start === end) continue
    out.push({
      start,
      end,
      covering: order.filter((i) => spans[i]![0] <= start && spans[i]![1] >= end),
      selected: !!selection && selection.start <= start && selection.end >= end && selection.start < selection.end,
      endsHere: order.filter((i) => spans[i]![1] === end),
    })
  }
  return out
}
