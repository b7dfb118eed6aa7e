/**
 * The data file a run trains on: JSON Lines of DataRecord, written by the host from the
 * snapshot and read by the trainer, which never touches the database.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import type { DataRecord } from './protocol'

export function writeDataFile(path: string, records: Iterable<DataRecord>): number {
  const lines: string[] = []
  for (const r of records) lines.push(JSON.stringify(r))
  writeFileSync(path, lines.length ? `${lines.join('\n')}\n` : '')
  return lines.length
}

export function readDataFile(path: string): DataRecord[] {
  const out: DataRecord[] = []
  readFileSync(path, 'utf8').split('\n').forEach((line, i) => {
    if (!line.trim()) return
    let r: DataRecord
    try {
      r = JSON.parse(line) as DataRecord
    } catch (err) {
      throw new Error(`${path}, line ${i + 1}: not valid JSON (${(err as Error).message})`)
    }
    if (typeof r.text !== 'string' || !Array.isArray(r.spans)) throw new Error(`${path}, line ${i + 1}: a record needs "text" and "spans"`)
    out.push(r)
  })
  return out
}
