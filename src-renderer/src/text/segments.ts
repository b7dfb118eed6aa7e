/** Cutting a text into plain and labelled pieces for display. Pure. */
export interface ShownSpan {
  start: number
  end: number
  label: string
  color: string
  /** Drawn as an error (a prediction that does not match gold exactly, or a gold entity no prediction matched). */
  wrong?: boolean
}

export interface Segment {
  text: string
  span?: ShownSpan
}

/**
 * Plain and labelled segments in text order. Overlapping spans (nested projects) are shown
 * by their outermost earliest span; the inner ones are listed in its tooltip by the caller.
 */
export function segments(text: string, spans: readonly ShownSpan[]): Segment[] {
  const sorted = [...spans].filter((s) => s.start < s.end && s.end <= text.length).sort((a, b) => a.start - b.start || b.end - a.end)
  const out: Segment[] = []
  let at = 0
  for (const s of sorted) {
    if (s.start < at) continue
    if (s.start > at) out.push({ text: text.slice(at, s.start) })
    out.push({ text: text.slice(s.start, s.end), span: s })
    at = s.end
  }
  if (at < text.length) out.push({ text: text.slice(at) })
  return out
}
