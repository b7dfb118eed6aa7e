/** `tagtune models …`: import, list, download (with its progress bar) and delete, as text and JSON. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runCli } from '../../../src-main/cli/main'
import { useTempDirs } from '../../helpers/temp-dir'
import { startHub, type FakeHub } from '../services/models/fake-hub'
import { MALFORMED, TINY_BERT, tinyParameterCount } from '../services/models/folders'

const tempDir = useTempDirs()
const RESOURCES = join(import.meta.dirname, '../../../resources')
const hubs: FakeHub[] = []
afterEach(async () => {
  for (const h of hubs.splice(0)) await h.close()
})

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await runCli(args, { stdout: (t) => (out += t), stderr: (t) => (err += t), env: { ...env }, staticDir: tempDir(), resourcesDir: RESOURCES })
  return { code, out, err }
}

describe('tagtune models', () => {
  it('imports a folder, lists it with its parameter count, and deletes it', async () => {
    const dir = tempDir()
    const empty = await cli(['models', 'list', '--data-dir', dir])
    expect(empty.out).toContain('The library is empty')

    const imported = await cli(['models', 'import', TINY_BERT, '--name', 'Tiny', '--data-dir', dir])
    expect(imported.code).toBe(0)
    expect(imported.out).toContain(`Checked ${TINY_BERT}: BertForTokenClassification, 2 layers, hidden 32, 4 heads`)
    expect(imported.out).toContain(`Added model #1 "Tiny": train from it with --model ${join(dir, 'models', '1', 'Tiny')}\n`)

    const list = await cli(['models', 'list', '--data-dir', dir])
    const line = list.out.split('\n')[1]!
    expect(line).toMatch(/^ {5}1 {2}Tiny +/)
    const params = tinyParameterCount()
    expect(line).toContain(`${(params / 1000).toFixed(1)}K`)
    expect(line).toContain('uncased')
    expect(line).toContain(`${TINY_BERT} (copied)`)
    const json = JSON.parse((await cli(['models', 'list', '--json', '--data-dir', dir])).out)
    expect(json).toMatchObject([{ id: '1', name: 'Tiny', info: { parameters: params } }])

    const del = await cli(['models', 'delete', '1', '--data-dir', dir])
    expect(del.out).toContain('Deleted model #1 "Tiny" and its folder')
    expect(JSON.parse((await cli(['models', 'list', '--json', '--data-dir', dir])).out)).toEqual([])
  })

  it('reports a malformed folder with the file named and exit code 1', async () => {
    const dir = tempDir()
    const bad = MALFORMED.find((v) => v.name === 'a tensor of the wrong shape')!
    const folder = bad.make(tempDir())
    const r = await cli(['models', 'import', folder, '--link', '--data-dir', dir, '--json'])
    expect(r.code).toBe(1)
    expect(JSON.parse(r.err).error).toMatchObject({ code: 'INVALID_FILE', details: { file: join(folder, 'model.safetensors') } })
    const text = await cli(['models', 'import', folder, '--data-dir', dir])
    expect(text.err).toContain('encoder.layer.1.intermediate.dense.weight: expected [64, 32], found [32, 32]')
  })

  it('downloads from the hub that $HF_ENDPOINT names, drawing a progress bar on stderr', async () => {
    const read = (f: string): Buffer => readFileSync(join(TINY_BERT, f))
    const h = await startHub({ repos: { 'org/tiny': { sha: 'abc', files: { 'config.json': read('config.json'), 'vocab.txt': read('vocab.txt'), 'model.safetensors': read('model.safetensors') }, lfs: ['model.safetensors'] } } })
    hubs.push(h)
    const dir = tempDir()
    const r = await cli(['models', 'download', 'org/tiny', '--data-dir', dir], { HF_ENDPOINT: h.url, HF_TOKEN: 'hf_env' })
    expect(r.code).toBe(0)
    expect(r.err).toContain('[#########################] 100%  model.safetensors')
    expect(r.err).toContain('(file 3/3)')
    expect(r.out).toContain('Downloaded config.json, vocab.txt, model.safetensors')
    expect(r.out).toContain('Added model #1 "org/tiny"')
    expect(h.requests.filter((x) => !x.path.startsWith('/cdn/')).every((x) => x.authorization === 'Bearer hf_env')).toBe(true)

    const missing = await cli(['models', 'download', 'org/none', '--endpoint', h.url, '--data-dir', dir, '--json'])
    expect(missing.code).toBe(1)
    expect(missing.out).toBe('')
    expect(JSON.parse(missing.err).error.code).toBe('NOT_FOUND')
  })

  it('answers usage errors with exit code 2', async () => {
    for (const args of [['models'], ['models', 'frob'], ['models', 'import'], ['models', 'import', 'a', 'b'], ['models', 'download'], ['models', 'delete']]) {
      const r = await cli([...args, '--data-dir', tempDir()])
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.err).toContain('Usage: tagtune')
    }
  })
})
