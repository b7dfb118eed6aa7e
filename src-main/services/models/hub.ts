/**
 * Downloading a model folder from a Hugging Face compatible hub (huggingface.co or a mirror).
 *
 * - The file list: GET {endpoint}/api/models/{repo}/revision/{revision}?blobs=true, whose
 *   `siblings` give every file's name, size, git blob id and, for LFS files, sha256 and size.
 * - A file: GET {endpoint}/{repo}/resolve/{revision}/{file} (often a redirect to a CDN).
 * - Only the files a BERT needs: config.json, vocab.txt and/or tokenizer.json, tokenizer_config.json,
 *   special_tokens_map.json, model.safetensors. A repo with only pytorch_model.bin is refused
 *   before anything large is downloaded, and so is a config.json that is not a BERT.
 * - Each file goes to `<name>.part` and resumes with an HTTP Range request after an interruption
 *   (a cut connection, Ctrl-C, a crash); its size is checked, and its sha256 (LFS files) or git
 *   blob id (small files) when the hub gives them. A file whose checksum does not match is
 *   deleted, .part included: resuming it would only keep the bad bytes.
 */
import { createHash, type Hash } from 'node:crypto'
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { AppError } from '../../../src-shared/ipc/errors'
import type { ModelDownloadProgress } from '../../../src-shared/domain/model-library'
import { parseBertConfig } from '../../engine/model/bert-config'
import { ModelFileError } from '../../engine/model/errors'
import { conversionCommand, MODEL_FILES } from '../../engine/model/folder'
import { httpGet, readText, type HttpSettings } from './http'

export interface HubTarget {
  endpoint: string
  repo: string
  revision: string
  token?: string
}

export interface HubFile {
  name: string
  size: number | null
  /** sha256 of the content (LFS files). */
  sha256: string | null
  /** git blob id (sha1 of "blob <size>\0" + content) of files kept in git itself. */
  blobId: string | null
}

export interface RepoInfo {
  /** The commit the revision resolved to, when the hub says. */
  commit: string | null
  files: HubFile[]
}

/** What a BERT folder needs from a repo; the rest (other frameworks' weights, ONNX, ...) is left on the hub. */
export const WANTED_FILES = ['config.json', 'vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'model.safetensors'] as const

export type ProgressFn = (p: Omit<ModelDownloadProgress, 'endpoint' | 'repo' | 'revision'>) => void

const trimSlash = (s: string): string => s.replace(/\/+$/, '')
const encodePath = (p: string): string => p.split('/').map(encodeURIComponent).join('/')

export function apiUrl(t: HubTarget): URL {
  return new URL(`${trimSlash(t.endpoint)}/api/models/${encodePath(t.repo)}/revision/${encodeURIComponent(t.revision)}?blobs=true`)
}

export function fileUrl(t: HubTarget, file: string): URL {
  return new URL(`${trimSlash(t.endpoint)}/${encodePath(t.repo)}/resolve/${encodeURIComponent(t.revision)}/${encodePath(file)}`)
}

function headersFor(t: HubTarget): Record<string, string> {
  return { 'user-agent': 'tagtune', accept: '*/*', ...(t.token ? { authorization: `Bearer ${t.token}` } : {}) }
}

const where = (t: HubTarget): string => `${t.repo}@${t.revision} on ${trimSlash(t.endpoint)}`

function statusError(t: HubTarget, status: number, what: string, body: string): AppError {
  const snippet = body.replace(/\s+/g, ' ').trim().slice(0, 200)
  if (status === 404) {
    return new AppError('NOT_FOUND', `${what}: not found (HTTP 404). Check the repository name and the revision${t.token ? '' : '; a private or gated repository also needs an access token'}.`, { status })
  }
  if (status === 401 || status === 403) {
    return new AppError(
      'UNAUTHORIZED',
      t.token
        ? `${what}: the hub refused the access token (HTTP ${status}). Check that it is valid and may read this repository${status === 403 ? ' (gated repositories also need their terms accepted on the hub)' : ''}.`
        : `${what}: the hub asks for an access token (HTTP ${status}): the repository is private or gated, or does not exist. Give a token (--token, or the Token field).`,
      { status },
    )
  }
  return new AppError('FAILED', `${what}: the hub answered HTTP ${status}${snippet ? ` (${snippet})` : ''}.`, { status })
}

/** The repo's files at the revision, and the commit it resolved to. */
export async function fetchRepoInfo(t: HubTarget, settings: HttpSettings): Promise<RepoInfo> {
  const res = await httpGet(apiUrl(t), { ...headersFor(t), accept: 'application/json' }, settings)
  const text = await readText(res.body)
  if (res.status !== 200) throw statusError(t, res.status, `Repository ${where(t)}`, text)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new AppError('FAILED', `${apiUrl(t).href} did not answer JSON; is ${trimSlash(t.endpoint)} a Hugging Face compatible hub?`)
  }
  const o = json as { sha?: unknown; siblings?: unknown }
  if (!o || typeof o !== 'object' || !Array.isArray(o.siblings)) throw new AppError('FAILED', `${apiUrl(t).href} answered without a file list (siblings); is ${trimSlash(t.endpoint)} a Hugging Face compatible hub?`)
  const files: HubFile[] = []
  for (const s of o.siblings as unknown[]) {
    const x = s as { rfilename?: unknown; size?: unknown; blobId?: unknown; lfs?: { sha256?: unknown; oid?: unknown; size?: unknown } }
    if (typeof x?.rfilename !== 'string') continue
    const lfsSha = typeof x.lfs?.sha256 === 'string' ? x.lfs.sha256 : typeof x.lfs?.oid === 'string' ? x.lfs.oid.replace(/^sha256:/, '') : null
    const size = typeof x.lfs?.size === 'number' ? x.lfs.size : typeof x.size === 'number' ? x.size : null
    files.push({
      name: x.rfilename,
      size: size !== null && Number.isSafeInteger(size) && size >= 0 ? size : null,
      sha256: lfsSha && /^[a-f0-9]{64}$/i.test(lfsSha) ? lfsSha.toLowerCase() : null,
      blobId: !x.lfs && typeof x.blobId === 'string' && /^[a-f0-9]{40}$/i.test(x.blobId) ? x.blobId.toLowerCase() : null,
    })
  }
  return { commit: typeof o.sha === 'string' ? o.sha : null, files }
}

