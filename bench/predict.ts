/**
 * How long the Predict view waits: the latency of run.predict for one short text (a trainer
 * process starts and loads the model each time), and the speed of run.predictFile on a
 * generated plain-text file. The model is the tiny test fixture (tests/fixtures/tiny-bert, a
 * BertForTokenClassification with PER/LOC) or --model DIR (a Hugging Face token-classification
 * folder), installed as a run's best checkpoint.
 *
 * The trainer is the built one (out/main/trainer.js, as the app and the CLI start it) when
 * `npm run build` has made it, else the TypeScript source through tsx (slower to start).
 *
 *   npx tsx bench/predict.ts [--model DIR] [--lines 2000] [--repeat 5]
 */
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createHost } from '../src-main/host/create-host'
import * as repo from '../src-main/store/repositories/runs'
import { forkTrainer } from '../src-main/services/runs/trainer-process'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback
}

const model = resolve(arg('model', resolve(import.meta.dirname, '../tests/fixtures/tiny-bert')))
const lines = Number(arg('lines', '2000'))
const repeat = Number(arg('repeat', '5'))
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const dir = mkdtempSync(join(tmpdir(), 'tagtune-bench-predict-'))
const built = resolve(import.meta.dirname, '../out/main/trainer.js')
const host = createHost({ dataDir: join(dir, 'data'), kind: 'cli', backend: 'auto', ...(existsSync(built) ? { spawnTrainer: () => forkTrainer({ path: built, execArgv: [] }) } : {}) })
try {
  const project = await host.call('project.create', { name: 'bench', labels: [{ name: 'PER' }, { name: 'LOC' }] })
  const runId = repo.insertRun(host.db, { projectId: project.id, name: 'bench', status: 'completed', config: { model }, model: { kind: 'folder', path: model, name: 'bench' }, tags: [], now: new Date().toISOString() })
  cpSync(model, join(host.runs.runDir(runId), 'best'), { recursive: true })
  const info = await host.call('app.info', {})

  const short: number[] = []
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now()
    await host.call('run.predict', { id: runId, texts: ['mary visited london yesterday and john smith lives in paris'] })
    short.push(performance.now() - t0)
  }

  const sentences = ['mary visited london yesterday', '约翰住在北京，他是中国人。', 'the old man from paris was born in china and works at the bank in new york', 'hello anna']
  const file = join(dir, 'notes.txt')
  writeFileSync(file, Array.from({ length: lines }, (_, i) => `${sentences[i % sentences.length]} ${i}`).join('\n'))
  const t0 = performance.now()
  const r = await host.call('run.predictFile', { id: runId, file: { path: file } })
  const fileMs = performance.now() - t0
  const t1 = performance.now()
  await host.call('run.exportPredictions', { resultId: r.resultId, format: 'conll', path: join(dir, 'out.conll') })
  const exportMs = performance.now() - t1

  console.log(`model: ${model}`)
  console.log(`trainer: ${existsSync(built) ? built : 'TypeScript source through tsx'}`)
  console.log(`backend (host detection): ${info.backend.label}`)
  console.log(`run.predict, one short text: median ${(median(short) / 1000).toFixed(2)} s over ${repeat} (min ${(Math.min(...short) / 1000).toFixed(2)} s, max ${(Math.max(...short) / 1000).toFixed(2)} s)`)
  console.log(`run.predictFile, ${lines} lines: ${(fileMs / 1000).toFixed(2)} s, ${Math.round(lines / (fileMs / 1000))} documents/s (${r.entities} entities)`)
  console.log(`run.exportPredictions to CoNLL: ${(exportMs / 1000).toFixed(2)} s`)
} finally {
  host.close()
  rmSync(dir, { recursive: true, force: true })
}
