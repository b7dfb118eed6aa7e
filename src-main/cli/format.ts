/** Human-readable text for CLI output. Pure. */
import type { AppInfo } from '../../src-shared/ipc/contract'
import type { Project } from '../../src-shared/domain/project'
import type { AppErrorShape } from '../../src-shared/ipc/errors'
import { SPLITS, type DatasetStats, type ImportReport } from '../../src-shared/domain/dataset'

export function formatInfo(info: AppInfo): string {
  return [
    `Tagtune ${info.version} (${info.runtime})`,
    `data dir:  ${info.dataDir}`,
    `database:  ${info.databasePath} (schema ${info.schemaVersion})`,
    `compute:   ${info.backend.label}${info.backend.threads ? `, ${info.backend.threads} thread(s)` : ''}`,
    ...info.backend.notes.map((n) => `           (${n})`),
  ].join('\n')
}

export function formatProjectLine(p: Project): string {
  const labels = p.labels.map((l) => l.name).join(', ') || '(no labels)'
  return `${String(p.id).padStart(4)}  ${p.name}  [${p.taskType}, ${p.tagScheme.toUpperCase()}]  ${labels}`
}

export function formatProject(p: Project): string {
  const lines = [
    `#${p.id} ${p.name}`,
    `task:     ${p.taskType}`,
    `scheme:   ${p.tagScheme.toUpperCase()}`,
    `created:  ${p.createdAt}`,
    `updated:  ${p.updatedAt} (version ${p.version})`,
  ]
  if (p.description) lines.push(`about:    ${p.description}`)
  lines.push(`labels (${p.labels.length}):`)
  for (const l of p.labels) {
    lines.push(`  ${l.shortcut ? `[${l.shortcut}]` : '   '} ${l.name.padEnd(16)} ${l.color}${l.description ? `  ${l.description}` : ''}`)
  }
  return lines.join('\n')
}

export function formatError(e: AppErrorShape): string {
  const lines = [`error: ${e.message}`]
  // The message already quotes the first three problems; list them all only when there are more.
  if (Array.isArray(e.details) && e.details.length > 3) {
    for (const d of e.details as { path?: string; message?: string }[]) {
      if (d && typeof d.message === 'string') lines.push(`  - ${d.path ? `${d.path}: ` : ''}${d.message}`)
    }
  }
  return lines.join('\n')
}

function where(p: ImportReport['problems'][number]): string {
  return [p.file, p.line !== undefined ? `line ${p.line}` : p.record !== undefined ? `record ${p.record}` : '', p.field ? `field ${p.field}` : ''].filter(Boolean).join(', ')
}

export function formatImportReport(r: ImportReport): string {
  const lines = [
    `${r.committed ? 'Imported' : r.errors ? 'Refused' : 'Checked (dry run)'}: ${r.files.join(', ')}`,
    `format:    ${r.format} (${r.formatReason})`,
    `encoding:  ${r.encoding} (${r.encodingReason})${r.scheme ? `\nscheme:    ${r.scheme.toUpperCase()}` : ''}`,
    `documents: ${r.documents}, entities: ${r.spans}${Object.keys(r.perLabel).length ? ` (${Object.entries(r.perLabel).map(([l, n]) => `${l} ${n}`).join(', ')})` : ''}`,
  ]
  if (r.addedLabels.length) lines.push(`added labels: ${r.addedLabels.join(', ')}`)
  if (r.unknownLabels.length && !r.addedLabels.length) lines.push(`labels not in the project: ${r.unknownLabels.map((u) => `${u.name} (${u.count})`).join(', ')} (import with --add-labels to add them)`)
  if (r.errors || r.warnings) lines.push(`problems:  ${r.errors} error(s), ${r.warnings} repaired (${Object.entries(r.problemCounts).map(([k, n]) => `${k} ${n}`).join(', ')})`)
  for (const p of r.problems) lines.push(`  ${p.repaired ? 'repaired' : 'error'}  ${where(p)}: ${p.message}`)
  if (r.problems.length < r.errors + r.warnings) lines.push(`  … ${r.errors + r.warnings - r.problems.length} more`)
  for (const n of r.notes) lines.push(`note: ${n}`)
  lines.push(`time:      ${r.seconds.toFixed(2)} s`)
  return lines.join('\n')
}

function bar(n: number, max: number, width = 24): string {
  return max > 0 ? '█'.repeat(Math.round((n / max) * width)) : ''
}

export function formatStats(p: Project, s: DatasetStats): string {
  const total = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0)
  const cols = SPLITS.map((sp) => sp.padStart(12)).join('')
  const row = (name: string, o: Record<string, number>): string => `${name.padEnd(22)}${SPLITS.map((sp) => String(o[sp] ?? 0).padStart(12)).join('')}${String(total(o)).padStart(12)}`
  const lines = [
    `${p.name}: ${total(s.documents)} documents, ${total(s.tokens)} tokens, ${s.entities.reduce((a, e) => a + e.total, 0)} entities`,
    `status: ${Object.entries(s.status).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    '',
    `${''.padEnd(22)}${cols}${'all'.padStart(12)}`,
    row('documents', s.documents),
    row('tokens', s.tokens),
    row('characters', s.characters),
    row('without entities', s.documentsWithoutEntities),
    ...s.entities.map((e) => row(`  ${e.label}`, e.perSplit)),
  ]
  const maxLen = Math.max(0, ...s.spanLengths.map((b) => b.count))
  if (maxLen > 0) {
    lines.push('', 'entity length (characters):')
    for (const b of s.spanLengths) if (b.count) lines.push(`${String(b.length).padStart(4)}${b.orLonger ? '+' : ' '} ${String(b.count).padStart(7)} ${bar(b.count, maxLen)}`)
  }
  return lines.join('\n')
}
