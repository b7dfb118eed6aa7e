// electron-builder afterPack hook: put the Electron-ABI build of better-sqlite3 (made by
// scripts/electron-native.mjs) into the packaged app, where node_modules had the Node build.
const { copyFileSync, existsSync } = require('node:fs')
const { join } = require('node:path')

const ARCH = { 0: 'ia32', 1: 'x64', 2: 'armv7l', 3: 'arm64', 4: 'universal' }

exports.default = async function afterPack(context) {
  const platform = context.electronPlatformName
  const arch = ARCH[context.arch] ?? String(context.arch)
  const version = context.packager.config.electronVersion ?? require('electron/package.json').version
  const root = context.packager.projectDir
  const nativeDir = process.env.TAGTUNE_NATIVE_DIR ?? join(root, 'native')
  const source = join(nativeDir, `electron-${version}-${platform}-${arch}`, 'better_sqlite3.node')
  if (!existsSync(source)) {
    throw new Error(`Missing ${source}. Run \`npm run rebuild:electron\` on a ${platform}-${arch} machine first.`)
  }
  const resources = platform === 'darwin' ? join(context.appOutDir, `${context.packager.appInfo.productFilename}.app`, 'Contents', 'Resources') : join(context.appOutDir, 'resources')
  const dest = join(resources, 'app.asar.unpacked', 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')
  copyFileSync(source, dest)
  console.log(`  • tagtune: placed the Electron build of better-sqlite3 at ${dest}`)
}
