/**
 * `tagtune serve-model <run>` through the CLI entry (in this process): it prints the URL and a
 * curl example, answers HTTP until Ctrl-C, then stops after answering; flags are checked before
 * anything starts, and a run or port it cannot use is an error with exit code 1.
 */
import { writeFileSync } from 'node:fs'
import { createServer as createNetServer } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../../../src-main/cli/main'
import { useTempDirs } from '../../helpers/temp-dir'
import { doccanoFile, TINY_BERT, toyDocuments } from '../../helpers/toy-ner'
import { RESOURCES } from '../../helpers/host'
import { NerResponse } from '../../../src-shared/domain/serving'
import { postNer } from '../serve/http'

const tempDir = useTempDirs()

interface Running {
  done: Promise<number>
  out: () => string
  err: () => string
  /** Resolves once something was printed on stdout. */
  printed: Promise<void>
  stop(): void
}

function cli(args: string[]): Running {
  let out = ''
  let err = ''
  let stop!: () => void
  let printed!: () => void
  const whenPrinted = new Promise<void>((r) => (printed = r))
  const stopped = new Promise<void>((r) => (stop = r))
  const done = runCli(args, {
    stdout: (t) => {
      out += t
      printed()
    },
    stderr: (t) => (err += t),
    env: {},
    staticDir: tempDir(),
    resourcesDir: RESOURCES,
    untilStopped: () => stopped,
  })
  void done.then(() => printed())
  return { done, out: () => out, err: () => err, printed: whenPrinted, stop }
}

async function trainedRun(dir: string): Promise<void> {
  const d = ['--data-dir', dir]
  expect(await cli(['project', 'create', 'Toy', '--labels', 'PER,LOC', ...d]).done).toBe(0)
  expect(await cli(['data', 'import', 'Toy', doccanoFile(join(dir, 'train.jsonl'), toyDocuments(16, 1)), '--split', 'train', ...d]).done).toBe(0)
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ model: TINY_BERT, maxSteps: 2, batchSize: 8, maxLength: 32 }))
  expect(await cli(['train', 'Toy', '--config', join(dir, 'run.json'), '--backend', 'wasm', '--json', ...d]).done).toBe(0)
}

describe('tagtune serve-model', () => {
  it('serves a run until Ctrl-C, printing the URL and a curl example; flags and runs are checked', async () => {
    const dir = tempDir()
    const d = ['--data-dir', dir, '--backend', 'wasm']
    await trainedRun(dir)

    const json = cli(['serve-model', '1', '--port', '0', '--max-batch', '4', '--json', ...d])
    await json.printed
    const info = JSON.parse(json.out())
    expect(info).toMatchObject({ runId: 1, labels: ['PER', 'LOC'], tokenRequired: false, token: null, limits: { maxBatchTexts: 4 } })
    expect(info.endpoint).toBe(`${info.url}/v1/ner`)
    expect(info.curl).toContain(`curl -s ${info.url}/v1/ner`)
    const r = await postNer(info.url, { texts: ['mary visited london', '𠮷 paris'] })
    expect(r.status).toBe(200)
    expect(NerResponse.parse(r.json).results).toHaveLength(2)
    json.stop()
    expect(await json.done).toBe(0)
    expect(json.err()).toMatch(/Stopped after 1 request\(s\): 2 text\(s\) in 1 batch\(es\), 0 refused or failed/)
    await expect(postNer(info.url, { texts: ['late'] })).rejects.toThrow(/ECONNREFUSED/)

    const token = 'cli-token-0123456789abc'
    const text = cli(['serve-model', '1', '--port', '0', '--token', token, ...d])
    await text.printed
    expect(text.out()).toMatch(/^Serving run #1 ".+" \(PER, LOC\) on wasm/)
    expect(text.out()).toContain(`Token: ${token}`)
    expect(text.out()).toContain(`-H 'Authorization: Bearer ${token}'`)
    const url = /POST (http:\/\/127\.0\.0\.1:\d+)\/v1\/ner/.exec(text.out())![1]!
    expect((await postNer(url, { texts: ['mary'] })).status).toBe(401)
    expect((await postNer(url, { texts: ['mary'] }, { Authorization: `Bearer ${token}` })).status).toBe(200)
    text.stop()
    expect(await text.done).toBe(0)

    for (const [args, pattern] of [
      [['--token', 'short'], /--token: the token needs at least 16 characters/],
      [['--max-batch', '0'], /--max-batch: .*>=1/],
      [['--max-body', '12'], /--max-body: .*>=1024/],
      [['--host', 'not a host'], /--host: expected a host name/],
      [['--port', '99999'], /--port must be a whole number from 0 to 65535/],
    ] as const) {
      const bad = cli(['serve-model', '1', ...args, ...d])
      expect(await bad.done, args.join(' ')).toBe(2)
      expect(bad.err(), args.join(' ')).toMatch(pattern)
      expect(bad.out()).toBe('')
    }
    const noRun = cli(['serve-model', '7', '--port', '0', ...d])
    expect(await noRun.done).toBe(1)
    expect(noRun.err()).toContain('There is no run with id 7.')
    const notNumber = cli(['serve-model', 'best', ...d])
    expect(await notNumber.done).toBe(2)

    const blocker = createNetServer()
    await new Promise<void>((res) => blocker.listen(0, '127.0.0.1', res))
    const port = String((blocker.address() as { port: number }).port)
    try {
      const busy = cli(['serve-model', '1', '--port', port, '--json', ...d])
      expect(await busy.done).toBe(1)
      expect(JSON.parse(busy.err()).error).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining(`Port ${port} on 127.0.0.1 is already in use`) })
    } finally {
      blocker.close()
    }
  })
})
