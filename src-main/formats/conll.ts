/**
 * CoNLL column files: one token per line (`token [columns...] tag`), a blank line between
 * sentences, optional `-DOCSTART-` lines between documents. Each sentence becomes one document
 * whose text is rebuilt from the tokens; the tokens and their extra columns (POS, chunk) are kept
 * so that writing the document back reproduces the same lines.
 *
 * Both directions stream: the reader holds at most the first DETECT_SENTENCES sentences (to detect
 * the tag scheme), the writer yields one chunk per document.
 */
import { detectScheme, schemeName, spansToTags, tagsToSpans, type TokenSpan } from '../../src-shared/domain/tag-schemes'
import type { ConllReadOptions, ConllWriteOptions, DocumentRecord, FileTagScheme, ReadContext, ReadSummary, SpanRecord, TokenRecord } from './types'

/** How many sentences the reader looks at to detect the scheme before it streams the rest. */
export const DETECT_SENTENCES = 2000

const DOCSTART = '-DOCSTART-'

// ---------------------------------------------------------------------------------------------
// Characters

/**
 * CJK: Han (with extensions and compatibility ideographs), kana, hangul, CJK symbols and
 * punctuation, fullwidth forms. Text in these scripts has no spaces between words.
 */
export function isCjk(cp: number): boolean {
  if (cp < 0x1100) return false
  return (
    (cp >= 0x1100 && cp <= 0x11ff) || // hangul jamo
    (cp >= 0x2e80 && cp <= 0x2fdf) || // CJK and Kangxi radicals
    (cp >= 0x3000 && cp <= 0x30ff) || // CJK symbols and punctuation, hiragana, katakana
    (cp >= 0x3100 && cp <= 0x31ff) || // bopomofo, hangul compatibility jamo, katakana extension
    (cp >= 0x3400 && cp <= 0x4dbf) || // Han extension A
    (cp >= 0x4e00 && cp <= 0x9fff) || // Han
    (cp >= 0xac00 && cp <= 0xd7af) || // hangul syllables
    (cp >= 0xf900 && cp <= 0xfaff) || // Han compatibility ideographs
    (cp >= 0xfe30 && cp <= 0xfe4f) || // CJK compatibility forms
    (cp >= 0xff00 && cp <= 0xffef) || // halfwidth and fullwidth forms
    (cp >= 0x20000 && cp <= 0x3134f) // Han extensions B..G, compatibility supplement
  )
}

function lastCodePoint(s: string): number {
  const c = s.charCodeAt(s.length - 1)
  if (c >= 0xdc00 && c <= 0xdfff && s.length > 1) return s.codePointAt(s.length - 2)!
  return c
}

/** One code point (a surrogate pair counts as one). */
function isOneCodePoint(s: string): boolean {
  return s.length === 1 || (s.length === 2 && s.codePointAt(0)! > 0xffff)
}

function isWhitespaceOnly(s: string): boolean {
  return s.trim() === ''
}

// ---------------------------------------------------------------------------------------------
// Reading

/** A sentence as read, before its tags are decoded. */
interface RawSentence {
  tokens: string[]
  columns: (string[] | undefined)[]
  tags: string[]
  /** 1-based line of each token. */
  lines: number[]
  docStart: boolean
}

interface ReadStats {
  docStarts: number
  trailingDocStart: boolean
  droppedColumns: boolean
  twoDigitWeibo: number
}

const SPACE_RUN = / +/
const SPACE_OR_TAB_RUN = /[ \t]+/

/**
 * Strip ASCII spaces (and tabs, when `tabs`) from both ends. Never Unicode spaces such as U+3000:
 * at the start of a line those are a (bad) token, not indentation.
 */
function trimAscii(s: string, tabs: boolean): string {
  const strip = (c: number) => c === 32 || (tabs && c === 9)
  let a = 0
  let b = s.length
  while (a < b && strip(s.charCodeAt(a))) a++
  while (b > a && strip(s.charCodeAt(b - 1))) b--
  return a === 0 && b === s.length ? s : s.slice(a, b)
}

/** A line of only spaces and tabs (WNUT-17 ends many sentences with a line holding one tab). */
function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i)
    if (c !== 32 && c !== 9) return false
  }
  return true
}

function splitColumns(line: string, separator: 'auto' | 'space' | 'tab'): string[] {
  if (separator === 'tab' || (separator === 'auto' && line.includes('\t'))) return line.split('\t').map((c) => trimAscii(c, false))
  return trimAscii(line, true).split(separator === 'space' ? SPACE_OR_TAB_RUN : SPACE_RUN)
}

