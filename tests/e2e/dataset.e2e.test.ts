import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { chromiumAvailable, screenshot, useServedApp, watchErrors } from './browser'

/** 30 sentences, 20 with a PER and a LOC, 10 with only a LOC: 30 documents, 50 entities. */
function conllFile(): string {
  const lines: string[] = []
  for (let i = 0; i < 30; i++) {
    if (i % 3 !== 2) lines.push(`Ada\tB-PER`, `Lovelace${i}\tI-PER`)
    lines.push(`visited\tO`, `Paris\tB-LOC`, `.\tO`, '')
  }
  return lines.join('\n')
}

/** Canvas pixels that are not blank: proves the chart drew something. */
async function inkedPixels(page: Page, nth: number): Promise<number> {
  return page.locator('canvas').nth(nth).evaluate((c) => {
    const canvas = c as unknown as { width: number; height: number; getContext(t: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } }
    const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data
    let n = 0
    for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++
    return n
  })
}

describe.skipIf(!chromiumAvailable)('Dataset view in the browser UI', () => {
  const app = useServedApp()
  const dir = mkdtempSync(join(tmpdir(), 'tagtune-e2e-files-'))

  async function open(path: string): Promise<{ page: Page; errors: string[] }> {
    const page = await app.browser.newPage({ viewport: { width: 1360, height: 900 }, reducedMotion: 'reduce' })
    const errors = watchErrors(page)
    await page.goto(`${app.server.url}#${path}`)
    return { page, errors }
  }

  it('imports a CoNLL file through the import dialog and shows its statistics', async () => {
    const project = await app.host.call('project.create', { name: 'People and places', labels: [{ name: 'PER' }, { name: 'LOC' }] })
    const file = join(dir, 'people.conll')
    writeFileSync(file, conllFile())
    const { page, errors } = await open(`/dataset/${project.id}`)
    await page.getByText('No documents yet').waitFor()
    await page.getByTestId('open-import').click()
    await page.getByTestId('import-file').setInputFiles(file)
    await page.getByTestId('import-split').selectOption('train')
    await page.getByTestId('import-check').click()
    await page.getByTestId('detected-format').getByText('CoNLL columns').waitFor()
    await expect.poll(() => page.getByTestId('found-counts').textContent()).toBe('30 documents, 50 entities')
    // The preview draws the spans on the text before anything is imported.
    await expect.poll(() => page.getByTestId('import-report').getByTestId('entity').count()).toBeGreaterThan(5)
    expect(await app.host.call('document.list', { projectId: project.id })).toMatchObject({ total: 0 })
    await screenshot(page, '10-import-preview')
    await page.getByTestId('import-run').click()
    await page.getByTestId('import-done').waitFor()
    await page.getByTestId('import-close').click()

    await expect.poll(() => page.getByTestId('stat-documents').textContent()).toBe('30')
    await expect.poll(() => page.getByTestId('stat-entities').textContent()).toBe('50')
    await expect.poll(() => page.getByTestId('doc-row').count()).toBe(25)
    await expect.poll(() => inkedPixels(page, 0)).toBeGreaterThan(500)
    const stats = await app.host.call('dataset.stats', { projectId: project.id })
    expect(stats.documents.train).toBe(30)
    expect(stats.entities.map((e) => [e.label, e.total])).toEqual([['PER', 20], ['LOC', 30]])
    await screenshot(page, '11-dataset-stats')

    // Filter the table by label and by text.
    await page.getByTestId('doc-label-filter').selectOption({ label: 'PER' })
    await expect.poll(() => page.getByText('1–20 of 20').count()).toBe(1)
    await page.getByTestId('doc-search').fill('Lovelace7')
    await page.getByTestId('doc-search').press('Enter')
    await expect.poll(() => page.getByTestId('doc-row').count()).toBe(1)
    expect(errors).toEqual([])
    await page.close()
  })

  it('lists the problems of a bad file with their lines and imports nothing', async () => {
    const project = await app.host.call('project.create', { name: 'Strict', labels: [{ name: 'PER' }] })
    const file = join(dir, 'broken.jsonl')
    writeFileSync(
      file,
      ['{"text": "Ada met Bob", "label": [[0, 3, "PER"], [8, 11, "PER"]]}', '{"text": "Ada went to Paris", "label": [[12, 17, "LOC"]]}', '{"text": "cut', '{"text": "Bob", "label": [[0, 9, "PER"]]}'].join('\n'),
    )
    const { page, errors } = await open(`/dataset/${project.id}`)
    await page.getByTestId('open-import').click()
    await page.getByTestId('import-file').setInputFiles(file)
    await page.getByTestId('import-check').click()
    const problems = page.getByTestId('import-problems')
    await problems.getByText('3 problems block the import').waitFor()
    await problems.getByText('broken.jsonl, line 2, field label').waitFor()
    await problems.getByText('broken.jsonl, line 3', { exact: false }).first().waitFor()
    await problems.getByText('broken.jsonl, line 4', { exact: false }).first().waitFor()
    expect(await page.getByTestId('import-run').isDisabled()).toBe(true)
    await screenshot(page, '12-import-problems')
    expect(await app.host.call('document.list', { projectId: project.id })).toMatchObject({ total: 0 })
    expect((await app.host.call('project.get', { id: project.id })).labels.map((l) => l.name)).toEqual(['PER'])
    expect(errors).toEqual([])
    await page.close()
  })
})

describe.skipIf(!chromiumAvailable)('The sample project', () => {
  const app = useServedApp()

  it('is one click away for a first-time user, and opens on its statistics', async () => {
    const page = await app.browser.newPage({ viewport: { width: 1360, height: 900 }, reducedMotion: 'reduce' })
    const errors = watchErrors(page)
    await page.goto(app.server.url)
    await page.getByTestId('create-sample').click()
    await expect.poll(() => page.getByTestId('stat-documents').textContent(), { timeout: 20_000 }).toBe('400')
    await expect.poll(() => page.getByTestId('stat-entities').textContent()).toBe('218')
    await page.getByText('CC-BY-4.0', { exact: false }).first().waitFor()
    await expect.poll(() => inkedPixels(page, 3)).toBeGreaterThan(500)
    await screenshot(page, '13-sample-dataset')
    expect(errors).toEqual([])
    await page.close()
  })
})
