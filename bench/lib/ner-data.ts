/** Reading a dataset folder of ../shared/data for benchmarks: train/dev(/test) files as NER documents. */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
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
