#!/usr/bin/env node
// The `tagtune` command: runs the built CLI (out/main/cli.js). Build it with `npm run build`.
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const cli = fileURLToPath(new URL('../out/main/cli.js', import.meta.url))
if (!existsSync(cli)) {
  process.stderr.write('tagtune: the app is not built yet. Run `npm run build` first.\n')
  process.exit(1)
}
await import(pathToFileURL(cli).href)
