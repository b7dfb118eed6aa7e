/**
 * Every format behind one interface: read a list of sources into DocumentRecords, write
 * DocumentRecords as text chunks (or, for brat, as .txt/.ann pairs).
 */
import { basename, extname } from 'node:path'
import type { ConllReadOptions, ConllWriteOptions, DocumentRecord, Problem, ReadSummary } from './types'
import type { Format } from '../../src-shared/domain/dataset'
import type { TextSource } from './text-source'
import { readConll, writeConll } from './conll'
import { readDoccano, writeDoccano } from './doccano'
import { readLabelStudio, writeLabelStudio } from './label-studio'
import { readSpacy, writeSpacy } from './spacy'
import { readCluener, writeCluener } from './cluener'
import { readBrat, writeBrat } from './brat'
import { readPlainText, writePlainText } from './plain-text'

export const EXTENSIONS: Record<Format, string> = {
  conll: '.conll',
  doccano: '.jsonl',
  'label-studio': '.json',
  spacy: '.jsonl',
  cluener: '.json',
  brat: '',
  text: '.txt',
}

/** Formats whose documents come annotated (imported as done); plain text is for annotating from scratch. */
export function isAnnotatedFormat(f: Format): boolean {
  return f !== 'text'
}

/**
 * Read all sources in order as one stream of documents. brat sources are paired by base name
 * (a.txt + a.ann); a .txt without its .ann is read with no spans, an .ann without its .txt is a problem.
 */
export async function* readSources(
  format: Format,
  sources: readonly TextSource[],
  options: ConllReadOptions,
  report: (p: Problem) => void,
): AsyncGenerator<DocumentRecord, ReadSummary> {
  const notes: string[] = []
  let scheme: ReadSummary['scheme']
  const take = (s: ReadSummary | void, file: string): void => {
    if (!s) return
    if (s.scheme) scheme = s.scheme
    for (const n of s.notes) notes.push(sources.length > 1 ? `${file}: ${n}` : n)
  }
  if (format === 'brat') {
    const byBase = new Map<string, { txt?: TextSource; ann?: TextSource }>()
    for (const s of sources) {
      const base = basename(s.file, extname(s.file))
      const entry = byBase.get(base) ?? {}
      if (extname(s.file).toLowerCase() === '.ann') entry.ann = s
      else entry.txt = s
      byBase.set(base, entry)
    }
    const pairs = async function* () {
      for (const [name, pair] of byBase) {
        if (!pair.txt) {
          report({ kind: 'field', file: pair.ann!.file, message: `${pair.ann!.file} has no matching ${name}.txt: choose both files of each pair` })
          continue
        }
        yield { name, text: await pair.txt.text(), ann: pair.ann ? await pair.ann.text() : '' }
      }
    }
    const gen = readBrat(pairs(), { file: 'brat', report })
    let r = await gen.next()
    while (!r.done) {
      yield r.value
      r = await gen.next()
    }
    take(r.value, 'brat')
    return { ...(scheme ? { scheme } : {}), notes }
  }
  for (const source of sources) {
    const ctx = { file: source.file, report }
    const gen =
      format === 'conll'
        ? readConll(source.lines(), options, ctx)
        : format === 'doccano'
          ? readDoccano(source.lines(), ctx)
          : format === 'label-studio'
            ? readLabelStudio(await source.text(), ctx)
            : format === 'spacy'
              ? readSpacy(source.lines(), ctx)
              : format === 'cluener'
                ? readCluener(source.lines(), ctx)
                : readPlainText(source.lines(), ctx)
    let r = await gen.next()
    while (!r.done) {
      yield r.value
      r = await gen.next()
    }
    take(r.value, source.file)
  }
  return { ...(scheme ? { scheme } : {}), notes }
}

/** Text chunks of one file in `format` (not brat: see writeBratFiles). */
export function writeFormat(format: Exclude<Format, 'brat'>, docs: AsyncIterable<DocumentRecord>, conll: ConllWriteOptions): AsyncGenerator<string> {
  switch (format) {
    case 'conll':
      return writeConll(docs, conll)
    case 'doccano':
      return writeDoccano(docs)
    case 'label-studio':
      return writeLabelStudio(docs)
    case 'spacy':
      return writeSpacy(docs)
    case 'cluener':
      return writeCluener(docs)
    case 'text':
      return writePlainText(docs)
  }
}

export { writeBrat as writeBratFiles }
