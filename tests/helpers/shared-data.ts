import { existsSync } from 'node:fs'
import { resolve } from 'node:path'

/** The real public datasets beside the checkout (../shared/data). Never copied into the repo. */
export const SHARED_DATA = resolve(import.meta.dirname, '../../../shared/data')

/**
 * True when the real datasets are there. In CI their absence is an error (the tests that need
 * them must run); elsewhere those tests are skipped with a message saying so.
 */
export function sharedDataAvailable(what: string): boolean {
  if (existsSync(SHARED_DATA)) return true
  if (process.env.CI) throw new Error(`${SHARED_DATA} is missing: CI requires ${what}`)
  console.warn(`Skipping ${what}: ${SHARED_DATA} not found (it holds the real datasets, beside the checkout)`)
  return false
}
