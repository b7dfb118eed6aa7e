/**
 * Annotation workspace speed in a real Chromium: a 100,000-document project and a
 * 20,000-character document with 500 spans. Prints the time to first render of the document
 * list and of the long document, and keypress-to-paint latency when labelling in it.
 *
 *   npm run bench:annotate
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium } from 'playwright-core'
import { createHost } from '../src-main/host/create-host'
import { startServer } from '../src-main/host/ws-server'
import { selectText } from '../tests/e2e/editor'

const ROOT = resolve(import.meta.dirname, '..')
const DOCS = 100_000
const dir = mkdtempSync(join(tmpdir(), 'tagtune-bench-annotate-'))
const host = createHost({ dataDir: dir, kind: 'server', backend: 'cpu', warmBackend: true })

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!
}

try {
  const p = await host.call('project.create', { name: 'Bench', labels: ['PER', 'ORG', 'LOC', 'MISC'].map((name) => ({ name })) })
  // 1 long document first, then 100,000 short ones.
  const words = 'the quick brown fox jumps over lazy dogs near river banks while people watch'.split(' ')
  let long = ''
  const spans: [number, number, string][] = []
  for (let i = 0; long.length < 20_000; i++) {
    const w = words[i % words.length]!
    if (i % 6 === 0 && spans.length < 500) spans.push([long.length, long.length + w.length, 'ORG'])
    long += w + ' '
  }
  long = long.slice(0, 20_000)
  // The same text in paragraphs of about 600 characters (a real long document), same spans.
  const paragraphs = long.replace(/ /g, (m, at: number) => (at % 600 > 594 ? '\n' : m))
  const jsonl = join(dir, 'long.jsonl')
  const kept = spans.filter(([, e]) => e <= long.length)
  writeFileSync(jsonl, JSON.stringify({ text: long, label: kept }) + '\n' + JSON.stringify({ text: paragraphs, label: kept }) + '\n')
  await host.call('dataset.import', { projectId: p.id, files: [{ path: jsonl }] })
  const txt = join(dir, 'many.txt')
  writeFileSync(txt, Array.from({ length: DOCS }, (_, i) => `Document ${i + 1}: ${words[i % words.length]} ${words[(i * 7) % words.length]} in Paris.`).join('\n') + '\n')
  let t = performance.now()
  await host.call('dataset.import', { projectId: p.id, files: [{ path: txt }] })
  const importS = (performance.now() - t) / 1000
  const first = (await host.call('document.list', { projectId: p.id, limit: 3 })).items
  const longId = first[0]!.id
  const paragraphsId = first[1]!.id
  const shortId = first[2]!.id

  const server = await startServer({ host, staticDir: join(ROOT, 'out/renderer'), port: 0 })
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-dev-shm-usage'],
  })
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  // tsx (esbuild) wraps functions in a __name() helper; the functions sent to the page need it too.
  await page.addInitScript('window.__name = (f) => f')
  // Timestamps (ms since navigation) of the first list row and of the long document's 500 spans.
  await page.addInitScript(() => {
    localStorage.setItem('tagtune.annotator', 'bench')
    const w = window as unknown as Record<string, number>
    new MutationObserver(() => {
      if (!w['__list'] && document.querySelector('[data-testid="annotate-doc"]')) w['__list'] = performance.now()
      if (!w['__doc'] && document.querySelectorAll('[data-testid="span-tag"]').length >= 400) w['__doc'] = performance.now()
    }).observe(document, { childList: true, subtree: true })
  })
  // The first navigation of a fresh browser also pays for starting its renderer process:
  // reported apart from a navigation in a browser that is already running.
  await page.goto(`${server.url}#/annotate/${p.id}/${shortId}`)
  await page.waitForFunction(() => (window as unknown as Record<string, number>)['__list'])
  const coldListMs = await page.evaluate(() => (window as unknown as Record<string, number>)['__list']!)
  await page.goto('about:blank')
  await page.goto(`${server.url}#/annotate/${p.id}/${shortId}`)
  await page.waitForFunction(() => (window as unknown as Record<string, number>)['__list'])
  const listMs = await page.evaluate(() => (window as unknown as Record<string, number>)['__list']!)
  await page.goto(`${server.url}#/annotate/${p.id}/${longId}`)
  await page.reload()
  await page.waitForFunction(() => (window as unknown as Record<string, number>)['__doc'], undefined, { timeout: 60_000 })
  const docMs = await page.evaluate(() => (window as unknown as Record<string, number>)['__doc']!)

  async function keypressLatencies(): Promise<number[]> {
    const latencies: number[] = []
    // Keypress -> the new span painted: keydown time to the animation frame after the DOM shows it.
    for (let i = 0; i < 40; i++) {
      const start = spans[i * 10]![1] + 1 // the word after a labelled one is free
      const end = long.indexOf(' ', start)
      await selectText(page, start, end)
      // Arm the measurement: keydown time to the animation frame after the new span is in the DOM.
      await page.getByTestId('span-editor').evaluate((root) => {
        const w = window as unknown as { __lat?: Promise<number> }
        const before = root.querySelectorAll('[data-testid="span-tag"]').length
        w.__lat = new Promise((done) => {
          let t0 = 0
          addEventListener('keydown', () => (t0 = performance.now()), { capture: true, once: true })
          const mo = new MutationObserver(() => {
            if (root.querySelectorAll('[data-testid="span-tag"]').length > before) {
              mo.disconnect()
              requestAnimationFrame(() => done(performance.now() - t0))
            }
          })
          mo.observe(root, { childList: true, subtree: true })
        })
      })
      await page.keyboard.press('1')
      latencies.push(await page.evaluate(() => (window as unknown as { __lat: Promise<number> }).__lat))
    }

    return latencies
  }
  const singleParagraph = await keypressLatencies()
  await page.goto(`${server.url}#/annotate/${p.id}/${paragraphsId}`)
  await page.reload()
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="span-tag"]').length >= 400, undefined, { timeout: 60_000 })
  const inParagraphs = await keypressLatencies()
  await browser.close()
  await server.close()

  console.log(`\nAnnotation workspace in Chromium (${DOCS.toLocaleString()} documents imported in ${importS.toFixed(1)} s; a ${long.length.toLocaleString()}-character document with ${spans.length} spans)\n`)
  console.log(`first render of the document list:      ${listMs.toFixed(0)} ms after navigation   (target < 500 ms; ${coldListMs.toFixed(0)} ms in a just-started browser)`)
  console.log(`first render of the long document:      ${docMs.toFixed(0)} ms after navigation   (target < 500 ms)`)
  for (const [what, xs] of [['in paragraphs of ~600 characters', inParagraphs], ['as one 20,000-character paragraph', singleParagraph]] as const) {
    console.log(`label keypress -> span painted, ${what} (n=${xs.length}): median ${pct(xs, 50).toFixed(1)} ms, p95 ${pct(xs, 95).toFixed(1)} ms   (target p95 < 16 ms)`)
    const slowest = xs.map((ms, i) => ({ ms, i })).sort((a, b) => b.ms - a.ms).slice(0, 4)
    console.log(`  slowest: ${slowest.map((x) => `#${x.i + 1} ${x.ms.toFixed(1)} ms`).join(', ')}`)
  }
} finally {
  host.close()
  rmSync(dir, { recursive: true, force: true })
}
