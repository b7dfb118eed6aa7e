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

/**
 * `grid`, when given, adds a cut every `grid` characters (moved off surrogate pairs by `isPairMiddle`),
 * so the editor can render the text in blocks that an edit elsewhere leaves untouched.
 */
export function pieces(
  length: number,
  spans: readonly SpanTuple[],
  selection: { start: number; end: number } | null,
  grid?: { every: number; isPairMiddle: (o: number) => boolean; extra?: readonly number[] },
): Piece[] {
  // A sweep over the boundaries: O((points + spans) log points), so 500 spans stay cheap.
  const opens = new Map<number, number[]>()
  const closes = new Map<number, number[]>()
  const cuts = new Set<number>([0, length])
  spans.forEach(([s, e], i) => {
    if (!(s >= 0 && e <= length && s < e)) return
    cuts.add(s)
    cuts.add(e)
    opens.set(s, [...(opens.get(s) ?? []), i])
    closes.set(e, [...(closes.get(e) ?? []), i])
  })
  const sel = selection && selection.start < selection.end ? { start: Math.max(0, selection.start), end: Math.min(length, selection.end) } : null
  if (sel) {
    cuts.add(sel.start)
    cuts.add(sel.end)
  }
  if (grid) {
    for (let g = grid.every; g < length; g += grid.every) cuts.add(grid.isPairMiddle(g) ? g + 1 : g)
    for (const x of grid.extra ?? []) if (x > 0 && x < length) cuts.add(x)
  }
  const points = [...cuts].sort((a, b) => a - b)
  const size = (i: number): number => spans[i]![1] - spans[i]![0]
  const outermostFirst = (a: number, b: number): number => size(b) - size(a) || a - b
  const active = new Set<number>()
  const out: Piece[] = []
  for (let k = 0; k < points.length - 1; k++) {
    const start = points[k]!
    const end = points[k + 1]!
    for (const i of closes.get(start) ?? []) active.delete(i)
    for (const i of opens.get(start) ?? []) active.add(i)
    if (start === end) continue
    out.push({
      start,
      end,
      covering: [...active].sort(outermostFirst),
      selected: !!sel && sel.start <= start && sel.end >= end,
      endsHere: (closes.get(end) ?? []).filter((i) => active.has(i)).sort(outermostFirst),
    })
  }
  return out
}
