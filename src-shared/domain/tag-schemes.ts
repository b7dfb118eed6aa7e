/**
 * Entity spans over tokens <-> token tags in each scheme (IOB1, IOB2, IOBES, BMES, BILOU).
 * Pure; used by the scheme preview and by CoNLL import/export.
 */
import type { FileTagScheme, InvalidTagPolicy } from './dataset'
import type { TagScheme } from './project'

/** An entity over tokens `[start, end)`. */
export interface TokenSpan {
  start: number
  end: number
  label: string
}

/** Tags for `length` tokens; spans must not overlap (nested entities have no flat tagging). */
export function spansToTags(length: number, spans: readonly TokenSpan[], scheme: FileTagScheme): string[] {
  const tags = new Array<string>(length).fill('O')
  const sorted = [...spans].sort((a, b) => a.start - b.start)
  let prev: TokenSpan | undefined
  for (const s of sorted) {
    if (s.start < 0 || s.end > length || s.end <= s.start) throw new RangeError(`span [${s.start}, ${s.end}) is outside 0..${length}`)
    if (prev && s.start < prev.end) throw new RangeError(`spans [${prev.start}, ${prev.end}) and [${s.start}, ${s.end}) overlap`)
    const single = s.end - s.start === 1
    for (let i = s.start; i < s.end; i++) {
      const first = i === s.start
      const last = i === s.end - 1
      let prefix: string
      switch (scheme) {
        case 'iob2':
          prefix = first ? 'B' : 'I'
          break
        case 'iob1':
          // B- only where this entity directly follows another of the same type.
          prefix = first && prev !== undefined && prev.end === s.start && prev.label === s.label ? 'B' : 'I'
          break
        case 'iobes':
          prefix = single ? 'S' : first ? 'B' : last ? 'E' : 'I'
          break
        case 'bmes':
          prefix = single ? 'S' : first ? 'B' : last ? 'E' : 'M'
          break
        case 'bilou':
          prefix = single ? 'U' : first ? 'B' : last ? 'L' : 'I'
          break
      }
      tags[i] = `${prefix}-${s.label}`
    }
    prev = s
  }
  return tags
}

/** A short example sentence for showing what a scheme looks like with the project's own labels. */
export function schemeExample(scheme: TagScheme, labels: readonly string[]): { token: string; tag: string }[] {
  const a = labels[0] ?? 'PER'
  const b = labels.find((l) => /^(LOC|GPE|PLACE|LOCATION)$/i.test(l)) ?? labels[labels.length - 1] ?? a
  const tokens = ['Ada', 'Lovelace', 'met', 'Charles', 'Babbage', 'in', 'London']
  const spans: TokenSpan[] = [
    { start: 0, end: 2, label: a },
    { start: 3, end: 5, label: a },
    { start: 6, end: 7, label: b },
  ]
  const tags = spansToTags(tokens.length, spans, scheme)
  return tokens.map((token, i) => ({ token, tag: tags[i]! }))
}

// ---------------------------------------------------------------------------------------------
// Reading tags

/** What a prefix means, whatever scheme spells it: B begin, I inside (I-, M-), E end (E-, L-), S single (S-, U-). */
type Role = 'B' | 'I' | 'E' | 'S'

interface ParsedTag {
  prefix: string
  role: Role
  type: string
}

const ROLES: Record<string, Role> = { B: 'B', I: 'I', M: 'I', E: 'E', L: 'E', S: 'S', U: 'S' }

/** The prefixes each scheme writes. */
export const SCHEME_PREFIXES: Record<FileTagScheme, string> = { iob1: 'BI', iob2: 'BI', iobes: 'BIES', bmes: 'BMES', bilou: 'BILU' }

const SCHEME_NAMES: Record<FileTagScheme, string> = { iob1: 'IOB1', iob2: 'IOB2', iobes: 'IOBES', bmes: 'BMES', bilou: 'BILOU' }

/** `B-PER` -> prefix B, type PER. 'O' -> null. A tag without a known `X-` prefix -> undefined (unknown). */
function parseTag(tag: string): ParsedTag | null | undefined {
  if (tag === 'O') return null
  if (tag.length < 3 || tag.charCodeAt(1) !== 45 /* - */) return undefined
  const prefix = tag[0]!
  const role = ROLES[prefix]
  return role ? { prefix, role, type: tag.slice(2) } : undefined
}

export type TagProblemKind = 'sequence' | 'unknown-tag' | 'scheme'

export interface TagProblem {
  /** Index of the offending token. */
  index: number
  message: string
  /** 'sequence': invalid order (I- without B- ...); 'unknown-tag': no known prefix; 'scheme': a prefix the scheme does not use (M- in IOBES). */
  kind: TagProblemKind
}

