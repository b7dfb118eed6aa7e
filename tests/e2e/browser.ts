/**
 * Launching Debian's Chromium for the e2e tests. In CI the browser is required: a missing one
 * fails the run instead of skipping the tests.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const chromiumAvailable = existsSync(CHROMIUM_PATH)
export const RENDERER_DIR = resolve(import.meta.dirname, '../../out/renderer')
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
