/**
 * Import and export speed of the dataset pipeline (format reader -> checks -> staging -> SQLite,
 * and SQLite -> writer -> file), on the real data in ../shared/data and on a generated
 * 200,000-sentence CoNLL file. Prints sentences/s and the peak memory.
 *
 *   npm run bench:datasets            (add --quick to skip the 200k file)
 */
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { once } from 'node:events'
import { createHost, type Host } from '../src-main/host/create-host'
import type { Format } from '../src-shared/domain/dataset'

const DATA = resolve(import.meta.dirname, '../../shared/data')
const quick = process.argv.includes('--quick')

let peakRss = 0
let peakHeap = 0
const sampler = setInterval(() => {
  const m = process.memoryUsage()
  peakRss = Math.max(peakRss, m.rss)
  peakHeap = Math.max(peakHeap, m.heapUsed)
}, 50)

const mb = (n: number): string => `${(n / 2 ** 20).toFixed(0)} MB`

interface Row {
  data: string
  sentences: number
  fileMB: string
  importPerS: number
  saveS: number
  exportPerS: number
  peakHeap: string
}

async function measure(host: Host, label: string, files: string[], format: Format, exportFormat: Exclude<Format, 'brat'>, extra: Record<string, unknown> = {}): Promise<Row> {
  peakHeap = 0
  const p = await host.call('project.create', { name: label, allowNested: true })
  let savingAt = 0
  const off = host.onEvent((e, payload) => {
    if (e === 'dataset.onDidImportProgress' && (payload as { phase: string }).phase === 'saving') savingAt = performance.now()
  })
  const t0 = performance.now()
  const r = await host.call('dataset.import', { projectId: p.id, files: files.map((path) => ({ path })), format, unknownLabels: 'add', ...extra })
  const t1 = performance.now()
  off()
  const out = join(tmpdir(), `tagtune-bench-${process.pid}.out`)
  const t2 = performance.now()
  await host.call('dataset.export', { projectId: p.id, format: exportFormat, path: out })
  const t3 = performance.now()
  rmSync(out, { force: true })
  return {
    data: label,
    sentences: r.documents,
    fileMB: (files.reduce((n, f) => n + statSync(f).size, 0) / 2 ** 20).toFixed(1),
    importPerS: Math.round(r.documents / ((t1 - t0) / 1000)),
    saveS: +((t1 - savingAt) / 1000).toFixed(2),
    exportPerS: Math.round(r.documents / ((t3 - t2) / 1000)),
    peakHeap: mb(peakHeap),
  }
}

/** A CoNLL file of `n` sentences of 12 to 20 tokens, about a third with one or two entities. */
async function generate(path: string, n: number): Promise<void> {
  const out = createWriteStream(path)
  const words = ['the', 'company', 'said', 'on', 'Monday', 'that', 'its', 'profits', 'rose', 'in', 'March', 'while', 'analysts', 'expected', 'less', '.']
  let seed = 7
  const rand = (k: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) % k)
  for (let i = 0; i < n; i++) {
    const len = 12 + rand(9)
    let lines = ''
    for (let t = 0; t < len; t++) {
      if (i % 3 === 0 && t === 2) lines += `Acme${i % 1000}\tB-ORG\nCorp\tI-ORG\n`
      else if (i % 5 === 0 && t === 6) lines += `Paris\tB-LOC\n`
      else lines += `${words[rand(words.length)]}\tO\n`
    }
    if (!out.write(lines + '\n')) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
}

const dir = mkdtempSync(join(tmpdir(), 'tagtune-bench-'))
const host = createHost({ dataDir: dir, kind: 'cli', backend: 'cpu' })
const rows: Row[] = []
try {
  if (existsSync(DATA)) {
    const real: [string, string[], Format, Exclude<Format, 'brat'>, Record<string, unknown>?][] = [
      ['WNUT-17 train+dev', ['wnut17/wnut17train.conll', 'wnut17/emerging.dev.conll'], 'conll', 'conll'],
      ['CoNLL-2003 train+testa', ['conll2003/eng.train', 'conll2003/eng.testa'], 'conll', 'conll'],
      ['Resume NER train+dev', ['resume-ner/train.char.bmes', 'resume-ner/dev.char.bmes'], 'conll', 'conll'],
      ["People's Daily dev", ['peoples-daily-ner/example.dev'], 'conll', 'conll'],
      ['Weibo NER train+dev', ['weibo-ner/weiboNER_2nd_conll.train', 'weibo-ner/weiboNER_2nd_conll.dev'], 'conll', 'conll', { weiboDigits: true }],
      ['CLUENER2020 train', ['cluener2020/train.json'], 'cluener', 'cluener'],
    ]
    for (const [label, files, format, exportFormat, extra] of real) rows.push(await measure(host, label, files.map((f) => join(DATA, f)), format, exportFormat, extra))
  } else {
    console.warn(`(${DATA} not found: real-data rows skipped)`)
  }
  if (!quick) {
    const big = join(dir, 'generated-200k.conll')
    await generate(big, 200_000)
    rows.push(await measure(host, 'generated 200k sentences', [big], 'conll', 'conll', { scheme: 'iob2' }))
  }
} finally {
  clearInterval(sampler)
  host.close()
  rmSync(dir, { recursive: true, force: true })
}

console.log('\nDataset import/export (one process, 2-core machine; import = read + check + stage + commit into SQLite)\n')
console.log('data                          sentences  file MB  import sent/s  commit s  export sent/s  peak heap')
for (const r of rows) {
  console.log(
    `${r.data.padEnd(30)}${String(r.sentences).padStart(9)}${r.fileMB.padStart(9)}${String(r.importPerS).padStart(15)}${String(r.saveS).padStart(10)}${String(r.exportPerS).padStart(15)}${r.peakHeap.padStart(11)}`,
  )
}
console.log(`\npeak RSS over the whole run: ${mb(peakRss)}`)
