/**
 * The built `tagtune` command (what users run: bin/tagtune.js over out/main) finds its trainer
 * process, and serves a run with serve-model: the in-process CLI tests run from source, where
 * the trainer is found another way.
 * `npm test` builds the app before the unit tests.
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTempDirs } from '../../helpers/temp-dir'
import { doccanoFile, TINY_BERT, toyDocuments } from '../../helpers/toy-ner'

const ROOT = join(import.meta.dirname, '../../..')
const tempDir = useTempDirs()

describe('the built tagtune command', () => {
  it('trains in its trainer process, then serves the run over HTTP', async () => {
    if (!existsSync(join(ROOT, 'out/main/cli.js'))) {
      if (process.env.CI) throw new Error('out/main/cli.js is missing: npm test builds the app first')
      console.warn('Skipping: the app is not built (npm run build)')
      return
    }
    const dir = tempDir()
    const run = (...args: string[]): string => execFileSync(process.execPath, [join(ROOT, 'bin/tagtune.js'), ...args, '--data-dir', dir], { encoding: 'utf8' })
    run('project', 'create', 'Toy', '--labels', 'PER,LOC')
    run('data', 'import', 'Toy', doccanoFile(join(dir, 'train.jsonl'), toyDocuments(16, 1)), '--split', 'train')
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ model: TINY_BERT, maxSteps: 2, batchSize: 8, maxLength: 32 }))
    const result = JSON.parse(run('train', 'Toy', '--config', join(dir, 'run.json'), '--backend', 'wasm', '--json').trim().split('\n').at(-1)!)
    expect(result).toMatchObject({ status: 'completed', error: null })

    // serve-model serves the run from the CLI process until Ctrl-C.
    const server = spawn(process.execPath, [join(ROOT, 'bin/tagtune.js'), 'serve-model', String(result.runId), '--port', '0', '--json', '--backend', 'wasm', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = new Promise<number | null>((r) => server.on('exit', (code) => r(code)))
    const info = await new Promise<{ endpoint: string }>((resolve, reject) => {
      let out = ''
      server.stdout.on('data', (d: Buffer) => {
        out += d.toString('utf8')
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!))
      })
      void exited.then((code) => reject(new Error(`serve-model exited with ${code}`)))
    })
    const answer = await fetch(info.endpoint, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ texts: ['mary visited london'] }) })
    expect(answer.status).toBe(200)
    server.kill('SIGINT')
    expect(await exited).toBe(0)
  })
})
