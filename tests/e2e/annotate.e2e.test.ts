import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { chromiumAvailable, screenshot, useServedApp, watchErrors } from './browser'
import { selectText } from './editor'
import type { Host } from '../../src-main/host/create-host'

/** The saved annotation of `annotator` on the document, straight from the store. */
async function saved(host: Host, documentId: number, annotator: string) {
  return (await host.call('document.get', { id: documentId })).annotations.find((a) => a.annotator === annotator)
}

async function projectWith(host: Host, texts: string[], labels = ['PER', 'LOC']) {
  const p = await host.call('project.create', { name: `Annotate ${Math.random().toString(36).slice(2, 7)}`, labels: labels.map((name) => ({ name })) })
  const file = join(mkdtempSync(join(tmpdir(), 'tagtune-e2e-')), 'docs.txt')
  writeFileSync(file, texts.join('\n') + '\n')
  await host.call('dataset.import', { projectId: p.id, files: [{ path: file }] })
  const docs = (await host.call('document.list', { projectId: p.id })).items.map((d) => d.id)
  return { p, docs, per: p.labels[0]!.id, loc: p.labels[1]!.id }
}

describe.skipIf(!chromiumAvailable)('Annotation workspace', () => {
  const app = useServedApp()

  async function open(path: string, name = 'ana'): Promise<{ page: Page; errors: string[] }> {
    const page = await app.browser.newPage({ viewport: { width: 1280, height: 820 }, reducedMotion: 'reduce' })
    const errors = watchErrors(page)
    await page.goto(`${app.server.url}#${path}`)
    const who = page.getByTestId('annotator-name')
    await who.or(page.getByTestId('span-editor')).first().waitFor()
    if (await who.isVisible()) {
      await who.fill(name)
      await page.getByTestId('annotator-save').click()
    }
    await page.getByTestId('span-editor').waitFor()
    return { page, errors }
  }

  it('labels a mouse selection (snapped to words) on English and Chinese text, astral characters included', async () => {
    const { p, docs, per, loc } = await projectWith(app.host, ['Ada Lovelace visited Paris today.', '我在𠮷野家吃饭'])
    await app.host.call('project.update', { id: p.id, guidelines: '# PER\nPeople, **with** titles.\n\n- <b>not</b> pets' })
    await app.host.call('project.list', {})
    const { page, errors } = await open(`/annotate/${p.id}/${docs[0]}`)
    // The guidelines are rendered beside the text, and markup in them stays text.
    await page.getByTestId('guidelines-shown').locator('h3').getByText('PER').waitFor()
    expect(await page.getByTestId('guidelines-shown').locator('strong').textContent()).toBe('with')
    expect(await page.getByTestId('guidelines-shown').locator('li').textContent()).toBe('<b>not</b> pets')
    await selectText(page, 1, 8) // "da Love" -> "Ada Lovelace"
    await page.keyboard.press('1')
    await selectText(page, 21, 26)
    await page.getByTestId('label-LOC').click()
    await expect.poll(() => page.getByTestId('span-tag').allTextContents()).toEqual(['PER', 'LOC'])
    await expect.poll(async () => (await saved(app.host, docs[0]!, 'ana'))?.spans, { timeout: 3000 }).toEqual([[0, 12, per], [21, 26, loc]])
    await screenshot(page, '20-annotate-english')

    await page.keyboard.press('PageDown')
    await expect.poll(() => page.getByTestId('span-editor').textContent()).toBe('我在𠮷野家吃饭')
    await selectText(page, 2, 5) // 𠮷野家: 𠮷 is two UTF-16 units
    await page.keyboard.press('2')
    await expect.poll(async () => (await saved(app.host, docs[1]!, 'ana'))?.spans, { timeout: 3000 }).toEqual([[2, 5, loc]])
    await screenshot(page, '21-annotate-chinese')
    expect(errors).toEqual([])
    await page.close()
  })

  it('works from the keyboard alone: cursor, selection, labels, span edges, delete, undo/redo, done', async () => {
    const { p, docs, per, loc } = await projectWith(app.host, ['Grace Hopper worked at Harvard .', 'Second document'])
    const { page, errors } = await open(`/annotate/${p.id}/${docs[0]}`)
    const k = page.keyboard
    // Select "Grace Hopper" with Shift+Ctrl+Right twice and label it PER.
    await k.press('Control+Shift+ArrowRight')
    await k.press('Control+Shift+ArrowRight')
    await k.press('1')
    // Move to "Harvard": 3 words right from the end of "Hopper", then select it.
    await k.press('Escape')
    for (let i = 0; i < 2; i++) await k.press('Control+ArrowRight')
    await k.press('ArrowRight')
    await k.press('Control+Shift+ArrowRight')
    await k.press('2')
    await expect.poll(async () => (await saved(app.host, docs[0]!, 'ana'))?.spans, { timeout: 3000 }).toEqual([[0, 12, per], [23, 30, loc]])
    // Tab to the first span, shrink its end by one character, then undo and redo that.
    await k.press('Tab')
    await k.press('Alt+Shift+ArrowLeft')
    await expect.poll(async () => (await saved(app.host, docs[0]!, 'ana'))?.spans, { timeout: 3000 }).toEqual([[0, 11, per], [23, 30, loc]])
    await k.press('Control+z')
    await expect.poll(async () => (await saved(app.host, docs[0]!, 'ana'))?.spans, { timeout: 3000 }).toEqual([[0, 12, per], [23, 30, loc]])
    await k.press('Control+Shift+z')
    await expect.poll(async () => (await saved(app.host, docs[0]!, 'ana'))?.spans, { timeout: 3000 }).toEqual([[0, 11, per], [23, 30, loc]])
    // Delete the selected span, undo the delete.
    await k.press('Delete')
    await k.press('Control+z')
    await expect.poll(() => page.getByTestId('span-tag').count()).toBe(2)
    await k.press('?')
    await page.getByTestId('shortcut-sheet').waitFor()
    await screenshot(page, '22-shortcuts')
    await k.press('Escape')
    // Done moves on to the next document.
    await k.press('Control+Enter')
    await expect.poll(() => page.getByTestId('span-editor').textContent()).toBe('Second document')
    await expect.poll(async () => (await saved(app.host, docs[0]!, 'ana'))?.status).toBe('done')
    expect(errors).toEqual([])
    await page.close()
  })

  it('never overwrites silently: when two pages edit the same document, the later save sees both versions and chooses', async () => {
    const { p, docs, per, loc } = await projectWith(app.host, ['Alan Turing was born in London .'])
    const a = await open(`/annotate/${p.id}/${docs[0]}`, 'ana')
    const b = await open(`/annotate/${p.id}/${docs[0]}`, 'ana')
    await selectText(a.page, 0, 11)
    await selectText(b.page, 24, 30)
    // Both pages start from version 0 and edit within the same second.
    await a.page.keyboard.press('1')
    await b.page.keyboard.press('2')
    await b.page.getByTestId('conflict').waitFor()
    expect(await a.page.getByTestId('conflict').count()).toBe(0)
    // The first save stands untouched until the user of page B decides.
    expect((await saved(app.host, docs[0]!, 'ana'))).toMatchObject({ version: 1, spans: [[0, 11, per]] })
    await screenshot(b.page, '23-conflict')
    await b.page.getByTestId('keep-mine').click()
    await expect.poll(async () => (await saved(app.host, docs[0]!, 'ana'))?.spans, { timeout: 3000 }).toEqual([[24, 30, loc]])
    expect((await saved(app.host, docs[0]!, 'ana'))?.version).toBe(2)
    // Page A, which has nothing unsaved, follows by itself.
    await expect.poll(() => a.page.getByTestId('span-tag').allTextContents(), { timeout: 3000 }).toEqual(['LOC'])
    expect([...a.errors, ...b.errors]).toEqual([])
    await a.page.close()
    await b.page.close()
  })

  it('pre-annotates from a dictionary: suggestions accepted or rejected one by one or all at once', async () => {
    const { p, docs, per, loc } = await projectWith(app.host, ['Ada flew from Paris to Rome and back to Paris .', 'Rome is not Paris .'])
    const { page, errors } = await open(`/annotate/${p.id}/${docs[0]}`)
    await page.getByTestId('open-dictionary').click()
    await page.getByTestId('dictionary-panel').locator('select').selectOption({ label: 'LOC' })
    await page.getByTestId('dictionary-terms').fill('Paris\nRome\n')
    await page.getByTestId('dictionary-save').click()
    await page.getByTestId('dictionary-panel').getByText('2 terms saved.').waitFor()
    expect((await app.host.call('dictionary.get', { projectId: p.id })).entries.find((e) => e.labelId === loc)!.terms).toEqual(['Paris', 'Rome'])
    await expect.poll(() => page.getByTestId('suggestion-tag').count()).toBe(3)
    await screenshot(page, '25-suggestions')
    // Accept the first "Paris", reject "Rome" with the keyboard.
    await page.getByTestId('suggestion-tag').nth(0).click()
    await page.getByTestId('accept-suggestion').click()
    await page.getByTestId('suggestion-tag').nth(0).click()
    await page.keyboard.press('Delete')
    await expect.poll(() => page.getByTestId('suggestion-tag').count()).toBe(1)
    await expect.poll(async () => (await saved(app.host, docs[0]!, 'ana'))?.spans, { timeout: 3000 }).toEqual([[14, 19, loc]])
    // Undo takes back an acceptance like any edit.
    await page.getByTestId('accept-all').click()
    await expect.poll(async () => (await saved(app.host, docs[0]!, 'ana'))?.spans, { timeout: 3000 }).toEqual([[14, 19, loc], [40, 45, loc]])
    await page.keyboard.press('Control+z')
    await expect.poll(async () => (await saved(app.host, docs[0]!, 'ana'))?.spans, { timeout: 3000 }).toEqual([[14, 19, loc]])
    // On the next document, reject them all: nothing is added.
    await page.keyboard.press('PageDown')
    await expect.poll(() => page.getByTestId('suggestion-tag').count()).toBe(2)
    await page.getByTestId('reject-all').click()
    await expect.poll(() => page.getByTestId('suggestion-tag').count()).toBe(0)
    expect(await saved(app.host, docs[1]!, 'ana')).toBeUndefined()
    expect(per).toBeGreaterThan(0)
    expect(errors).toEqual([])
    await page.close()
  })

  it('labels all occurrences of a span, in the document or across the dataset, with a preview and an undo', async () => {
    const { p, docs, loc } = await projectWith(app.host, ['Paris is far from Paris , Texas .', 'Paris again .', 'Nothing here .'])
    const { page, errors } = await open(`/annotate/${p.id}/${docs[0]}`)
    await selectText(page, 0, 5)
    await page.keyboard.press('2')
    await page.getByTestId('label-all-doc').click()
    await expect.poll(async () => (await saved(app.host, docs[0]!, 'ana'))?.spans, { timeout: 3000 }).toEqual([[0, 5, loc], [18, 23, loc]])
    await page.getByTestId('span-tag').first().click()
    await page.getByTestId('label-all-dataset').click()
    const panel = page.getByTestId('label-all-panel')
    await panel.getByText('1 occurrence in 1 document').waitFor()
    await screenshot(page, '26-label-all-preview')
    expect(await saved(app.host, docs[1]!, 'ana')).toBeUndefined()
    await page.getByTestId('label-all-apply').click()
    await page.getByTestId('label-all-done').getByText('Labelled 1 occurrences in 1 documents.').waitFor()
    expect((await saved(app.host, docs[1]!, 'ana'))?.spans).toEqual([[0, 5, loc]])
    await page.getByTestId('label-all-undo').click()
    await page.getByTestId('label-all-done').getByText('Undone in 1 document.').waitFor()
    expect((await saved(app.host, docs[1]!, 'ana'))?.spans).toEqual([])
    expect(errors).toEqual([])
    await page.close()
  })

  it('lists thousands of documents without rendering them all, loading rows as they scroll into view', async () => {
    const texts = Array.from({ length: 5000 }, (_, i) => `Document number ${i + 1} about Paris .`)
    const { p, docs } = await projectWith(app.host, texts)
    const other = await projectWith(app.host, ['The other project .'])
    const { page, errors } = await open(`/annotate/${p.id}/${docs[0]}`)
    await page.getByText('5,000 documents').waitFor()
    const rendered = await page.getByTestId('annotate-doc').count()
    expect(rendered).toBeGreaterThan(5)
    expect(rendered).toBeLessThan(80)
    await page.getByTestId('virtual-list').evaluate((el) => el.scrollTo(0, el.scrollHeight))
    await page.getByTestId('annotate-doc').getByText('Document number 5000 about Paris .').waitFor()
    expect(await page.getByTestId('annotate-doc').count()).toBeLessThan(80)
    await page.getByTestId('annotate-doc').getByText('Document number 4990 about', { exact: false }).click()
    await expect.poll(() => page.getByTestId('span-editor').textContent()).toBe('Document number 4990 about Paris .')
    // Narrow the queue: by text (case-insensitive), then by split; "clear filters" brings all back.
    await page.getByTestId('queue-text').fill('NUMBER 4999')
    await expect.poll(() => page.getByTestId('queue-count').textContent()).toContain('1 document matches')
    await expect.poll(() => page.getByTestId('annotate-doc').allTextContents()).toEqual([expect.stringContaining('Document number 4999 about Paris .')])
    await screenshot(page, '29-queue-filters')
    await page.getByTestId('queue-text').fill('')
    await page.getByTestId('queue-split').selectOption('train')
    await expect.poll(() => page.getByTestId('queue-count').textContent()).toContain('0 documents match')
    await page.getByRole('button', { name: 'clear filters' }).click()
    await expect.poll(() => page.getByTestId('queue-count').textContent()).toContain('5,000 documents')
    // A document opened from elsewhere (a link, the run page) is scrolled to in the list.
    const doc2501 = (await app.host.call('document.list', { projectId: p.id, offset: 2500, limit: 1 })).items[0]!.id
    await page.evaluate((path) => (location.hash = path), `#/annotate/${p.id}/${doc2501}`)
    await expect.poll(() => page.getByTestId('span-editor').textContent()).toBe('Document number 2501 about Paris .')
    await page.locator('[data-testid="annotate-doc"].current', { hasText: 'Document number 2501 about' }).waitFor()
    const row = await page.locator('[data-testid="annotate-doc"].current').boundingBox()
    const list = await page.getByTestId('virtual-list').boundingBox()
    expect(row!.y >= list!.y && row!.y + row!.height <= list!.y + list!.height).toBe(true)
    // Filters belong to a project's queue: switching project starts without them, at that project's first document.
    await page.getByTestId('queue-split').selectOption('train')
    await page.getByLabel('Project').selectOption(String(other.p.id))
    await expect.poll(() => page.getByTestId('span-editor').textContent()).toBe('The other project .')
    expect(await page.getByTestId('queue-count').textContent()).toContain('1 document')
    expect(await page.getByTestId('queue-split').inputValue()).toBe('')
    expect(errors).toEqual([])
    await page.close()
  })

  it('reviews done documents: in a queue narrowed to done ones, Done and Skip go on to the next one in it', async () => {
    const { p, docs } = await projectWith(app.host, ['First one .', 'Second one .', 'Third one .', 'Fourth, to do .'])
    for (const id of docs.slice(0, 3)) await app.host.call('annotation.save', { documentId: id, annotator: 'ana', spans: [], status: 'done', expectedVersion: 0 })
    const { page, errors } = await open(`/annotate/${p.id}/${docs[0]}`)
    await page.getByLabel('Filter by status').selectOption('done')
    await expect.poll(() => page.getByTestId('queue-count').textContent()).toContain('3 documents match')
    await page.keyboard.press('Control+Enter')
    await expect.poll(() => page.getByTestId('span-editor').textContent()).toBe('Second one .')
    // Skipping it takes it out of the queue; what comes next is still the one after it.
    await page.keyboard.press('Control+Shift+Enter')
    await expect.poll(() => page.getByTestId('span-editor').textContent()).toBe('Third one .')
    // The last one in the queue: Done stays and says why.
    await page.keyboard.press('Control+Enter')
    await page.getByText('This is the last document in this queue.').waitFor()
    expect(await page.getByTestId('span-editor').textContent()).toBe('Third one .')
    expect(errors).toEqual([])
    await page.close()
  })

  it('opens a 20,000-character one-paragraph document with 500 spans in sections, and labels a word at its end', async () => {
    const words = 'Ada Lovelace wrote notes on the Analytical Engine in London while Babbage built it.'.split(' ')
    let text = ''
    const spans: [number, number, string][] = []
    for (let i = 0; text.length < 20_000; i++) {
      const w = words[i % words.length]!
      if (i % 6 === 0 && spans.length < 500) spans.push([text.length, text.length + w.length, 'PER'])
      text += w + ' '
    }
    text = text.slice(0, 20_000)
    const kept = spans.filter(([, e]) => e <= text.length)
    const p = await app.host.call('project.create', { name: 'Long one', labels: [{ name: 'PER' }, { name: 'LOC' }] })
    const file = join(mkdtempSync(join(tmpdir(), 'tagtune-e2e-')), 'long.jsonl')
    writeFileSync(file, JSON.stringify({ text, label: kept }) + '\n')
    await app.host.call('dataset.import', { projectId: p.id, files: [{ path: file }] })
    const doc = (await app.host.call('document.list', { projectId: p.id })).items[0]!.id
    const { page, errors } = await open(`/annotate/${p.id}/${doc}`)
    await page.locator('[data-testid="span-editor"][data-complete="true"]').waitFor()
    // Every span and every character is there, once: the sections add nothing to the text.
    expect(await page.getByTestId('span-tag').count()).toBe(kept.length)
    expect((await page.locator('[data-testid="span-editor"] [data-o]').allTextContents()).join('')).toBe(text)
    // The paragraph is shown in sections of about 1,000 characters, each but the last marked as going on.
    const sections = await page.locator('[data-testid="span-editor"] > .para').count()
    expect(sections).toBeGreaterThanOrEqual(12)
    expect(await page.locator('[data-testid="span-editor"] > .para.continues').count()).toBe(sections - 1)
    // Label "London" near the end by mouse and key.
    const at = text.lastIndexOf('London')
    await selectText(page, at, at + 'London'.length)
    await page.keyboard.press('2')
    const loc = p.labels[1]!.id
    await expect.poll(async () => (await saved(app.host, doc, 'ana'))?.spans.length, { timeout: 3000 }).toBe(kept.length + 1)
    expect((await saved(app.host, doc, 'ana'))!.spans).toContainEqual([at, at + 6, loc])
    // From the top of the document, Shift+Tab goes to the span before "London" and scrolls it into view.
    await page.getByTestId('span-editor').evaluate((el) => el.closest('.main')!.scrollTo(0, 0))
    await page.keyboard.press('Shift+Tab')
    const previous = kept.filter(([start]) => start < at).at(-1)!
    const chosen = page.locator('[data-testid="span-editor"] .piece.chosen').first()
    await expect.poll(() => chosen.getAttribute('data-o')).toBe(String(previous[0]))
    await expect.poll(async () => {
      const box = await chosen.boundingBox()
      return box !== null && box.y >= 0 && box.y + box.height <= 820
    }).toBe(true)
    expect(await page.getByTestId('span-editor').evaluate((el) => el.closest('.main')!.scrollTop)).toBeGreaterThan(5000)
    // The span's bar stays in view at the bottom of the window, not after the whole document.
    const bar = await page.getByTestId('span-bar').boundingBox()
    expect(bar !== null && bar.y + bar.height <= 820).toBe(true)
    await page.locator('[data-testid="span-tag"]', { hasText: 'LOC' }).evaluate((el) => el.scrollIntoView({ block: 'center' }))
    await screenshot(page, '28-long-document-end')
    await page.getByTestId('span-editor').evaluate((el) => el.closest('.main')!.scrollTo(0, 0))
    // Paragraphs out of view are not painted: they are painted in the frame after they come into view.
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))))
    await screenshot(page, '28-long-document')
    expect(errors).toEqual([])
    await page.close()
  })

  it('shows agreement between annotators and lets a reviewer adjudicate a disagreement', async () => {
    const { p, docs, per, loc } = await projectWith(app.host, ['Ada met Bob in Paris .', 'Rome .'])
    const save = (documentId: number, annotator: string, spans: [number, number, number][]) =>
      app.host.call('annotation.save', { documentId, annotator, spans, status: 'done', expectedVersion: 0 })
    await save(docs[0]!, 'ana', [[0, 3, per], [15, 20, loc]])
    await save(docs[0]!, 'bo', [[0, 3, per], [8, 11, per]])
    await save(docs[1]!, 'ana', [[0, 4, loc]])
    await save(docs[1]!, 'bo', [[0, 4, loc]])
    const { page, errors } = await open(`/annotate/${p.id}/${docs[0]}`, 'rev')
    await page.getByTestId('open-agreement').click()
    await page.getByTestId('agreement-pairs').getByText('ana · bo').waitFor()
    await page.getByTestId('agreement-pairs').getByText('66.7%').waitFor()
    await page.getByTestId('disagreement').first().click()
    const panel = page.getByTestId('adjudication')
    await panel.getByText('Keep these spans').waitFor()
    // Ada (both) is kept by default; Bob and Paris (one each) are not: the reviewer keeps Paris.
    expect(await panel.locator('input[type=checkbox]').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).checked))).toEqual([true, false, false])
    await panel.locator('input[type=checkbox]').nth(2).check()
    await screenshot(page, '27-adjudication')
    await page.getByTestId('save-review').click()
    await page.getByTestId('review-message').waitFor()
    const reviewed = (await app.host.call('document.get', { id: docs[0]! })).annotations.find((a) => a.annotator === 'rev')
    expect(reviewed).toMatchObject({ status: 'done', spans: [[0, 3, per], [15, 20, loc]] })
    // The reviewed annotation is what the dataset now shows for the document.
    expect((await app.host.call('document.list', { projectId: p.id })).items[0]!.spans).toEqual([[0, 3, per], [15, 20, loc]])
    expect(errors).toEqual([])
    await page.close()
  })
})