/** The files to download, config first and weights last; refuses a repo that has no usable BERT folder. */
export function chooseFiles(t: HubTarget, files: readonly HubFile[]): HubFile[] {
  const has = (name: string): HubFile | undefined => files.find((f) => f.name === name)
  const refuse = (message: string, file?: string): never => {
    throw new AppError('INVALID_FILE', `${where(t)}: ${message}`, { repo: t.repo, ...(file ? { file } : {}) })
  }
  if (!has(MODEL_FILES.config)) refuse(`has no ${MODEL_FILES.config}; it is not a Hugging Face model folder`, MODEL_FILES.config)
  if (!has(MODEL_FILES.safetensors)) {
    if (has(MODEL_FILES.safetensorsIndex)) {
      refuse(`has sharded weights (${MODEL_FILES.safetensorsIndex}); Tagtune reads one ${MODEL_FILES.safetensors}, which fits any BERT-sized model`, MODEL_FILES.safetensorsIndex)
    }
    const other = [MODEL_FILES.pytorch, MODEL_FILES.tensorflow, MODEL_FILES.flax].find((f) => has(f))
    if (other) {
      refuse(
        `has only ${other}, no ${MODEL_FILES.safetensors}: Tagtune reads weights in the safetensors format only. Nothing was downloaded. ` +
          `Convert it once on a machine with Python (pip install transformers torch), then import the folder:\n${conversionCommand('<folder with the downloaded files>', other === MODEL_FILES.pytorch ? 'pytorch' : other === MODEL_FILES.tensorflow ? 'tf' : 'flax')}`,
        other,
      )
    }
    refuse(`has no model weights (${MODEL_FILES.safetensors})`, MODEL_FILES.safetensors)
  }
  if (!has(MODEL_FILES.vocabTxt) && !has(MODEL_FILES.tokenizerJson)) refuse(`has no tokenizer: neither ${MODEL_FILES.vocabTxt} nor ${MODEL_FILES.tokenizerJson}`, MODEL_FILES.vocabTxt)
  return WANTED_FILES.map((n) => has(n)).filter((f): f is HubFile => f !== undefined)
}

/** git's blob id: sha1 over "blob <size>\0" and the content. */
function gitBlobHash(size: number): Hash {
  return createHash('sha1').update(`blob ${size}\0`)
}

