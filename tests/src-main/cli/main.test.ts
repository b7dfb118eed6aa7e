import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { runCli } from '../../../src-main/cli/main'
import { useTempDirs } from '../../helpers/temp-dir'

const tempDir = useTempDirs()
const RESOURCES = join(import.meta.dirname, '../../../resources')

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await runCli(args, { stdout: (t) => (out += t), stderr: (t) => (err += t), env: { ...env }, staticDir: tempDir(), resourcesDir: RESOURCES })
  return { code, out, err }
}

describe('tagtune CLI', () => {
  it('creates, lists and shows projects, as text and as JSON', async () => {
    const dir = tempDir()
    const created = await cli(['project', 'create', 'News NER', '--labels', 'PER, ORG,LOC', '--scheme', 'IOBES', '--data-dir', dir, '--json'])
    expect(created.code).toBe(0)
    const p = JSON.parse(created.out)
    expect(p).toMatchObject({ name: 'News NER', tagScheme: 'iobes', labels: [{ name: 'PER' }, { name: 'ORG' }, { name: 'LOC' }] })

    const list = await cli(['project', 'list', '--data-dir', dir])
    expect(list.code).toBe(0)
    expect(list.out).toMatch(/1 {2}News NER {2}\[ner, IOBES\] {2}PER, ORG, LOC/)

    for (const ref of [String(p.id), 'news ner']) {
      const show = await cli(['project', 'show', ref, '--data-dir', dir])
      expect(show.out).toContain('#1 News NER')
      expect(show.out).toContain('[1] PER')
    }
    const json = JSON.parse((await cli(['project', 'list', '--json', '--data-dir', dir])).out)
    expect(json).toHaveLength(1)
  })

  it('uses TAGTUNE_HOME when no --data-dir is given', async () => {
    const home = tempDir()
    await cli(['project', 'create', 'A'], { TAGTUNE_HOME: home })
    const info = JSON.parse((await cli(['info', '--json', '--backend', 'cpu'], { TAGTUNE_HOME: home })).out)
    expect(info).toMatchObject({ dataDir: home, databasePath: join(home, 'tagtune.db'), backend: { name: 'cpu' } })
  })

  it('reports bad input on stderr with a non-zero exit and stores nothing', async () => {
    const dir = tempDir()
    const dup = await cli(['project', 'create', 'X', '--labels', 'PER,per', '--data-dir', dir, '--json'])
    expect(dup.code).toBe(1)
    expect(dup.out).toBe('')
    expect(JSON.parse(dup.err).error).toMatchObject({ code: 'INVALID_INPUT', details: [{ path: 'labels.1.name' }] })
    const empty = await cli(['project', 'create', '  ', '--data-dir', dir])
    expect(empty.code).toBe(1)
    expect(empty.err).toContain('project name is empty')
    expect(JSON.parse((await cli(['project', 'list', '--json', '--data-dir', dir])).out)).toEqual([])
  })

  it('answers usage errors with exit code 2 and the usage text', async () => {
    for (const args of [[], ['frobnicate'], ['project'], ['project', 'create'], ['serve', '--port', 'x'], ['info', '--backend', 'tpu'], ['project', 'create', 'A', '--scheme', 'bilou'], ['info', '--nope'], ['serve', '--user', 'ana'], ['serve', '--user', 'ana=short']]) {
      const r = await cli([...args, '--data-dir', tempDir()])
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.err).toMatch(/error: |Usage: /)
    }
    const help = await cli(['--help'])
    expect(help.code).toBe(0)
    expect(help.out).toContain('project create <name>')
  })

  it('deletes only with --yes', async () => {
    const dir = tempDir()
    await cli(['project', 'create', 'Temp', '--data-dir', dir])
    expect((await cli(['project', 'delete', 'Temp', '--data-dir', dir])).code).toBe(2)
    expect((await cli(['project', 'delete', 'Temp', '--yes', '--data-dir', dir])).code).toBe(0)
    const missing = await cli(['project', 'show', 'Temp', '--data-dir', dir])
    expect(missing).toMatchObject({ code: 1 })
    expect(missing.err).toContain('There is no project named "Temp".')
  })

  it('refuses a database from a newer Tagtune and leaves it as it was', async () => {
    const dir = tempDir()
    const file = join(dir, 'tagtune.db')
    const raw = new Database(file)
    raw.pragma('user_version = 99')
    raw.close()
    const before = createHash('sha256').update(readFileSync(file)).digest('hex')
    const r = await cli(['project', 'list', '--data-dir', dir])
    expect(r.code).toBe(1)
    expect(r.err).toContain('schema version 99')
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(before)
  })
})
