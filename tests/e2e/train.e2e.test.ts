/**
 * Training from the Train view in Chromium against the real host and trainer process: a small
 * project with done documents in train/dev/test, the tiny BERT fixture. The view counts the data
 * and the span that does not align, validates a knob, starts a long run whose loss chart gains
 * points, pauses and resumes it, queues a short run behind it, cancels the long one from the
 * queue, and the short one trains to its test report, confusion matrix and predictions.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
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

/** Pixels of a chart's canvas that are not blank. */
async function inked(page: Page, testId: string): Promise<number> {
  return page
    .getByTestId(testId)
    .locator('canvas')
    .first()
    .evaluate((c) => {
      const canvas = c as unknown as { width: number; height: number; getContext(t: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } }
      const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data
      let n = 0
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++
      return n
    })
}

const points = async (page: Page, testId: string): Promise<number> => Number(await page.getByTestId(testId).locator('.chart').getAttribute('data-points'))
/** Scroll the app's content pane so that the element is at the top. */
async function scrollTo(page: Page, testId: string): Promise<void> {
  await page.getByTestId(testId).first().evaluate((el) => (el as unknown as { scrollIntoView(o: { block: string }): void }).scrollIntoView({ block: 'start' }))
}
/** The run page's own status badge (the queue lists statuses too). */
const status = (page: Page) => page.locator('header').getByTestId('run-status')
const knob = (page: Page, key: string) => page.getByTestId(`knob-${key}`).locator('input, select').first()

