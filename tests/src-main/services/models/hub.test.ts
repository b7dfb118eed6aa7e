/**
 * Downloading from a Hugging Face compatible hub, against a local server that serves the hub's
 * URL layout (fake-hub.ts): only the needed files, a transfer cut in the middle and resumed
 * with a Range request, a wrong sha256, a missing repository, PyTorch-only and non-BERT repos
 * refused before the weights are fetched, an access token, and HTTP/HTTPS proxies.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createHost, type Host } from '../../../../src-main/host/create-host'
import { openDatabase } from '../../../../src-main/store/db'
import { createModelService } from '../../../../src-main/services/models'
import { createUploadService } from '../../../../src-main/services/uploads'
import { bypassed, proxyFor } from '../../../../src-main/services/models/http'
import type { ModelDownloadProgress } from '../../../../src-shared/domain/model-library'
import { useTempDirs } from '../../../helpers/temp-dir'
import { sha256, startHub, startProxy, type FakeHub, type FakeProxy, type FakeRepo } from './fake-hub'
import { TINY_BERT, tinyParameterCount } from './folders'

const tempDir = useTempDirs()
const closers: (() => unknown)[] = []
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c()
})

const read = (f: string): Buffer => readFileSync(join(TINY_BERT, f))
const WEIGHTS = read('model.safetensors')

/** The tiny BERT as a hub repo, with files Tagtune must not download beside it. */
function tinyRepo(over: Partial<FakeRepo> = {}): FakeRepo {
  return {
    sha: '0123456789abcdef0123456789abcdef01234567',
    files: {
      '.gitattributes': Buffer.from('*.safetensors filter=lfs\n'),
      'README.md': Buffer.from('# tiny\n'),
      'config.json': read('config.json'),
      'vocab.txt': read('vocab.txt'),
      'tokenizer_config.json': read('tokenizer_config.json'),
      'model.safetensors': WEIGHTS,
      'pytorch_model.bin': Buffer.alloc(5000, 7),
      'onnx/model.onnx': Buffer.alloc(3000, 1),
    },
    lfs: ['model.safetensors', 'pytorch_model.bin', 'onnx/model.onnx'],
    ...over,
  }
}

async function hub(options: Parameters<typeof startHub>[0]): Promise<FakeHub> {
  const h = await startHub(options)
  closers.push(() => h.close())
  return h
}

async function proxy(): Promise<FakeProxy> {
  const p = await startProxy()
  closers.push(() => p.close())
  return p
}

function newHost(): Host {
  const h = createHost({ dataDir: tempDir(), kind: 'cli', backend: 'cpu' })
  closers.push(() => h.close())
  return h
}

function progressOf(host: Host): ModelDownloadProgress[] {
  const seen: ModelDownloadProgress[] = []
  host.onEvent((e, p) => e === 'model.onDidDownloadProgress' && seen.push(p as ModelDownloadProgress))
  return seen
}

/** Everything under models/ except the model folders: what downloads left behind. */
function leftovers(dataDir: string): string[] {
  const dl = join(dataDir, 'models', '.downloads')
  if (!existsSync(dl)) return []
  return readdirSync(dl, { recursive: true }).map(String).sort()
}