/** Feeds an existing file (a resumed .part) into the hashes. */
async function hashFile(path: string, hashes: Hash[]): Promise<void> {
  for await (const chunk of createReadStream(path)) for (const h of hashes) h.update(chunk as Buffer)
}

export interface FileDownload {
  bytes: number
  resumedFrom: number
  sha256: string
  /** The Range request the last attempt sent, if any (for the record). */
  range: string | null
}

/**
 * Downloads one file to `dest`, through `dest.part`, resuming from what the .part holds. Checks
 * the size (the hub's, else the server's Content-Length) and the checksums the hub gave.
 */
export async function downloadFile(t: HubTarget, file: HubFile, dest: string, settings: HttpSettings, onBytes: (fileBytes: number, fileTotal: number | null, resumedFrom: number) => void): Promise<FileDownload> {
  const part = `${dest}.part`
  const what = `${file.name} of ${where(t)}`
  let start = existsSync(part) ? statSync(part).size : 0
  if (file.size !== null && start > file.size) {
    rmSync(part, { force: true })
    start = 0
  }
  let sha = createHash('sha256')
  let blob = file.blobId && file.size !== null ? gitBlobHash(file.size) : null
  let range: string | null = null
  let total: number | null = file.size
  let written = start

  if (!(file.size !== null && start === file.size)) {
    const headers: Record<string, string> = { ...headersFor(t), 'accept-encoding': 'identity' }
    if (start > 0) headers.range = range = `bytes=${start}-`
    const res = await httpGet(fileUrl(t, file.name), headers, settings)
    if (start > 0 && res.status === 206) {
      const cr = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''))
      if (!cr || Number(cr[1]) !== start) {
        res.body.resume()
        throw new AppError('FAILED', `${what}: the server answered the resume request with the wrong part (${String(res.headers['content-range'])}); delete ${part} and try again.`)
      }
      if (cr[3] !== '*') total ??= Number(cr[3])
    } else if (res.status === 200) {
      // No resume (the server ignores Range, or there was nothing to resume): start over.
      start = 0
      written = 0
      const len = Number(res.headers['content-length'])
      if (total === null && Number.isSafeInteger(len) && res.headers['content-length'] !== undefined) total = len
    } else if (res.status === 416 && start > 0) {
      // The .part is already complete (or longer than the file): verify what we have.
      res.body.resume()
      const cr = /^bytes \*\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''))
      if (!cr || Number(cr[1]) !== start) {
        rmSync(part, { force: true })
        throw new AppError('FAILED', `${what}: the partial download does not fit the file on the hub any more; it was removed, download again.`)
      }
      total ??= start
    } else {
      const body = await readText(res.body, 100_000).catch(() => '')
      throw statusError(t, res.status, what, body)
    }
    if (start > 0) await hashFile(part, blob ? [sha, blob] : [sha])
    else {
      sha = createHash('sha256')
      blob = file.blobId && file.size !== null ? gitBlobHash(file.size) : null
    }
    onBytes(written, total, start)
    if (res.status === 200 || res.status === 206) {
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          sha.update(chunk)
          blob?.update(chunk)
          written += chunk.length
          onBytes(written, total, start)
          done(null, chunk)
        },
      })
      try {
        await pipeline(res.body, counter, createWriteStream(part, { flags: start > 0 ? 'a' : 'w' }))
      } catch (err) {
        throw new AppError(
          'UNAVAILABLE',
          `${what}: the transfer stopped after ${written.toLocaleString('en-US')}${total !== null ? ` of ${total.toLocaleString('en-US')}` : ''} bytes (${(err as Error).message}). Download again: it resumes where it stopped.`,
          { file: file.name, bytes: written },
        )
      }
    }
  } else {
    await hashFile(part, blob ? [sha, blob] : [sha])
  }

  const size = statSync(part).size
  if (total !== null && size !== total) {
    const shorter = size < total
    if (!shorter) rmSync(part, { force: true })
    throw new AppError(
      shorter ? 'UNAVAILABLE' : 'INVALID_FILE',
      shorter
        ? `${what}: the transfer ended after ${size.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} bytes. Download again: it resumes where it stopped.`
        : `${what} is ${size.toLocaleString('en-US')} bytes but the hub says ${total.toLocaleString('en-US')}; the file was removed, download again.`,
      { file: file.name, bytes: size, expected: total },
    )
  }
  const digest = sha.digest('hex')
  if (file.sha256 && digest !== file.sha256) {
    rmSync(part, { force: true })
    throw new AppError('INVALID_FILE', `${what}: sha256 ${digest} does not match the hub's ${file.sha256}. The file is damaged (or the mirror serves another file); it was removed, nothing was added to the library.`, {
      file: file.name,
      sha256: digest,
      expected: file.sha256,
    })
  }
  if (blob && file.blobId) {
    const id = blob.digest('hex')
    if (id !== file.blobId) {
      rmSync(part, { force: true })
      throw new AppError('INVALID_FILE', `${what}: its git blob id ${id} does not match the hub's ${file.blobId}. The file is damaged; it was removed, nothing was added to the library.`, { file: file.name })
    }
  }
  renameSync(part, dest)
  return { bytes: size, resumedFrom: start, sha256: digest, range }
}

