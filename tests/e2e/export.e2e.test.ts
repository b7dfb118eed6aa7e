/**
 * The Export panel of a run's page in Chromium against the real host (server mode): a browser
 * cannot name a path on the server, so the panel says where the export goes (the data folder),
 * exports int8, and shows the files with their sizes and the int8 F1 against the float model.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { chromiumAvailable, screenshot, useServedApp, watchErrors } from './browser'
import { TINY_BERT, toyProject } from '../helpers/toy-ner'

describe.skipIf(!chromiumAvailable)('Exporting a model from the run page', () => {
  const app = useServedApp()

  it('exports int8 into the server\'s data folder and shows the files and the F1 against float32', { timeout: 240_000 }, async () => {
    const projectId = await toyProject(app.host, mkdtempSync(join(tmpdir(), 'tagtune-e2e-export-')))
    const started = await app.host.call('run.start', { projectId, name: 'tiny', config: { model: TINY_BERT, epochs: 3, batchSize: 8, learningRate: 5e-3, maxLength: 32, dropout: 0, seed: 1 }, backend: 'wasm' })
    const run = await app.host.runs.waitFor(started.id)
    expect(run.status).toBe('completed')

    const page = await app.browser.newPage({ viewport: { width: 1360, height: 900 }, reducedMotion: 'reduce' })
    const errors = watchErrors(page)
    await page.goto(`${app.server.url}#/train/${projectId}/runs/${run.id}`)
    const panel = page.getByTestId('export-panel')
    await panel.waitFor()
    // No path field in a browser: the server writes into its data folder, and the panel says how to write elsewhere.
    expect(await panel.getByTestId('export-path').count()).toBe(0)
    await panel.getByTestId('export-server-note').getByText(`tagtune export ${run.id} --format hf --out DIR`).waitFor()

    await panel.getByTestId('export-format-int8').click()
    await panel.getByTestId('export-server-note').getByText(`--format int8`).waitFor()
    await panel.getByTestId('export-start').click()
    const result = panel.getByTestId('export-result')
    await result.waitFor({ timeout: 120_000 })
    const files = await panel.getByTestId('export-files').locator('tbody td:first-child').allTextContents()
    expect(files).toEqual(['README.md', 'config.json', 'group1-shard1of1.bin', 'model.json', 'special_tokens_map.json', 'tokenizer_config.json', 'vocab.txt'])
    const floatF1 = await panel.getByTestId('export-float-f1').textContent()
    const test = (await app.host.call('run.get', { id: run.id })).evaluations.find((e) => e.split === 'test' && e.mode === 'default')!
    expect(floatF1).toBe((100 * test.result.f1).toFixed(1))
    expect(await panel.getByTestId('export-int8-f1').textContent()).toMatch(/^\d+\.\d$/)
    expect(await panel.getByTestId('export-f1-diff').textContent()).toMatch(/^[+-]\d+\.\d\d pts$/)
    expect(await panel.getByTestId('export-size-ratio').textContent()).toMatch(/^×0\.\d{3}$/)

    const dir = (await panel.getByTestId('export-dir').textContent())!
    expect(dir.startsWith(join(app.dataDir, 'exports', `run-${run.id}-int8-`))).toBe(true)
    expect(existsSync(dir) && readdirSync(dir).sort()).toEqual(files)
    await panel.scrollIntoViewIfNeeded()
    await screenshot(page, '60-run-export-int8')
    expect(errors).toEqual([])
  })
})
