/**
 * The bootstrap intervals as a small forest plot in plain SVG: one row per run against the
 * baseline, the F1 difference as a dot (filled when the 95% interval excludes 0) on its
 * interval, a dashed line at 0. A string, so the view and the exported report draw the same
 * picture. Pure.
 */

export interface IntervalRow {
  label: string
  color: string
  delta: number
  low: number
  high: number
  significant: boolean
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

const signed = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)}`

/** A "nice" bound for the axis: 1, 2 or 5 × 10^k at or above x. */
function niceCeil(x: number): number {
  const k = 10 ** Math.floor(Math.log10(x))
  for (const m of [1, 2, 5, 10]) if (m * k >= x) return m * k
  return 10 * k
}

export function intervalsSvg(rows: readonly IntervalRow[], width = 640): string {
  const labelW = 170
  const valueW = 150
  const rowH = 26
  const top = 8
  const plotW = width - labelW - valueW
  const height = top + rows.length * rowH + 30
  const extent = niceCeil(Math.max(0.01, ...rows.flatMap((r) => [Math.abs(r.low), Math.abs(r.high), Math.abs(r.delta)])))
  const x = (v: number): number => labelW + ((v + extent) / (2 * extent)) * plotW
  const parts: string[] = []
  const axisY = top + rows.length * rowH + 4
  parts.push(`<line x1="${x(0)}" y1="${top - 4}" x2="${x(0)}" y2="${axisY}" stroke="#8a93a3" stroke-dasharray="3 3"/>`)
  parts.push(`<line x1="${labelW}" y1="${axisY}" x2="${labelW + plotW}" y2="${axisY}" stroke="#cfd4dc"/>`)
  for (const t of [-extent, -extent / 2, 0, extent / 2, extent]) {
    parts.push(`<line x1="${x(t)}" y1="${axisY}" x2="${x(t)}" y2="${axisY + 4}" stroke="#cfd4dc"/>`)
    parts.push(`<text x="${x(t)}" y="${axisY + 16}" font-size="10" fill="#8a93a3" text-anchor="middle">${t === 0 ? '0' : signed(t)}</text>`)
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH + rowH / 2
    const label = r.label.length > 26 ? `${r.label.slice(0, 25)}…` : r.label
    parts.push(`<text x="${labelW - 10}" y="${y + 4}" font-size="12" fill="#1d2330" text-anchor="end">${escapeXml(label)}</text>`)
    parts.push(`<line x1="${x(r.low)}" y1="${y}" x2="${x(r.high)}" y2="${y}" stroke="${r.color}" stroke-width="2.5" stroke-linecap="round"/>`)
    parts.push(`<line x1="${x(r.low)}" y1="${y - 5}" x2="${x(r.low)}" y2="${y + 5}" stroke="${r.color}" stroke-width="1.5"/>`)
    parts.push(`<line x1="${x(r.high)}" y1="${y - 5}" x2="${x(r.high)}" y2="${y + 5}" stroke="${r.color}" stroke-width="1.5"/>`)
    parts.push(`<circle cx="${x(r.delta)}" cy="${y}" r="5" fill="${r.significant ? r.color : '#fff'}" stroke="${r.color}" stroke-width="2"/>`)
    parts.push(`<text x="${labelW + plotW + 10}" y="${y + 4}" font-size="11.5" fill="${r.significant ? '#1d2330' : '#5b6474'}" font-weight="${r.significant ? 700 : 400}">${signed(r.delta)} [${signed(r.low)}, ${signed(r.high)}]</text>`)
  })
  parts.push(`<text x="${labelW + plotW / 2}" y="${height - 1}" font-size="10" fill="#8a93a3" text-anchor="middle">F1 difference against the baseline × 100 (95% interval)</text>`)
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + 4}" viewBox="0 0 ${width} ${height + 4}" font-family="Inter, Segoe UI, system-ui, sans-serif" role="img" aria-label="Bootstrap intervals">${parts.join('')}</svg>`
}