/** Refuses a config.json that is not a BERT the engine reads, before the weights are downloaded. */
export function checkDownloadedConfig(path: string): void {
  let json: unknown
  try {
    json = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new AppError('INVALID_FILE', `${path}: is not valid JSON (${(err as Error).message})`, { file: path })
  }
  try {
    parseBertConfig(json, path)
  } catch (err) {
    if (err instanceof ModelFileError) throw new AppError('INVALID_FILE', `${err.message}. Nothing more was downloaded.`, { file: path })
    throw err
  }
}

export interface DownloadResult {
  dir: string
  commit: string | null
  files: { name: string; bytes: number; sha256: string; resumedFrom: number }[]
}

/**
 * Downloads the folder into `dir` (created; files already complete there are checked, not
 * downloaded again). Progress covers all files, with the bytes earlier attempts left.
 */
export async function downloadRepo(t: HubTarget, dir: string, settings: HttpSettings, progress: ProgressFn): Promise<DownloadResult> {
  progress({ phase: 'listing', file: null, fileIndex: 0, fileCount: 0, fileBytes: 0, fileTotal: null, bytes: 0, totalBytes: null, resumedFrom: 0 })
  const info = await fetchRepoInfo(t, settings)
  const files = chooseFiles(t, info.files)
  mkdirSync(dir, { recursive: true })
  const totalBytes = files.every((f) => f.size !== null) ? files.reduce((a, f) => a + f.size!, 0) : null
  const done: DownloadResult['files'] = []
  let before = 0
  let last = 0
  for (const [i, f] of files.entries()) {
    const dest = join(dir, f.name)
    const base = { file: f.name, fileIndex: i, fileCount: files.length, totalBytes }
    if (existsSync(dest)) {
      // Finished by an earlier attempt: keep it only if it still checks out.
      const size = statSync(dest).size
      const sha = createHash('sha256')
      await hashFile(dest, [sha])
      const digest = sha.digest('hex')
      if ((f.size === null || f.size === size) && (f.sha256 === null || f.sha256 === digest)) {
        before += size
        done.push({ name: f.name, bytes: size, sha256: digest, resumedFrom: size })
        progress({ ...base, phase: 'downloading', fileBytes: size, fileTotal: size, bytes: before, resumedFrom: size })
        continue
      }
      rmSync(dest, { force: true })
    }
    const r = await downloadFile(t, f, dest, settings, (fileBytes, fileTotal, resumedFrom) => {
      const now = Date.now()
      if (now - last < 100 && fileBytes !== fileTotal) return
      last = now
      progress({ ...base, phase: 'downloading', fileBytes, fileTotal, bytes: before + fileBytes, resumedFrom })
    })
    before += r.bytes
    done.push({ name: f.name, bytes: r.bytes, sha256: r.sha256, resumedFrom: r.resumedFrom })
    if (f.name === MODEL_FILES.config) {
      try {
        checkDownloadedConfig(dest)
      } catch (err) {
        rmSync(dir, { recursive: true, force: true }) // not a model Tagtune can use: nothing worth resuming
        throw err
      }
    }
  }
  progress({ phase: 'verifying', file: null, fileIndex: files.length, fileCount: files.length, fileBytes: 0, fileTotal: null, bytes: before, totalBytes, resumedFrom: 0 })
  return { dir, commit: info.commit, files: done }
}