describe.skipIf(!chromiumAvailable)('Training in the browser UI', () => {
  const app = useServedApp()
  const dir = mkdtempSync(join(tmpdir(), 'tagtune-e2e-train-'))

  it('starts a run on the tiny model, watches it live, cancels it from the queue, and the queued run trains to its test report', { timeout: 240_000 }, async () => {
    const project = await app.host.call('project.create', { name: 'People and places', labels: [{ name: 'PER' }, { name: 'LOC' }] })
    const train = toyDocuments(48, 1, 't')
    train.push({ id: 'odd', text: 'mary lives in paris', spans: [{ start: 1, end: 4, label: 'PER' }, { start: 14, end: 19, label: 'LOC' }] })
    for (const [split, docs] of [['train', train], ['dev', toyDocuments(12, 2, 'v')], ['test', toyDocuments(12, 3, 's')]] as const) {
      await app.host.call('dataset.import', { projectId: project.id, files: [{ path: doccano(join(dir, `${split}.jsonl`), docs) }], format: 'doccano', split })
    }

    const page = await app.browser.newPage({ viewport: { width: 1360, height: 900 }, reducedMotion: 'reduce' })
    const errors = watchErrors(page)
    await page.goto(`${app.server.url}#/train/${project.id}`)

    // The model: a folder path typed in; the host reads its config and tokenizer.
    await page.getByTestId('model-folder').fill(TINY_BERT)
    await page.getByTestId('model-info').getByText('2 layers · hidden 32').waitFor()
    // The default max length is longer than this model reads: said on the field, and the start waits.
    await page.getByTestId('knob-maxLength').getByTestId('knob-error').getByText("128 is longer than the model's 64 positions").waitFor()
    expect(await page.getByTestId('start-run').isDisabled()).toBe(true)
    // A bad knob is named by the schema.
    await knob(page, 'learningRate').fill('-1')
    await page.getByTestId('knob-learningRate').getByTestId('knob-error').getByText('must be more than 0').waitFor()
    await page.getByTestId('knob-learningRate').scrollIntoViewIfNeeded()
    await screenshot(page, '30-train-validation')
    await knob(page, 'learningRate').fill('5e-3')
    await knob(page, 'maxLength').fill('32')

    // What the run will see: done documents per split, and the one span that cuts a word.
    await expect.poll(() => page.getByTestId('data-train').getByTestId('data-documents').textContent()).toBe('49')
    expect(await page.getByTestId('data-test').getByTestId('data-documents').textContent()).toBe('12')
    await expect.poll(() => page.getByTestId('alignment-count').textContent()).toBe('1')
    await page.getByTestId('alignment').locator('summary').click()
    await page.getByTestId('alignment-issue').getByText('trained as “mary”').waitFor()
    await page.getByTestId('estimate-basis').getByText('rough figure').waitFor()
    // Every recipe the trainer runs can be chosen.
    for (const id of ['full', 'top-layers', 'lora', 'fgm', 'crf']) expect(await page.getByTestId(`preset-${id}`).isDisabled(), id).toBe(false)

    // A long run: 100 epochs of 7 steps.
    await knob(page, 'epochs').fill('100')
    await knob(page, 'batchSize').fill('8')
    await knob(page, 'dropout').fill('0')
    await page.getByTestId('run-name').fill('long run')
    await page.getByTestId('run-tags').fill('e2e, long')
    await expect.poll(() => page.getByTestId('start-run').isDisabled()).toBe(false)
    // The estimate follows the settings (a batch of 8 windows).
    await page.getByTestId('estimate').getByText('one batch of 8 windows', { exact: false }).waitFor()
    await scrollTo(page, 'train-project')
    await screenshot(page, '31-train-setup')
    await page.getByTestId('start-run').click()
    await page.waitForURL(/#\/train\/\d+\/runs\/\d+$/)
    const longId = Number(/runs\/(\d+)$/.exec(page.url())![1])

    // Live: the loss chart gains points as steps arrive.
    await expect.poll(() => points(page, 'chart-loss'), { timeout: 60_000 }).toBeGreaterThan(10)
    const before = await points(page, 'chart-loss')
    await expect.poll(() => points(page, 'chart-loss'), { timeout: 30_000 }).toBeGreaterThan(before)
    await expect.poll(() => inked(page, 'chart-loss')).toBeGreaterThan(500)
    await expect.poll(() => points(page, 'chart-f1'), { timeout: 60_000 }).toBeGreaterThanOrEqual(2)
    await page.getByTestId('run-progress').getByText(/step \d+ of 700/).waitFor()
    await page.getByTestId('system-panel').getByTestId('sys-trainer').waitFor()
    await page.getByTestId('run-log').getByText('Backend:', { exact: false }).first().waitFor()
    await screenshot(page, '32-run-live')

    // Pause after the current step, then resume.
    await page.getByTestId('run-pause').click()
    await status(page).getByText('paused').waitFor({ timeout: 30_000 })
    const paused = await points(page, 'chart-loss')
    await page.waitForTimeout(1000)
    expect(await points(page, 'chart-loss')).toBe(paused)
    await page.getByTestId('run-resume').click()
    await status(page).getByText('running').waitFor()

    // A short run queued behind it.
    await page.getByTestId('back-to-train').click()
    await knob(page, 'epochs').fill('3')
    await page.getByTestId('run-name').fill('short run')
    await page.getByTestId('run-tags').fill('e2e')
    await page.getByTestId('start-run').getByText('Add to the queue').waitFor()
    await page.getByTestId('start-run').click()
    await page.waitForURL(/#\/train\/\d+\/runs\/\d+$/)
    const shortId = Number(/runs\/(\d+)$/.exec(page.url())![1])
    expect(shortId).not.toBe(longId)
    await page.getByTestId('run-queued').waitFor()
    await page.getByTestId('run-config').getByText('Learning rate').waitFor()
    await expect.poll(() => page.getByTestId('queue-row').count()).toBe(2)
    await screenshot(page, '33-run-queued')

    // Cancel the long run from the queue: the short one starts, finishes, and reports on test.
    await page.locator(`[data-testid="queue-row"][data-run-id="${longId}"]`).getByTestId('queue-cancel').click()
    await page.getByTestId('confirm').click()
    await page.getByTestId('run-report').waitFor({ timeout: 120_000 })
    await status(page).getByText('completed').waitFor()
    await expect.poll(() => page.getByTestId('report-row').allTextContents()).toHaveLength(2)
    expect((await page.getByTestId('report-row').allTextContents()).map((t) => t.trim().slice(0, 3))).toEqual(['LOC', 'PER'])
    await page.getByTestId('report-micro').waitFor()
    await expect.poll(() => inked(page, 'confusion')).toBeGreaterThan(500)
    await expect.poll(() => page.getByTestId('prediction-row').count()).toBe(10)
    const runs = await app.host.call('run.list', { projectId: project.id })
    expect(runs.find((r) => r.id === longId)!.status).toBe('cancelled')
    expect(runs.find((r) => r.id === shortId)!.status).toBe('completed')
    expect(runs.find((r) => r.id === shortId)!.tags).toEqual(['e2e'])
    await scrollTo(page, 'back-to-train')
    await screenshot(page, '34-run-report')
    await scrollTo(page, 'chart-loss')
    await screenshot(page, '35-run-curves')
    await scrollTo(page, 'run-predictions')
    await screenshot(page, '36-run-predictions')

    // Back on Train: the finished runs are listed, and the estimate now uses the measured speed.
    await page.getByTestId('back-to-train').click()
    await expect.poll(() => page.getByTestId('finished-row').count()).toBe(2)
    await page.getByTestId('estimate-basis').getByText(`measured: run #${shortId}`).waitFor({ timeout: 10_000 })
    await scrollTo(page, 'finished-row')
    await screenshot(page, '37-train-earlier-runs')
    expect(errors).toEqual([])
    await page.close()
  })
})
