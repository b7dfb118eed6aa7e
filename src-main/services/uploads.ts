/**
 * Files a browser sends to the host (the browser cannot name a path on the workstation): kept
 * under <data dir>/uploads until imported, and removed after a day.
 */
import { randomBytes } from 'node:crypto'
import { createWriteStream, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { AppError } from '../../src-shared/ipc/errors'

export interface Upload {
  id: string
  name: string
  path: string
  size: number
}

export interface UploadService {
  save(name: string, body: Readable, maxBytes: number): Promise<Upload>
  resolve(id: string): Upload
  remove(id: string): void
}

const SAFE_NAME = /[^\p{L}\p{N}._ -]+/gu

export function createUploadService(dataDir: string, now = () => Date.now()): UploadService {
  const dir = join(dataDir, 'uploads')
  mkdirSync(dir, { recursive: true })
  // Uploads older than a day belong to imports that never happened.
  for (const f of readdirSync(dir)) {
    const p = join(dir, f)
    try {
      if (now() - statSync(p).mtimeMs > 24 * 3600 * 1000) rmSync(p, { force: true })
    } catch {
      // already gone
    }
  }
  const find = (id: string): Upload | undefined => {
    const f = readdirSync(dir).find((n) => n.startsWith(`${id}-`))
    if (!f) return undefined
    const path = join(dir, f)
    return { id, name: f.slice(id.length + 1), path, size: statSync(path).size }
  }
  return {
    async save(name, body, maxBytes) {
      const id = randomBytes(16).toString('hex')
      const clean = (name.replace(SAFE_NAME, '_').slice(0, 120) || 'upload').replace(/^\.+/, '_')
      const path = join(dir, `${id}-${clean}`)
      let size = 0
      body.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > maxBytes) body.destroy(new AppError('INVALID_INPUT', `The file is larger than ${Math.round(maxBytes / 2 ** 20)} MB.`))
      })
      try {
        await pipeline(body, createWriteStream(path))
      } catch (err) {
        rmSync(path, { force: true })
        throw err instanceof AppError ? err : new AppError('INVALID_INPUT', `The upload of ${name} did not complete: ${(err as Error).message}`)
      }
      return { id, name: clean, path, size }
    },
    resolve(id) {
      const u = find(id)
      if (!u) throw new AppError('NOT_FOUND', 'That uploaded file is gone (uploads are kept for a day): upload it again.')
      return u
    },
    remove(id) {
      const u = find(id)
      if (u) rmSync(u.path, { force: true })
    },
  }
}