/**
 * Weibo NER tokens are a character followed by its position in its jieba word: `科0 技1`.
 * The position is one digit except in words of 10+ characters (URLs, English words), e.g.
 * `p10`; there the expected position (previous + 1) is stripped when it has two or more digits.
 */
function stripWeiboDigits(token: string, prevIndex: number): { text: string; index: number; long: boolean } {
  const expected = prevIndex + 1
  if (expected >= 10) {
    const digits = String(expected)
    if (token.length > digits.length && token.endsWith(digits)) return { text: token.slice(0, -digits.length), index: expected, long: true }
  }
  const last = token.charCodeAt(token.length - 1) - 48
  return { text: token.slice(0, -1), index: last >= 0 && last <= 9 ? last : -1, long: false }
}

/** Lines -> raw sentences; syntax problems are reported here. */
async function* readSentences(lines: AsyncIterable<string>, options: ConllReadOptions, ctx: ReadContext, stats: ReadStats): AsyncGenerator<RawSentence> {
  const separator = options.separator ?? 'auto'
  const tagColumn = options.tagColumn ?? -1
  if (tagColumn === 0) throw new RangeError('tagColumn 0 is the token column; the tag is column 1 or later (or negative, counted from the end)')
  let lineNo = 0
  let pendingDocStart = false
  let weiboIndex = -1
  let s: RawSentence = { tokens: [], columns: [], tags: [], lines: [], docStart: false }
  const syntax = (message: string) => ctx.report({ kind: 'syntax', file: ctx.file, line: lineNo, message })

  const finish = function* () {
    if (s.tokens.length > 0) {
      s.docStart = pendingDocStart
      pendingDocStart = false
      yield s
    }
    s = { tokens: [], columns: [], tags: [], lines: [], docStart: false }
    weiboIndex = -1
  }

  for await (let line of lines) {
    lineNo++
    if (line.endsWith('\r')) line = line.slice(0, -1)
    if (isBlank(line)) {
      yield* finish()
      continue
    }
    const cols = splitColumns(line, separator)
    if (cols[0] === DOCSTART) {
      yield* finish()
      pendingDocStart = true
      stats.docStarts++
      continue
    }
    const tagIndex = tagColumn < 0 ? cols.length + tagColumn : tagColumn
    if (cols.length < 2 || tagIndex < 1 || tagIndex >= cols.length) {
      syntax(cols.length < 2 ? `only one column ("${line}"): expected a token and a tag` : `no tag column ${tagColumn} in a line of ${cols.length} columns`)
      continue
    }
    let token = cols[0]!
    if (token === '') {
      syntax('empty token')
      continue
    }
    if (options.weiboDigits) {
      const stripped = stripWeiboDigits(token, weiboIndex)
      token = stripped.text
      weiboIndex = stripped.index
      if (stripped.long) stats.twoDigitWeibo++
    }
    if (isWhitespaceOnly(token)) {
      syntax(options.weiboDigits ? `token "${cols[0]}" is empty or whitespace once its segmentation digit is dropped` : `whitespace-only token "${token}"`)
      continue
    }
    if (tagIndex < cols.length - 1) stats.droppedColumns = true
    s.tokens.push(token)
    s.columns.push(tagIndex > 1 ? cols.slice(1, tagIndex) : undefined)
    s.tags.push(cols[tagIndex]!)
    s.lines.push(lineNo)
  }
  yield* finish()
  stats.trailingDocStart = pendingDocStart
}

/**
 * Where tokens join without a space. 'auto': a sentence whose tokens are all single characters
 * and which has CJK in it is a character-per-line file and joins with nothing (so `2 0 1 8 年`
 * becomes `2018年`); otherwise two tokens join without a space when the last character of the
 * first and the first character of the second are both CJK.
 */
function buildText(tokens: readonly string[], joiner: 'auto' | 'space' | 'none'): { text: string; tokens: TokenRecord[] } {
  let tight = joiner === 'none'
  if (joiner === 'auto' && tokens.every(isOneCodePoint)) tight = tokens.some((t) => isCjk(t.codePointAt(0)!))
  const parts: string[] = []
  const records: TokenRecord[] = []
  let offset = 0
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!
    if (i > 0 && !tight && !(joiner === 'auto' && isCjk(lastCodePoint(tokens[i - 1]!)) && isCjk(tok.codePointAt(0)!))) {
      parts.push(' ')
      offset++
    }
    parts.push(tok)
    records.push({ start: offset, end: offset + tok.length })
    offset += tok.length
  }
  return { text: parts.join(''), tokens: records }
}

