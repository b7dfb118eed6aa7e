/**
 * The tag set a token-classification head predicts: tag strings, their ids, and what each id
 * means (role and entity type), so encoding and decoding never parse tag strings in a loop.
 * Pure.
 */

/** The schemes a model is trained with. IOB2 is what HF's run_ner uses; IOBES marks ends too. */
export type TrainingScheme = 'iob2' | 'iobes'

/** What a tag says about its token: outside, begin, inside, end, single. */
export type TagRole = 'O' | 'B' | 'I' | 'E' | 'S'

/** The label of a position the loss ignores: [CLS], [SEP], padding, non-first sub-tokens. Same value as PyTorch's / HF's. */
export const IGNORE_LABEL = -100

export interface TagSet {
  /** Tag per id. buildTagSet puts 'O' first, then per type B-X, I-X (and E-X, S-X for IOBES). */
  readonly tags: readonly string[]
  /** Tag -> id. */
  readonly index: ReadonlyMap<string, number>
  readonly scheme: TrainingScheme
  /** Entity types in the order of their first tag. */
  readonly types: readonly string[]
  /** Role per id. */
  readonly roles: readonly TagRole[]
  /** Entity type per id; '' for O. */
  readonly tagTypes: readonly string[]
  /** The id of 'O'. */
  readonly outside: number
}

const SCHEME_ROLES: Record<TrainingScheme, readonly TagRole[]> = { iob2: ['B', 'I'], iobes: ['B', 'I', 'E', 'S'] }

/** Builds the lookups of a TagSet from its tag list (already validated). */
function makeTagSet(tags: readonly string[], scheme: TrainingScheme): TagSet {
  const index = new Map<string, number>()
  const roles: TagRole[] = []
  const tagTypes: string[] = []
  const types: string[] = []
  const seenTypes = new Set<string>()
  tags.forEach((tag, id) => {
    index.set(tag, id)
    if (tag === 'O') {
      roles.push('O')
      tagTypes.push('')
      return
    }
    const type = tag.slice(2)
    roles.push(tag[0] as TagRole)
    tagTypes.push(type)
    if (!seenTypes.has(type)) {
      seenTypes.add(type)
      types.push(type)
    }
  })
  return { tags, index, scheme, types, roles, tagTypes, outside: index.get('O')! }
}

/**
 * The tag set for `entityTypes` in `scheme`: 'O' first, then per type, in the order given,
 * B-X, I-X (IOB2) or B-X, I-X, E-X, S-X (IOBES). Throws on an empty or repeated type.
 */
export function buildTagSet(entityTypes: readonly string[], scheme: TrainingScheme): TagSet {
  if (scheme !== 'iob2' && scheme !== 'iobes') throw new RangeError(`unsupported training scheme ${JSON.stringify(scheme)}: use iob2 or iobes`)
  const seen = new Set<string>()
  const tags = ['O']
  for (const type of entityTypes) {
    if (type.length === 0) throw new RangeError('an entity type is the empty string')
    if (seen.has(type)) throw new RangeError(`entity type ${JSON.stringify(type)} is listed twice`)
    seen.add(type)
    for (const role of SCHEME_ROLES[scheme]) tags.push(`${role}-${type}`)
  }
  return makeTagSet(tags, scheme)
}

/**
 * The tag set of a trained model's config.json `id2label` (keys may be numbers or the strings
 * HF writes, "0", "1", ...; an array is read as id -> tag). The ids are kept as the model has
 * them, whatever their order. The scheme is IOBES when any tag is E-X or S-X, else IOB2.
 * Throws, naming the tag, when a tag is neither 'O' nor B-/I-/E-/S- + a non-empty type, when a
 * tag repeats, when ids are not 0..n-1, when there is no 'O', or when a type lacks one of the
 * scheme's tags (training needs all of them).
 */
export function tagSetFromId2Label(id2label: Readonly<Record<number | string, string>> | readonly string[]): TagSet {
  const entries = Array.isArray(id2label) ? id2label.map((t, i) => [String(i), t] as const) : Object.entries(id2label)
  const n = entries.length
  if (n === 0) throw new RangeError('id2label is empty')
  const tags = new Array<string>(n)
  for (const [key, tag] of entries) {
    const id = Number(key)
    if (!Number.isInteger(id) || id < 0 || id >= n || String(id) !== key.trim()) throw new RangeError(`id2label: id ${JSON.stringify(key)} is not one of 0..${n - 1}`)
    if (typeof tag !== 'string') throw new RangeError(`id2label[${id}] is not a string`)
    tags[id] = tag
  }
  const seen = new Set<string>()
  let iobes = false
  tags.forEach((tag, id) => {
    if (seen.has(tag)) throw new RangeError(`id2label: tag ${JSON.stringify(tag)} appears twice`)
    seen.add(tag)
    if (tag === 'O') return
    if (!/^[BIES]-./su.test(tag)) throw new RangeError(`id2label[${id}] = ${JSON.stringify(tag)} is not O or B-/I-/E-/S- followed by an entity type`)
    if (tag[0] === 'E' || tag[0] === 'S') iobes = true
  })
  if (!seen.has('O')) throw new RangeError('id2label has no "O" tag')
  const scheme: TrainingScheme = iobes ? 'iobes' : 'iob2'
  const set = makeTagSet(tags, scheme)
  for (const type of set.types) {
    for (const role of SCHEME_ROLES[scheme]) {
      if (!set.index.has(`${role}-${type}`)) throw new RangeError(`id2label has ${set.tags.find((t) => set.tagTypes[set.index.get(t)!] === type)} but not ${role}-${type} (read as ${scheme.toUpperCase()})`)
    }
  }
  return set
}

/** The id of the tag `role`-`type` ('O' when role is 'O'). Throws when the set does not have it. */
export function tagId(tagSet: TagSet, role: TagRole, type: string): number {
  const tag = role === 'O' ? 'O' : `${role}-${type}`
  const id = tagSet.index.get(tag)
  if (id === undefined) throw new RangeError(`tag ${JSON.stringify(tag)} is not in the tag set (types: ${tagSet.types.join(', ') || 'none'})`)
  return id
}

/** id2label / label2id as a HF config.json writes them. */
export function tagSetToConfig(tagSet: TagSet): { id2label: Record<string, string>; label2id: Record<string, number> } {
  const id2label: Record<string, string> = {}
  const label2id: Record<string, number> = {}
  tagSet.tags.forEach((t, i) => {
    id2label[String(i)] = t
    label2id[t] = i
  })
  return { id2label, label2id }
}
