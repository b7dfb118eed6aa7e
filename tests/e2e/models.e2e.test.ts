/**
 * The Models view in Chromium against the real host: the tiny BERT folder chosen and uploaded
 * through the Import form joins the library with its parameter count; a folder with a
 * mis-shaped tensor is refused with the file and the tensor named, and nothing is added; a
 * model downloads from a local hub with a progress bar; a finished run's best model is listed
 * with a link to its run; the Train view's model picker offers the library; a model is deleted.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { chromiumAvailable, screenshot, useServedApp, watchErrors } from './browser'
import { formatParameters } from '../../src-shared/domain/model-library'
import { insertRun } from '../../src-main/store/repositories/runs'
import { MALFORMED, TINY_BERT, tinyCopy, tinyParameterCount } from '../src-main/services/models/folders'
import { startHub, type FakeHub } from '../src-main/services/models/fake-hub'

describe.skipIf(!chromiumAvailable)('Models view in the browser UI', () => {
  const app = useServedApp()
  const dir = mkdtempSync(join(tmpdir(), 'tagtune-e2e-models-'))
  let hub: FakeHub | undefined
  afterAll(async () => hub?.close())

  it('imports the tiny BERT folder, refuses a broken one precisely, downloads from a hub, lists run models, and offers them to Train', { timeout: 120_000 }, async () => {
    const page = await app.browser.newPage({ viewport: { width: 1440, height: 1000 }, reducedMotion: 'reduce' })
    const errors = watchErrors(page)
    await page.goto(`${app.server.url}#/models`)
    await page.getByTestId('library-empty').waitFor()

    // Import: choose the folder (a browser uploads it), then Import.
    await page.getByTestId('import-folder').setInputFiles(TINY_BERT)
    await page.getByTestId('import-chosen').getByText('tiny-bert').waitFor()
    await page.getByTestId('import-submit').click()
    await page.getByTestId('import-report').getByText('Checked tiny-bert: BertForTokenClassification, 2 layers, hidden 32, 4 heads').waitFor()
    const row = page.getByTestId('model-row').filter({ hasText: 'tiny-bert' })
    await expect.poll(() => row.getByTestId('model-params').textContent()).toBe(formatParameters(tinyParameterCount()))
    expect(await row.getByTestId('model-params').getAttribute('title')).toBe(tinyParameterCount().toLocaleString('en-US'))
    expect(await row.getByTestId('model-vocab').textContent()).toBe('128')
    expect(await row.textContent()).toContain('uncased')

    // A broken folder: the error names the file and the tensor, and nothing is added.
    const broken = MALFORMED.find((v) => v.name === 'a tensor of the wrong shape')!.make(mkdtempSync(join(dir, 'broken-')))
    await page.getByTestId('import-folder').setInputFiles(broken)
    await page.getByTestId('import-submit').click()
    const error = page.getByTestId('import-error')
    await error.waitFor()
    const message = await error.textContent()
    expect(message).toContain('tiny-bert/model.safetensors: The weights do not match the BERT model described by config.json.')
    expect(message).toContain('encoder.layer.1.intermediate.dense.weight: expected [64, 32], found [32, 32]')
    expect(message).not.toContain(app.dataDir)
    expect(await page.getByTestId('model-row').count()).toBe(1)
    expect(await app.host.call('model.list', {})).toHaveLength(1)

    // Download from a hub (a local one serving the hub's URL layout): progress, then the model.
    const read = (f: string): Buffer => readFileSync(join(TINY_BERT, f))
    hub = await startHub({
      repos: { 'acme/tiny-bert-cased': { sha: '9f3c2d41e8a7b6500000000000000000deadbeef', files: { 'config.json': read('config.json'), 'vocab.txt': read('vocab.txt'), 'tokenizer_config.json': read('tokenizer_config.json'), 'model.safetensors': read('model.safetensors'), 'pytorch_model.bin': Buffer.alloc(100) }, lfs: ['model.safetensors', 'pytorch_model.bin'] } },
    })
    await page.getByTestId('download-repo').fill('acme/tiny-bert-cased')
    await page.getByTestId('download-endpoint').fill(hub.url)
    await page.getByTestId('download-submit').click()
    await page.getByTestId('download-report').getByText('Downloaded config.json, vocab.txt, tokenizer_config.json, model.safetensors').waitFor()
    await expect.poll(() => page.getByTestId('model-row').count()).toBe(2)
    expect(await page.getByTestId('model-row').filter({ hasText: 'acme/tiny-bert-cased@main' }).getByTestId('model-params').textContent()).toBe(formatParameters(tinyParameterCount()))

    // A finished run's best model is in the library, linked to its run.
    const project = await app.host.call('project.create', { name: 'People and places', labels: [{ name: 'PER' }, { name: 'LOC' }] })
    const runId = insertRun(app.host.db, { projectId: project.id, name: 'tiny lr 5e-3', status: 'completed', config: { model: TINY_BERT }, model: { kind: 'folder', path: TINY_BERT, name: 'tiny-bert' }, now: new Date().toISOString() })
    tinyCopy(join(app.dataDir, 'runs', String(runId)), 'best')
    await page.reload()
    const runRow = page.getByTestId('model-row').filter({ hasText: 'tiny lr 5e-3' })
    await runRow.waitFor()
    expect(await runRow.getByTestId('model-run-link').getAttribute('href')).toBe(`#/train/${project.id}/runs/${runId}`)
    expect(await runRow.textContent()).toContain('5 tags')
    expect(await runRow.locator('[data-testid^="delete-"]').count()).toBe(0)

    // The error and the library, for the README.
    await page.getByTestId('import-folder').setInputFiles(broken)
    await page.getByTestId('import-submit').click()
    await page.getByTestId('import-error').waitFor()
    await screenshot(page, '50-models')

    // The Train view's model picker offers the library's models.
    const models = await app.host.call('model.list', {})
    await page.goto(`${app.server.url}#/train/${project.id}`)
    await page.getByTestId('model-folder').waitFor()
    await expect.poll(() => page.locator('#known-models option').evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value))).toEqual(models.map((m) => m.path))
    await page.getByRole('link', { name: 'model library' }).click()
    await page.getByTestId('models-table').first().waitFor()

    // Delete the downloaded model (after confirming).
    const downloaded = models.find((m) => m.source.kind === 'hub')!
    await page.getByTestId(`delete-${downloaded.id}`).click()
    await page.getByTestId('confirm').click()
    await expect.poll(() => page.getByTestId('model-row').count()).toBe(2)
    expect((await app.host.call('model.list', {})).map((m) => m.id)).not.toContain(downloaded.id)
    expect(errors).toEqual([])
  })
})
