/**
 * The exported comparison: a self-contained HTML page (nothing fetched: no src or href leaving
 * the file, no script) with the charts drawn as inline SVG by ECharts' server-side renderer,
 * and Markdown with the same tables.
 */
import { describe, expect, it } from 'vitest'
import { evaluateNer } from '../../../src-shared/domain/ner-eval'
import type { RunComparison, RunDisagreementsPage } from '../../../src-shared/domain/run-compare'
import type { RunSummary } from '../../../src-shared/domain/run'
import { base64, buildHtmlReport, buildMarkdownReport, type ReportInput } from '../../../src-renderer/src/compare/report'
import { renderSvg } from '../../../src-renderer/src/compare/report-charts'
import { compareCurvesOption } from '../../../src-renderer/src/charts/compare-options'
import { confusionOption } from '../../../src-renderer/src/charts/run-options'

const run = (id: number, name: string): RunSummary => ({
  id,
  projectId: 1,
  name,
  status: 'completed',
  config: {},
  model: {},
  datasetHash: `hash${id}`.padEnd(64, '0'),
  datasetSummary: null,
  backend: null,
  tags: id === 1 ? ['baseline'] : [],
  notes: id === 2 ? 'lr <x10> & LoRA' : '',
  error: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:02:00.000Z',
  queuePosition: null,
  trainableParams: null,
  totalParams: null,
  bestStep: 12,
  bestMetric: 0.8,
  checkpointDir: null,
})

const gold = [['B-PER', 'I-PER', 'O', 'B-LOC'], ['O', 'B-LOC']]
const e1 = evaluateNer(gold, [['B-PER', 'I-PER', 'O', 'O'], ['O', 'B-PER']], { mode: 'default', scheme: 'iob2' })
const e2 = evaluateNer(gold, [['B-PER', 'I-PER', 'O', 'B-LOC'], ['O', 'B-LOC']], { mode: 'default', scheme: 'iob2' })

const comparison: RunComparison = {
  split: 'test',
  mode: 'default',
  baselineId: 1,
  runs: [
    { run: run(1, 'baseline'), recipe: 'full', modelName: 'tiny-bert', backendLabel: 'wasm (CPU)', durationMs: 120_000, evaluation: e1, predictions: 2 },
    { run: run(2, 'lora | r8'), recipe: 'LoRA r8', modelName: 'tiny-bert', backendLabel: 'wasm (CPU)', durationMs: 60_000, evaluation: e2, predictions: 2 },
  ],
  configDiff: [
    { key: 'learningRate', values: [5e-5, 1e-3], missing: [false, false], differs: true },
    { key: 'epochs', values: [3, 3], missing: [false, false], differs: false },
  ],
  perType: [
    { type: 'LOC', support: 2, scores: [{ precision: 0, recall: 0, f1: 0, support: 2 }, { precision: 1, recall: 1, f1: 1, support: 2 }], deltas: [0, 1], best: 1 },
    { type: 'PER', support: 1, scores: [{ precision: 0.5, recall: 1, f1: 2 / 3, support: 1 }, { precision: 1, recall: 1, f1: 1, support: 1 }], deltas: [0, 1 / 3], best: 1 },
  ],
  micro: [
    { precision: e1.precision, recall: e1.recall, f1: e1.f1, delta: 0 },
    { precision: e2.precision, recall: e2.recall, f1: e2.f1, delta: e2.f1 - e1.f1 },
  ],
  bootstrap: [null, { runId: 2, baselineId: 1, delta: 0.6, f1: 1, baselineF1: 0.4, low: 0.2, high: 1, pNotBetter: 0, samples: 1000, seed: 12345, documents: 2, significant: true }],
  snapshotsDiffer: true,
  snapshots: [
    { hash: 'hash1'.padEnd(64, '0'), runIds: [1] },
    { hash: 'hash2'.padEnd(64, '0'), runIds: [2] },
  ],
  repeats: [],
}

const disagreements: RunDisagreementsPage = {
  total: 1,
  disagreeing: 1,
  documents: 2,
  kinds: { missed: 1 },
  types: { LOC: 1 },
  withoutPredictions: [],
  items: [
    {
      documentId: 7,
      text: 'ann in <paris>',
      gold: [{ start: 0, end: 3, label: 'PER' }, { start: 8, end: 13, label: 'LOC' }],
      runs: [
        { runId: 1, spans: [{ start: 0, end: 3, label: 'PER', confidence: 0.9 }], errors: [{ kind: 'missed', gold: { start: 8, end: 13, label: 'LOC' }, shared: false }] },
        { runId: 2, spans: [{ start: 0, end: 3, label: 'PER', confidence: 0.9 }, { start: 8, end: 13, label: 'LOC', confidence: 0.8 }], errors: [] },
      ],
    },
  ],
}

