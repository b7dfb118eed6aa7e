import { describe, expect, it } from 'vitest'
import type { SpanTuple } from '../../../src-shared/domain/dataset'
import { allPieces, blockStarts, createBlockBuilder, paragraphAt, SECTION_OVER, sectionStarts, type BlockInput } from '../../../src-renderer/src/annotate/blocks'

const labels = new Map([
  [1, { name: 'ORG', color: '#1c7ed6' }],
  [2, { name: 'LOC', color: '#2f9e44' }],
])
const input = (text: string, spans: SpanTuple[], more: Partial<BlockInput> = {}): BlockInput => ({
  text,
  spans,
  suggestions: [],
  labels,
  selection: null,
  cursorOnly: false,
  selectedSpan: null,
  ...more,
})

describe('blockStarts', () => {
  it('starts a block at every paragraph and every N characters inside one, never inside a surrogate pair', () => {
    expect(blockStarts('abcdefghij\nxyz', 4)).toEqual({ starts: [0, 4, 8, 11], boxStart: [true, false, false, true], continues: [false, false, false, false] })
    // "😀" is two UTF-16 units at 3-4: a cut at 4 moves to 5.
    expect(blockStarts('abc😀defgh', 4).starts).toEqual([0, 5, 8])
    expect(blockStarts('', 4).starts).toEqual([0])
    // A trailing newline does not open an empty paragraph.
    expect(blockStarts('ab\n', 4).starts).toEqual([0])
  })
})

describe('paragraphAt', () => {
  it('finds the box that holds an offset: its first character, its last, and past the end', () => {
    const boxes = createBlockBuilder()({ text: 'ab\ncd\nef', spans: [], suggestions: [], labels: new Map(), selection: null, cursorOnly: false, selectedSpan: null })
    expect([0, 2, 3, 5, 6, 8, 99].map((o) => paragraphAt(boxes, o)!.start)).toEqual([0, 0, 3, 3, 6, 6, 6])
  })
})

describe('sections of a very long paragraph', () => {
  it('cuts after a sentence end, about every 1,000 characters, and only paragraphs over the limit', () => {
    const sentence = 'Ada Lovelace wrote the first program for the engine. ' // 53 characters
    const text = sentence.repeat(80) // 4,240 characters, one paragraph
    const cuts = sectionStarts(text, 0, text.length)
    expect(cuts.length).toBeGreaterThanOrEqual(2)
    for (const c of cuts) expect(text.slice(c - 2, c)).toBe('. ')
    const bounds = [0, ...cuts, text.length]
    for (let k = 0; k + 1 < bounds.length; k++) expect(bounds[k + 1]! - bounds[k]!).toBeLessThanOrEqual(SECTION_OVER)
    for (let k = 0; k + 2 < bounds.length; k++) expect(bounds[k + 1]! - bounds[k]!).toBeGreaterThanOrEqual(800)
    expect(sectionStarts(sentence.repeat(30), 0, 30 * sentence.length)).toEqual([]) // 1,590 characters: one box
    // The boxes: one per section, each but the last continuing the paragraph.
    const { starts, boxStart, continues } = blockStarts(text, 400)
    const boxes = starts.filter((_, i) => boxStart[i])
    expect(boxes).toEqual([0, ...cuts])
    expect(continues.filter((_, i) => boxStart[i])).toEqual([...cuts.map(() => true), false])
  })

  it('cuts Chinese after a full stop, and text without any break point without splitting a surrogate pair', () => {
    const zh = '上海浦东新区的张江高科技园区今天发布了新政策。'.repeat(200)
    for (const c of sectionStarts(zh, 0, zh.length)) expect(zh[c - 1]).toBe('。')
    // A closing quote stays with its sentence.
    const quoted = '他说：“上海浦东新区的张江高科技园区今天发布了新政策。”'.repeat(150)
    for (const c of sectionStarts(quoted, 0, quoted.length)) expect(quoted.slice(c - 2, c)).toBe('。”')
    const astral = '𠮷'.repeat(SECTION_OVER)
    const cuts = sectionStarts(astral, 0, astral.length)
    expect(cuts.length).toBeGreaterThan(0)
    for (const c of cuts) expect(c % 2).toBe(0)
  })
})

