/**
 * Projects and their label sets: the schemas both sides validate against, and the pure
 * rules that fill in defaults. No I/O here; the store and the renderer import the same rules.
 */
import { z } from 'zod'

export const TASK_TYPES = ['ner', 'text-classification'] as const
export const TaskType = z.enum(TASK_TYPES)
export type TaskType = z.infer<typeof TaskType>

/** Tag schemes a NER project can export and train with. IOB2 is the default. */
export const TAG_SCHEMES = ['iob2', 'iobes', 'iob1', 'bmes'] as const
export const TagScheme = z.enum(TAG_SCHEMES)
export type TagScheme = z.infer<typeof TagScheme>

export const TAG_SCHEME_TITLES: Record<TagScheme, string> = {
  iob2: 'IOB2 (B- starts every entity)',
  iobes: 'IOBES / BIOES (single-token S-, E- ends)',
  iob1: 'IOB1 (B- only between adjacent entities)',
  bmes: 'BMES (Chinese word-style: B, M, E, S)',
}

/** Colors offered to new labels, in order; chosen to stay readable as span backgrounds. */
export const LABEL_PALETTE = [
  '#e6550d', '#3182bd', '#31a354', '#756bb1', '#d6616b',
  '#17becf', '#bcbd22', '#8c564b', '#e377c2', '#636363',
] as const

/** Keys the annotation workspace reserves for navigation and editing; not usable as label shortcuts. */
export const RESERVED_SHORTCUTS = ['?'] as const

export const LABEL_NAME_MAX = 50
export const PROJECT_NAME_MAX = 100

export const LabelName = z
  .string()
  .trim()
  .min(1, 'label name is empty')
  .max(LABEL_NAME_MAX, `label name is longer than ${LABEL_NAME_MAX} characters`)
  .regex(/^\S+$/, 'label name must not contain spaces (it becomes a tag such as B-NAME)')
  .refine((n) => !/^[BIMESLU]-/.test(n), 'label name must not start with a tag prefix such as B- or I-')

export const LabelColor = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'color must look like #1f77b4')

export const LabelShortcut = z
  .string()
  .regex(/^[a-z0-9]$/, 'shortcut must be one lowercase letter or digit')

export const Label = z.strictObject({
  id: z.number().int().positive(),
  name: z.string(),
  color: z.string(),
  shortcut: z.string().nullable(),
  description: z.string(),
})
export type Label = z.infer<typeof Label>

/** A label as a client sends it: id present when the label already exists (a rename keeps it). */
export const LabelInput = z.strictObject({
  id: z.number().int().positive().optional(),
  name: LabelName,
  color: LabelColor.optional(),
  shortcut: LabelShortcut.nullable().optional(),
  description: z.string().max(500, 'description is longer than 500 characters').optional(),
})
export type LabelInput = z.input<typeof LabelInput>

/** A label set must not repeat names (case-insensitively: PER and per would be confused) or shortcuts. */
function checkLabelSet(labels: readonly z.infer<typeof LabelInput>[], ctx: z.RefinementCtx): void {
  const names = new Map<string, number>()
  const keys = new Map<string, number>()
  const ids = new Map<number, number>()
  labels.forEach((l, i) => {
    const key = l.name.toLowerCase()
    const n = names.get(key)
    if (n !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `label "${l.name}" is already used by label ${n + 1}` })
    else names.set(key, i)
    if (l.shortcut) {
      const k = keys.get(l.shortcut)
      if (k !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'shortcut'], message: `shortcut "${l.shortcut}" is already used by label ${k + 1}` })
      else keys.set(l.shortcut, i)
    }
    if (l.id !== undefined) {
      const d = ids.get(l.id)
      if (d !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `label id ${l.id} appears twice` })
      else ids.set(l.id, i)
    }
  })
}

export const LabelSetInput = z.array(LabelInput).max(200, 'at most 200 labels').superRefine(checkLabelSet)

export const ProjectName = z
  .string()
  .trim()
  .min(1, 'project name is empty')
  .max(PROJECT_NAME_MAX, `project name is longer than ${PROJECT_NAME_MAX} characters`)

export const ProjectId = z.number().int().positive()

export const Project = z.strictObject({
  id: ProjectId,
  name: z.string(),
  description: z.string(),
  taskType: TaskType,
  tagScheme: TagScheme,
  labels: z.array(Label),
  /** When true, spans may overlap (nested entities); otherwise overlapping spans are refused. */
  allowNested: z.boolean(),
  /** Annotation guidelines in Markdown, shown beside the text in the annotation workspace. */
  guidelines: z.string(),
  /** Incremented by every update; an update naming an older version is refused. */
  version: z.number().int().nonnegative(),
  createdAt: z.string(),
  updatedAt: z.string(),
})
export type Project = z.infer<typeof Project>

export const ProjectCreate = z.strictObject({
  name: ProjectName,
  description: z.string().max(5000).optional(),
  taskType: TaskType.optional(),
  tagScheme: TagScheme.optional(),
  allowNested: z.boolean().optional(),
  guidelines: z.string().max(100_000).optional(),
  labels: LabelSetInput.optional(),
})
export type ProjectCreate = z.input<typeof ProjectCreate>

export const ProjectUpdate = z.strictObject({
  id: ProjectId,
  /** The version the client last saw; when given and stale the update is refused with CONFLICT. */
  expectedVersion: z.number().int().nonnegative().optional(),
  name: ProjectName.optional(),
  description: z.string().max(5000).optional(),
  tagScheme: TagScheme.optional(),
  allowNested: z.boolean().optional(),
  guidelines: z.string().max(100_000).optional(),
  /** The whole label set: labels with an id are kept (and may be renamed), others are added, missing ones removed. */
  labels: LabelSetInput.optional(),
})
export type ProjectUpdate = z.input<typeof ProjectUpdate>

export interface ResolvedLabel {
  id?: number
  name: string
  color: string
  shortcut: string | null
  description: string
}

/** Shortcut keys offered to new labels, in order. */
export const SHORTCUT_ORDER = [...'1234567890abcdefghijklmnopqrstuvwxyz']

/** The first shortcut not in `used`, or null when all 36 are taken. */
export function nextFreeShortcut(used: Iterable<string | null | undefined>): string | null {
  const taken = new Set(used)
  return SHORTCUT_ORDER.find((k) => !taken.has(k)) ?? null
}

/** The first palette color not in `used` (case-insensitive); cycles when all are taken. */
export function nextFreeColor(used: Iterable<string | null | undefined>): string {
  const taken = new Set([...used].filter((c): c is string => !!c).map((c) => c.toLowerCase()))
  return LABEL_PALETTE.find((c) => !taken.has(c)) ?? LABEL_PALETTE[taken.size % LABEL_PALETTE.length]!
}

/**
 * Fill in a color and a shortcut for labels that have none, avoiding the ones already taken.
 * `shortcut: null` means "no shortcut" and stays null; `undefined` asks for one.
 */
export function resolveLabelDefaults(labels: readonly z.infer<typeof LabelInput>[]): ResolvedLabel[] {
  const colors: (string | undefined)[] = labels.map((l) => l.color)
  const keys: (string | null | undefined)[] = labels.map((l) => l.shortcut)
  return labels.map((l, i) => {
    const color = l.color ?? nextFreeColor(colors)
    colors[i] = color
    const shortcut = l.shortcut === undefined ? nextFreeShortcut(keys) : l.shortcut
    keys[i] = shortcut
    return {
      ...(l.id !== undefined ? { id: l.id } : {}),
      name: l.name,
      color: color.toLowerCase(),
      shortcut,
      description: l.description ?? '',
    }
  })
}
