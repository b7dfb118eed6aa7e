/**
 * Serving a run's model from the Predict view in Chromium against the real host: a bad token is
 * refused in the panel, Start serving runs the model in a server process of its own, a real HTTP
 * client gets the entities from the URL the panel shows, the panel counts the request, and Stop
 * takes the server down.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { chromiumAvailable, screenshot, useServedApp, watchErrors } from './browser'
import { trainedPredictRun } from '../helpers/predict-fixture'
import { NerResponse } from '../../src-shared/domain/serving'

describe.skipIf(!chromiumAvailable)('serving a model from the app', () => {
  const app = useServedApp()
  const dir = mkdtempSync(join(tmpdir(), 'tagtune-e2e-serving-'))

  it('starts a server for the chosen run, shows its URL, curl and request count, and stops it', { timeout: 240_000 }, async () => {
    const { projectId, runId } = await trainedPredictRun(app.host, dir, 'tiny served')
    const page = await app.browser.newPage({ viewport: { width: 1400, height: 940 }, reducedMotion: 'reduce' })
    const errors = watchErrors(page)
    await page.goto(`${app.server.url}#/predict/${projectId}`)
    const panel = page.getByTestId('serving-panel')
    await panel.waitFor()

    // A token that is too short is refused by the host, named in the panel, and nothing starts.
    await page.getByTestId('serving-port').fill('0')
    await page.getByTestId('serving-token').fill('short')
    await page.getByTestId('serving-start').click()
    await expect.poll(() => page.getByTestId('serving-error').textContent()).toMatch(/token.*at least 16 characters/)
    expect(await app.host.call('serving.status', {})).toEqual([])

    await page.getByTestId('serving-token').fill('')
    await page.getByTestId('serving-start').click()
    const url = page.getByTestId('serving-url')
    await expect.poll(() => url.textContent(), { timeout: 60_000 }).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/ner$/)
    const endpoint = (await url.textContent())!
    expect(await page.getByTestId('serving-state').textContent()).toBe('running')
    expect(await page.getByTestId('serving-curl').textContent()).toContain(`curl -s ${endpoint}`)

    const r = await fetch(endpoint, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ texts: ['mary visited london yesterday'] }) })
    expect(r.status).toBe(200)
    const body = NerResponse.parse(await r.json())
    expect(body.model.run).toBe(runId)
    expect(body.results[0]!.spans.map((s) => [s.text, s.label])).toEqual([['mary', 'PER'], ['london', 'LOC']])
    await expect.poll(() => page.getByTestId('serving-requests').textContent(), { timeout: 10_000 }).toMatch(/^\s*1 request · 1 text in 1 batch · 0 refused/)
    await screenshot(page, 'serving')

    await page.getByTestId('serving-stop').click()
    await page.getByTestId('serving-start').waitFor()
    await expect(fetch(endpoint, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"texts":["late"]}' })).rejects.toThrow()
    expect(await app.host.call('serving.status', {})).toEqual([])
    expect(errors).toEqual([])
  })
})
