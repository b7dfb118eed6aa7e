/**
 * `tagtune runs compare`: runs written into a data dir through the repository (known mistakes,
 * so the numbers are fixed), then the CLI reads the same dir as a user would.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../../../src-main/cli/main'
import { createHost } from '../../../src-main/host/create-host'
import { useTempDirs } from '../../helpers/temp-dir'
import { seedTrio } from '../../helpers/compare-fixture'

const tempDir = useTempDirs()
const RESOURCES = join(import.meta.dirname, '../../../resources')

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await runCli(args, { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {}, staticDir: tempDir(), resourcesDir: RESOURCES })
  return { code, out, err }
}

async function dataDir(): Promise<{ dir: string; ids: number[] }> {
  const dir = tempDir()
  const host = createHost({ dataDir: dir, kind: 'cli', backend: 'cpu' })
  try {
    const p = await host.call('project.create', { name: 'Toy', labels: [{ name: 'PER' }, { name: 'LOC' }] })
    return { dir, ids: seedTrio(host.db, p.id) }
  } finally {
    host.close()
  }
}

describe('tagtune runs compare', () => {
  it('prints the settings that differ, the per-type table with deltas, the bootstrap interval and the repeats', async () => {
    const { dir, ids } = await dataDir()
    const [base, lora, repeat] = ids as [number, number, number]
    const r = await cli(['runs', 'compare', String(base), String(lora), String(repeat), '--data-dir', dir])
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    const out = r.out
    expect(out).toContain(`Comparing #${base}, #${lora}, #${repeat} on test (best checkpoint, seqeval default mode); baseline #${base}.`)
    expect(out).toMatch(new RegExp(`#${lora} +lora +LoRA r8 +tiny-bert +snap-a00 +\\d+\\.\\d\\d`))
    // Only the settings that differ, one column per run.
    const settings = out.slice(out.indexOf('Settings that differ'), out.indexOf('Per entity type'))
    expect(settings).toMatch(/learningRate +0\.00005 +0\.001 +0\.00005/)
    expect(settings).toMatch(/peft\.rank +– +8 +–/)
    expect(settings).toMatch(/seed +1 +1 +2/)
    expect(settings).not.toContain('epochs')
    // Per type: LOC and PER rows, the LoRA run best (*) with a positive change.
    expect(out).toMatch(/ LOC +\d+ +\d+\.\d\d +\d+\.\d\d\* \(\+\d+\.\d\d\)/)
    expect(out).toMatch(/ PER +\d+ +\d+\.\d\d +\d+\.\d\d\* \(\+\d+\.\d\d\)/)
    expect(out).toMatch(/micro avg/)
    expect(out).toMatch(new RegExp(`#${lora}: ΔF1 \\+\\d+\\.\\d\\d {2}\\[[-+]\\d+\\.\\d\\d, \\+\\d+\\.\\d\\d\\] {2}(better, significant|not significant) {2}\\(P\\(not better\\) \\d\\.\\d{3}; 30 documents, 1000 resamples, seed 12345\\)`))
    expect(out).toMatch(new RegExp(`#${base}, #${repeat}: test F1 \\d+\\.\\d\\d ± \\d+\\.\\d\\d \\(n = 2`))
    expect(out).not.toContain('Warning')
  })

  it('answers JSON with --json, against another baseline, in strict mode', async () => {
    const { dir, ids } = await dataDir()
    const r = await cli(['runs', 'compare', String(ids[0]), String(ids[1]), '--baseline', String(ids[1]), '--mode', 'strict', '--json', '--data-dir', dir])
    expect(r.code).toBe(0)
    const c = JSON.parse(r.out)
    expect(c).toMatchObject({ baselineId: ids[1], mode: 'strict', split: 'test', snapshotsDiffer: false })
    expect(c.bootstrap[1]).toBeNull()
    expect(c.bootstrap[0].delta).toBeLessThan(0)
    expect(c.perType.map((t: { type: string }) => t.type)).toEqual(['LOC', 'PER'])
    // The same seed, the same interval; another seed, another sample.
    const again = JSON.parse((await cli(['runs', 'compare', String(ids[0]), String(ids[1]), '--baseline', String(ids[1]), '--mode', 'strict', '--json', '--data-dir', dir])).out)
    expect(again.bootstrap).toEqual(c.bootstrap)
    const other = JSON.parse((await cli(['runs', 'compare', String(ids[0]), String(ids[1]), '--seed', '7', '--json', '--data-dir', dir])).out)
    expect(other.bootstrap[1].seed).toBe(7)
  })

  it('refuses bad references with usage errors and unknown runs with NOT_FOUND', async () => {
    const { dir, ids } = await dataDir()
    for (const args of [['runs', 'compare', String(ids[0])], ['runs', 'compare', '1', 'two'], ['runs', 'compare', '1', '2', '--mode', 'loose'], ['runs', 'compare', '1', '2', '--split', 'train'], ['runs', 'compare', '1', '2', '--baseline', 'x'], ['runs', 'frobnicate']]) {
      const r = await cli([...args, '--data-dir', dir])
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.err).toMatch(/error: /)
    }
    const missing = await cli(['runs', 'compare', String(ids[0]), '999', '--data-dir', dir])
    expect(missing.code).toBe(1)
    expect(missing.err).toContain('There is no run with id 999')
    const notAmong = await cli(['runs', 'compare', String(ids[0]), String(ids[1]), '--baseline', String(ids[2]), '--data-dir', dir])
    expect(notAmong.code).toBe(1)
    expect(notAmong.err).toContain('must be one of the compared runs')
    const help = await cli(['--help'])
    expect(help.out).toContain('runs compare <run> <run>...')
  })
})