const resolveRequests = (h: FakeHub): string[] => h.requests.filter((r) => r.path.includes('/resolve/')).map((r) => decodeURIComponent(r.path.replace(/^.*\/resolve\/main\//, '')))

describe('downloading from a hub', () => {
  it('downloads only the files a BERT needs, checks them, and registers the model with its commit', async () => {
    const h = await hub({ repos: { 'org/tiny-bert': tinyRepo() } })
    const host = newHost()
    const progress = progressOf(host)
    const r = await host.call('model.download', { endpoint: h.url, repo: 'org/tiny-bert' })
    expect(h.requests[0]!.path).toBe('/api/models/org/tiny-bert/revision/main?blobs=true')
    expect(resolveRequests(h)).toEqual(['config.json', 'vocab.txt', 'tokenizer_config.json', 'model.safetensors'])
    // The LFS file came from the CDN it was redirected to.
    expect(h.requests.some((x) => x.path === `/cdn/${sha256(WEIGHTS)}`)).toBe(true)
    const m = r.model
    expect(m).toMatchObject({
      name: 'org/tiny-bert',
      source: { kind: 'hub', endpoint: h.url, repo: 'org/tiny-bert', revision: 'main', commit: '0123456789abcdef0123456789abcdef01234567' },
      info: { parameters: tinyParameterCount(), layers: 2, vocabSize: 128 },
      problem: null,
    })
    expect(m.path).toBe(join(host.dataDir, 'models', m.id, 'tiny-bert'))
    expect(readdirSync(m.path).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer_config.json', 'vocab.txt'])
    expect(sha256(readFileSync(join(m.path, 'model.safetensors')))).toBe(sha256(WEIGHTS))
    expect(r.report[0]).toContain('sizes and checksums match')
    expect(leftovers(host.dataDir)).toEqual([])

    const phases = [...new Set(progress.map((p) => p.phase))]
    expect(phases).toEqual(['listing', 'downloading', 'verifying', 'registering', 'done'])
    const total = ['config.json', 'vocab.txt', 'tokenizer_config.json', 'model.safetensors'].reduce((a, f) => a + read(f).length, 0)
    const lastDownload = progress.filter((p) => p.phase === 'downloading').at(-1)!
    expect(lastDownload).toMatchObject({ file: 'model.safetensors', fileIndex: 3, fileCount: 4, fileBytes: WEIGHTS.length, fileTotal: WEIGHTS.length, bytes: total, totalBytes: total })
    expect(progress.every((p) => p.repo === 'org/tiny-bert' && p.endpoint === h.url)).toBe(true)
  })

  it('resumes a transfer cut in the middle of the weights with a Range request, and the sha256 matches', async () => {
    const cutAt = 40_000
    const h = await hub({ repos: { 'org/tiny-bert': tinyRepo() }, cutOnce: { file: 'model.safetensors', afterBytes: cutAt } })
    const host = newHost()
    const first = await host.invoke('model.download', { endpoint: h.url, repo: 'org/tiny-bert' })
    expect(first).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } })
    if (!first.ok) expect(first.error.message).toMatch(/model\.safetensors of org\/tiny-bert@main .*: the transfer (stopped|ended) after [\d,]+ of 98,244 bytes.*Download again: it resumes where it stopped\./)
    expect(await host.call('model.list', {})).toEqual([])
    // What arrived is kept in a .part file (and the small files, finished, beside it).
    const part = leftovers(host.dataDir).find((f) => f.endsWith('model.safetensors.part'))!
    expect(part).toBeDefined()
    const partBytes = readFileSync(join(host.dataDir, 'models', '.downloads', part)).length
    expect(partBytes).toBeGreaterThan(0)
    expect(partBytes).toBeLessThanOrEqual(cutAt)

    const before = h.requests.length
    const second = await host.call('model.download', { endpoint: h.url, repo: 'org/tiny-bert' })
    const again = h.requests.slice(before)
    // The finished small files are not fetched again; the weights continue where they stopped.
    expect(resolveRequests({ ...h, requests: again })).toEqual(['model.safetensors'])
    // The Range header goes to the hub's resolve URL and, after its redirect, to the CDN that serves the bytes.
    expect(again.filter((x) => x.range !== null).map((x) => [x.path.replace(/^.*\/resolve\//, 'resolve/'), x.range])).toEqual([
      ['resolve/main/model.safetensors', `bytes=${partBytes}-`],
      [`/cdn/${sha256(WEIGHTS)}`, `bytes=${partBytes}-`],
    ])
    expect(sha256(readFileSync(join(second.model.path, 'model.safetensors')))).toBe(sha256(WEIGHTS))
    expect(second.report.join('\n')).toContain(`model.safetensors resumed at byte ${partBytes.toLocaleString('en-US')}.`)
    expect(leftovers(host.dataDir)).toEqual([])
  })

  it('refuses a file whose sha256 is not the hub\'s: an error, no model, and the .part removed', async () => {
    const wrong = 'f'.repeat(64)
    const h = await hub({ repos: { 'org/tiny-bert': tinyRepo({ claimedSha256: { 'model.safetensors': wrong } }) } })
    const host = newHost()
    const r = await host.invoke('model.download', { endpoint: h.url, repo: 'org/tiny-bert' })
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_FILE', details: { file: 'model.safetensors', sha256: sha256(WEIGHTS), expected: wrong } } })
    if (!r.ok) expect(r.error.message).toContain(`sha256 ${sha256(WEIGHTS)} does not match the hub's ${wrong}`)
    expect(await host.call('model.list', {})).toEqual([])
    expect(leftovers(host.dataDir).some((f) => f.includes('model.safetensors'))).toBe(false)
    expect(readdirSync(join(host.dataDir, 'models')).filter((n) => !n.startsWith('.'))).toEqual([])
  })

  it('answers NOT_FOUND for a repository the hub does not have, and stores nothing', async () => {
    const h = await hub({ repos: {} })
    const host = newHost()
    const r = await host.invoke('model.download', { endpoint: h.url, repo: 'org/nope' })
    expect(r).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
    if (!r.ok) expect(r.error.message).toBe(`Repository org/nope@main on ${h.url}: not found (HTTP 404). Check the repository name and the revision; a private or gated repository also needs an access token.`)
    expect(resolveRequests(h)).toEqual([])
    expect(await host.call('model.list', {})).toEqual([])
  })

  it('refuses a repository with only pytorch_model.bin before downloading anything', async () => {
    const repo = tinyRepo()
    delete repo.files['model.safetensors']
    const h = await hub({ repos: { 'org/old-bert': repo } })
    const host = newHost()
    const r = await host.invoke('model.download', { endpoint: h.url, repo: 'org/old-bert' })
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_FILE', details: { repo: 'org/old-bert', file: 'pytorch_model.bin' } } })
    if (!r.ok) {
      expect(r.error.message).toContain('has only pytorch_model.bin, no model.safetensors')
      expect(r.error.message).toContain('Nothing was downloaded')
      expect(r.error.message).toContain('save_pretrained')
    }
    expect(resolveRequests(h)).toEqual([])
  })

  it('refuses a repository that is not a BERT after its config.json, without fetching the weights', async () => {
    const repo = tinyRepo()
    repo.files['config.json'] = Buffer.from(JSON.stringify({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], vocab_size: 128 }))
    const h = await hub({ repos: { 'org/gpt': repo } })
    const host = newHost()
    const r = await host.invoke('model.download', { endpoint: h.url, repo: 'org/gpt' })
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_FILE' } })
    if (!r.ok) expect(r.error.message).toContain("model_type 'gpt2' is not supported")
    expect(resolveRequests(h)).toEqual(['config.json'])
    expect(await host.call('model.list', {})).toEqual([])
    expect(leftovers(host.dataDir)).toEqual([])
  })

  it('sends the token to the hub, but not to the CDN on another host; without a token the hub\'s 401 says what to do', async () => {
    const h = await hub({ repos: { 'org/private': tinyRepo() }, token: 'hf_secret123', cdnHost: 'localhost' })
    const host = newHost()
    const no = await host.invoke('model.download', { endpoint: h.url, repo: 'org/private' })
    expect(no).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } })
    if (!no.ok) expect(no.error.message).toContain('Give a token')
    const bad = await host.invoke('model.download', { endpoint: h.url, repo: 'org/private', token: 'hf_wrong' })
    if (!bad.ok) expect(bad.error.message).toContain('the hub refused the access token (HTTP 401)')
    h.requests.length = 0
    const r = await host.call('model.download', { endpoint: h.url, repo: 'org/private', token: 'hf_secret123', name: 'Private BERT' })
    expect(r.model.name).toBe('Private BERT')
    for (const x of h.requests) expect(x.authorization).toBe(x.path.startsWith('/cdn/') ? null : 'Bearer hf_secret123')
    expect(h.requests.some((x) => x.path.startsWith('/cdn/') && x.host === 'localhost')).toBe(true)
    // The token is not stored anywhere.
    expect(JSON.stringify(await host.call('model.list', {}))).not.toContain('hf_secret123')
  })

  it('goes through an explicit HTTP proxy with absolute-URI requests for an http:// hub', async () => {
    const h = await hub({ repos: { 'org/tiny-bert': tinyRepo() } })
    const p = await proxy()
    const host = newHost()
    const r = await host.call('model.download', { endpoint: h.url, repo: 'org/tiny-bert', proxy: p.url })
    expect(r.model.info?.parameters).toBe(tinyParameterCount())
    expect(p.seen[0]).toBe(`GET ${h.url}/api/models/org/tiny-bert/revision/main?blobs=true`)
    expect(p.seen).toContain(`GET ${h.url}/org/tiny-bert/resolve/main/config.json`)
    expect(p.seen).toContain(`GET ${h.url}/cdn/${sha256(WEIGHTS)}`)
    // Every request the hub saw came through the proxy.
    expect(p.seen).toHaveLength(h.requests.length)
  })

  it('tunnels through HTTPS_PROXY with CONNECT for an https:// hub', async () => {
    const tls = { key: readFileSync(join(import.meta.dirname, 'tls/localhost.key'), 'utf8'), cert: readFileSync(join(import.meta.dirname, 'tls/localhost.crt'), 'utf8') }
    const h = await hub({ repos: { 'org/tiny-bert': tinyRepo() }, tls, token: 'hf_tls' })
    const p = await proxy()
    const dataDir = tempDir()
    const db = openDatabase(join(dataDir, 'tagtune.db'))
    closers.push(() => db.close())
    const service = createModelService(db, {
      dataDir,
      uploads: createUploadService(dataDir),
      emitChange: () => {},
      emitProgress: () => {},
      http: { env: { HTTPS_PROXY: p.url, NO_PROXY: 'example.org' }, ca: tls.cert },
    })
    const r = await service.download({ endpoint: h.url, repo: 'org/tiny-bert', revision: 'main', token: 'hf_tls' })
    expect(sha256(readFileSync(join(r.model.path, 'model.safetensors')))).toBe(sha256(WEIGHTS))
    expect(p.seen.length).toBeGreaterThanOrEqual(5)
    expect(new Set(p.seen)).toEqual(new Set([`CONNECT 127.0.0.1:${h.port}`]))
    // Inside the tunnel the hub still got the token.
    expect(h.requests.filter((x) => !x.path.startsWith('/cdn/')).every((x) => x.authorization === 'Bearer hf_tls')).toBe(true)

    // NO_PROXY naming the hub: straight to it, no tunnel.
    const direct = createModelService(db, { dataDir, uploads: createUploadService(dataDir), emitChange: () => {}, emitProgress: () => {}, http: { env: { HTTPS_PROXY: p.url, NO_PROXY: '127.0.0.1' }, ca: tls.cert } })
    const seen = p.seen.length
    const again = await direct.download({ endpoint: h.url, repo: 'org/tiny-bert', revision: 'main', token: 'hf_tls', name: 'direct' })
    expect(again.model.info?.parameters).toBe(tinyParameterCount())
    expect(p.seen.length).toBe(seen)
  })

  it('says which host (and proxy) it cannot reach', async () => {
    const h = await hub({ repos: {} })
    await h.close()
    const host = newHost()
    const r = await host.invoke('model.download', { endpoint: h.url, repo: 'org/tiny-bert' })
    expect(r).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } })
    if (!r.ok) expect(r.error.message).toMatch(new RegExp(`^Cannot reach 127\\.0\\.0\\.1:${h.port} \\(ECONNREFUSED`))
    const viaProxy = await host.invoke('model.download', { endpoint: 'http://hub.invalid', repo: 'org/x', proxy: h.url })
    if (!viaProxy.ok) expect(viaProxy.error.message).toContain(`through the proxy ${h.url}`)
  })
})

