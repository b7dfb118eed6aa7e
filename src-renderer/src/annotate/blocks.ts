/**
 * The span editor's display model, rebuilt on every keystroke and therefore incremental.
 *
 * The text is cut once into blocks: paragraphs, and stretches of `every` characters inside
 * long ones. Each edit then costs one pass over the spans (numbers only) to see which blocks
 * they touch; only a block whose spans, selection or chosen span changed gets new pieces.
 * Every other block, and every paragraph whose blocks all stayed, keeps its object identity,
 * so Vue skips it and almost nothing is allocated (which keeps the garbage collector out of
 * the keystroke). Pure apart from the memory of the previous build.
 */
import type { SpanTuple } from '@shared/domain/dataset'
import { splitsPair } from '@shared/domain/spans'

export interface ShownTag {
  /** Stable across edits ("start:end:label", "?" prefix for suggestions), so unrelated blocks stay unchanged. */
  id: string
  name: string
  color: string
  chosen: boolean
  proposed: boolean
  /** Shown after the name, smaller (a model suggestion's confidence). */
  note?: string
}

export interface ShownPiece {
  start: number
  text: string
  style: Record<string, string>
  inspan: boolean
  chosen: boolean
  /** What a click on the piece selects (ids as in ShownTag): the innermost span, else the first suggestion. */
  span: string | null
  suggestion: string | null
  tags: ShownTag[]
}

export interface Block {
  /** The block's first offset: stable for a given text. */
  start: number
  pieces: ShownPiece[]
}

/** A laid-out box: a paragraph, or a section of a very long one. */
export interface Paragraph {
  start: number
  /** The paragraph goes on in the next box (a very long paragraph shown in sections). */
  continues: boolean
  /** Characters in the paragraph (the editor estimates the height of one not yet laid out from it). */
  chars: number
  blocks: Block[]
}

export interface ShownLabel {
  name: string
  color: string
}

export interface BlockInput {
  text: string
  spans: readonly SpanTuple[]
  /** Proposed spans (dictionary, model): drawn dashed; a confidence under 1 is shown as a percentage. */
  suggestions: readonly { start: number; end: number; labelId: number; confidence?: number }[]
  labels: ReadonlyMap<number, ShownLabel>
  selection: { start: number; end: number } | null
  /** The selection is only the keyboard cursor, drawn lighter. */
  cursorOnly: boolean
  /** Index into `spans` of the chosen span. */
  selectedSpan: number | null
}

const UNKNOWN: ShownLabel = { name: '?', color: '#868e96' }

/** A paragraph longer than this is shown in sections (see `sectionStarts`). */
export const SECTION_OVER = 2000

/**
 * Where a paragraph of more than SECTION_OVER characters is cut into sections of about 1,000:
 * after a sentence's end and its spaces (or after a CJK full stop), else after a space, else
 * anywhere but inside a surrogate pair. Each section is laid out on its own, so an edit in a
 * 20,000-character paragraph re-lays out 1,000 characters, not 20,000. Pure.
 */
export function sectionStarts(text: string, from: number, to: number): number[] {
  // A sentence's end: its mark, any closing quotes or brackets, then spaces (or nothing after a CJK mark).
  const sentenceEnd = /[.!?。！？．][)\]"'’”」』）]*(?:\s+|(?<=[。！？．][)\]"'’”」』）]*))/
  const space = /\s+/
  /** The end of the first match of `re` in text[lo, hi), or -1; only that window is scanned. */
  const after = (re: RegExp, lo: number, hi: number): number => {
    const m = re.exec(text.slice(lo, hi))
    return m ? lo + m.index + m[0].length : -1
  }
  const cuts: number[] = []
  let pos = from
  while (to - pos > SECTION_OVER) {
    const hi = Math.min(to - 1, pos + 1600)
    let cut = after(sentenceEnd, pos + 800, hi)
    if (cut < 0) cut = after(space, pos + 1000, hi)
    if (cut < 0) cut = splitsPair(text, pos + 1000) ? pos + 1001 : pos + 1000
    cuts.push(cut)
    pos = cut
  }
  return cuts
}

/**
 * Where blocks start: every paragraph start (and section start in a very long paragraph), then
 * every `every` characters inside one (never inside a surrogate pair). `boxStart` marks the
 * blocks that begin a laid-out box; `continues` the boxes whose paragraph goes on in the next box.
 */
