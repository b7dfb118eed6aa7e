#!/usr/bin/env node
// `npm test`: build, typecheck, then every vitest project (unit + e2e in Chromium), and a
// closing line `N passed, N failed` that CI reads. A failed build or typecheck counts as a failure.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const bin = (name) => join(root, 'node_modules', '.bin', name)
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env }).status ?? 1

let passed = 0
let failed = 0
const step = (title, ok) => {
  console.log(`${ok ? '✓' : '✗'} ${title}`)
  if (ok) passed++
  else failed++
  return ok
}

const built = step('build (electron-vite)', run(bin('electron-vite'), ['build', '--logLevel', 'warn']) === 0)
step('typecheck (tsc + vue-tsc)', run('npm', ['run', '--silent', 'typecheck']) === 0)

const report = join(root, 'test-results', 'vitest.json')
mkdirSync(join(root, 'test-results'), { recursive: true })
rmSync(report, { force: true })
const projects = built ? [] : ['--project', 'unit'] // without a build the e2e tests cannot run; their absence is a failure above
const code = run(bin('vitest'), ['run', ...projects, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)])
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'))
  passed += r.numPassedTests
  // A test file that fails to load has no failed test in it, but is a failure all the same.
  const brokenFiles = (r.testResults ?? []).filter((f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed')).length
  failed += r.numFailedTests + brokenFiles
  const skipped = r.numPendingTests + (r.numTodoTests ?? 0)
  if (skipped) console.log(`(${skipped} test(s) skipped: see the messages above for why)`)
} else {
  failed++
}
if (code !== 0 && failed === 0) failed++
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