describe('proxy settings', () => {
  const u = (s: string): URL => new URL(s)
  it('takes the explicit setting first, then HTTPS_PROXY / HTTP_PROXY by the target\'s scheme', () => {
    const env = { HTTPS_PROXY: 'http://secure:3128', HTTP_PROXY: 'http://plain:8080' }
    expect(proxyFor(u('https://huggingface.co/x'), { env })?.host).toBe('secure:3128')
    expect(proxyFor(u('http://mirror.local/x'), { env })?.host).toBe('plain:8080')
    expect(proxyFor(u('https://huggingface.co/x'), { env, proxy: 'http://mine:1' })?.host).toBe('mine:1')
    expect(proxyFor(u('https://huggingface.co/x'), { env: { http_proxy: 'proxy.corp:3128' } })?.href).toBe('http://proxy.corp:3128/')
    expect(proxyFor(u('https://huggingface.co/x'), { env: {} })).toBeNull()
    expect(() => proxyFor(u('https://huggingface.co/x'), { proxy: 'socks5://p:1080' })).toThrow(/must be an http:\/\/ proxy/)
  })

  it('leaves out the hosts NO_PROXY names', () => {
    expect(bypassed(u('https://hub.corp.example/x'), 'localhost,.corp.example')).toBe(true)
    expect(bypassed(u('https://corp.example/x'), '.corp.example')).toBe(true)
    expect(bypassed(u('https://notcorp.example/x'), 'corp.example')).toBe(false)
    expect(bypassed(u('http://127.0.0.1:8080/x'), '127.0.0.1:9090')).toBe(false)
    expect(bypassed(u('http://127.0.0.1:8080/x'), '127.0.0.1:8080')).toBe(true)
    expect(bypassed(u('https://anything/x'), '*')).toBe(true)
    expect(proxyFor(u('https://hub.corp.example/x'), { env: { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'corp.example' } })).toBeNull()
  })
})
