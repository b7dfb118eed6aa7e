/**
 * The comparison as a file to keep or share: a self-contained HTML page (inline CSS, charts as
 * inline SVG, no script, nothing fetched) and Markdown (tables; charts as SVG data URIs). Pure:
 * the charts come in as SVG strings.
 */
import type { RunComparison, RunDisagreementsPage } from '@shared/domain/run-compare'
import { escapeXml, intervalsSvg } from './intervals'
import { configCells, delta, KIND_TITLES, verdict } from './format'
import { formatDuration, pct } from '../training/format'

export interface ReportInput {
  projectName: string
  generatedAt: string
  comparison: RunComparison
  /** One colour per run, in the comparison's order. */
  colors: string[]
  labelColors: Record<string, string>
  /** Curves, in the order to show them. */
  curves: { title: string; svg: string }[]
  /** One confusion matrix per run (runs without an evaluation left out). */
  confusions: { runId: number; svg: string }[]
  disagreements: RunDisagreementsPage | null
  /** The prediction filters in words ("wrong type, PER"), '' for none. */
  filters: string
}

const esc = escapeXml

function runLabel(c: RunComparison, runId: number): string {
  const r = c.runs.find((x) => x.run.id === runId)
  return r ? `#${r.run.id} ${r.run.name}` : `#${runId}`
}

const CSS = `
body{font-family:Inter,'Segoe UI',system-ui,-apple-system,'Noto Sans',sans-serif;font-size:14px;color:#1d2330;background:#f5f6f8;margin:0;padding:24px 32px 48px;line-height:1.45}
main{max-width:1180px;margin:0 auto}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}h3{font-size:13px;margin:14px 0 6px;color:#5b6474}
.meta{color:#8a93a3;font-size:12.5px;margin:0 0 16px}
section{background:#fff;border:1px solid #e3e6eb;border-radius:8px;padding:14px 18px;margin-top:14px}
section h2{margin-top:0}
table{border-collapse:collapse;font-size:13px;width:100%}
th{text-align:left;font-size:10.5px;text-transform:uppercase;letter-spacing:.5px;color:#8a93a3;padding:4px 8px;border-bottom:1px solid #cfd4dc}
td{padding:5px 8px;border-bottom:1px solid #e3e6eb;vertical-align:top}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.base{background:#f3f6ff}.best{background:#ebfbee;font-weight:700}
.diff{background:#fff4e6}.up{color:#2b8a3e}.down{color:#c92a2a}.faint{color:#8a93a3}
.sw{display:inline-block;width:10px;height:10px;border-radius:3px;margin-right:6px;vertical-align:-1px}
.warn{background:#fff9db;border:1px solid #f5d565;border-radius:8px;padding:10px 14px;margin-top:14px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:12px}
.grid.wide{grid-template-columns:repeat(auto-fill,minmax(540px,1fr))}
table.auto{width:auto;min-width:50%}table.auto td,table.auto th{text-align:left}
.tag{font-size:11px;background:#eef0f4;border-radius:8px;padding:0 7px;color:#5b6474;margin-left:4px;white-space:nowrap}
.chart svg{max-width:100%;height:auto}
.doc{border:1px solid #e3e6eb;border-radius:6px;padding:8px 10px;margin-top:8px}
.line{display:grid;grid-template-columns:130px 1fr;gap:8px;align-items:baseline;font-size:13px}
.who{font-size:11px;color:#8a93a3;font-weight:600;text-transform:uppercase;letter-spacing:.4px}
mark{color:inherit;border-bottom:2px solid;border-radius:3px;padding:1px 2px}
mark sup{font-size:9px;font-weight:700;margin-left:3px}
.errs{font-size:11.5px;color:#c92a2a;margin:2px 0 0 138px}
code{font-size:12px}`

function highlighted(text: string, spans: readonly { start: number; end: number; label: string }[], colors: Record<string, string>): string {
  const sorted = [...spans].filter((s) => s.start < s.end && s.end <= text.length).sort((a, b) => a.start - b.start || b.end - a.end)
  let at = 0
  let out = ''
  for (const s of sorted) {
    if (s.start < at) continue
    out += esc(text.slice(at, s.start))
    const c = colors[s.label] ?? '#868e96'
    out += `<mark style="background:${c}26;border-color:${c}">${esc(text.slice(s.start, s.end))}<sup style="color:${c}">${esc(s.label)}</sup></mark>`
    at = s.end
  }
  return out + esc(text.slice(at))
}

