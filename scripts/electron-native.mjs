#!/usr/bin/env node
// Builds better-sqlite3 for Electron's ABI into native/electron-<version>-<platform>-<arch>/,
// leaving node_modules' own build (Node's ABI) untouched. The desktop app (`npm start`) and the
// packager load that copy; tests, the CLI and `npm run serve` keep using the Node build, so the
// two can be used one after the other without reinstalling.
//
//   node scripts/electron-native.mjs            build if missing
//   node scripts/electron-native.mjs --force    rebuild
//
// Needs the network once: @electron/rebuild fetches a prebuilt binary or Electron's headers.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

const root = join(import.meta.dirname, '..')
const require = createRequire(join(root, 'package.json'))
const force = process.argv.includes('--force')
const platform = process.env.TAGTUNE_TARGET_PLATFORM ?? process.platform
const arch = process.env.TAGTUNE_TARGET_ARCH ?? process.arch

const electronVersion = require('electron/package.json').version
const sqliteDir = dirname(require.resolve('better-sqlite3/package.json'))
const sqliteVersion = require('better-sqlite3/package.json').version
export const target = join(root, 'native', `electron-${electronVersion}-${platform}-${arch}`, 'better_sqlite3.node')

if (existsSync(target) && !force) {
  process.exit(0)
}

console.log(`Building better-sqlite3 ${sqliteVersion} for Electron ${electronVersion} (${platform}-${arch})…`)
const work = mkdtempSync(join(tmpdir(), 'tagtune-native-'))
try {
  const dest = join(work, 'node_modules', 'better-sqlite3')
  cpSync(sqliteDir, dest, { recursive: true, filter: (src) => !src.startsWith(join(sqliteDir, 'build')) })
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'tagtune-native', version: '0.0.0', dependencies: { 'better-sqlite3': sqliteVersion } }))
  // npm hands its config to scripts as npm_config_*; a `nodedir` there (this workplace's npmrc
  // sets one) would make node-gyp compile against Node's headers: the wrong ABI for Electron.
  for (const k of Object.keys(process.env)) if (/^npm_config_nodedir$/i.test(k)) delete process.env[k]
  const { rebuild } = await import('@electron/rebuild')
  await rebuild({ buildPath: work, electronVersion, platform, arch, onlyModules: ['better-sqlite3'], force: true })
  mkdirSync(dirname(target), { recursive: true })
  cpSync(join(dest, 'build', 'Release', 'better_sqlite3.node'), target)
  console.log(`Wrote ${target}`)
} catch (err) {
  console.error(`Could not build better-sqlite3 for Electron ${electronVersion}: ${err instanceof Error ? err.message : err}`)
  console.error('This step downloads a prebuilt binary or Electron\'s headers once, so it needs network access (a proxy is honoured).')
  process.exit(1)
} finally {
  rmSync(work, { recursive: true, force: true })
}
