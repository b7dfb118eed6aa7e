/** Reading a dataset folder of ../shared/data for benchmarks: train/dev(/test) files as NER documents. */
import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { detectFormat } from '../../src-main/formats/detect'
import { readSources } from '../../src-main/formats/registry'
import { openTextFile } from '../../src-main/formats/text-source'
import type { NerDocument } from '../../src-main/engine/data'

export type SplitName = 'train' | 'dev' | 'test'

/** train / dev / test files by name (eng.train, eng.testa = dev, *.dev, dev.char.bmes, ...). */
export function splitFiles(dir: string): Partial<Record<SplitName, string>> {
  const out: Partial<Record<SplitName, string>> = {}
  for (const f of readdirSync(dir).sort()) {
    const n = f.toLowerCase()
    if (n.endsWith('.md') || n.endsWith('.pdf')) continue
    if (/train/.test(n)) out.train ??= join(dir, f)
    else if (/(^|[._-])(dev|valid|testa)([._-]|$)|\.dev$|testa$/.test(n)) out.dev ??= join(dir, f)
    else if (/test/.test(n)) out.test ??= join(dir, f)
  }
  return out
}

export async function readNerFile(path: string, prefix: string): Promise<{ docs: NerDocument[]; labels: string[] }> {
  const source = await openTextFile(path)
  const d = detectFormat(await source.sample(), source.file)
  if (!d.format) throw new Error(`${path}: ${d.reason}`)
  const docs: NerDocument[] = []
  const labels = new Set<string>()
  let i = 0
  for await (const rec of readSources(d.format, [source], { invalidTags: 'repair', weiboDigits: /weibo/i.test(path) }, () => {})) {
    if (!rec.text) continue
    for (const s of rec.spans) labels.add(s.label)
    docs.push({ id: `${prefix}${i++}`, text: rec.text, spans: rec.spans.map((s) => ({ start: s.start, end: s.end, label: s.label })) })
  }
  return { docs, labels: [...labels].sort() }
}

export interface NerBenchData {
  dir: string
  /** The training documents used (the first `maxTrain`), and the whole training file. */
  train: NerDocument[]
  allTrain: NerDocument[]
  dev: NerDocument[]
  /** Entity types of train and dev, sorted. */
  types: string[]
  /** Chinese text (checked on the first training documents). */
  chinese: boolean
  /** The vocabulary to build a scratch model with: the one asked, else the shared BERT one for the script (Chinese or cased Latin). */
  vocab: string
}

/**
 * A dataset folder's train (the first `maxTrain` documents) and dev files, for the NER
 * benchmarks; exits with a message when the folder or its files are missing.
 */
export async function loadNerBenchData(dataDir: string, o: { maxTrain?: number; vocab?: string }): Promise<NerBenchData> {
  const dir = resolve(dataDir)
  if (!existsSync(dir)) {
    console.error(`${dir} not found: the real datasets live in ../shared/data beside the checkout.`)
    process.exit(1)
  }
  const files = splitFiles(dir)
  if (!files.train || !files.dev) {
    console.error(`${dir}: need a train and a dev file (found ${JSON.stringify(files)})`)
    process.exit(1)
  }
  const train = await readNerFile(files.train, 't')
  const dev = await readNerFile(files.dev, 'd')
  const trainDocs = o.maxTrain ? train.docs.slice(0, o.maxTrain) : train.docs
  const chinese = /[\u4e00-\u9fff]/.test(trainDocs.slice(0, 50).map((d) => d.text).join(''))
  return {
    dir,
    train: trainDocs,
    allTrain: train.docs,
    dev: dev.docs,
    chinese,
    types: [...new Set([...train.labels, ...dev.labels])].sort(),
    vocab: o.vocab ? resolve(o.vocab) : resolve(import.meta.dirname, '../../../shared/data/vocab', chinese ? 'bert-base-chinese' : 'bert-base-cased', 'vocab.txt'),
  }
}
