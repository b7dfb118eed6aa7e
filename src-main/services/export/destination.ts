/**
 * Where an export goes, and getting it there without harm: the destination is checked first
 * (not a file, not a non-empty folder unless forced, writable), the files are written into a
 * staging folder beside it, and only a complete export is moved into place. A failed export
 * leaves the destination as it was.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, statSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { AppError } from '../../../src-shared/ipc/errors'
import type { ModelExportFormat } from '../../../src-shared/domain/export'

/** File names an export writes: with --force, earlier ones that this export does not write again are removed. */
const EXPORT_FILE = /^(config\.json|vocab\.txt|tokenizer_config\.json|special_tokens_map\.json|model\.safetensors|peft\.safetensors|peft_config\.json|crf\.safetensors|README\.md|model\.json|group\d+-shard\d+of\d+\.bin)$/

const stamp = (d: Date): string => d.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')

/** The folder an export is written to: the caller's path (local callers only), else a new one under the data dir. */
export function resolveDestination(path: string | undefined, local: boolean, dataDir: string, runId: number, format: ModelExportFormat, now = new Date()): string {
  if (path === undefined) return join(dataDir, 'exports', `run-${runId}-${format}-${stamp(now)}`)
  if (!local) {
    throw new AppError('FORBIDDEN', 'Only the desktop app and the CLI can export to a path of their choosing; leave the path out to export into the data folder on the server, or use `tagtune export` on the workstation.', { field: 'path' })
  }
  if (!isAbsolute(path)) throw new AppError('INVALID_INPUT', `The export path must be absolute (not "${path}").`, { field: 'path' })
  const dest = resolve(path)
  // Tagtune's own folders (runs and their checkpoints, the library, the database) are not export destinations.
  if (isWithin(dest, resolve(dataDir)) && !isWithin(dest, resolve(dataDir, 'exports'))) {
    throw new AppError('INVALID_INPUT', `${dest} is inside Tagtune's data folder (${resolve(dataDir)}), which holds the runs, their checkpoints and the database; choose a folder outside it (or under its exports/ folder).`, { field: 'path' })
  }
  return dest
}

function isWithin(path: string, folder: string): boolean {
  const r = relative(folder, path)
  return r === '' || (!r.startsWith('..') && !isAbsolute(r))
}

function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'EROFS':
      return 'the file system is read-only'
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder'
    case 'ENOSPC':
      return 'the disk is full'
    case 'ENAMETOOLONG':
      return 'the path is too long'
    default:
      return e.message ?? String(err)
  }
}

export function writeError(dest: string, err: unknown): AppError {
  if (err instanceof AppError) return err
  return new AppError('FAILED', `Cannot write the export to ${dest}: ${describeFsError(err)}.`, { field: 'path' })
}

/** Refuses a destination that is a file, or a folder with files in it (unless forced). */
export function checkDestination(dest: string, force: boolean): void {
  let st
  try {
    st = statSync(dest)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw writeError(dest, err)
  }
  if (!st.isDirectory()) throw new AppError('ALREADY_EXISTS', `${dest} is a file; choose a folder for the export.`, { field: 'path' })
  const entries = readdirSync(dest)
  if (entries.length > 0 && !force) {
    throw new AppError('ALREADY_EXISTS', `${dest} is not empty (${entries.length} item${entries.length === 1 ? '' : 's'}, e.g. ${entries.slice(0, 3).join(', ')}); choose an empty or new folder, or force the export to replace an earlier one (--force).`, { field: 'path' })
  }
}

/** Creates the staging folder beside `dest` (and dest's parents); an unwritable place is refused here, before any work. */
export function createStaging(dest: string): string {
  const staging = join(dirname(dest), `.${basename(dest)}.tagtune-export-${process.pid}-${Date.now()}`)
  try {
    mkdirSync(dirname(dest), { recursive: true })
    mkdirSync(staging)
  } catch (err) {
    throw writeError(dest, err)
  }
  return staging
}

export function discardStaging(staging: string): void {
  rmSync(staging, { recursive: true, force: true })
}

/**
 * Moves the staged files into `dest`. A new or empty destination is replaced by the staging
 * folder in one rename; a forced non-empty one gets the files one by one, loses the files of an
 * earlier export that this one does not write, and keeps anything else. Returns the items kept.
 */
export function commitStaging(staging: string, dest: string, force: boolean): string[] {
  checkDestination(dest, force)
  try {
    if (existsSync(dest) && readdirSync(dest).length === 0) rmdirSync(dest)
    if (!existsSync(dest)) {
      renameSync(staging, dest)
      return []
    }
    const written = new Set(readdirSync(staging))
    const kept: string[] = []
    for (const name of readdirSync(dest)) {
      if (written.has(name)) continue
      const path = join(dest, name)
      if (EXPORT_FILE.test(name) && statSync(path).isFile()) rmSync(path)
      else kept.push(name)
    }
    for (const name of written) renameSync(join(staging, name), join(dest, name))
    rmdirSync(staging)
    return kept
  } catch (err) {
    throw writeError(dest, err)
  }
}
