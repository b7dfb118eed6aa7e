// Killing the app mid-edit loses at most the last second: the host runs as its own process
// (`tagtune serve`), a page makes a burst of edits, the host is killed with SIGKILL during the
// burst, and the store must hold every edit made more than a second before the kill.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createHost } from '../../src-main/host/create-host'
import { chromiumAvailable, launch, screenshot } from './browser'
import { selectText } from './editor'

const ROOT = resolve(import.meta.dirname, '../..')
const WORDS = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon'.split(' ')

function startServer(dataDir: string, port = 0): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/tagtune.js'), 'serve', '--port', String(port), '--data-dir', dataDir, '--json', '--backend', 'cpu'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      try {
        resolvePromise({ child, url: (JSON.parse(out) as { url: string }).url })
      } catch {
        // not all of it yet
      }
    })
    child.once('exit', (code) => reject(new Error(`tagtune serve exited early (${code}): ${out}`)))
    setTimeout(() => reject(new Error(`tagtune serve did not start: ${out}`)), 20_000)
  })
}

describe.skipIf(!chromiumAvailable)('Killing the host during a burst of edits', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tagtune-kill-'))
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it('loses at most the last second of work', async () => {
    // Prepare a project with one document of 20 words.
    const setup = createHost({ dataDir, kind: 'cli', backend: 'cpu' })
    const p = await setup.call('project.create', { name: 'Kill test', labels: [{ name: 'TERM' }] })
    const file = join(dataDir, 'doc.txt')
    writeFileSync(file, WORDS.join(' ') + '\n')
    await setup.call('dataset.import', { projectId: p.id, files: [{ path: file }] })
    const [doc] = (await setup.call('document.list', { projectId: p.id })).items
    setup.close()

    const { child, url } = await startServer(dataDir)
    let restarted: { child: ChildProcess } | undefined
    const browser = await launch()
    try {
      const page = await browser.newPage()
      await page.goto(`${url}#/annotate/${p.id}/${doc!.id}`)
      await page.getByTestId('annotator-name').fill('ana')
      await page.getByTestId('annotator-save').click()
      await page.getByTestId('span-editor').waitFor()

      // Label one word every 120 ms, and kill the host after the 16th edit.
      const edits: { at: number; span: [number, number] }[] = []
      let offset = 0
      const starts = WORDS.map((w) => {
        const s = offset
        offset += w.length + 1
        return [s, s + w.length] as [number, number]
      })
      let killedAt = 0
      for (let i = 0; i < 16; i++) {
        await selectText(page, starts[i]![0], starts[i]![1])
        await page.keyboard.press('1')
        edits.push({ at: Date.now(), span: starts[i]! })
        await page.waitForTimeout(120)
      }
      child.kill('SIGKILL')
      killedAt = Date.now()
      await new Promise((r) => child.once('exit', r))
      await screenshot(page, '24-after-kill')

      const after = createHost({ dataDir, kind: 'cli', backend: 'cpu' })
      const saved = (await after.call('document.get', { id: doc!.id })).annotations.find((a) => a.annotator === 'ana')
      after.close()
      const savedStarts = new Set((saved?.spans ?? []).map((s) => s[0]))
      const mustHave = edits.filter((e) => e.at < killedAt - 1000)
      expect(mustHave.length).toBeGreaterThan(5)
      const lost = mustHave.filter((e) => !savedStarts.has(e.span[0]))
      expect(lost, `edits older than 1 s before the kill that were not saved: ${JSON.stringify(lost)}`).toEqual([])
      // And nothing was saved that the user did not do.
      for (const s of saved?.spans ?? []) expect(edits.some((e) => e.span[0] === s[0] && e.span[1] === s[1])).toBe(true)

      // When the host is back on the same address, the page reconnects and saves the rest.
      restarted = await startServer(dataDir, Number(new URL(url).port))
      await expect.poll(() => page.getByTestId('save-state').textContent(), { timeout: 20_000 }).toBe('Saved')
      const check = createHost({ dataDir, kind: 'cli', backend: 'cpu' })
      const final = (await check.call('document.get', { id: doc!.id })).annotations.find((a) => a.annotator === 'ana')
      check.close()
      expect(final?.spans.map((s) => s[0])).toEqual(edits.map((e) => e.span[0]))
    } finally {
      await browser.close()
      if (child.exitCode === null) child.kill('SIGKILL')
      restarted?.child.kill('SIGKILL')
    }
  }, 90_000)
})
