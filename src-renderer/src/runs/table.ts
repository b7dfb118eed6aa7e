/**
 * The Runs table as data: its columns (what each shows, sorts by and exports), filtering,
 * sorting and the CSV export. Pure; the view renders it.
 */
import type { RunTableRow } from '@shared/domain/run-compare'
import type { RunStatus } from '@shared/domain/run'
import { pct } from '../training/format'

/** 45 s, 2m 05s, 1h 20m: short enough for a table column. */
export function shortDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '–'
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`
}

export type SortValue = string | number | null

export interface Column {
  key: string
  title: string
  /** Shown until the user picks columns. */
  visible: boolean
  /** Always shown (the run itself). */
  fixed?: boolean
  numeric?: boolean
  /** What the cell shows. */
  text(r: RunTableRow): string
  /** What the column sorts by (null sorts last either way). */
  sort(r: RunTableRow): SortValue
  /** The CSV cell (raw values: fractions, milliseconds). */
  csv(r: RunTableRow): string
  /** One line on what the column means (the header's tooltip). */
  help?: string
}

const num = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '' : String(Number(x.toFixed(6))))
const started = (r: RunTableRow): string => r.run.startedAt ?? r.run.createdAt

export const COLUMNS: Column[] = [
  { key: 'run', title: 'Run', visible: true, fixed: true, text: (r) => `#${r.run.id} ${r.run.name}`, sort: (r) => r.run.id, csv: (r) => r.run.name },
  { key: 'status', title: 'Status', visible: true, text: (r) => r.run.status, sort: (r) => r.run.status, csv: (r) => r.run.status },
  { key: 'model', title: 'Model', visible: true, text: (r) => r.modelName, sort: (r) => r.modelName.toLowerCase(), csv: (r) => r.modelName },
  { key: 'recipe', title: 'Recipe', visible: true, text: (r) => r.recipe, sort: (r) => r.recipe.toLowerCase(), csv: (r) => r.recipe, help: 'Full fine-tune, LoRA, adapters, frozen layers, FGM/PGD …, read from the run config' },
  {
    key: 'snapshot',
    title: 'Data',
    visible: true,
    text: (r) => r.run.datasetHash?.slice(0, 8) ?? '–',
    sort: (r) => r.run.datasetHash,
    csv: (r) => r.run.datasetHash ?? '',
    help: 'The dataset snapshot the run trained on (a hash of its documents and annotations): equal hashes, equal data',
  },
  { key: 'devF1', title: 'Dev F1', visible: true, numeric: true, text: (r) => pct(r.run.bestMetric), sort: (r) => r.run.bestMetric, csv: (r) => num(r.run.bestMetric), help: 'Best entity F1 on dev (the checkpoint the test scores come from)' },
  { key: 'testF1', title: 'Test F1', visible: true, numeric: true, text: (r) => pct(r.test?.f1), sort: (r) => r.test?.f1 ?? null, csv: (r) => num(r.test?.f1), help: 'Micro entity F1 on test with the best checkpoint (seqeval default mode)' },
  { key: 'testP', title: 'P', help: 'Micro precision on test', visible: true, numeric: true, text: (r) => pct(r.test?.precision), sort: (r) => r.test?.precision ?? null, csv: (r) => num(r.test?.precision) },
  { key: 'testR', title: 'R', help: 'Micro recall on test', visible: true, numeric: true, text: (r) => pct(r.test?.recall), sort: (r) => r.test?.recall ?? null, csv: (r) => num(r.test?.recall) },
  { key: 'testStrictF1', title: 'Test F1 strict', visible: false, numeric: true, text: (r) => pct(r.testStrict?.f1), sort: (r) => r.testStrict?.f1 ?? null, csv: (r) => num(r.testStrict?.f1), help: 'Micro entity F1 on test in seqeval strict mode' },
  { key: 'duration', title: 'Time', visible: true, numeric: true, help: 'Wall-clock time from start to end', text: (r) => shortDuration(r.durationMs), sort: (r) => r.durationMs, csv: (r) => num(r.durationMs === null ? null : r.durationMs / 1000) },
  { key: 'backend', title: 'Backend', visible: false, text: (r) => r.backendLabel, sort: (r) => r.backendLabel, csv: (r) => r.backendLabel },
  { key: 'params', title: 'Trained params', visible: false, numeric: true, text: (r) => (r.run.trainableParams === null ? '–' : r.run.trainableParams.toLocaleString('en-US')), sort: (r) => r.run.trainableParams, csv: (r) => num(r.run.trainableParams) },
  { key: 'started', title: 'Started', visible: false, text: (r) => started(r).slice(0, 16).replace('T', ' '), sort: (r) => started(r), csv: started },
  { key: 'tags', title: 'Tags', visible: true, text: (r) => r.run.tags.join(', '), sort: (r) => r.run.tags.join(',').toLowerCase() || null, csv: (r) => r.run.tags.join('; ') },
  { key: 'notes', title: 'Notes', visible: true, text: (r) => r.run.notes, sort: (r) => r.run.notes.toLowerCase() || null, csv: (r) => r.run.notes },
]

