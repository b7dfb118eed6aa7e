/** Entry of the `tagtune` command (bin/tagtune.js loads the built copy of this file). */
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCli } from './main'

const here = dirname(fileURLToPath(import.meta.url))

const code = await runCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  staticDir: process.env.TAGTUNE_RENDERER_DIR ?? resolve(here, '../renderer'),
  resourcesDir: process.env.TAGTUNE_RESOURCES_DIR ?? resolve(here, '../../resources'),
  untilStopped: () =>
    new Promise<void>((done) => {
      process.once('SIGINT', () => done())
      process.once('SIGTERM', () => done())
    }),
})
process.exitCode = code