export function blockStarts(text: string, every: number): { starts: number[]; boxStart: boolean[]; continues: boolean[] } {
  const starts: number[] = []
  const boxStart: boolean[] = []
  const continues: boolean[] = []
  const box = (from: number, to: number, goesOn: boolean): void => {
    starts.push(from)
    boxStart.push(true)
    continues.push(goesOn)
    for (let at = from + every; at < to; at += every) {
      const cut = splitsPair(text, at) ? at + 1 : at
      if (cut < to) {
        starts.push(cut)
        boxStart.push(false)
        continues.push(false)
      }
    }
  }
  let para = 0
  do {
    const nl = text.indexOf('\n', para)
    const paraEnd = nl < 0 || nl + 1 >= text.length ? text.length : nl + 1
    const bounds = [para, ...sectionStarts(text, para, paraEnd), paraEnd]
    for (let k = 0; k + 1 < bounds.length; k++) box(bounds[k]!, bounds[k + 1]!, k + 2 < bounds.length)
    para = paraEnd
  } while (para < text.length)
  return { starts, boxStart, continues }
}

/** Index of the last of `n` items, in order of their start, that starts at or before offset `o` (0 if none). */
function lastStartingBy(n: number, startOf: (i: number) => number, o: number): number {
  let lo = 0
  let hi = n - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (startOf(mid) <= o) lo = mid
    else hi = mid - 1
  }
  return lo
}

/** The box (paragraph or section) that holds offset `o`. */
export function paragraphAt(paragraphs: readonly Paragraph[], o: number): Paragraph | undefined {
  return paragraphs[lastStartingBy(paragraphs.length, (i) => paragraphs[i]!.start, o)]
}

