import { join } from 'node:path'
import { afterEach } from 'vitest'
import { createHost, type Host } from '../../src-main/host/create-host'
import type { SpanTuple } from '../../src-shared/domain/dataset'

export const RESOURCES = join(import.meta.dirname, '../../resources')

/** Hosts on fresh data dirs, closed after each test. */
export function useHosts(tempDir: () => string): (dataDir?: string) => Host {
  const hosts: Host[] = []
  afterEach(() => {
    for (const h of hosts.splice(0)) h.close()
  })
  return (dataDir = tempDir()) => {
    const h = createHost({ dataDir, kind: 'cli', backend: 'cpu', resourcesDir: RESOURCES })
    hosts.push(h)
    return h
  }
}

/** Every document of a project as text + spans with label names, in order: what a user would compare. */
export function dumpProject(host: Host, projectId: number): { text: string; split: string; spans: [number, number, string][] }[] {
  const labels = new Map((host.db.prepare('SELECT id, name FROM labels WHERE project_id = ?').all(projectId) as { id: number; name: string }[]).map((l) => [l.id, l.name]))
  const rows = host.db
    .prepare(
      `SELECT d.text, d.split, a.spans FROM documents d LEFT JOIN annotations a ON a.document_id = d.id WHERE d.project_id = ? ORDER BY d.position`,
    )
    .all(projectId) as { text: string; split: string; spans: string | null }[]
  return rows.map((r) => ({
    text: r.text,
    split: r.split,
    spans: (r.spans ? (JSON.parse(r.spans) as SpanTuple[]) : []).map(([s, e, id]) => [s, e, labels.get(id)!] as [number, number, string]),
  }))
}

export function tableCounts(host: Host): Record<string, number> {
  const out: Record<string, number> = {}
  for (const t of ['projects', 'labels', 'documents', 'annotations', 'imports', 'import_staging']) {
    out[t] = (host.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n
  }
  return out
}