function input(): ReportInput {
  const series = { 'dev/f1': [{ step: 6, epoch: 1, wallMs: 1000, value: 0.5 }, { step: 12, epoch: 2, wallMs: 2000, value: 0.8 }] }
  const curves = compareCurvesOption(
    [
      { id: 1, label: '#1 baseline', color: '#3b5bdb', series, bestStep: 12 },
      { id: 2, label: '#2 lora', color: '#e8590c', series, bestStep: 6 },
    ],
    'dev/f1',
    'step',
    0,
  )
  return {
    projectName: 'News & <Co>',
    generatedAt: '2026-03-01T12:00:00.000Z',
    comparison,
    colors: ['#3b5bdb', '#e8590c'],
    labelColors: { PER: '#e64980', LOC: '#1c7ed6' },
    curves: [{ title: 'dev entity F1 by step', svg: renderSvg(curves, 560, 300) }],
    confusions: [{ runId: 1, svg: renderSvg(confusionOption(e1.confusion), 420, 260) }],
    disagreements,
    filters: '',
  }
}

/** Every src/href/url() of the page that would fetch something from outside the file. */
function externalRefs(html: string): string[] {
  const refs = [...html.matchAll(/\b(?:src|href|xlink:href)\s*=\s*["']?([^"'\s>]+)/gi)].map((m) => m[1]!)
  const urls = [...html.matchAll(/url\(\s*["']?([^"')]+)/gi)].map((m) => m[1]!)
  return [...refs, ...urls].filter((u) => !u.startsWith('data:') && !u.startsWith('#'))
}

describe('the exported comparison', () => {
  it('is one HTML file with everything inside: inline SVG charts, no script, nothing fetched', () => {
    const html = buildHtmlReport(input())
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(externalRefs(html)).toEqual([])
    expect(html).not.toMatch(/<script|<link|<iframe|<img/i)
    // The ECharts charts are drawn, as SVG, inside the page.
    expect(html.match(/<svg/g)!.length).toBeGreaterThanOrEqual(3)
    expect(html).toContain('dev entity F1 by step')
    expect(html).toContain('<path')
  })

  it('says what the view says: runs, the data warning, settings, per-type deltas, significance, disagreements; text escaped', () => {
    const html = buildHtmlReport(input())
    expect(html).toContain('Run comparison: News &amp; &lt;Co&gt;')
    expect(html).toContain('trained on different dataset snapshots')
    expect(html).toContain('lr &lt;x10&gt; &amp; LoRA')
    expect(html).toContain('<code>learningRate</code>')
    expect(html).not.toContain('<code>epochs</code>')
    expect(html).toContain('1 other setting is the same in every run')
    expect(html).toMatch(/class="num best">100\.0 <span class="up">\+100\.0<\/span>/)
    expect(html).toContain('better (significant)')
    expect(html).toContain('[+20.00, +100.00]')
    expect(html).toContain('missed LOC “paris”')
    expect(html).toContain('document 7')
  })

  it('is Markdown with the same tables and the charts as embedded SVG images', () => {
    const md = buildMarkdownReport(input())
    expect(md).toContain('# Run comparison: News & <Co>')
    expect(md).toContain('> **Different data.**')
    expect(md).toContain('| #2 lora \\| r8 | LoRA r8 |')
    expect(md).toMatch(/\| `learningRate` \| 0\.00005 \| 0\.001 \|/)
    expect(md).toContain('| LOC | 2 | 0.0 P 0.0 R 0.0 | **100.0** (+100.0) P 100.0 R 100.0 |')
    expect(md).toMatch(/!\[dev entity F1 by step\]\(data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+\)/)
    expect(md).toContain('  - gold: [ann]{PER} in <[paris]{LOC}>')
    expect(md).toContain('  - #1: [ann]{PER} in <paris> (missed LOC “paris”)')
    expect(Buffer.from(base64('é𠮷'), 'base64').toString('utf8')).toBe('é𠮷')
  })
})
