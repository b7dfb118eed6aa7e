/**
 * Launching Debian's Chromium for the e2e tests. In CI the browser is required: a missing one
 * fails the run instead of skipping the tests.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { createHost, type Host } from '../../src-main/host/create-host'
import { startServer, type RunningServer } from '../../src-main/host/ws-server'

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const chromiumAvailable = existsSync(CHROMIUM_PATH)
export const RENDERER_DIR = resolve(import.meta.dirname, '../../out/renderer')
export const RESOURCES_DIR = resolve(import.meta.dirname, '../../resources')
export const SCREENSHOT_DIR = resolve(import.meta.dirname, '../../test-results/e2e')

if (!chromiumAvailable) {
  const msg = `Chromium not found at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\` or set CHROMIUM_PATH.`
  if (process.env.CI) throw new Error(`${msg} CI requires the e2e tests.`)
  console.warn(`e2e tests skipped. ${msg}`)
}
if (!existsSync(join(RENDERER_DIR, 'index.html'))) {
  throw new Error(`The renderer is not built (${RENDERER_DIR}). Run \`npm run build\` first; \`npm test\` does it for you.`)
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  })
}

/** Collects uncaught page errors and console errors (CSP violations show up there). */
export function watchErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`)
  })
  return errors
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  const file = join(SCREENSHOT_DIR, `${name}.png`)
  await page.screenshot({ path: file, fullPage: false })
  return file
}

export interface AppUnderTest {
  dataDir: string
  host: Host
  server: RunningServer
  browser: Browser
}

/**
 * For a describe block: a fresh data dir, the real host served as `tagtune serve` does, and a
 * Chromium, all torn down afterwards. Read the fields inside tests (they are set in beforeAll).
 */
export function useServedApp(options: { token?: string; users?: Record<string, string> } = {}): AppUnderTest {
  const app = {} as AppUnderTest
  beforeAll(async () => {
    app.dataDir = mkdtempSync(join(tmpdir(), 'tagtune-e2e-'))
    app.host = createHost({ dataDir: app.dataDir, kind: 'server', resourcesDir: RESOURCES_DIR })
    app.server = await startServer({ host: app.host, staticDir: RENDERER_DIR, hostname: '127.0.0.1', port: 0, ...options })
    app.browser = await launch()
  })
  afterAll(async () => {
    await app.browser?.close()
    await app.server?.close()
    app.host?.close()
    if (app.dataDir) rmSync(app.dataDir, { recursive: true, force: true })
  })
  return app
}
