/**
 * The Predict view in Chromium against the real host: a tiny run trained for real on English and
 * Chinese toy sentences, then text typed and predicted as you type (entities highlighted with
 * their confidences), the threshold moved, Chinese text with an astral character predicted with
 * Ctrl+Enter, a file uploaded and predicted, and its predictions downloaded as CoNLL and read back.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { chromiumAvailable, screenshot, useServedApp, watchErrors } from './browser'
import { trainedPredictRun } from '../helpers/predict-fixture'
import { readDocumentsFile } from '../../src-main/services/runs/files'


/** Each highlighted entity: its own text (without the label and badge after it), label and confidence. */
async function highlighted(page: Page): Promise<{ text: string; label: string; confidence: number; badge: string }[]> {
  return page.getByTestId('predicted-text').first().getByTestId('predicted-entity').evaluateAll((marks) =>
    marks.map((m) => ({
      text: m.childNodes[0]!.textContent ?? '',
      label: m.getAttribute('data-label') ?? '',
      confidence: Number(m.getAttribute('data-confidence')),
      badge: m.querySelector('[data-testid="entity-confidence"]')?.textContent ?? '',
    })),
  )
}

describe.skipIf(!chromiumAvailable)('the Predict view in the browser UI', () => {
  const app = useServedApp()
  const dir = mkdtempSync(join(tmpdir(), 'tagtune-e2e-predict-'))

  it('highlights entities with confidences as you type, filters by threshold, handles CJK and astral text, predicts a file and downloads it', { timeout: 240_000 }, async () => {
    const { projectId, runId } = await trainedPredictRun(app.host, dir)
    const page = await app.browser.newPage({ viewport: { width: 1400, height: 940 }, reducedMotion: 'reduce', acceptDownloads: true })
    const errors = watchErrors(page)
    await page.goto(`${app.server.url}#/predict`)
    await page.waitForURL(new RegExp(`#/predict/${projectId}$`))
    await page.locator('[data-nav="predict"]').waitFor()
    // The trained run is offered with its name, id and scores.
    await expect.poll(() => page.getByTestId('predict-model').locator('option').allTextContents()).toEqual([expect.stringMatching(new RegExp(`^tiny mixed #${runId} · test F1 \\d+\\.\\d · dev F1 \\d+\\.\\d$`))])

    // Typing a short text predicts it once typing pauses.
    await page.getByTestId('predict-input').fill('mary visited london yesterday')
    await expect.poll(() => highlighted(page).then((h) => h.map((e) => [e.text, e.label])), { timeout: 30_000 }).toEqual([
      ['mary', 'PER'],
      ['london', 'LOC'],
    ])
    for (const e of await highlighted(page)) {
      expect(e.confidence).toBeGreaterThan(0)
      expect(e.confidence).toBeLessThanOrEqual(1)
      expect(e.badge).toBe(`${Math.round(e.confidence * 100) === 100 && e.confidence < 1 ? 99 : Math.round(e.confidence * 100)}%`)
    }
    await expect.poll(() => page.getByTestId('entity-row').count()).toBe(2)
    expect(await page.getByTestId('entity-row-confidence').allTextContents()).toEqual((await highlighted(page)).map((e) => e.badge))

    // A threshold above the least confident entity hides it, in the text and in the table.
    const confidences = (await highlighted(page)).map((e) => e.confidence).sort((a, b) => a - b)
    const threshold = Math.min(100, Math.floor(confidences[0]! * 100) + 1)
    await page.getByTestId('threshold').fill(String(threshold))
    await page.getByTestId('threshold-value').getByText(`${threshold}%`).waitFor()
    const kept = confidences.filter((c) => c >= threshold / 100).length
    await expect.poll(() => page.getByTestId('predicted-entity').count()).toBe(kept)
    await expect.poll(() => page.getByTestId('entity-row').count()).toBe(kept)
    expect(await page.getByTestId('shown-count').textContent()).toBe(`${kept} of 2 shown`)
    await page.getByTestId('hidden-count').getByText(`${2 - kept} more below the threshold`).waitFor()
    await page.getByTestId('threshold').fill('0')
    await expect.poll(() => page.getByTestId('predicted-entity').count()).toBe(2)

    // Chinese after an astral character (𠮷 is two UTF-16 units), predicted on demand with Ctrl+Enter.
    await page.getByTestId('predict-auto').uncheck()
    await page.getByTestId('predict-input').fill('𠮷约翰住在上海。')
    await page.getByTestId('predict-status').getByText('The text changed').waitFor()
    await page.getByTestId('predict-input').press('Control+Enter')
    await expect.poll(() => highlighted(page).then((h) => h.map((e) => [e.text, e.label])), { timeout: 30_000 }).toEqual([
      ['约翰', 'PER'],
      ['上海', 'LOC'],
    ])
    // Exactly those characters: the text before, between and after the entities is untouched.
    const plain = await page.getByTestId('predicted-text').first().evaluate((el) => Array.from(el.childNodes, (n) => (n.nodeType === 1 ? `[${n.childNodes[0]!.textContent}]` : n.nodeType === 3 ? n.textContent : '')).join(''))
    expect(plain).toBe('𠮷[约翰]住在[上海]。')

    // For the screenshot: English and Chinese together (no 𠮷 here: this machine has no font for it).
    await page.getByTestId('predict-auto').check()
    await page.getByTestId('predict-input').fill('john smith lives in paris\nanna visited berlin yesterday\n约翰住在北京。\n他是中国人，约翰在上海的人。')
    await expect.poll(() => page.getByTestId('predicted-entity').count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(6)

    // A file, uploaded from the browser: predicted with a progress bar, previewed, downloaded in another format.
    const lines = ['mary visited london yesterday', '约翰住在北京。', 'hello anna', 'the old man from paris was born in china', '𠮷约翰住在上海。', ...Array.from({ length: 60 }, (_, i) => `${['john', 'mary', 'anna'][i % 3]} lives in ${['berlin', 'london', 'new york'][i % 3]} ${i}`)]
    const input = join(dir, 'notes.txt')
    writeFileSync(input, lines.join('\n') + '\n')
    await page.getByTestId('predict-file-input').setInputFiles(input)
    await page.getByTestId('predict-file-name').getByText('notes.txt').waitFor()
    await page.getByTestId('predict-file-run').click()
    // While the trainer starts and predicts: a progress bar, and Cancel instead of Predict.
    await page.getByTestId('predict-file-progress').waitFor()
    await page.getByTestId('predict-file-cancel').waitFor()
    await page.getByTestId('predict-file-result').waitFor({ timeout: 60_000 })
    expect(await page.getByTestId('predict-file-progress').count()).toBe(0)
    const summary = await page.getByTestId('predict-file-summary').textContent()
    const [, entities, documents] = /([\d,]+) entities in ([\d,]+) documents/.exec(summary ?? '')!
    expect(Number(documents)).toBe(lines.length)
    await expect.poll(() => page.getByTestId('predict-file-preview').count()).toBe(4)
    expect(await page.getByTestId('predict-export-format').inputValue()).toBe('doccano')

    // The whole view in one picture: a taller window, scrolled to the top, the threshold at 50%.
    await page.getByTestId('threshold').fill('50')
    await page.getByTestId('threshold').blur()
    await page.setViewportSize({ width: 1400, height: 1290 })
    await page.getByTestId('predict-model').evaluate((el) => el.scrollIntoView({ block: 'end' }))
    await screenshot(page, '50-predict')
    await page.setViewportSize({ width: 1400, height: 940 })
    await page.getByTestId('threshold').fill('0')

    await page.getByTestId('predict-export-format').selectOption('conll')
    await page.getByTestId('predict-export-scheme').selectOption('iobes')
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('predict-export-run').click()])
    expect(download.suggestedFilename()).toBe('notes-predictions.conll')
    const saved = join(dir, 'downloaded.conll')
    await download.saveAs(saved)
    const back = await readDocumentsFile(saved, 'conll')
    expect(back.documents.map((d) => d.text)).toEqual(lines)
    expect(back.documents.reduce((n, d) => n + d.spans.length, 0)).toBe(Number(entities!.replace(/,/g, '')))
    expect(readFileSync(saved, 'utf8')).toMatch(/^约 B-PER\n翰 E-PER$/m)

    // A bad file is refused with its name and line; nothing else changes.
    writeFileSync(join(dir, 'broken.jsonl'), '{"text": "hello mary", "label": []}\n{"text": \n')
    await page.getByTestId('predict-file-input').setInputFiles(join(dir, 'broken.jsonl'))
    await page.getByTestId('predict-file-format').selectOption('doccano')
    await page.getByTestId('predict-file-run').click()
    await page.getByTestId('predict-file-error').getByText(/broken\.jsonl, line 2/).waitFor({ timeout: 30_000 })

    expect(errors).toEqual([])
    await page.close()
  })
})
