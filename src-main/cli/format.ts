/** Human-readable text for CLI output. Pure. */
import type { AppInfo } from '../../src-shared/ipc/contract'
import type { Project } from '../../src-shared/domain/project'
import type { AppErrorShape } from '../../src-shared/ipc/errors'

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