const sameNumbers = (a: readonly number[] | undefined, b: readonly number[]): boolean => {
  if (!a || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * A builder that remembers its previous result: call it with each new state, get the
 * paragraphs to draw. Blocks and paragraphs that did not change are the previous objects.
 */
export function createBlockBuilder(every = 400): (input: BlockInput) => Paragraph[] {
  let text: string | null = null
  let labels: ReadonlyMap<number, ShownLabel> | null = null
  let starts: number[] = []
  let boxStart: boolean[] = []
  let continues: boolean[] = []
  let signatures: (number[] | undefined)[] = []
  let blocks: Block[] = []
  let paragraphs: Paragraph[] = []

  return (input) => {
    if (input.text !== text || input.labels !== labels) {
      // A new document (or relabelled palette): nothing carries over.
      text = input.text
      labels = input.labels
      ;({ starts, boxStart, continues } = blockStarts(text, every))
      signatures = []
      blocks = []
      paragraphs = []
    }
    const { spans, suggestions, selection, selectedSpan, cursorOnly } = input
    const nSpans = spans.length
    const nAll = nSpans + suggestions.length
    const startOf = (i: number): number => (i < nSpans ? spans[i]![0] : suggestions[i - nSpans]!.start)
    const endOf = (i: number): number => (i < nSpans ? spans[i]![1] : suggestions[i - nSpans]!.end)
    const labelOf = (i: number): number => (i < nSpans ? spans[i]![2] : suggestions[i - nSpans]!.labelId)
    const length = input.text.length
    const nBlocks = starts.length
    const endOfBlock = (b: number): number => (b + 1 < nBlocks ? starts[b + 1]! : length)

    // Which spans touch which block.
    const touching: (number[] | undefined)[] = new Array(nBlocks)
    for (let i = 0; i < nAll; i++) {
      const s = startOf(i)
      const e = endOf(i)
      if (!(s >= 0 && e <= length && s < e)) continue
      for (let b = lastStartingBy(nBlocks, (k) => starts[k]!, s); b < nBlocks && starts[b]! < e; b++) (touching[b] ??= []).push(i)
    }
    const sel = selection && selection.start < selection.end ? { start: Math.max(0, selection.start), end: Math.min(length, selection.end) } : null

    const nextBlocks: Block[] = new Array(nBlocks)
    const nextSignatures: number[][] = new Array(nBlocks)
    for (let b = 0; b < nBlocks; b++) {
      const from = starts[b]!
      const to = endOfBlock(b)
      const list = touching[b] ?? []
      // Everything the block shows, as numbers: its part of the selection, then each span.
      const signature: number[] = []
      if (sel && sel.start < to && sel.end > from) signature.push(Math.max(from, sel.start), Math.min(to, sel.end), cursorOnly ? 1 : 0)
      else signature.push(-1, -1, 0)
      for (const i of list) {
        const confidence = i >= nSpans ? suggestions[i - nSpans]!.confidence : undefined
        signature.push(startOf(i), endOf(i), labelOf(i), i >= nSpans ? 1 : 0, i === selectedSpan ? 1 : 0, confidence === undefined ? -1 : confidence)
      }
      nextSignatures[b] = signature
      nextBlocks[b] = sameNumbers(signatures[b], signature) ? blocks[b]! : { start: from, pieces: piecesOf(from, to, list) }
    }

    // Paragraphs keep their identity when all their blocks did.
    const nextParagraphs: Paragraph[] = []
    for (let b = 0, p = 0; b < nBlocks; p++) {
      let e = b + 1
      while (e < nBlocks && !boxStart[e]) e++
      const old = paragraphs[p]
      let same = old !== undefined && old.start === starts[b] && old.blocks.length === e - b
      for (let k = b; same && k < e; k++) same = old!.blocks[k - b] === nextBlocks[k]
      nextParagraphs.push(same ? old! : { start: starts[b]!, continues: continues[b]!, chars: endOfBlock(e - 1) - starts[b]!, blocks: nextBlocks.slice(b, e) })
      b = e
    }
    signatures = nextSignatures
    blocks = nextBlocks
    paragraphs = nextParagraphs
    return paragraphs

    /** The block [from, to) cut at every span and selection edge inside it. */
    function piecesOf(from: number, to: number, list: readonly number[]): ShownPiece[] {
      const cuts = new Set<number>([from, to])
      for (const i of list) {
        if (startOf(i) > from) cuts.add(startOf(i))
        if (endOf(i) < to) cuts.add(endOf(i))
      }
      if (sel) {
        if (sel.start > from && sel.start < to) cuts.add(sel.start)
        if (sel.end > from && sel.end < to) cuts.add(sel.end)
      }
      const points = [...cuts].sort((a, b) => a - b)
      const size = (i: number): number => endOf(i) - startOf(i)
      const outermostFirst = (a: number, b: number): number => size(b) - size(a) || a - b
      const out: ShownPiece[] = []
      for (let k = 0; k + 1 < points.length; k++) {
        const start = points[k]!
        const end = points[k + 1]!
        const covering = list.filter((i) => startOf(i) <= start && endOf(i) >= end).sort(outermostFirst)
        const selected = !!sel && sel.start <= start && sel.end >= end
        const real = covering.filter((i) => i < nSpans)
        const proposed = covering.find((i) => i >= nSpans)
        out.push({
          start,
          text: input.text.slice(start, end),
          style: styleOf(real, proposed, selected),
          inspan: covering.length > 0,
          chosen: selectedSpan !== null && covering.includes(selectedSpan),
          span: real.length ? idOf(real[real.length - 1]!) : null,
          suggestion: proposed === undefined ? null : idOf(proposed),
          tags: covering.filter((i) => endOf(i) === end).map(tagOf),
        })
      }
      return out
    }

    function idOf(i: number): string {
      return `${i >= nSpans ? '?' : ''}${startOf(i)}:${endOf(i)}:${labelOf(i)}`
    }

    function labelFor(i: number): ShownLabel {
      return input.labels.get(labelOf(i)) ?? UNKNOWN
    }

    function tagOf(i: number): ShownTag {
      const c = i >= nSpans ? suggestions[i - nSpans]!.confidence : undefined
      const l = labelFor(i)
      // A model's suggestion shows how sure it is ("PER? 87%"); a dictionary match (confidence 1) just its label.
      return { id: idOf(i), name: l.name, color: l.color, chosen: selectedSpan === i, proposed: i >= nSpans, note: c !== undefined && c < 1 ? `${Math.round(c * 100)}%` : undefined }
    }

    /** Nested spans draw as stacked underlines; the innermost span tints the background. */
    function styleOf(real: readonly number[], proposed: number | undefined, selected: boolean): Record<string, string> {
      const selColor = cursorOnly ? '#fff3bf' : '#a5d8ff'
      if (real.length === 0 && proposed === undefined) return selected ? { background: selColor } : {}
      if (real.length === 0) return { background: selected ? selColor : 'transparent', outline: `1.5px dashed ${labelFor(proposed!).color}`, outlineOffset: '1px' }
      const inner = labelFor(real[real.length - 1]!).color
      return {
        background: selected ? selColor : `${inner}26`,
        boxShadow: real.map((i, k) => `0 ${2 + k * 3}px 0 ${labelFor(i).color}`).join(', '),
      }
    }
  }
}

/** The blocks' pieces in text order, flattened (tests and callers that want one list). */
export function allPieces(paragraphs: readonly Paragraph[]): ShownPiece[] {
  return paragraphs.flatMap((p) => p.blocks.flatMap((b) => b.pieces))
}