interface DecodeState {
  scheme: FileTagScheme
  entities: number
  invalid: number
}

function toDocument(s: RawSentence, options: ConllReadOptions, ctx: ReadContext, state: DecodeState): DocumentRecord {
  const policy = options.invalidTags ?? 'repair'
  const { text, tokens } = buildText(s.tokens, options.joiner ?? 'auto')
  for (let i = 0; i < tokens.length; i++) {
    const cols = s.columns[i]
    if (cols) tokens[i]!.columns = cols
  }
  const { spans, invalid } = tagsToSpans(s.tags, state.scheme, policy)
  for (const p of invalid) {
    state.invalid++
    ctx.report({
      kind: p.kind === 'sequence' ? 'invalid-tag-sequence' : p.kind === 'scheme' ? 'mixed-scheme' : 'unknown-tag',
      file: ctx.file,
      line: s.lines[p.index]!,
      field: 'tag',
      message: p.message,
      repaired: policy === 'repair',
    })
  }
  state.entities += spans.length
  const charSpans: SpanRecord[] = spans.map((sp) => ({ start: tokens[sp.start]!.start, end: tokens[sp.end - 1]!.end, label: sp.label }))
  return {
    text,
    spans: charSpans,
    tokens,
    meta: s.docStart ? { docStart: true } : {},
    source: { file: ctx.file, line: s.lines[0]! },
  }
}

/**
 * Read a CoNLL file, one document per sentence. With scheme 'auto' the scheme is detected from
 * the first DETECT_SENTENCES sentences (or the whole file if it is shorter); later tags that the
 * scheme does not use are reported as 'mixed-scheme'.
 */
export async function* readConll(lines: AsyncIterable<string>, options: ConllReadOptions, ctx: ReadContext): AsyncGenerator<DocumentRecord, ReadSummary> {
  const stats: ReadStats = { docStarts: 0, trailingDocStart: false, droppedColumns: false, twoDigitWeibo: 0 }
  const sentences = readSentences(lines, options, ctx, stats)
  const given = options.scheme && options.scheme !== 'auto' ? options.scheme : undefined
  const state: DecodeState = { scheme: given ?? 'iob2', entities: 0, invalid: 0 }
  const notes: string[] = []
  let count = 0
  let tokens = 0
  const emit = (s: RawSentence) => {
    count++
    tokens += s.tokens.length
    return toDocument(s, options, ctx, state)
  }
  try {
    if (given) notes.push(`scheme ${schemeName(given)} (given)`)
    else {
      const buffer = await take(sentences, DETECT_SENTENCES)
      const detected = detectScheme(tagsOf(buffer))
      state.scheme = detected.scheme
      const from = buffer.length < DETECT_SENTENCES ? 'the whole file' : `the first ${buffer.length} sentences`
      notes.push(`detected ${schemeName(detected.scheme)} from ${from}: ${detected.reason}`)
      for (const s of buffer) yield emit(s)
    }
    for await (const s of sentences) yield emit(s)
  } finally {
    await sentences.return(undefined) // the consumer may stop early: close the file
  }
  notes.push(`${count} sentences, ${tokens} tokens, ${state.entities} entities`)
  if (stats.docStarts > 0) notes.push(`skipped ${stats.docStarts} -DOCSTART- lines${stats.trailingDocStart ? ' (the last one ends the file, with no sentence after it)' : ''}`)
  if (state.invalid > 0) notes.push(`${state.invalid} tag problems (${options.invalidTags === 'reject' ? 'rejected' : 'repaired'})`)
  if (stats.droppedColumns) notes.push('columns after the tag column are not kept')
  if (stats.twoDigitWeibo > 0) notes.push(`${stats.twoDigitWeibo} tokens had a two-digit segmentation index (a character 10 or more into a word, e.g. "p10")`)
  return { scheme: state.scheme, notes }
}

async function take<T>(it: AsyncIterator<T>, n: number): Promise<T[]> {
  const out: T[] = []
  while (out.length < n) {
    const r = await it.next()
    if (r.done) break
    out.push(r.value)
  }
  return out
}

