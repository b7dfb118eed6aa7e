/**
 * Closing the loop annotate -> train -> correct, in Chromium against the real host: a run
 * trained for real on the done documents predicts the ones still to do; the Annotate view
 * shows its spans as suggestions with their confidence, orders the queue least confident
 * first, and an accepted suggestion is saved like any edit.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { chromiumAvailable, screenshot, useServedApp, watchErrors } from './browser'
import { TINY_BERT, toyDocuments } from '../helpers/toy-ner'
import type { NerDocument } from '../../src-main/engine/data'

function doccano(path: string, docs: NerDocument[]): string {
  writeFileSync(path, docs.map((d) => JSON.stringify({ text: d.text, label: d.spans.map((s) => [s.start, s.end, s.label]) })).join('\n') + '\n')
  return path
}

describe.skipIf(!chromiumAvailable)('Model suggestions in the annotation workspace', () => {
  const app = useServedApp()
  const dir = mkdtempSync(join(tmpdir(), 'tagtune-e2e-suggest-'))

  it('predicts the documents to do with a trained run, orders them least confident first, and accepts a suggestion', { timeout: 240_000 }, async () => {
    const host = app.host
    const project = await host.call('project.create', { name: 'Loop', labels: [{ name: 'PER' }, { name: 'LOC' }] })
    for (const [split, docs] of [['train', toyDocuments(48, 1, 't')], ['dev', toyDocuments(12, 2, 'v')], ['test', toyDocuments(12, 3, 's')]] as const) {
      await host.call('dataset.import', { projectId: project.id, files: [{ path: doccano(join(dir, `${split}.jsonl`), docs) }], format: 'doccano', split })
    }
    const todo = toyDocuments(12, 9, 'u')
    await host.call('dataset.import', { projectId: project.id, files: [{ path: doccano(join(dir, 'todo.jsonl'), todo.map((d) => ({ ...d, spans: [] }))) }], format: 'doccano', split: 'train', status: 'todo' })
    const run = await host.call('run.start', { projectId: project.id, name: 'first model', config: { model: TINY_BERT, epochs: 4, batchSize: 8, learningRate: 5e-3, maxLength: 32, dropout: 0, seed: 1 }, backend: 'wasm' })
    expect((await host.runs.waitFor(run.id)).status).toBe('completed')

    const page = await app.browser.newPage({ viewport: { width: 1360, height: 860 }, reducedMotion: 'reduce' })
    const errors = watchErrors(page)
    // Before any run has predicted, least confident first is not offered.
    await page.goto(`${app.server.url}#/annotate/${project.id}`)
    await page.getByTestId('queue-order').waitFor()
    expect(await page.getByTestId('queue-order').locator('option[value="least-confident"]').isDisabled()).toBe(true)
    // From the run's page, "Suggest in Annotate" opens the workspace with this run chosen.
    await page.goto(`${app.server.url}#/train/${project.id}/runs/${run.id}`)
    await page.getByTestId('suggest-in-annotate').click()
    await page.waitForURL(new RegExp(`#/annotate/${project.id}`))
    const who = page.getByTestId('annotator-name')
    await who.or(page.getByTestId('span-editor')).first().waitFor()
    if (await who.isVisible()) {
      await who.fill('ana')
      await page.getByTestId('annotator-save').click()
    }
    await page.getByTestId('span-editor').waitFor()

    await expect.poll(() => page.getByTestId('suggest-run').inputValue()).not.toBe('')
    expect(await page.getByTestId('suggest-run').locator('option:checked').textContent()).toBe(`#${run.id} first model` + (await runF1Suffix()))
    await page.getByTestId('predict-suggestions').click()
    await page.getByTestId('predicted-summary').getByText('12 documents predicted').waitFor({ timeout: 120_000 })

    // The queue switched to least confident first: the todo documents lead, with rising confidence.
    expect(await page.getByTestId('queue-order').inputValue()).toBe('least-confident')
    await expect.poll(() => page.getByTestId('doc-confidence').count()).toBeGreaterThanOrEqual(12)
    const shown = (await page.getByTestId('doc-confidence').allTextContents()).slice(0, 12).map((t) => Number(t.replace('%', '')))
    expect(shown).toEqual([...shown].sort((a, b) => a - b))

    // Open the least confident document: the model's spans are dashed suggestions with a percentage.
    await page.getByTestId('annotate-doc').first().click()
    const first = (await host.call('document.list', { projectId: project.id, order: 'least-confident', runId: run.id, limit: 2 })).items
    await page.waitForURL(new RegExp(`/annotate/${project.id}/${first[0]!.id}$`))
    const predicted = (await host.call('suggestions.get', { runId: run.id, documentId: first[0]!.id }))!
    expect(predicted.spans.length).toBeGreaterThan(0)
    await expect.poll(() => page.getByTestId('suggestion-tag').count()).toBe(predicted.spans.length)
    expect(await page.getByTestId('suggestion-tag').first().textContent()).toMatch(/^(PER|LOC)\?\s?\d+%$/)
    await page.getByTestId('suggestions').getByText(`from run #${run.id}`).waitFor()
    await screenshot(page, '60-model-suggestions')

    // Accept the first suggestion: it is saved like any edit, and the confidence was shown.
    await page.getByTestId('suggestion-tag').first().click()
    await page.getByTestId('suggestion-confidence').getByText(/% sure/).waitFor()
    await page.getByTestId('accept-suggestion').click()
    const s0 = predicted.spans[0]!
    await expect
      .poll(async () => (await host.call('document.get', { id: first[0]!.id })).annotations.find((a) => a.annotator === 'ana')?.spans, { timeout: 3000 })
      .toEqual([[s0.start, s0.end, s0.labelId]])

    // A high threshold hides the unsure suggestions.
    await page.getByTestId('min-confidence').fill('0.95')
    await expect.poll(() => page.getByTestId('suggestion-tag').count()).toBe(predicted.spans.slice(1).filter((x) => x.confidence >= 0.95).length)

    // Done goes on to the next document in the queue's order, not the next by position.
    await page.getByTestId('mark-done').click()
    await page.waitForURL(new RegExp(`/annotate/${project.id}/${first[1]!.id}$`))
    expect(errors).toEqual([])
    await page.close()

    async function runF1Suffix(): Promise<string> {
      const r = (await host.call('suggestions.sources', { projectId: project.id })).find((x) => x.runId === run.id)!
      return r.devF1 !== null ? ` · dev F1 ${(r.devF1 * 100).toFixed(1)}` : ''
    }
  })
})