/**
 * Decode token tags into entity spans `[start, end)` over tokens.
 *
 * Entities are found as conlleval/seqeval do, for every scheme at once, by what each prefix means:
 * B starts an entity; I/M continues an open entity of the same type; E/L continues and closes it;
 * S/U is a one-token entity; O and unknown tags close any open entity.
 *
 * Validity per scheme (what gets reported in `invalid`, with the token index):
 * - IOB1: any I-X after O or another type starts an entity (valid). B-X is valid only right after
 *   an X entity (B-X/I-X); elsewhere it is reported (and, repaired, starts an entity as conlleval does).
 * - IOB2: I-X after O, at sentence start or after another type is invalid.
 * - IOBES / BMES / BILOU: an entity is S-X (U-X) alone or B-X (I-X|M-X)* E-X (L-X). Invalid: a stray
 *   I/M (no open X entity), a stray E/L, an entity left open (next tag is O, B-, S-, another type or
 *   the end), reported at the last token of the unclosed entity.
 * - A prefix the scheme does not use (M- in IOBES, S- in BILOU, E-/S- in IOB2) is kind 'scheme'
 *   and is read by its meaning; a tag that is not O and has no known `X-` prefix (`PER`) is kind
 *   'unknown-tag' and is read as O.
 *
 * Repair policy ('repair'), conlleval-style: a stray I/M starts a new entity of its type; a stray
 * E/L is a one-token entity of its type; an unclosed entity ends at its last token (so a type
 * change inside `B-X I-Y` yields X then Y); an unknown tag is O. All such spans are returned.
 * Under 'reject' the same problems are reported but every entity touched by one (stray start,
 * unclosed, foreign prefix) is left out of `spans`: only well-formed entities are returned.
 */
export function tagsToSpans(
  tags: readonly string[],
  scheme: FileTagScheme,
  policy: InvalidTagPolicy,
): { spans: TokenSpan[]; invalid: TagProblem[] } {
  const repair = policy === 'repair'
  const allowed = SCHEME_PREFIXES[scheme]
  const endMarked = scheme === 'iobes' || scheme === 'bmes' || scheme === 'bilou'
  const endPrefix = scheme === 'bilou' ? 'L' : 'E'
  const innerPrefix = scheme === 'bmes' ? 'M' : 'I'
  const name = SCHEME_NAMES[scheme]
  const spans: TokenSpan[] = []
  const invalid: TagProblem[] = []
  // The open entity always ends at the previous token.
  let open: { start: number; label: string; bad: boolean } | undefined

  const report = (index: number, kind: TagProblemKind, message: string, repairNote: string) => {
    invalid.push({ index, kind, message: repair ? `${message}; ${repairNote}` : message })
  }
  const close = (end: number) => {
    if (open && (repair || !open.bad)) spans.push({ start: open.start, end, label: open.label })
    open = undefined
  }
  /** The open entity ends before token `i` without its end tag. */
  const closeUnmarked = (i: number) => {
    if (!open) return
    if (endMarked) {
      const next = i < tags.length ? `followed by ${tags[i]}` : 'at the end of the sentence'
      report(i - 1, 'sequence', `${name}: the ${open.label} entity starting at token ${open.start} is not closed with ${endPrefix}-${open.label} (${next})`, `read as ending at token ${i - 1}`)
      open.bad = true
    }
    close(i)
  }
  /** What a foreign prefix is read as, in the scheme's own terms. */
  const readAs = (t: ParsedTag) => {
    if (t.role === 'B') return `B-${t.type}`
    if (t.role === 'I') return `${innerPrefix}-${t.type}`
    if (!endMarked) return t.role === 'E' ? `the end of the open ${t.type} entity` : `a one-token ${t.type} entity`
    return t.role === 'E' ? `${endPrefix}-${t.type}` : `${scheme === 'bilou' ? 'U' : 'S'}-${t.type}`
  }
  const before = (i: number) => (i === 0 ? 'at the start of the sentence' : `after ${tags[i - 1]}`)

  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i]!
    const t = parseTag(tag)
    if (t === undefined) {
      report(i, 'unknown-tag', `unknown tag "${tag}": not O and no B-/I-/E-/S-/M-/L-/U- prefix`, 'read as O')
      closeUnmarked(i)
      continue
    }
    if (t === null) {
      closeUnmarked(i)
      continue
    }
    const foreign = !allowed.includes(t.prefix)
    if (foreign) report(i, 'scheme', `prefix ${t.prefix}- (tag ${tag}) is not used by ${name}`, `read as ${readAs(t)}`)
    const continues = open !== undefined && open.label === t.type
    switch (t.role) {
      case 'B': {
        // IOB1 writes B- only between two touching entities of the same type.
        const iob1Bad = scheme === 'iob1' && !continues
        closeUnmarked(i)
        if (iob1Bad) report(i, 'sequence', `IOB1: ${tag} ${before(i)}; B- is used only right after another ${t.type} entity`, `read as the start of a new ${t.type} entity`)
        open = { start: i, label: t.type, bad: foreign || iob1Bad }
        break
      }
      case 'I':
        if (continues) {
          if (foreign) open!.bad = true
          break
        }
        closeUnmarked(i)
        // A stray I starts an entity: valid in IOB1, repaired elsewhere (conlleval does the same).
        if (scheme !== 'iob1') report(i, 'sequence', `${name}: ${tag} ${before(i)}; an entity starts with B-${t.type}`, `read as the start of a new ${t.type} entity`)
        open = { start: i, label: t.type, bad: foreign || scheme !== 'iob1' }
        break
      case 'E':
        if (continues) {
          if (foreign) open!.bad = true
          close(i + 1)
          break
        }
        closeUnmarked(i)
        report(i, 'sequence', `${name}: ${tag} ${before(i)} closes no ${t.type} entity`, `read as a one-token ${t.type} entity`)
        open = { start: i, label: t.type, bad: true }
        close(i + 1)
        break
      case 'S':
        closeUnmarked(i)
        open = { start: i, label: t.type, bad: foreign }
        close(i + 1)
        break
    }
  }
  closeUnmarked(tags.length)
  return { spans, invalid }
}