function errorText(text: string, e: { kind: keyof typeof KIND_TITLES; gold?: { start: number; end: number; label: string }; pred?: { start: number; end: number; label: string } }): string {
  const span = e.gold ?? e.pred!
  const what = e.kind === 'wrong-type' || e.kind === 'wrong-both' ? ` ${e.gold!.label} → ${e.pred!.label}` : ` ${span.label}`
  return `${KIND_TITLES[e.kind]}${what} “${text.slice(span.start, span.end)}”`
}

function bootstrapRows(input: ReportInput) {
  const c = input.comparison
  return c.runs
    .map((r, i) => ({ r, i, b: c.bootstrap[i] }))
    .filter((x) => x.b)
    .map(({ r, i, b }) => ({ label: `#${r.run.id} ${r.run.name}`, color: input.colors[i]!, delta: b!.delta, low: b!.low, high: b!.high, significant: b!.significant }))
}

export function buildHtmlReport(input: ReportInput): string {
  const c = input.comparison
  const b = c.runs.findIndex((r) => r.run.id === c.baselineId)
  const head = (extra = '') => c.runs.map((r, i) => `<th class="num${i === b ? ' base' : ''}"><span class="sw" style="background:${input.colors[i]}"></span>#${r.run.id}${i === b ? ' (baseline)' : ''}${extra}</th>`).join('')
  const parts: string[] = []
  parts.push(`<h1>Run comparison: ${esc(input.projectName)}</h1>`)
  parts.push(
    `<p class="meta">${c.runs.length} runs on ${c.split}, best checkpoint, seqeval ${c.mode} mode; baseline ${esc(runLabel(c, c.baselineId))}. Made by Tagtune on ${esc(input.generatedAt.slice(0, 16).replace('T', ' '))}.</p>`,
  )
  if (c.snapshotsDiffer) {
    parts.push(
      `<div class="warn"><b>Different data.</b> These runs trained on different dataset snapshots (${c.snapshots.map((s) => `<code>${esc(s.hash?.slice(0, 8) ?? 'none')}</code>: ${s.runIds.map((id) => `#${id}`).join(', ')}`).join('; ')}): their scores were not measured on the same documents.</div>`,
    )
  }

  // Runs
  parts.push('<section><h2>Runs</h2><table><thead><tr><th>run</th><th>recipe</th><th>model</th><th>data</th><th class="num">test F1</th><th class="num">P</th><th class="num">R</th><th class="num">Δ F1</th><th class="num">best dev F1</th><th class="num">duration</th><th>backend</th></tr></thead><tbody>')
  c.runs.forEach((r, i) => {
    const m = c.micro[i]
    parts.push(
      `<tr${i === b ? ' class="base"' : ''}><td><span class="sw" style="background:${input.colors[i]}"></span><b>#${r.run.id}</b> ${esc(r.run.name)}${i === b ? ' <span class="faint">(baseline)</span>' : ''}${r.run.tags.map((t) => `<span class="tag">${esc(t)}</span>`).join('')}</td><td>${esc(r.recipe)}</td><td>${esc(r.modelName)}</td><td><code>${esc(r.run.datasetHash?.slice(0, 8) ?? '–')}</code></td><td class="num"><b>${pct(m?.f1, 2)}</b></td><td class="num">${pct(m?.precision, 2)}</td><td class="num">${pct(m?.recall, 2)}</td><td class="num ${(m?.delta ?? 0) > 0 ? 'up' : (m?.delta ?? 0) < 0 ? 'down' : ''}">${i === b ? '' : delta(m?.delta, 2)}</td><td class="num">${pct(r.run.bestMetric, 2)}</td><td class="num">${esc(formatDuration(r.durationMs))}</td><td>${esc(r.backendLabel)}</td></tr>`,
    )
  })
  parts.push('</tbody></table>')
  const notes = c.runs.filter((r) => r.run.notes)
  if (notes.length) parts.push(`<h3>Notes</h3><ul>${notes.map((r) => `<li><b>#${r.run.id}</b> ${esc(r.run.notes)}</li>`).join('')}</ul>`)
  parts.push('</section>')

  // Significance
  const rows = bootstrapRows(input)
  parts.push('<section><h2>Is the difference real?</h2>')
  if (rows.length) {
    const first = c.bootstrap.find((x) => x)!
    parts.push(`<p class="faint">Paired bootstrap over the ${first.documents} ${c.split} documents both runs predicted: ${first.samples} resamples (seed ${first.seed}); micro F1 of each run minus the baseline's on the same resample, 95% percentile interval. A filled dot: the interval excludes 0.</p>`)
    parts.push(`<div class="chart">${intervalsSvg(rows, 760)}</div>`)
    parts.push('<table><thead><tr><th>run</th><th class="num">Δ F1</th><th class="num">95% interval</th><th class="num">P(not better)</th><th>verdict</th></tr></thead><tbody>')
    c.bootstrap.forEach((x, i) => {
      if (!x) return
      parts.push(`<tr><td><span class="sw" style="background:${input.colors[i]}"></span>${esc(runLabel(c, x.runId))}</td><td class="num">${delta(x.delta, 2)}</td><td class="num">[${delta(x.low, 2)}, ${delta(x.high, 2)}]</td><td class="num">${x.pNotBetter.toFixed(3)}</td><td>${esc(verdict(x))}</td></tr>`)
    })
    parts.push('</tbody></table>')
  } else parts.push('<p class="faint">No stored predictions to resample.</p>')
  if (c.repeats.length) {
    parts.push('<h3>Repeats of one config (seeds)</h3><ul>')
    for (const g of c.repeats) parts.push(`<li>${g.runIds.map((id) => `#${id}`).join(', ')}: ${c.split} F1 <b>${pct(g.f1.mean, 2)} ± ${pct(g.f1.std, 2)}</b> (n = ${g.f1.n}, ${pct(g.f1.min, 2)} to ${pct(g.f1.max, 2)})${g.devF1 ? `; best dev F1 ${pct(g.devF1.mean, 2)} ± ${pct(g.devF1.std, 2)}` : ''}</li>`)
    parts.push('</ul>')
  }
  parts.push('</section>')

  // Settings
  const differing = c.configDiff.filter((r) => r.differs)
  parts.push(`<section><h2>Settings that differ from the baseline</h2>`)
  if (differing.length) {
    parts.push(`<table class="auto"><thead><tr><th>setting</th>${head()}</tr></thead><tbody>`)
    const cells = configCells(differing, c.configDiff)
    differing.forEach((r, k) => {
      parts.push(`<tr><td><code>${esc(r.key)}</code></td>${r.values.map((v, i) => `<td class="${i === b ? 'base' : JSON.stringify(v) !== JSON.stringify(r.values[b]) || r.missing[i] !== r.missing[b] ? 'diff' : ''}">${esc(cells[k]![i]!)}</td>`).join('')}</tr>`)
    })
    parts.push('</tbody></table>')
  } else parts.push('<p>None: the runs share every setting.</p>')
  const same = c.configDiff.length - differing.length
  parts.push(`<p class="faint">${same} other setting${same === 1 ? ' is' : 's are'} the same in every run.</p></section>`)

  // Per type
  parts.push(`<section><h2>Per entity type (${c.split}, ${c.mode} mode)</h2><table><thead><tr><th>type</th><th class="num">support</th>${head()}</tr></thead><tbody>`)
  for (const row of c.perType) {
    parts.push(
      `<tr><td><span class="sw" style="background:${input.labelColors[row.type] ?? '#adb5bd'}"></span>${esc(row.type)}</td><td class="num">${row.support}</td>${row.scores
        .map((s, i) =>
          s
            ? `<td class="num${row.best === i ? ' best' : ''}">${pct(s.f1)}${i === b ? '' : ` <span class="${(row.deltas[i] ?? 0) > 0 ? 'up' : (row.deltas[i] ?? 0) < 0 ? 'down' : 'faint'}">${delta(row.deltas[i])}</span>`}<br><span class="faint">P ${pct(s.precision)} · R ${pct(s.recall)}</span></td>`
            : '<td class="num faint">–</td>',
        )
        .join('')}</tr>`,
    )
  }
  parts.push(
    `<tr><td><i>micro avg</i></td><td class="num">${c.runs[b]?.evaluation?.report.micro.support ?? ''}</td>${c.micro.map((m, i) => (m ? `<td class="num"><b>${pct(m.f1)}</b>${i === b ? '' : ` ${delta(m.delta)}`}<br><span class="faint">P ${pct(m.precision)} · R ${pct(m.recall)}</span></td>` : '<td class="num faint">–</td>')).join('')}</tr>`,
  )
  parts.push('</tbody></table><p class="faint">Entity-level scores × 100; the best F1 of each row is green; changes against the baseline.</p></section>')

  if (input.curves.length) {
    parts.push('<section><h2>Curves</h2><div class="grid wide">')
    for (const ch of input.curves) parts.push(`<div class="chart"><h3>${esc(ch.title)}</h3>${ch.svg}</div>`)
    parts.push('</div><p class="faint">Pins mark each run\'s best checkpoint.</p></section>')
  }
  if (input.confusions.length) {
    parts.push('<section><h2>Confusion matrices</h2><div class="grid">')
    for (const ch of input.confusions) {
      const i = c.runs.findIndex((r) => r.run.id === ch.runId)
      parts.push(`<div class="chart"><h3><span class="sw" style="background:${input.colors[i]}"></span>${esc(runLabel(c, ch.runId))}</h3>${ch.svg}</div>`)
    }
    parts.push('</div><p class="faint">Rows: gold type (and spurious predictions); columns: predicted type (and missed entities).</p></section>')
  }

  const d = input.disagreements
  if (d) {
    parts.push(`<section><h2>Where the predictions differ</h2><p class="faint">${d.disagreeing} of ${d.documents} ${c.split} documents${input.filters ? `; shown: ${esc(input.filters)} (${d.total})` : ''}${d.items.length < d.total ? `; the first ${d.items.length} are listed` : ''}.</p>`)
    for (const doc of d.items) {
      parts.push(`<div class="doc"><div class="faint">document ${doc.documentId}</div><div class="line"><span class="who">gold</span><span>${highlighted(doc.text, doc.gold, input.labelColors)}</span></div>`)
      for (const r of doc.runs) {
        const i = c.runs.findIndex((x) => x.run.id === r.runId)
        parts.push(`<div class="line"><span class="who"><span class="sw" style="background:${input.colors[i] ?? '#868e96'}"></span>#${r.runId}</span><span>${highlighted(doc.text, r.spans, input.labelColors)}</span></div>`)
        const errs = r.errors.filter((e) => !e.shared)
        if (errs.length) parts.push(`<div class="errs">${errs.map((e) => esc(errorText(doc.text, e))).join(' · ')}</div>`)
      }
      parts.push('</div>')
    }
    parts.push('</section>')
  }

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Run comparison: ${esc(input.projectName)}</title><style>${CSS}</style></head>
<body><main>
${parts.join('\n')}
</main></body></html>
`
}

// ---------------------------------------------------------------------------------------------
// Markdown

const cellMd = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')

function tableMd(rows: readonly (readonly string[])[], right: (i: number) => boolean): string {
  const [head, ...body] = rows
  const line = (r: readonly string[]) => `| ${r.map(cellMd).join(' | ')} |`
  return [line(head!), `|${head!.map((_, i) => (right(i) ? ' ---: ' : ' --- ')).join('|')}|`, ...body.map(line)].join('\n')
}

/** UTF-8 safe base64 (btoa wants bytes). */
export function base64(text: string): string {
  const bytes = new TextEncoder().encode(text)
  let bin = ''
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(bin)
}

const svgImage = (title: string, svg: string): string => `![${title.replace(/[[\]]/g, '')}](data:image/svg+xml;base64,${base64(svg)})`

/** `[john smith]{PER} lives in [paris]{LOC}` */
function inlineSpans(text: string, spans: readonly { start: number; end: number; label: string }[]): string {
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end)
  let at = 0
  let out = ''
  for (const s of sorted) {
    if (s.start < at) continue
    out += text.slice(at, s.start) + `[${text.slice(s.start, s.end)}]{${s.label}}`
    at = s.end
  }
  return (out + text.slice(at)).replace(/\r?\n/g, ' ')
}

export function buildMarkdownReport(input: ReportInput): string {
  const c = input.comparison
  const b = c.runs.findIndex((r) => r.run.id === c.baselineId)
  const ids = c.runs.map((r, i) => `#${r.run.id}${i === b ? ' (baseline)' : ''}`)
  const out: string[] = []
  out.push(`# Run comparison: ${input.projectName}`, '')
  out.push(`${c.runs.length} runs on ${c.split}, best checkpoint, seqeval ${c.mode} mode; baseline ${runLabel(c, c.baselineId)}. Made by Tagtune on ${input.generatedAt.slice(0, 16).replace('T', ' ')}.`, '')
  if (c.snapshotsDiffer) out.push(`> **Different data.** These runs trained on different dataset snapshots (${c.snapshots.map((s) => `\`${s.hash?.slice(0, 8) ?? 'none'}\`: ${s.runIds.map((id) => `#${id}`).join(', ')}`).join('; ')}): their scores were not measured on the same documents.`, '')

  out.push('## Runs', '')
  out.push(
    tableMd(
      [
        ['run', 'recipe', 'model', 'data', `${c.split} F1`, 'P', 'R', 'Δ F1', 'best dev F1', 'duration', 'backend'],
        ...c.runs.map((r, i) => {
          const m = c.micro[i]
          return [`#${r.run.id} ${r.run.name}${i === b ? ' (baseline)' : ''}`, r.recipe, r.modelName, r.run.datasetHash?.slice(0, 8) ?? '–', pct(m?.f1, 2), pct(m?.precision, 2), pct(m?.recall, 2), i === b ? '' : delta(m?.delta, 2), pct(r.run.bestMetric, 2), formatDuration(r.durationMs), r.backendLabel]
        }),
      ],
      (i) => i >= 4 && i <= 9,
    ),
    '',
  )

  out.push('## Is the difference real?', '')
  const boots = c.bootstrap.filter((x) => x !== null)
  if (boots.length) {
    out.push(`Paired bootstrap over the ${boots[0]!.documents} ${c.split} documents both runs predicted, ${boots[0]!.samples} resamples (seed ${boots[0]!.seed}), 95% percentile interval of the micro F1 difference.`, '')
    out.push(tableMd([['run', 'Δ F1', '95% interval', 'P(not better)', 'verdict'], ...boots.map((x) => [runLabel(c, x.runId), delta(x.delta, 2), `[${delta(x.low, 2)}, ${delta(x.high, 2)}]`, x.pNotBetter.toFixed(3), verdict(x)])], (i) => i >= 1 && i <= 3), '')
    out.push(svgImage('bootstrap intervals', intervalsSvg(bootstrapRows(input), 760)), '')
  } else out.push('No stored predictions to resample.', '')
  for (const g of c.repeats) out.push(`- Repeats ${g.runIds.map((id) => `#${id}`).join(', ')}: ${c.split} F1 **${pct(g.f1.mean, 2)} ± ${pct(g.f1.std, 2)}** (n = ${g.f1.n})${g.devF1 ? `; best dev F1 ${pct(g.devF1.mean, 2)} ± ${pct(g.devF1.std, 2)}` : ''}`)
  if (c.repeats.length) out.push('')

  out.push('## Settings that differ from the baseline', '')
  const differing = c.configDiff.filter((r) => r.differs)
  const mdCells = configCells(differing, c.configDiff)
  out.push(differing.length ? tableMd([['setting', ...ids], ...differing.map((r, k) => [`\`${r.key}\``, ...mdCells[k]!])], (i) => i > 0) : 'None: the runs share every setting.', '')

  out.push(`## Per entity type (${c.split}, ${c.mode} mode)`, '', 'F1 × 100 with the change against the baseline; **bold**: the best of the row.', '')
  out.push(
    tableMd(
      [
        ['type', 'support', ...ids],
        ...c.perType.map((row) => [row.type, String(row.support), ...row.scores.map((s, i) => (s ? `${row.best === i ? '**' : ''}${pct(s.f1)}${row.best === i ? '**' : ''}${i === b ? '' : ` (${delta(row.deltas[i])})`} P ${pct(s.precision)} R ${pct(s.recall)}` : '–'))]),
        ['*micro avg*', String(c.runs[b]?.evaluation?.report.micro.support ?? ''), ...c.micro.map((m, i) => (m ? `${pct(m.f1)}${i === b ? '' : ` (${delta(m.delta)})`} P ${pct(m.precision)} R ${pct(m.recall)}` : '–'))],
      ],
      (i) => i > 0,
    ),
    '',
  )

  if (input.curves.length) {
    out.push('## Curves', '')
    for (const ch of input.curves) out.push(`### ${ch.title}`, '', svgImage(ch.title, ch.svg), '')
  }
  if (input.confusions.length) {
    out.push('## Confusion matrices', '')
    for (const ch of input.confusions) out.push(`### ${runLabel(c, ch.runId)}`, '', svgImage(`confusion ${ch.runId}`, ch.svg), '')
  }
  const d = input.disagreements
  if (d) {
    out.push('## Where the predictions differ', '', `${d.disagreeing} of ${d.documents} ${c.split} documents${input.filters ? `; shown: ${input.filters} (${d.total})` : ''}.`, '')
    for (const doc of d.items) {
      out.push(`- document ${doc.documentId}`, `  - gold: ${inlineSpans(doc.text, doc.gold)}`)
      for (const r of doc.runs) {
        const errs = r.errors.filter((e) => !e.shared)
        out.push(`  - #${r.runId}: ${inlineSpans(doc.text, r.spans)}${errs.length ? ` (${errs.map((e) => errorText(doc.text, e)).join('; ')})` : ''}`)
      }
    }
    out.push('')
  }
  return out.join('\n')
}
