/**
 * The built `tagtune` command (what users run: bin/tagtune.js over out/main) finds its trainer
 * process: the in-process CLI tests run from source, where the trainer is found another way.
 * `npm test` builds the app before the unit tests.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTempDirs } from '../../helpers/temp-dir'
import { doccanoFile, TINY_BERT, toyDocuments } from '../../helpers/toy-ner'

const ROOT = join(import.meta.dirname, '../../..')
const tempDir = useTempDirs()

describe('the built tagtune command', () => {
  it('trains in its trainer process', () => {
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
  })
})
