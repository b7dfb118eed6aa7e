/**
 * The model library: pretrained folders imported (copied or linked) or downloaded into
 * `<data dir>/models/<id>/<name>/`, and the best checkpoint of every finished run (read in place from
 * `<data dir>/runs/<id>/best`, never copied). Every folder is checked before it is registered
 * (validate.ts); a refused import leaves neither a row nor a folder behind.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, linkSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { copyFile } from 'node:fs/promises'
import { basename, isAbsolute, join, resolve, sep } from 'node:path'
import type { z } from 'zod'
import type { DB } from '../../store/db'
import * as repo from '../../store/repositories/models'
import { AppError } from '../../../src-shared/ipc/errors'
import { ModelDownload, ModelImport, formatBytes, formatParameters, type ModelChange, type ModelDownloadProgress, type ModelImportResult, type ModelInfo, type ModelSummary } from '../../../src-shared/domain/model-library'
import type { UploadService } from '../uploads'
import { MODEL_FILES } from '../../engine/model/folder'
import { casedTokenizerConfig, checkModelFolder, folderBytes, LIBRARY_FILES, TOKENIZER_CONFIG, type FolderCheck } from './validate'
import { downloadRepo, type HubTarget } from './hub'
import type { HttpSettings } from './http'

export interface ModelServiceOptions {
  dataDir: string
  uploads: Pick<UploadService, 'resolve' | 'remove'>
  emitChange(change: ModelChange): void
  emitProgress(progress: ModelDownloadProgress): void
  now?: () => string
  /** Download settings besides the request's proxy: the environment (HTTPS_PROXY, ...), extra CAs, timeouts. */
  http?: Omit<HttpSettings, 'proxy'>
}

type ImportInput = z.output<typeof ModelImport>
type DownloadInput = z.output<typeof ModelDownload>

/** Weight files of other frameworks: an upload names them (without sending them) so the error can say how to convert. */
const FOREIGN_WEIGHTS: readonly string[] = [MODEL_FILES.pytorch, MODEL_FILES.tensorflow, MODEL_FILES.flax, MODEL_FILES.safetensorsIndex]

const RUN_ID = /^run-(\d+)$/

/** A folder name from a model's name: "google-bert/bert-base-cased" → "bert-base-cased", "My BERT (v2)" → "My-BERT-v2". */
export function folderName(name: string): string {
  const last = name.split('/').filter(Boolean).pop() ?? name
  const slug = last.replace(/[^\p{L}\p{N}._-]+/gu, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 80)
  return slug || 'model'
}

function describeInfo(i: ModelInfo): string {
  return (
    `${i.architecture}, ${i.layers} layers, hidden ${i.hiddenSize}, ${i.heads} heads, ${formatParameters(i.parameters)} parameters (${i.dtype}), ` +
    `vocabulary ${i.vocabSize.toLocaleString('en-US')} (${i.vocabFile}), ${i.cased ? 'cased' : 'uncased'}, language: ${i.language.hint}`
  )
}

/** Replaces a staging folder's path in an error with what the user knows it by. */
function renamed(err: unknown, from: string, to: string): unknown {
  if (!(err instanceof AppError)) return err
  const swap = (s: string): string => s.split(from).join(to)
  const details = err.details && typeof err.details === 'object' ? JSON.parse(swap(JSON.stringify(err.details))) : err.details
  return new AppError(err.code, swap(err.message), details)
}