describe('createBlockBuilder', () => {
  it('cuts at span and selection edges and lists nested spans outermost first', () => {
    // "Bank of Paris": ORG [0,13) with LOC [8,13) inside; selection over "of".
    const build = createBlockBuilder()
    const pieces = allPieces(build(input('Bank of Paris', [[8, 13, 2], [0, 13, 1]], { selection: { start: 5, end: 7 } })))
    expect(pieces.map((p) => [p.start, p.text, p.style['background'], p.tags.map((t) => t.name)])).toEqual([
      [0, 'Bank ', '#1c7ed626', []],
      [5, 'of', '#a5d8ff', []],
      [7, ' ', '#1c7ed626', []],
      [8, 'Paris', '#2f9e4426', ['ORG', 'LOC']],
    ])
    // Two underlines for the nested part, the outer one first.
    expect(pieces[3]!.style['boxShadow']).toBe('0 2px 0 #1c7ed6, 0 5px 0 #2f9e44')
    // A click on the nested part picks the innermost span.
    expect(pieces[3]!.span).toBe('8:13:2')
  })

  it('draws a span across a block boundary in both blocks, with its tag only where it ends', () => {
    const build = createBlockBuilder(4)
    const paragraphs = build(input('abcdefgh', [[2, 6, 1]]))
    expect(paragraphs[0]!.blocks.map((b) => b.pieces.map((p) => [p.text, p.tags.length]))).toEqual([
      [['ab', 0], ['cd', 0]],
      [['ef', 1], ['gh', 0]],
    ])
  })

  it('rebuilds only the block an edit touches; the others, and untouched paragraphs, stay the same objects', () => {
    const text = 'alpha beta gamma delta\nepsilon zeta eta theta\niota kappa lambda mu'
    const build = createBlockBuilder(8)
    const spans: SpanTuple[] = [[0, 5, 1], [23, 30, 2]]
    const before = build(input(text, spans))
    // Label "iota" (third paragraph).
    const after = build(input(text, [...spans, [46, 50, 1]]))
    expect(after[0]).toBe(before[0])
    expect(after[1]).toBe(before[1])
    expect(after[2]).not.toBe(before[2])
    const changed = after[2]!.blocks.filter((b, i) => b !== before[2]!.blocks[i])
    expect(changed.map((b) => b.start)).toEqual([46])
    // Selecting a span changes only the blocks it covers.
    const chosen = build(input(text, [...spans, [46, 50, 1]], { selectedSpan: 1 }))
    expect(chosen.filter((p, i) => p !== after[i]).map((p) => p.start)).toEqual([23])
    expect(allPieces(chosen).find((p) => p.start === 23)!.chosen).toBe(true)
  })

  it('still draws the chosen span as chosen when a span inserted before it shifts its index, and leaves the untouched block as it was', () => {
    const text = 'one two three four five six'
    const build = createBlockBuilder(8)
    const first = build(input(text, [[8, 13, 1]], { selectedSpan: 0 }))
    // A span inserted before the chosen one: the chosen span is now index 1, and still drawn as chosen.
    const second = build(input(text, [[0, 3, 2], [8, 13, 1]], { selectedSpan: 1 }))
    expect(allPieces(second).find((p) => p.text === 'three')!.chosen).toBe(true)
    expect(second[0]!.blocks[1]).toBe(first[0]!.blocks[1])
  })

  it('draws suggestions dashed with their confidence, and starts over for a new text or palette', () => {
    const build = createBlockBuilder()
    const text = 'Ada in Paris'
    const one = build(input(text, [[0, 3, 1]], { suggestions: [{ start: 7, end: 12, labelId: 2, confidence: 0.87 }] }))
    const paris = allPieces(one).find((p) => p.text === 'Paris')!
    expect(paris.style['outline']).toBe('1.5px dashed #2f9e44')
    expect(paris.suggestion).toBe('?7:12:2')
    expect(paris.tags).toEqual([{ id: '?7:12:2', name: 'LOC', color: '#2f9e44', chosen: false, proposed: true, note: '87%' }])
    const relabelled = new Map([...labels, [2, { name: 'PLACE', color: '#000000' }]])
    const two = build(input(text, [[0, 3, 1]], { labels: relabelled, suggestions: [{ start: 7, end: 12, labelId: 2, confidence: 0.87 }] }))
    expect(allPieces(two).find((p) => p.text === 'Paris')!.tags[0]!.name).toBe('PLACE')
    expect(allPieces(build(input('Other text', []))).map((p) => p.text)).toEqual(['Other text'])
  })

  it('keeps every character exactly once, astral characters whole, across paragraphs and blocks', () => {
    const text = '𠮷野家 opened in 東京.\nAda 😀 Lovelace wrote notes on the engine.\n'
    const build = createBlockBuilder(5)
    const spans: SpanTuple[] = [[0, 4, 1], [16, 18, 2], [19, 22, 1], [23, 25, 2]]
    const pieces = allPieces(build(input(text, spans, { selection: { start: 6, end: 12 } })))
    expect(pieces.map((p) => p.text).join('')).toBe(text)
    for (const p of pieces) expect(p.text.length > 0 && !/^[\udc00-\udfff]/.test(p.text)).toBe(true)
  })

  it('builds, edit after edit, exactly what a fresh builder builds, every piece starting where the last ended', () => {
    // A seeded walk of random edits: spans added, moved, relabelled and removed, suggestions,
    // selections and chosen spans, over text with paragraphs, a very long paragraph and astral characters.
    let seed = 7
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed % n
    }
    const text = ('Ada 😀 Lovelace met Babbage in London. 𠮷野家 is in 東京. '.repeat(60) + '\n' + 'Short paragraph here.\n').repeat(2)
    const valid = (o: number): number => (o > 0 && o < text.length && /[\udc00-\udfff]/.test(text[o]!) ? o + 1 : o)
    const incremental = createBlockBuilder()
    let spans: SpanTuple[] = []
    for (let step = 0; step < 300; step++) {
      const op = rand(4)
      if (op === 0 || spans.length === 0) {
        const s = valid(rand(text.length - 10))
        spans.push([s, valid(Math.min(text.length, s + 1 + rand(40))), 1 + rand(2)])
      } else if (op === 1) spans.splice(rand(spans.length), 1)
      else if (op === 2) spans[rand(spans.length)]![2] = 1 + rand(2)
      else {
        const k = rand(spans.length)
        const [s0, e0, l0] = spans[k]!
        const s = valid(Math.max(0, s0 - 3 + rand(7)))
        spans[k] = [s, Math.max(valid(Math.min(text.length, e0 + rand(5))), s + 2 > text.length ? text.length : valid(s + 2)), l0]
      }
      spans = spans.filter(([s, e]) => s < e).sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2])
      const sel = rand(3) === 0 ? null : { start: valid(rand(text.length)), end: 0 }
      if (sel) sel.end = valid(Math.min(text.length, sel.start + rand(30)))
      const suggestions = rand(2) ? [] : [{ start: spans[0]?.[1] ?? 0, end: valid(Math.min(text.length, (spans[0]?.[1] ?? 0) + 5)), labelId: 2, confidence: rand(100) / 100 }]
      const state = input(text, spans.map((x) => [...x] as SpanTuple), { selection: sel, cursorOnly: rand(2) === 0, selectedSpan: spans.length && rand(2) ? rand(spans.length) : null, suggestions })
      const got = incremental(state)
      expect(got).toEqual(createBlockBuilder()(state))
      let at = 0
      for (const piece of allPieces(got)) {
        expect(piece.start).toBe(at)
        at += piece.text.length
      }
      expect(at).toBe(text.length)
    }
  })
})
