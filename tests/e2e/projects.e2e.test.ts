import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { chromiumAvailable, screenshot, useServedApp, watchErrors } from './browser'

describe.skipIf(!chromiumAvailable)('Projects in the browser UI', () => {
  const app = useServedApp()

  async function open(url = app.server.url): Promise<{ page: Page; errors: string[] }> {
    const page = await app.browser.newPage({ viewport: { width: 1280, height: 800 } })
    const errors = watchErrors(page)
    await page.goto(url)
    return { page, errors }
  }

  it('creates a project with three labels, and it is still there after a reload', async () => {
    const { page, errors } = await open()
    await page.getByText('Welcome to Tagtune').waitFor()
    await page.getByTestId('backend').getByText('wasm (CPU)').waitFor()
    await screenshot(page, '01-welcome')

    await page.getByTestId('new-project').click()
    await page.getByTestId('project-name').fill('Clinical notes')
    await page.getByTestId('label-quick-add').fill('PER, ORG, LOC')
    await page.getByTestId('label-quick-add').press('Enter')
    await expect.poll(() => page.getByTestId('label-row').count()).toBe(3)
    await page.getByTestId('tag-scheme').selectOption('iobes')
    await page.getByTestId('label-row').nth(0).getByPlaceholder('What counts as this entity').fill('People, including titles')
    await page.getByTestId('save-project').click()
    await page.getByTestId('banner').getByText('Project created.').waitFor()
    // The editor says so at once; the address follows when the route has resolved (views load as chunks).
    await expect.poll(() => page.url()).toMatch(/#\/projects\/\d+$/)
    await screenshot(page, '02-project-created')

    // What the user made is what the store holds.
    const [stored] = await app.host.call('project.list', {})
    expect(stored).toMatchObject({ name: 'Clinical notes', tagScheme: 'iobes' })
    expect(stored!.labels.map((l) => [l.name, l.shortcut])).toEqual([['PER', '1'], ['ORG', '2'], ['LOC', '3']])
    expect(stored!.labels[0]!.description).toBe('People, including titles')

    await page.reload()
    await page.getByTestId('project-item').getByText('Clinical notes').waitFor()
    await expect.poll(() => page.getByTestId('label-name').evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value))).toEqual(['PER', 'ORG', 'LOC'])
    await expect.poll(() => page.getByTestId('tag-scheme').inputValue()).toBe('iobes')
    expect(errors).toEqual([])
    await page.close()
  })

  it('shows validation messages and refuses to save a duplicate label, leaving the store unchanged', async () => {
    const before = JSON.stringify(await app.host.call('project.list', {}))
    const { page, errors } = await open()
    await page.getByTestId('project-item').first().click()
    await page.getByTestId('label-quick-add').fill('MISC')
    await page.getByTestId('label-quick-add').press('Enter')
    await page.getByTestId('label-name').last().fill('per')
    await page.getByTestId('project-name').fill('')
    await page.getByTestId('save-project').click()
    await page.getByText('label "per" is already used by label 1').waitFor()
    await page.getByText('project name is empty').waitFor()
    await page.getByTestId('banner').getByText('Fix 2 problems marked below.').waitFor()
    await screenshot(page, '03-validation')
    expect(JSON.stringify(await app.host.call('project.list', {}))).toBe(before)
    expect(errors).toEqual([])
    await page.close()
  })

  it('keeps two windows in step: a project created in one appears in the other', async () => {
    const a = await open()
    const b = await open()
    await b.page.getByTestId('project-item').first().waitFor()
    await a.page.getByTestId('new-project').click()
    await a.page.getByTestId('project-name').fill('Second project')
    await a.page.getByTestId('save-project').click()
    await b.page.getByTestId('project-item').getByText('Second project').waitFor()
    await a.page.close()
    await b.page.close()
  })

  it('renames and deletes a project after confirmation', async () => {
    const { page, errors } = await open()
    await page.getByTestId('project-item').getByText('Second project').click()
    await page.getByTestId('project-name').fill('Renamed project')
    await page.keyboard.press('Control+s')
    await page.getByTestId('banner').getByText('Changes saved.').waitFor()
    await page.getByTestId('project-item').getByText('Renamed project').waitFor()
    await page.getByTestId('delete-project').click()
    await page.getByRole('alertdialog').waitFor()
    await screenshot(page, '04-delete-confirm')
    await page.getByTestId('confirm').click()
    await page.getByRole('alertdialog').waitFor({ state: 'detached' })
    await expect.poll(async () => (await app.host.call('project.list', {})).map((p) => p.name)).toEqual(['Clinical notes'])
    await expect.poll(() => page.getByTestId('project-item').count()).toBe(1)
    expect(errors).toEqual([])
    await page.close()
  })
})

describe.skipIf(!chromiumAvailable)('Server mode with an access token', () => {
  const app = useServedApp({ token: 'team-secret-token', users: { ana: 'ana-personal-token-42' } })

  it('tells the user a token is needed, and works with the printed URL', async () => {
    const ctx = await app.browser.newContext()
    const page = await ctx.newPage()
    await page.goto(`${app.server.url}?token=wrong`)
    await page.getByText('Access token needed').waitFor()
    await screenshot(page, '05-token-needed')
    await page.goto(app.server.openUrl)
    await page.getByText('Welcome to Tagtune').waitFor()
    // The token is taken out of the address bar once read.
    expect(page.url()).not.toContain('token=')
    await ctx.close()
  })

  it('signs a teammate in by a personal token: they annotate under their own name', async () => {
    const p = await app.host.call('project.create', { name: 'Team', labels: [{ name: 'PER' }] })
    const dir = mkdtempSync(join(tmpdir(), 'tagtune-e2e-'))
    writeFileSync(join(dir, 'd.txt'), 'Ada Lovelace\n')
    await app.host.call('dataset.import', { projectId: p.id, files: [{ path: join(dir, 'd.txt') }] })
    const ctx = await app.browser.newContext()
    const page = await ctx.newPage()
    await page.goto(`${app.server.url}?token=ana-personal-token-42#/annotate/${p.id}`)
    await page.getByTestId('annotating-as').getByText('ana').waitFor()
    await page.getByTestId('annotating-as').getByText('(signed in)').waitFor()
    expect(await page.getByTestId('annotator-name').count()).toBe(0)
    await ctx.close()
  })
})