function* tagsOf(sentences: readonly RawSentence[]): Iterable<string> {
  for (const s of sentences) {
    yield* s.tags
    yield '' // sentence boundary
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

interface Piece {
  start: number
  end: number
  columns?: string[]
}

const PUNCT = /[\p{P}\p{S}]/u
const MARK = /[\p{M}\p{Cf}]/u
const WORD = /[\p{L}\p{N}\p{Extended_Pictographic}]/u

type CharClass = 'space' | 'cjk' | 'punct' | 'mark' | 'word'

function charClass(text: string, i: number): { cls: CharClass; len: number } {
  const cp = text.codePointAt(i)!
  const len = cp > 0xffff ? 2 : 1
  const ch = len === 1 ? text[i]! : text.slice(i, i + 2)
  let cls: CharClass
  if (cp === 32 || ch.trim() === '') cls = 'space'
  else if (isCjk(cp)) cls = 'cjk'
  else if (WORD.test(ch)) cls = 'word' // letters, digits, emoji
  else if (MARK.test(ch)) cls = 'mark'
  else if (PUNCT.test(ch)) cls = 'punct'
  else cls = 'word'
  return { cls, len }
}

/**
 * Tokens for a text that has none: split at whitespace; each CJK character and each punctuation
 * character is a token, except punctuation between two letters/digits (`3.5`, `don't`, `e-mail`);
 * combining marks and format characters (ZWJ) stay with the character before them.
 */
export function tokenize(text: string, from = 0, to = text.length): Piece[] {
  const pieces: Piece[] = []
  let cur: Piece | undefined
  let curClass: CharClass | undefined
  for (let i = from; i < to; ) {
    const here = charClass(text, i)
    const len = here.len
    let cls = here.cls
    if (cls === 'space') {
      cur = curClass = undefined
    } else if (cls === 'mark' && cur) {
      cur.end = i + len
    } else {
      if (cls === 'punct' && curClass === 'word' && i + len < to && charClass(text, i + len).cls === 'word') cls = 'word'
      if (cur && cls === 'word' && curClass === 'word') cur.end = i + len
      else {
        cur = { start: i, end: i + len }
        pieces.push(cur)
        curClass = cls === 'mark' ? 'word' : cls
      }
    }
    i += len
  }
  return pieces
}

function docName(doc: DocumentRecord): string {
  const id = doc.meta['id']
  if (id !== undefined) return `document ${String(id)}`
  const at = doc.source.line !== undefined ? `, line ${doc.source.line}` : doc.source.record !== undefined ? `, record ${doc.source.record}` : ''
  return `document from ${doc.source.file}${at}`
}

/**
 * Split pieces at a character the line format cannot carry inside a token: tab and line breaks,
 * and a space when the separator is a space (a tab-separated token may hold inner spaces, but not
 * at its ends, which the reader trims). Whitespace-only pieces are dropped: no text is lost, and
 * the reader joins the parts with one space again.
 */
function splitAtWhitespace(text: string, p: Piece, tabs: boolean): Piece[] {
  const out: Piece[] = []
  let start = p.start
  const push = (end: number) => {
    let a = start
    let b = end
    if (tabs) {
      while (a < b && text.charCodeAt(a) === 32) a++
      while (b > a && text.charCodeAt(b - 1) === 32) b--
    }
    if (b > a && !isWhitespaceOnly(text.slice(a, b))) out.push(p.columns ? { start: a, end: b, columns: p.columns } : { start: a, end: b })
  }
  for (let i = p.start; i < p.end; i++) {
    const c = text.charCodeAt(i)
    if (c === 9 || c === 10 || c === 13 || (c === 32 && !tabs)) {
      push(i)
      start = i + 1
    }
  }
  push(p.end)
  return out
}

/** The document's tokens, or tokens from the text, covering all of its non-space text. */
function piecesOf(doc: DocumentRecord, tabs: boolean): Piece[] {
  const text = doc.text
  if (!doc.tokens || doc.tokens.length === 0) return tokenize(text)
  const out: Piece[] = []
  let pos = 0
  const gap = (to: number) => {
    if (to > pos) for (const g of tokenize(text, pos, to)) out.push(g)
  }
  for (const t of doc.tokens) {
    if (!(t.start >= pos && t.end > t.start && t.end <= text.length)) throw new Error(`${docName(doc)}: token [${t.start}, ${t.end}) overlaps the previous token or lies outside the text`)
    gap(t.start) // text the tokens do not cover (edited text) is tokenized, never dropped
    for (const p of splitAtWhitespace(text, t, tabs)) out.push(p)
    pos = t.end
  }
  gap(text.length)
  return out
}

/** Split pieces so that every span boundary is a piece boundary. */
function splitAtBoundaries(pieces: Piece[], spans: readonly SpanRecord[]): Piece[] {
  const cuts = [...new Set(spans.flatMap((s) => [s.start, s.end]))].sort((a, b) => a - b)
  if (cuts.length === 0) return pieces
  const out: Piece[] = []
  let c = 0
  for (const p of pieces) {
    while (c < cuts.length && cuts[c]! <= p.start) c++
    let start = p.start
    while (c < cuts.length && cuts[c]! < p.end) {
      out.push({ ...p, start, end: cuts[c]! })
      start = cuts[c]!
      c++
    }
    out.push(start === p.start ? p : { ...p, start })
  }
  return out
}

/** Spans sorted, checked for overlap, and mapped to piece indexes. */
function tokenSpans(doc: DocumentRecord, pieces: readonly Piece[]): TokenSpan[] {
  const spans = [...doc.spans].sort((a, b) => a.start - b.start || a.end - b.end)
  const out: TokenSpan[] = []
  let k = 0
  let prev: SpanRecord | undefined
  for (const s of spans) {
    if (prev && s.start < prev.end) {
      throw new Error(`${docName(doc)}: spans [${prev.start}, ${prev.end}) ${prev.label} and [${s.start}, ${s.end}) ${s.label} overlap; nested spans cannot be written as CoNLL tags`)
    }
    if (s.start < 0 || s.end > doc.text.length || s.end <= s.start) throw new Error(`${docName(doc)}: span [${s.start}, ${s.end}) ${s.label} is outside the text or empty`)
    while (k < pieces.length && pieces[k]!.end <= s.start) k++
    const first = k
    while (k < pieces.length && pieces[k]!.start < s.end) k++
    if (k === first) throw new Error(`${docName(doc)}: span [${s.start}, ${s.end}) ${s.label} covers only whitespace and cannot be written as CoNLL tags`)
    out.push({ start: first, end: k, label: s.label })
    prev = s
  }
  return out
}

const TAB_OR_BREAK = /[\t\r\n]/g
const ANY_SPACE = /\s/g

/** Extra columns cannot hold the separator: whitespace in them becomes `_`, and so does an empty column. */
function safeColumn(c: string, tabs: boolean): string {
  if (c === '') return '_'
  return c.replace(tabs ? TAB_OR_BREAK : ANY_SPACE, '_')
}

/**
 * Write documents as CoNLL lines, one chunk per document (lines ending in '\n', a blank line after
 * each sentence). The document's tokens are used when it has them (so a CoNLL round trip gives the
 * same lines and, with keepColumns, the same extra columns); otherwise its text is tokenized.
 * Tokens are split further at every span boundary, so no span is ever dropped, and at whitespace
 * the separator cannot carry (see splitAtWhitespace). A token made by such a split keeps the
 * columns of the token it came from; a token for text no token covered gets `_` columns.
 * Throws when a document's spans overlap: nested entities have no flat tagging.
 */
export async function* writeConll(docs: AsyncIterable<DocumentRecord> | Iterable<DocumentRecord>, options: ConllWriteOptions): AsyncGenerator<string> {
  const tabs = options.separator === 'tab'
  const sep = tabs ? '\t' : ' '
  const keepColumns = options.keepColumns !== false
  const docStartLine = `${DOCSTART}${sep}-X-${sep}-X-${sep}O\n\n`
  let pendingDocStart = false
  for await (const doc of docs) {
    pendingDocStart ||= doc.meta['docStart'] === true && options.docStart !== false
    const pieces = splitAtBoundaries(piecesOf(doc, tabs), doc.spans)
    const spans = tokenSpans(doc, pieces)
    if (pieces.length === 0) continue // nothing to write; a -DOCSTART- waits for the next document
    const tags = spansToTags(pieces.length, spans, options.scheme)
    let width = 0
    if (keepColumns) for (const p of pieces) width = Math.max(width, p.columns?.length ?? 0)
    const lines: string[] = []
    if (pendingDocStart) lines.push(docStartLine)
    pendingDocStart = false
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!
      let line = doc.text.slice(p.start, p.end)
      for (let c = 0; c < width; c++) line += sep + safeColumn(p.columns?.[c] ?? '_', tabs)
      lines.push(`${line}${sep}${tags[i]}\n`)
    }
    lines.push('\n')
    yield lines.join('')
  }
}
