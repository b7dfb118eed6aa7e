/**
 * Scaffolding shared by the format reader/writer tests (tests/src-main/formats): run a reader and
 * collect what it yields and reports, drain a writer, and check a read → write → read round trip.
 */
import { expect } from 'vitest'
import { textSourceFromString } from '../../src-main/formats/text-source'
import type { DocumentRecord, Problem, ReadContext, ReadSummary } from '../../src-main/formats/types'

/** A read context that keeps every problem reported to it. */
export function problemCollector(file: string): { ctx: ReadContext; problems: Problem[] } {
  const problems: Problem[] = []
  return { ctx: { file, report: (p) => problems.push(p) }, problems }
}

/** The documents a reader yields and the notes of its summary. */
export async function collect(gen: AsyncGenerator<DocumentRecord, ReadSummary>): Promise<{ docs: DocumentRecord[]; notes: string[] }> {
  const docs: DocumentRecord[] = []
  let r = await gen.next()
  while (!r.done) {
    docs.push(r.value)
    r = await gen.next()
  }
  return { docs, notes: r.value.notes }
}

export interface ReadResult {
  docs: DocumentRecord[]
  notes: string[]
  problems: Problem[]
}

/** Runs `reader` on `input` with a context for `file`: documents, notes and problems. */
export async function readAll<I>(reader: (input: I, ctx: ReadContext) => AsyncGenerator<DocumentRecord, ReadSummary>, input: I, file: string): Promise<ReadResult> {
  const { ctx, problems } = problemCollector(file)
  return { ...(await collect(reader(input, ctx))), problems }
}

/** The lines of `text`, as a file named `file` gives them to a line reader. */
export const linesOf = (text: string, file: string): AsyncIterable<string> => textSourceFromString(text, file).lines()

/** Runs a line-based reader (doccano, spaCy, CLUENER, plain text) on `text` as the file `file`. */
export const readText = (reader: (lines: AsyncIterable<string>, ctx: ReadContext) => AsyncGenerator<DocumentRecord, ReadSummary>, text: string, file: string): Promise<ReadResult> =>
  readAll(reader, linesOf(text, file), file)

/** Everything an async iterable yields (a writer's chunks or brat pairs). */
export async function drain<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

/** A text writer's output as one string. */
export const join = async (chunks: AsyncIterable<string>): Promise<string> => (await drain(chunks)).join('')

/** `["Apple/ORG", ...]`: the text each span covers, with its label. */
export const covered = (d: { text: string; spans: { start: number; end: number; label: string }[] }): string[] =>
  d.spans.map((s) => `${d.text.slice(s.start, s.end)}/${s.label}`)

/** JSON lines: one record per line, with a final line break. */
export const jsonl = (records: unknown[]): string => records.map((r) => JSON.stringify(r)).join('\n') + '\n'

/**
 * read → write → read: both reads report no problem, the documents read back equal the first ones, and
 * writing them again gives the same output. Returns the first documents and the written output.
 */
export async function expectRoundTrip<T>(read: (input: T) => Promise<ReadResult>, write: (docs: DocumentRecord[]) => Promise<T>, input: T): Promise<{ docs: DocumentRecord[]; written: T }> {
  const first = await read(input)
  expect(first.problems).toEqual([])
  const written = await write(first.docs)
  const second = await read(written)
  expect(second.problems).toEqual([])
  expect(second.docs).toEqual(first.docs)
  expect(await write(second.docs)).toEqual(written)
  return { docs: first.docs, written }
}
