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
import { selectInEditor } from '../tests/e2e/editor'

const ROOT = resolve(import.meta.dirname, '..')
const DOCS = 100_000
/** Page loads timed per first-render figure (the median is reported), and labelling keypresses per keypress figure. */
const LOADS = 7
const KEYS = 100
const dir = mkdtempSync(join(tmpdir(), 'tagtune-bench-annotate-'))
const host = createHost({ dataDir: dir, kind: 'server', backend: 'cpu', warmBackend: true })

interface TraceEvent {
  name: string
  ph: string
  ts: number
  dur?: number
  /** Thread (CPU) time, microseconds. */
  tdur?: number
  pid: number
  tid: number
  args?: { data?: { type?: string } }
}

/** Per keydown in the trace: the handler's CPU time, and that plus the next main frame's. */
function ownWork(events: TraceEvent[]): { handler: number[]; total: number[] } {
  const keys = events.filter((e) => e.name === 'EventDispatch' && e.args?.data?.type === 'keydown' && e.tdur !== undefined).sort((a, b) => a.ts - b.ts)
  const frames = events.filter((e) => e.name === 'ProxyMain::BeginMainFrame' && e.ph === 'X' && e.tdur !== undefined).sort((a, b) => a.ts - b.ts)
  const handler: number[] = []
  const total: number[] = []
  for (const k of keys) {
    const f = frames.find((x) => x.pid === k.pid && x.tid === k.tid && x.ts >= k.ts + (k.dur ?? 0))
    handler.push(k.tdur! / 1000)
    total.push((k.tdur! + (f?.tdur ?? 0)) / 1000)
  }
  return { handler, total }
}

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
      // The long document's first screen (its first spans drawn), then all of it in the page.
      if (!w['__doc'] && document.querySelector('[data-testid="span-editor"] [data-testid="span-tag"]')) w['__doc'] = performance.now()
      if (!w['__docAll'] && document.querySelector('[data-testid="span-editor"][data-complete="true"]') && document.querySelectorAll('[data-testid="span-tag"]').length >= 400) w['__docAll'] = performance.now()
    }).observe(document, { childList: true, subtree: true })
  })
  // The first navigation of a fresh browser also pays for starting its renderer process:
  // reported apart from a navigation in a browser that is already running.
  await page.goto(`${server.url}#/annotate/${p.id}/${shortId}`)
  await page.waitForFunction(() => (window as unknown as Record<string, number>)['__list'])
  const coldListMs = await page.evaluate(() => (window as unknown as Record<string, number>)['__list']!)
  /** Open `url` in the running browser `LOADS` times (from a blank page, as the app opens a view); the marks' times after navigation. */
  const stamp = (k: string): Promise<number> => page.evaluate((key) => (window as unknown as Record<string, number>)[key]!, k)
  async function loads(url: string, until: string, marks: string[]): Promise<number[][]> {
    const out: number[][] = []
    for (let i = 0; i < LOADS; i++) {
      await page.goto('about:blank')
      await page.goto(url)
      await page.waitForFunction((key) => (window as unknown as Record<string, number>)[key], until, { timeout: 60_000 })
      out.push(await Promise.all(marks.map(stamp)))
    }
    return out
  }
  const listLoads = await loads(`${server.url}#/annotate/${p.id}/${shortId}`, '__list', ['__list'])
  // Scrolling the 100,000-document list: 400 px (about 13 rows) per frame for 150 frames, then
  // a jump to the middle. Frame intervals, and how long the jumped-to rows take to show.
  await page.goto('about:blank')
  await page.goto(`${server.url}#/annotate/${p.id}/${shortId}`)
  await page.waitForFunction(() => (window as unknown as Record<string, number>)['__list'])
  const scrolling = await page.evaluate(async () => {
    const el = document.querySelector<HTMLElement>('[data-testid="virtual-list"]')!
    const stamps: number[] = []
    await new Promise<void>((done) => {
      const step = (): void => {
        stamps.push(performance.now())
        if (stamps.length > 150) return done()
        el.scrollTop += 400
        requestAnimationFrame(step)
      }
      requestAnimationFrame(step)
    })
    const t0 = performance.now()
    el.scrollTop = el.scrollHeight / 2
    el.dispatchEvent(new Event('scroll'))
    // Rows still loading show their number and "…"; wait until every row in view has its text.
    await new Promise<void>((done) => {
      const check = (): void => {
        const rows = [...el.querySelectorAll('.row')].filter((r) => r.getBoundingClientRect().top < el.getBoundingClientRect().bottom && r.getBoundingClientRect().bottom > el.getBoundingClientRect().top)
        if (rows.length > 0 && rows.every((r) => r.querySelector('[data-testid="annotate-doc"]'))) done()
        else requestAnimationFrame(check)
      }
      check()
    })
    return { gaps: stamps.slice(1).map((t, i) => t - stamps[i]!), jumpMs: performance.now() - t0, top: el.scrollTop }
  })
  const docLoads = await loads(`${server.url}#/annotate/${p.id}/${longId}`, '__docAll', ['__doc', '__docAll'])
  const listMs = listLoads.map((x) => x[0]!)
  const docMs = docLoads.map((x) => x[0]!)
  const docAllMs = docLoads.map((x) => x[1]!)

  /**
   * Select [start, end) as a mouse drag would: the e2e tests' selection, sent with page.evaluate
   * rather than through Playwright's selector engine, which walks the whole page and leaves
   * garbage that the next keystroke's collector would be charged for.
   */
  const select = (start: number, end: number): Promise<void> => page.evaluate(selectInEditor, [start, end] as const)

  /**
   * Label 40 words by keyboard. For each: from the keydown to the next animation frame after the
   * new span is in the DOM (`frame`), and to the end of that frame's rendering work on the main
   * thread, style, layout and paint included (`painted`: a task posted from that frame runs after it).
   */
  async function keypressLatencies(first = 0): Promise<{ frame: number[]; painted: number[] }> {
    const frame: number[] = []
    const painted: number[] = []
    for (let i = 0; i < KEYS; i++) {
      const start = spans[i * 5 + first]![1] + 1 // the word after a labelled one is free
      const end = long.indexOf(' ', start)
      await select(start, end)
      // Let the selection's own frame finish, as it would between a real user's drag and key.
      await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0))))
      await page.evaluate(() => {
        const w = window as unknown as { __lat?: Promise<[number, number]> }
        const root = document.querySelector('[data-testid="span-editor"]')!
        w.__lat = new Promise((done) => {
          let t0 = 0
          addEventListener('keydown', () => (t0 = performance.now()), { capture: true, once: true })
          const isTag = (n: Node): boolean => n instanceof Element && (n.matches('[data-testid="span-tag"]') || !!n.querySelector('[data-testid="span-tag"]'))
          const mo = new MutationObserver((records) => {
            if (!records.some((r) => [...r.addedNodes].some(isTag))) return
            mo.disconnect()
            requestAnimationFrame(() => {
              const t1 = performance.now()
              const ch = new MessageChannel()
              ch.port1.onmessage = () => done([t1 - t0, performance.now() - t0])
              ch.port2.postMessage(null)
            })
          })
          mo.observe(root, { childList: true, subtree: true })
        })
      })
      await page.keyboard.press('1')
      const [f, p] = await page.evaluate(() => (window as unknown as { __lat: Promise<[number, number]> }).__lat)
      frame.push(f)
      painted.push(p)
    }
    return { frame, painted }
  }
  const singleParagraph = await keypressLatencies()
  await page.goto(`${server.url}#/annotate/${p.id}/${paragraphsId}`)
  await page.reload()
  await page.waitForFunction(() => document.querySelector('[data-testid="span-editor"][data-complete="true"]') && document.querySelectorAll('[data-testid="span-tag"]').length >= 400, undefined, { timeout: 60_000 })
  const inParagraphs = await keypressLatencies()
  // Tagtune's own work per keypress, apart from waiting for the frame and for the CPU: the main
  // thread's CPU time in the keydown handler and in the frame that draws the span (from a trace).
  await browser.startTracing(page, { categories: ['devtools.timeline', 'cc'] })
  await keypressLatencies(2)
  const trace = JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: TraceEvent[] }
  const own = ownWork(trace.traceEvents)
  await browser.close()
  await server.close()

  console.log(`\nAnnotation workspace in Chromium (${DOCS.toLocaleString()} documents imported in ${importS.toFixed(1)} s; a ${long.length.toLocaleString()}-character document with ${spans.length} spans)\n`)
  const range = (xs: number[]): string => `median ${pct(xs, 50).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)} over ${xs.length} loads)`
  console.log(`first render of the document list:      ${range(listMs)} after navigation   (target < 500 ms; ${coldListMs.toFixed(0)} ms in a just-started browser)`)
  console.log(`first render of the long document:      ${range(docMs)}   (target < 500 ms)`)
  console.log(`  all ${spans.length} spans in the page:       ${range(docAllMs)}`)
  const g = scrolling.gaps
  console.log(`scrolling the document list, 400 px a frame (n=${g.length} frames): frame interval median ${pct(g, 50).toFixed(1)} ms, p95 ${pct(g, 95).toFixed(1)} ms, longest ${Math.max(...g).toFixed(1)} ms`)
  console.log(`  a jump to document ${Math.round(scrolling.top / 30).toLocaleString()}: its rows show ${scrolling.jumpMs.toFixed(0)} ms later`)
  for (const [what, xs] of [['in paragraphs of ~600 characters', inParagraphs], ['as one 20,000-character paragraph', singleParagraph]] as const) {
    console.log(`label keypress, ${what} (n=${xs.frame.length}):`)
    console.log(`  -> next frame:          median ${pct(xs.frame, 50).toFixed(1)} ms, p95 ${pct(xs.frame, 95).toFixed(1)} ms   (target p95 < 16 ms)`)
    console.log(`  -> frame painted:       median ${pct(xs.painted, 50).toFixed(1)} ms, p95 ${pct(xs.painted, 95).toFixed(1)} ms   (style, layout and paint done on the main thread)`)
    const slowest = xs.painted.map((ms, i) => ({ ms, i })).sort((a, b) => b.ms - a.ms).slice(0, 4)
    console.log(`  slowest painted: ${slowest.map((x) => `#${x.i + 1} ${x.ms.toFixed(1)} ms`).join(', ')}`)
  }
  console.log(`Tagtune's own main-thread CPU time per label keypress (n=${own.handler.length}, from a trace):`)
  console.log(`  keydown handler:        median ${pct(own.handler, 50).toFixed(1)} ms, p95 ${pct(own.handler, 95).toFixed(1)} ms`)
  console.log(`  handler + its frame:    median ${pct(own.total, 50).toFixed(1)} ms, p95 ${pct(own.total, 95).toFixed(1)} ms   (the rest of the figures above is waiting: for the display's next frame, and for a CPU)`)
} finally {
  host.close()
  rmSync(dir, { recursive: true, force: true })
}