function removeTree(path: string): void {
  try {
    const st = lstatSync(path)
    // A link is removed, never what it points to.
    if (st.isSymbolicLink()) unlinkSync(path)
    else rmSync(path, { recursive: true, force: true })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}

/** A link to `target` at `path`: a symbolic link, else (Windows without the privilege) a hard link. */
function linkFile(target: string, path: string): void {
  try {
    symlinkSync(target, path, 'file')
  } catch (symErr) {
    try {
      linkSync(target, path)
    } catch {
      throw new AppError('FAILED', `Could not link ${target} from the library (${(symErr as NodeJS.ErrnoException).code ?? (symErr as Error).message}); import the folder as a copy instead.`, { file: target })
    }
  }
}

export function createModelService(db: DB, options: ModelServiceOptions) {
  const now = options.now ?? (() => new Date().toISOString())
  const modelsDir = join(options.dataDir, 'models')
  const downloadsDir = join(modelsDir, '.downloads')
  /** Everything of library model `id` is under this folder. */
  const folderOf = (id: number): string => join(modelsDir, String(id))
  const pathOf = (m: Pick<repo.LibraryModel, 'id' | 'folder'>): string => join(folderOf(m.id), m.folder)
  const downloading = new Set<string>()
  /** Run checkpoints are read once per version of their files. */
  const runCache = new Map<string, { stamp: string; check: FolderCheck | null; problem: string | null; bytes: number }>()

  // Leftovers of an import or delete that a crash interrupted (downloads stay: they resume).
  mkdirSync(modelsDir, { recursive: true })
  for (const name of readdirSync(modelsDir)) if (name.startsWith('.import-') || name.startsWith('.trash-')) removeTree(join(modelsDir, name))

  function libraryProblem(m: repo.LibraryModel): string | null {
    const dir = pathOf(m)
    for (const f of [MODEL_FILES.config, MODEL_FILES.safetensors]) {
      try {
        statSync(join(dir, f))
      } catch {
        return m.storage === 'link' && m.source.kind === 'local'
          ? `The linked folder ${m.source.path} is gone or was moved (${f} cannot be read): import it again.`
          : `${join(dir, f)} is missing: the library folder was changed outside Tagtune. Delete the model and import it again.`
      }
    }
    return null
  }

  function toSummary(m: repo.LibraryModel): ModelSummary {
    return { id: String(m.id), name: m.name, source: m.source, path: pathOf(m), sizeBytes: m.sizeBytes, info: m.info, problem: libraryProblem(m), notes: m.notes, createdAt: m.createdAt }
  }

  function runBest(r: repo.RunCheckpointRow): string {
    return join(r.checkpointDir ?? join(options.dataDir, 'runs', String(r.runId)), 'best')
  }

  function runSummary(r: repo.RunCheckpointRow): ModelSummary | null {
    const dir = runBest(r)
    let stamp: string
    try {
      const w = statSync(join(dir, MODEL_FILES.safetensors))
      const c = statSync(join(dir, MODEL_FILES.config))
      stamp = `${w.size}:${w.mtimeMs}:${c.mtimeMs}`
    } catch {
      return null // no best checkpoint (the run failed before its first evaluation)
    }
    let cached = runCache.get(dir)
    if (!cached || cached.stamp !== stamp) {
      try {
        cached = { stamp, check: checkModelFolder(dir), problem: null, bytes: folderBytes(dir) }
      } catch (err) {
        cached = { stamp, check: null, problem: (err as Error).message, bytes: folderBytes(dir) }
      }
      runCache.set(dir, cached)
    }
    const base = typeof r.model === 'string' ? r.model : r.model && typeof r.model === 'object' && 'scratch' in r.model ? 'a new model (from scratch)' : null
    return {
      id: `run-${r.runId}`,
      name: r.runName,
      source: { kind: 'run', runId: r.runId, projectId: r.projectId, projectName: r.projectName, runName: r.runName, status: r.status, bestMetric: r.bestMetric !== null && Number.isFinite(r.bestMetric) ? r.bestMetric : null },
      path: dir,
      sizeBytes: cached.bytes,
      info: cached.check?.info ?? null,
      problem: cached.problem,
      notes: base ? [`Fine-tuned from ${base}.`] : [],
      createdAt: r.endedAt ?? r.createdAt,
    }
  }

  function list(): ModelSummary[] {
    const library = repo.listModels(db).map(toSummary)
    const runs = repo.listRunCheckpoints(db).map(runSummary).filter((m): m is ModelSummary => m !== null)
    return [...library, ...runs]
  }

  function get(id: string): ModelSummary {
    const run = RUN_ID.exec(id)
    if (run) {
      const r = repo.getRunCheckpoint(db, Number(run[1]))
      const summary = r ? runSummary(r) : null
      if (!summary) throw new AppError('NOT_FOUND', `Run #${run[1]} has no best model: it does not exist, has not finished, or stopped before its first checkpoint.`)
      return summary
    }
    const m = repo.getModel(db, Number(id))
    if (!m) throw new AppError('NOT_FOUND', `There is no model with id ${id} in the library.`)
    return toSummary(m)
  }

  function uniqueName(wanted: string | undefined, fallback: string): string {
    if (wanted !== undefined) {
      if (repo.findModelByName(db, wanted)) throw new AppError('ALREADY_EXISTS', `A model named "${wanted}" is already in the library; choose another name.`, [{ path: 'name', message: 'already in the library' }])
      return wanted
    }
    const base = fallback.trim().slice(0, 190) || 'model'
    if (!repo.findModelByName(db, base)) return base
    for (let i = 2; ; i++) if (!repo.findModelByName(db, `${base} (${i})`)) return `${base} (${i})`
  }

  /** Writes do_lower_case: false into the library's folder when the vocabulary is cased and nothing said so. */
  function fixCasing(dir: string, check: FolderCheck, origin: string): string | null {
    if (!check.needsCasedFix) return null
    removeTree(join(dir, TOKENIZER_CONFIG))
    writeFileSync(join(dir, TOKENIZER_CONFIG), casedTokenizerConfig(check.tokenizerConfig))
    return check.tokenizerConfig
      ? `${origin}'s ${TOKENIZER_CONFIG} does not set do_lower_case and the vocabulary is cased: transformers (and Tagtune) would lowercase the text. The library's ${TOKENIZER_CONFIG} sets do_lower_case: false (the original is unchanged).`
      : `${origin} has no ${TOKENIZER_CONFIG} and its vocabulary is cased: transformers (and Tagtune) would lowercase the text by default. The library wrote a ${TOKENIZER_CONFIG} with do_lower_case: false (the original is unchanged).`
  }

  /** Moves a checked staging folder to models/<id>/<folder> and records it, in one transaction. */
  function register(staging: string, row: Omit<repo.NewLibraryModel, 'folder'>): { id: number; path: string } {
    let id = 0
    const folder = folderName(row.name)
    db.transaction(() => {
      id = repo.insertModel(db, { ...row, folder })
      const dir = folderOf(id)
      removeTree(dir) // left by a model whose deletion was cut short: no row owns it
      mkdirSync(dir)
      renameSync(staging, join(dir, folder))
    })()
    return { id, path: join(folderOf(id), folder) }
  }

  async function importFolder(input: ImportInput, local: boolean): Promise<ModelImportResult> {
    mkdirSync(modelsDir, { recursive: true })
    const staging = join(modelsDir, `.import-${randomBytes(8).toString('hex')}`)
    try {
      if ('path' in input) {
        if (!local) throw new AppError('FORBIDDEN', 'Importing a folder by its path is only allowed from the desktop app or the CLI; in a browser, choose the folder to upload it.')
        if (!isAbsolute(input.path)) throw new AppError('INVALID_INPUT', `Give the folder's full path (not "${input.path}").`, [{ path: 'path', message: 'not an absolute path' }])
        const src = resolve(input.path)
        const check = checkModelFolder(src)
        const name = uniqueName(input.name, basename(src))
        mkdirSync(staging)
        for (const f of check.info.files) {
          if (check.needsCasedFix && f.name === TOKENIZER_CONFIG) continue // the library writes its own
          if (input.mode === 'copy') await copyFile(join(src, f.name), join(staging, f.name))
          else linkFile(join(src, f.name), join(staging, f.name))
        }
        const fix = fixCasing(staging, check, src)
        const checked = checkModelFolder(staging)
        const notes = [...(fix ? [fix] : []), ...check.warnings]
        const sizeBytes = checked.info.files.reduce((a, f) => a + f.bytes, 0)
        const { id, path } = register(staging, { name, source: { kind: 'local', path: src, mode: input.mode }, storage: input.mode, info: checked.info, notes, sizeBytes, createdAt: now() })
        options.emitChange({ kind: 'added', id: String(id) })
        const report = [
          `Checked ${src}: ${describeInfo(checked.info)}.`,
          input.mode === 'copy'
            ? `Copied ${check.info.files.length} files (${formatBytes(sizeBytes)}) into ${path}.`
            : `Linked ${check.info.files.length} files (${formatBytes(sizeBytes)}) from ${path}; they stay in ${src} (nothing copied: do not move or delete that folder).`,
          ...notes,
        ]
        return { model: get(String(id)), report }
      }

      const { folder, files, otherFiles } = input.upload
      const display = folder
      mkdirSync(staging)
      const uploaded = new Set<string>()
      try {
        for (const f of files) {
          if (!LIBRARY_FILES.includes(f.name) || uploaded.has(f.name)) continue
          const u = options.uploads.resolve(f.uploadId)
          await copyFile(u.path, join(staging, f.name))
          uploaded.add(f.name)
        }
        // Names of weights the browser did not send: empty placeholders, so the check says how to convert them.
        for (const n of otherFiles) if (FOREIGN_WEIGHTS.includes(n) && !uploaded.has(n)) writeFileSync(join(staging, n), '')
        let check: FolderCheck
        try {
          check = checkModelFolder(staging)
        } catch (err) {
          throw renamed(err, staging, display)
        }
        for (const n of readdirSync(staging)) if (!LIBRARY_FILES.includes(n)) rmSync(join(staging, n), { force: true })
        const name = uniqueName(input.name, basename(folder))
        const fix = fixCasing(staging, check, display)
        const checked = checkModelFolder(staging)
        const notes = [...(fix ? [fix] : []), ...check.warnings.map((w) => w.split(staging).join(display))]
        const sizeBytes = checked.info.files.reduce((a, f) => a + f.bytes, 0)
        const { id, path } = register(staging, { name, source: { kind: 'upload', folder }, storage: 'copy', info: checked.info, notes, sizeBytes, createdAt: now() })
        options.emitChange({ kind: 'added', id: String(id) })
        return {
          model: get(String(id)),
          report: [`Checked ${display}: ${describeInfo(checked.info)}.`, `Copied ${checked.info.files.length} uploaded files (${formatBytes(sizeBytes)}) into ${path}.`, ...notes],
        }
      } finally {
        for (const f of files) options.uploads.remove(f.uploadId)
      }
    } finally {
      removeTree(staging)
    }
  }

  /**
   * Moves a pretraining result (a folder under the data directory's models/) into the library
   * and records where it came from, so Train and the Models view offer it like any other model.
   */
  function registerPretrained(dir: string, from: { projectId: number; projectName: string; file: string | null; texts: number; steps: number; finalLoss: number }): ModelImportResult {
    const src = resolve(dir)
    if (!src.startsWith(modelsDir + sep)) throw new AppError('INVALID_INPUT', `${src} is not in the data directory's models folder: import it with tagtune models import instead.`)
    const check = checkModelFolder(src)
    const name = uniqueName(undefined, `${from.file ? basename(from.file) : from.projectName} (pretrained ${now().slice(0, 10)})`)
    const sizeBytes = check.info.files.reduce((a, f) => a + f.bytes, 0)
    const finalLoss = Number.isFinite(from.finalLoss) ? from.finalLoss : null
    const { id, path } = register(src, {
      name,
      source: { kind: 'pretrain', projectId: from.projectId, projectName: from.projectName, file: from.file, texts: from.texts, steps: from.steps, finalLoss },
      storage: 'copy',
      info: check.info,
      notes: [`Pretrained (masked language model) on ${from.texts.toLocaleString()} texts ${from.file ? `of ${from.file}` : `of project "${from.projectName}"`}: ${from.steps.toLocaleString()} steps${finalLoss === null ? '' : `, final loss ${finalLoss.toFixed(4)}`}.`, ...check.warnings],
      sizeBytes,
      createdAt: now(),
    })
    options.emitChange({ kind: 'added', id: String(id) })
    return { model: get(String(id)), report: [`Checked ${src}: ${describeInfo(check.info)}.`, `Moved it into the library: ${path}.`] }
  }

  async function download(input: DownloadInput): Promise<ModelImportResult> {
    const endpoint = input.endpoint.replace(/\/+$/, '')
    const target: HubTarget = { endpoint, repo: input.repo, revision: input.revision, ...(input.token ? { token: input.token } : {}) }
    const key = `${endpoint}|${input.repo}|${input.revision}`
    if (downloading.has(key)) throw new AppError('CONFLICT', `${input.repo}@${input.revision} is already being downloaded.`)
    if (input.name !== undefined) uniqueName(input.name, input.name)
    downloading.add(key)
    const host = (() => {
      try {
        return new URL(endpoint).host
      } catch {
        return 'hub'
      }
    })()
    const staging = join(downloadsDir, `${host}--${input.repo.replace(/\//g, '--')}@${input.revision.replace(/\//g, '--')}`.replace(/[^\w.@-]/g, '_'))
    const label = `${input.repo}@${input.revision}`
    let lastProgress: Omit<ModelDownloadProgress, 'endpoint' | 'repo' | 'revision'> | null = null
    const progress = (p: Omit<ModelDownloadProgress, 'endpoint' | 'repo' | 'revision'>): void => {
      lastProgress = p
      options.emitProgress({ endpoint, repo: input.repo, revision: input.revision, ...p })
    }
    try {
      const result = await downloadRepo(target, staging, { ...options.http, ...(input.proxy ? { proxy: input.proxy } : {}) }, progress)
      let check: FolderCheck
      try {
        check = checkModelFolder(staging)
      } catch (err) {
        // The hub's files are complete and intact but do not make a usable model: keeping them helps nobody.
        removeTree(staging)
        throw renamed(err, staging, label)
      }
      progress({ phase: 'registering', file: null, fileIndex: result.files.length, fileCount: result.files.length, fileBytes: 0, fileTotal: null, bytes: check.info.files.reduce((a, f) => a + f.bytes, 0), totalBytes: null, resumedFrom: 0 })
      const fix = fixCasing(staging, check, label)
      const checked = checkModelFolder(staging)
      const notes = [...(fix ? [fix] : []), ...check.warnings.map((w) => w.split(staging).join(label))]
      const sizeBytes = checked.info.files.reduce((a, f) => a + f.bytes, 0)
      const name = uniqueName(input.name, input.revision === 'main' ? input.repo : label)
      const { id } = register(staging, { name, source: { kind: 'hub', endpoint, repo: input.repo, revision: input.revision, commit: result.commit }, storage: 'copy', info: checked.info, notes, sizeBytes, createdAt: now() })
      options.emitChange({ kind: 'added', id: String(id) })
      progress({ phase: 'done', file: null, fileIndex: result.files.length, fileCount: result.files.length, fileBytes: 0, fileTotal: null, bytes: sizeBytes, totalBytes: sizeBytes, resumedFrom: 0 })
      const resumed = result.files.filter((f) => f.resumedFrom > 0 && f.resumedFrom < f.bytes)
      return {
        model: get(String(id)),
        report: [
          `Downloaded ${result.files.map((f) => f.name).join(', ')} (${formatBytes(sizeBytes)}) from ${label}${result.commit ? ` (commit ${result.commit.slice(0, 12)})` : ''} on ${endpoint}; sizes and checksums match the hub's.`,
          ...resumed.map((f) => `${f.name} resumed at byte ${f.resumedFrom.toLocaleString('en-US')}.`),
          `Checked: ${describeInfo(checked.info)}.`,
          ...notes,
        ],
      }
    } catch (err) {
      const base = lastProgress ?? { file: null, fileIndex: 0, fileCount: 0, fileBytes: 0, fileTotal: null, bytes: 0, totalBytes: null, resumedFrom: 0 }
      options.emitProgress({ endpoint, repo: input.repo, revision: input.revision, ...base, phase: 'failed' })
      throw err
    } finally {
      downloading.delete(key)
    }
  }

  function remove(id: string): { id: string } {
    if (RUN_ID.test(id)) {
      throw new AppError('FORBIDDEN', `The model of run #${RUN_ID.exec(id)![1]} belongs to its run: delete the run (in Runs) to remove it.`)
    }
    const m = repo.getModel(db, Number(id))
    if (!m) throw new AppError('NOT_FOUND', `There is no model with id ${id} in the library.`)
    const folder = folderOf(m.id)
    const users = repo.activeRunsUsingModel(db, [pathOf(m)])
    if (users.length > 0) {
      throw new AppError('CONFLICT', `"${m.name}" is used by run${users.length > 1 ? 's' : ''} ${users.map((u) => `#${u.id} (${u.status})`).join(', ')}; wait for ${users.length > 1 ? 'them' : 'it'} to finish or cancel ${users.length > 1 ? 'them' : 'it'} first.`)
    }
    // Out of the way first (one rename), then the row, then the files: a failure leaves both or neither.
    const trash = join(modelsDir, `.trash-${m.id}-${randomBytes(4).toString('hex')}`)
    const moved = existsSync(folder)
    if (moved) renameSync(folder, trash)
    try {
      repo.deleteModel(db, m.id)
    } catch (err) {
      if (moved) renameSync(trash, folder)
      throw err
    }
    // For a linked model the folder holds links: removing them never touches the files they point to.
    removeTree(trash)
    options.emitChange({ kind: 'deleted', id })
    return { id }
  }

  return { list, get, import: importFolder, download, registerPretrained, delete: remove }
}

export type ModelService = ReturnType<typeof createModelService>