/**
 * Guess the scheme of a tag sequence. An empty string marks a sentence boundary (like O).
 * M- -> BMES; L-/U- -> BILOU; S-/E- -> IOBES; B-/I- only -> IOB2 when no entity starts with I-,
 * IOB1 when no B- appears outside a touching same-type pair, and when both kinds of violation occur,
 * the scheme with fewer of them (a few I- starts in an IOB2 file are errors, not IOB1).
 * `mixed` when a prefix the chosen scheme does not use appears too (M- with L-, S- with U- ...).
 */
export function detectScheme(tags: Iterable<string>): { scheme: FileTagScheme; mixed: boolean; reason: string } {
  const seen = new Set<string>()
  let entities = 0
  let iStarts = 0 // I-X not continuing an X entity: not IOB2
  let bOutside = 0 // B-X not right after an X entity: not IOB1
  let prev: ParsedTag | null | undefined = null
  for (const tag of tags) {
    const t = tag === '' ? null : parseTag(tag)
    if (t) {
      seen.add(t.prefix)
      const sameBefore = prev != null && prev.type === t.type && (prev.prefix === 'B' || prev.prefix === 'I')
      if (t.prefix === 'B') {
        entities++
        if (!sameBefore) bOutside++
      } else if (t.prefix === 'I' && !sameBefore) {
        entities++
        iStarts++
      } else if (t.role === 'S') entities++
    }
    prev = t
  }
  const has = (p: string) => [...p].some((c) => seen.has(c))
  let scheme: FileTagScheme
  let reason: string
  if (has('M')) {
    scheme = 'bmes'
    reason = 'M- tags: BMES'
  } else if (has('LU')) {
    scheme = 'bilou'
    reason = 'L-/U- tags: BILOU'
  } else if (has('ES')) {
    scheme = 'iobes'
    reason = 'E-/S- tags: IOBES'
  } else if (entities === 0) {
    scheme = 'iob2'
    reason = 'no entity tags; IOB2 assumed'
  } else if (iStarts === 0) {
    scheme = 'iob2'
    reason = `B-/I- tags and all ${entities} entities start with B-: IOB2`
  } else if (bOutside === 0) {
    scheme = 'iob1'
    reason = `B-/I- tags, ${iStarts} of ${entities} entities start with I- and B- only separates touching entities: IOB1`
  } else {
    scheme = bOutside >= iStarts ? 'iob2' : 'iob1'
    reason =
      `B-/I- tags: ${iStarts} of ${entities} entities start with I- (not IOB2) and ${bOutside} start with B- after O or another type (not IOB1); ` +
      `read as ${SCHEME_NAMES[scheme]}, the scheme with fewer violations`
  }
  const foreign = [...seen].filter((p) => !SCHEME_PREFIXES[scheme].includes(p)).sort()
  const mixed = foreign.length > 0
  if (mixed) reason += `; also ${foreign.map((p) => `${p}-`).join(', ')} tags, which ${SCHEME_NAMES[scheme]} does not use (mixed schemes)`
  return { scheme, mixed, reason }
}

/** Display name of a scheme: 'iob1' -> 'IOB1'. */
export function schemeName(scheme: FileTagScheme): string {
  return SCHEME_NAMES[scheme]
}
