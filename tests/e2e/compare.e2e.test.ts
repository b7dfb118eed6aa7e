/**
 * Runs and Compare in Chromium against the real host: two tiny runs trained for real (from the
 * host API, on the tiny BERT fixture), then the Runs table (tags and notes edited in place, a
 * filter, a chosen column that survives a reload, a CSV export), both runs compared, the baseline
 * switched, strict mode, a disagreement opened in the annotation workspace, and the comparison
 * exported as a self-contained HTML report and as Markdown.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { chromiumAvailable, screenshot, useServedApp, watchErrors } from './browser'
import { TINY_BERT, toyDocuments } from '../helpers/toy-ner'
import type { NerDocument } from '../../src-main/engine/data'

function doccano(path: string, docs: NerDocument[]): string {
  writeFileSync(path, docs.map((d) => JSON.stringify({ text: d.text, label: d.spans.map((s) => [s.start, s.end, s.label]) })).join('\n') + '\n')
  return path
}

async function scrollTo(page: Page, testId: string): Promise<void> {
  await page.getByTestId(testId).first().evaluate((el) => (el as unknown as { scrollIntoView(o: { block: string }): void }).scrollIntoView({ block: 'start' }))
}

const row = (page: Page, runId: number) => page.locator(`[data-testid="runs-row"][data-run-id="${runId}"]`)

describe.skipIf(!chromiumAvailable)('Runs and Compare in the browser UI', () => {
  const app = useServedApp()
  const dir = mkdtempSync(join(tmpdir(), 'tagtune-e2e-compare-'))

  it('tags and exports runs, compares two of them, switches the baseline, opens a disagreement and exports the report', { timeout: 240_000 }, async () => {
    const project = await app.host.call('project.create', { name: 'People and places', labels: [{ name: 'PER' }, { name: 'LOC' }] })
    for (const [split, docs] of [['train', toyDocuments(48, 1, 't')], ['dev', toyDocuments(12, 2, 'v')], ['test', toyDocuments(16, 3, 's')]] as const) {
      await app.host.call('dataset.import', { projectId: project.id, files: [{ path: doccano(join(dir, `${split}.jsonl`), docs) }], format: 'doccano', split })
    }
    // A short run and a longer one: they end up predicting different entities.
    const base = { model: TINY_BERT, batchSize: 8, maxLength: 32, dropout: 0, seed: 1 }
    const short = await app.host.call('run.start', { projectId: project.id, name: 'one epoch', config: { ...base, epochs: 1, learningRate: 2e-3 }, backend: 'wasm' })
    const long = await app.host.call('run.start', { projectId: project.id, name: 'four epochs', config: { ...base, epochs: 4, learningRate: 5e-3, seed: 2 }, backend: 'wasm', tags: ['candidate'] })
    expect((await app.host.runs.waitFor(short.id)).status).toBe('completed')
    expect((await app.host.runs.waitFor(long.id)).status).toBe('completed')

    const page = await app.browser.newPage({ viewport: { width: 1360, height: 900 }, reducedMotion: 'reduce', acceptDownloads: true })
    const errors = watchErrors(page)
    await page.goto(`${app.server.url}#/runs`)
    // The Runs view opens on the project and lists both runs, newest first.
    await page.waitForURL(new RegExp(`#/runs/${project.id}$`))
    await expect.poll(() => page.getByTestId('runs-row').count()).toBe(2)
    expect(await page.getByTestId('runs-row').first().getAttribute('data-run-id')).toBe(String(long.id))
    await row(page, short.id).getByText('full', { exact: true }).waitFor()
    await row(page, long.id).getByText('tiny-bert', { exact: true }).waitFor()

    // Tags and notes, edited in place.
    await row(page, short.id).getByTestId('tag-add').click()
    await row(page, short.id).getByTestId('tag-input').fill('baseline, quick')
    await row(page, short.id).getByTestId('tag-input').press('Enter')
    await row(page, short.id).getByTestId('tag').getByText('quick').waitFor()
    await row(page, short.id).getByTestId('notes-cell').click()
    await row(page, short.id).getByTestId('notes-input').fill('One epoch only: a floor for the others.')
    await row(page, short.id).getByTestId('notes-input').press('Control+Enter')
    await row(page, short.id).getByTestId('notes-cell').getByText('One epoch only').waitFor()
    await expect.poll(async () => (await app.host.call('run.list', { projectId: project.id })).find((r) => r.id === short.id)!.tags).toEqual(['baseline', 'quick'])
    expect((await app.host.call('run.list', { projectId: project.id })).find((r) => r.id === short.id)!.notes).toBe('One epoch only: a floor for the others.')

    // Filter by tag, then by text; sort by test F1.
    await page.getByTestId('runs-tag-filter').selectOption('candidate')
    await expect.poll(() => page.getByTestId('runs-row').count()).toBe(1)
    await page.getByTestId('runs-tag-filter').selectOption('')
    await page.getByTestId('runs-filter').fill('floor')
    await expect.poll(() => page.getByTestId('runs-row').count()).toBe(1)
    await page.getByTestId('runs-filter').fill('')
    await page.getByTestId('sort-testF1').click()
    await expect.poll(() => page.locator('th[aria-sort="ascending"]').count()).toBe(1)

    // A column chosen by the user stays chosen after a reload.
    await page.getByTestId('columns-button').click()
    await page.getByTestId('column-testStrictF1').check()
    await page.getByTestId('column-duration').uncheck()
    await page.getByTestId('columns-button').click()
    await page.getByTestId('sort-testStrictF1').waitFor()
    await page.reload()
    await expect.poll(() => page.getByTestId('runs-row').count()).toBe(2)
    await page.getByTestId('sort-testStrictF1').waitFor()
    expect(await page.getByTestId('sort-duration').count()).toBe(0)

    // CSV of the runs shown.
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()])
    expect(csvDownload.suggestedFilename()).toMatch(/^People_and_places-runs-\d{4}-\d\d-\d\d\.csv$/)
    const csv = readFileSync((await csvDownload.path())!, 'utf8').split('\r\n')
    expect(csv[0]).toBe('id,name,status,model,recipe,dataset_snapshot,best_dev_f1,test_f1,test_precision,test_recall,test_f1_strict,tags,notes')
    expect(csv.filter(Boolean)).toHaveLength(3)
    expect(csv.find((l) => l.startsWith(`${short.id},`))).toContain('baseline; quick,One epoch only: a floor for the others.')

    // Select both and compare.
    for (const id of [short.id, long.id]) await row(page, id).getByTestId('select-run').check()
    await page.getByTestId('selected-count').getByText('2 selected').waitFor()
    await screenshot(page, '40-runs')
    await page.getByTestId('compare-selected').click()
    await page.waitForURL(/#\/compare\/\d+\?runs=/)
    await expect.poll(() => page.getByTestId('overview-row').count()).toBe(2)
    // The first selected run is the baseline; the other gets an interval and a verdict.
    const firstId = Number(/runs=(\d+)/.exec(decodeURIComponent(page.url()))![1])
    const otherId = firstId === short.id ? long.id : short.id
    await page.locator(`[data-testid="compare-chip"][data-run-id="${firstId}"]`).getByText('baseline', { exact: true }).waitFor()
    await page.locator(`[data-testid="overview-row"][data-run-id="${otherId}"]`).getByTestId('verdict').waitFor()
    expect(await page.locator(`[data-testid="overview-row"][data-run-id="${otherId}"]`).getByTestId('interval').textContent()).toMatch(/^\[[−+±][\d.]+, [−+±][\d.]+\]$/)
    await page.getByTestId('intervals').locator('svg circle').first().waitFor()
    // Only the settings that differ: epochs, learning rate and seed.
    await expect.poll(() => page.getByTestId('diff-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')))).toEqual(['epochs', 'learningRate', 'seed'])
    await page.getByTestId('diff-all').check()
    await expect.poll(() => page.getByTestId('diff-row').count()).toBeGreaterThan(10)
    await page.getByTestId('diff-only').check()
    expect(await page.getByTestId('snapshot-warning').count()).toBe(0)
    await expect.poll(() => page.getByTestId('type-row').count()).toBe(2)
    await expect.poll(() => page.locator('[data-testid="compare-curves"] .chart').getAttribute('data-points').then(Number)).toBeGreaterThanOrEqual(5)
    await screenshot(page, '41-compare-overview')

    // Switch the baseline: the other run is now the reference.
    await page.getByTestId(`baseline-${otherId}`).check()
    await page.waitForURL(new RegExp(`baseline=${otherId}`))
    await page.locator(`[data-testid="compare-chip"][data-run-id="${otherId}"]`).getByText('baseline', { exact: true }).waitFor()
    await page.locator(`[data-testid="overview-row"][data-run-id="${firstId}"]`).getByTestId('verdict').waitFor()
    expect(await page.locator(`[data-testid="overview-row"][data-run-id="${otherId}"]`).getByTestId('verdict').count()).toBe(0)

    // Curves against wall time, then strict mode for the per-type table.
    await page.getByTestId('curve-metric').selectOption('train/loss')
    await page.getByTestId('axis-wall').check()
    await expect.poll(() => page.locator('[data-testid="compare-curves"] .chart').getAttribute('data-points').then(Number)).toBeGreaterThan(20)
    await scrollTo(page, 'compare-curves')
    await screenshot(page, '42-compare-curves-settings')
    await page.getByTestId('mode-strict').check()
    await page.waitForURL(/mode=strict/)
    await page.getByTestId('compare-types').getByText('strict mode', { exact: false }).first().waitFor().catch(() => {})
    await scrollTo(page, 'compare-types')
    await screenshot(page, '43-compare-types-confusion')

    // The documents where the runs disagree; one opens in Annotate.
    await scrollTo(page, 'compare-predictions')
    await expect.poll(() => page.getByTestId('dis-doc').count(), { timeout: 10_000 }).toBeGreaterThan(0)
    const disagreements = await app.host.call('run.disagreements', { ids: [firstId, otherId] })
    expect(disagreements.disagreeing).toBeGreaterThan(0)
    expect(await page.getByTestId('dis-doc').first().getByTestId('dis-run').count()).toBe(2)
    // Filter by an error kind some run makes.
    const kind = Object.entries(disagreements.kinds).sort((a, b) => b[1] - a[1])[0]![0]
    await page.getByTestId('dis-kind').selectOption(kind)
    await expect.poll(() => page.getByTestId('dis-doc').count()).toBe(Math.min(10, disagreements.kinds[kind]!))
    await screenshot(page, '44-compare-predictions')
    const docId = Number(await page.getByTestId('dis-doc').first().getAttribute('data-document-id'))
    const text = (await app.host.call('document.get', { id: docId })).text
    await page.getByTestId('dis-doc').first().getByTestId('open-in-annotate').click()
    await page.waitForURL(new RegExp(`#/annotate/${project.id}/${docId}$`))
    await page.getByTestId('annotator-name').fill('ana')
    await page.getByTestId('annotator-save').click()
    await page.getByTestId('span-editor').getByText(text.split(' ')[0]!, { exact: false }).first().waitFor()
    expect((await page.getByTestId('span-editor').textContent())!.replace(/\s+/g, ' ')).toContain(text.split(' ').slice(0, 2).join(' '))
    await screenshot(page, '45-annotate-from-compare')

    // Back to the comparison, as it was; export it.
    await page.goBack()
    await page.waitForURL(/#\/compare\/\d+\?/)
    await expect.poll(() => page.getByTestId('overview-row').count()).toBe(2)
    const [htmlDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-html').click()])
    expect(htmlDownload.suggestedFilename()).toMatch(/^People_and_places-compare-\d+-\d+\.html$/)
    const html = readFileSync((await htmlDownload.path())!, 'utf8')
    // Self-contained: nothing to fetch (no src/href/url() outside the file), no script, the charts inline.
    const refs = [...html.matchAll(/\b(?:src|href|xlink:href)\s*=\s*["']?([^"'\s>]+)/gi), ...html.matchAll(/url\(\s*["']?([^"')]+)/gi)].map((m) => m[1]!)
    expect(refs.filter((u) => !u.startsWith('#') && !u.startsWith('data:'))).toEqual([])
    expect(html).not.toMatch(/<script|<link|<iframe|<img/i)
    expect(html.match(/<svg/g)!.length).toBeGreaterThanOrEqual(5)
    expect(html).toContain('Run comparison: People and places')
    expect(html).toContain('Is the difference real?')
    expect(html).toContain('seqeval strict mode')
    expect(html).toContain('One epoch only: a floor for the others.')
    writeFileSync(join(dir, 'report.html'), html)
    const [mdDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-md').click()])
    const md = readFileSync((await mdDownload.path())!, 'utf8')
    expect(md).toMatch(/^# Run comparison: People and places/)
    expect(md).toContain('## Per entity type (test, strict mode)')
    expect(md).toMatch(/!\[[^\]]+\]\(data:image\/svg\+xml;base64,/)

    // The exported page, opened in the browser, as a reader sees it.
    const reader = await app.browser.newPage({ viewport: { width: 1280, height: 900 } })
    await reader.goto(`file://${join(dir, 'report.html')}`)
    await reader.getByText('Is the difference real?').waitFor()
    await screenshot(reader, '46-report-html')
    await reader.close()

    expect(errors).toEqual([])
    await page.close()
  })
})
