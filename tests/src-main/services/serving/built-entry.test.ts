/**
 * The built model-server process (out/main/model-server.js, what the app forks from the bundle)
 * starts on its own, serves, and stops. The other serving tests start it from the TypeScript
 * source. `npm test` builds the app before the unit tests.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { forkModelServer } from '../../../../src-main/services/serving/process'
import { NerResponse } from '../../../../src-shared/domain/serving'
import { useWasm } from '../../../helpers/tf'
import { everyWordModel, spec } from '../../serve/fixture'
import { postNer } from '../../serve/http'

const BUILT = join(import.meta.dirname, '../../../../out/main/model-server.js')

describe('the built model-server process', () => {
  it('serves a model folder and stops when asked', async () => {
    if (!existsSync(BUILT)) {
      if (process.env.CI) throw new Error('out/main/model-server.js is missing: npm test builds the app first')
      console.warn('Skipping: the app is not built (npm run build)')
      return
    }
    await useWasm()
    const dir = mkdtempSync(join(tmpdir(), 'tagtune-built-serve-'))
    try {
      const server = forkModelServer({ model: spec(everyWordModel(dir)), backend: 'wasm', hostname: '127.0.0.1', port: 0, limits: { maxTexts: 3 } }, { path: BUILT, execArgv: [] })
      const info = await server.listening
      expect(info).toMatchObject({ token: null, labels: ['PER', 'LOC'], limits: { maxTexts: 3 } })
      const r = await postNer(info.url, { texts: ['hello 😀 john'] })
      expect(NerResponse.parse(r.json).results[0]!.spans.map((s) => [s.text, s.start, s.startUtf16])).toEqual([['hello', 0, 0], ['😀', 6, 6], ['john', 8, 9]])
      expect((await server.stats()).requests).toBe(1)
      await server.stop()
      expect(await server.exited).toEqual({ code: 0, signal: null })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