export const COLUMN_KEYS = COLUMNS.map((c) => c.key)
export const columnByKey = new Map(COLUMNS.map((c) => [c.key, c]))

/** The columns to show: the saved choice (unknown keys dropped, fixed columns always in), else the defaults. */
export function visibleColumns(saved: readonly string[] | null): Column[] {
  const keys = new Set(saved ?? COLUMNS.filter((c) => c.visible).map((c) => c.key))
  return COLUMNS.filter((c) => c.fixed || keys.has(c.key))
}

export interface RunFilter {
  text: string
  status: RunStatus | ''
  tag: string
}

/** Rows matching the filter: status, tag, and every word of the text in the id, name, model, recipe, tags or notes. */
export function filterRows(rows: readonly RunTableRow[], f: RunFilter): RunTableRow[] {
  const words = f.text.toLowerCase().split(/\s+/).filter(Boolean)
  return rows.filter((r) => {
    if (f.status && r.run.status !== f.status) return false
    if (f.tag && !r.run.tags.includes(f.tag)) return false
    if (!words.length) return true
    const hay = [`#${r.run.id}`, r.run.name, r.modelName, r.recipe, r.backendLabel, r.run.datasetHash ?? '', ...r.run.tags, r.run.notes].join(' ').toLowerCase()
    return words.every((w) => hay.includes(w))
  })
}

export interface SortState {
  key: string
  dir: 'asc' | 'desc'
}

/** Sorted by the column; empty values last in both directions; ties keep the newest run first. */
export function sortRows(rows: readonly RunTableRow[], s: SortState): RunTableRow[] {
  const col = columnByKey.get(s.key)
  if (!col) return [...rows]
  const sign = s.dir === 'asc' ? 1 : -1
  return [...rows].sort((a, b) => {
    const x = col.sort(a)
    const y = col.sort(b)
    if (x === null || y === null) return x === y ? b.run.id - a.run.id : x === null ? 1 : -1
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))
    return c !== 0 ? sign * c : b.run.id - a.run.id
  })
}

/** Every tag of the runs, sorted. */
export function allTags(rows: readonly RunTableRow[]): string[] {
  return [...new Set(rows.flatMap((r) => r.run.tags))].sort((a, b) => a.localeCompare(b))
}

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

const CSV_NAMES: Record<string, string> = { run: 'name', snapshot: 'dataset_snapshot', devF1: 'best_dev_f1', testF1: 'test_f1', testP: 'test_precision', testR: 'test_recall', testStrictF1: 'test_f1_strict', duration: 'duration_seconds', params: 'trainable_params' }

/** The rows as CSV with the given columns (the run id first), CRLF line ends as RFC 4180 has them. */
export function toCsv(rows: readonly RunTableRow[], columns: readonly Column[]): string {
  const head = ['id', ...columns.map((c) => CSV_NAMES[c.key] ?? c.key)]
  const lines = [head, ...rows.map((r) => [String(r.run.id), ...columns.map((c) => c.csv(r))])]
  return lines.map((l) => l.map(csvField).join(',')).join('\r\n') + '\r\n'
}

/** "a, b,, a" -> ["a", "b"]: a tag list as typed. */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(',').map((t) => t.trim()).filter(Boolean))]
}
