// The packaging configuration, checked as far as this machine allows: electron-builder cannot
// download Electron here, so it packs against a stand-in Electron binary. That is enough to
// prove what goes into app.asar, what is unpacked, and that the Electron build of
// better-sqlite3 replaces the Node one in the package (the afterPack hook).
import { execFile } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { useTempDirs } from '../helpers/temp-dir'

const root = resolve(import.meta.dirname, '../..')
const require = createRequire(import.meta.url)
const tempDir = useTempDirs()
const run = promisify(execFile)
const electronVersion = (require('electron/package.json') as { version: string }).version

async function pack(nativeDir: string): Promise<{ out: string; ok: boolean; log: string }> {
  if (!existsSync(join(root, 'out/main/index.js'))) throw new Error('Build the app first (`npm run build`; `npm test` does it).')
  const fake = tempDir()
  writeFileSync(join(fake, 'electron'), '#!/bin/sh\necho stand-in\n')
  chmodSync(join(fake, 'electron'), 0o755)
  const out = tempDir()
  const args = ['--config', 'build/electron-builder.yml', '--dir', '--linux', '--x64', `-c.electronDist=${fake}`, `-c.directories.output=${out}`]
  try {
    const r = await run(join(root, 'node_modules/.bin/electron-builder'), args, { cwd: root, env: { ...process.env, TAGTUNE_NATIVE_DIR: nativeDir }, maxBuffer: 1 << 24 })
    return { out, ok: true, log: r.stdout + r.stderr }
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string }
    return { out, ok: false, log: `${e.stdout ?? ''}${e.stderr ?? ''}` }
  }
}

describe('electron-builder configuration', () => {
  it('packs the built app, unpacks native modules and puts the Electron build of better-sqlite3 in place', async () => {
    const nativeDir = tempDir()
    const target = join(nativeDir, `electron-${electronVersion}-linux-x64`)
    mkdirSync(target)
    writeFileSync(join(target, 'better_sqlite3.node'), 'electron-abi-build')
    const { out, ok, log } = await pack(nativeDir)
    expect(ok, log).toBe(true)
    const resources = join(out, 'linux-unpacked', 'resources')
    const asar = require('@electron/asar') as { listPackage(p: string): string[] }
    const files = asar.listPackage(join(resources, 'app.asar')).map((f) => f.replaceAll('\\', '/'))
    for (const f of ['/package.json', '/out/main/index.js', '/out/main/cli.js', '/out/preload/index.cjs', '/out/renderer/index.html']) expect(files).toContain(f)
    // Renderer libraries are bundled into out/renderer; they must not be shipped twice.
    expect(files.filter((f) => /^\/node_modules\/(vue|pinia|echarts|electron|vitest|playwright-core)\//.test(f))).toEqual([])
    expect(files.some((f) => f.startsWith('/node_modules/@tensorflow/tfjs/'))).toBe(true)
    const unpacked = join(resources, 'app.asar.unpacked', 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')
    expect(readFileSync(unpacked, 'utf8')).toBe('electron-abi-build')
    // The checkout's own Node build is untouched.
    expect(readFileSync(join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')).subarray(0, 4).toString('latin1')).toBe('\x7fELF')
  }, 180_000)

  it('refuses to package without the Electron build of better-sqlite3, saying how to make it', async () => {
    const { ok, log } = await pack(tempDir())
    expect(ok).toBe(false)
    expect(log).toContain('npm run rebuild:electron')
  }, 180_000)
})
