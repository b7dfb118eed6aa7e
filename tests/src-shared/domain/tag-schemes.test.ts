import { describe, expect, it } from 'vitest'
import { FILE_TAG_SCHEMES, type FileTagScheme } from '../../../src-shared/domain/dataset'
import { detectScheme, spansToTags, tagsToSpans, type TokenSpan } from '../../../src-shared/domain/tag-schemes'

// "Ada Lovelace met Charles Babbage in London", with two adjacent PER entities at 5-7 to exercise IOB1.
const spans = [
  { start: 0, end: 2, label: 'PER' },
  { start: 3, end: 4, label: 'PER' },
  { start: 4, end: 7, label: 'PER' },
  { start: 8, end: 9, label: 'LOC' },
]

describe('spansToTags', () => {
  it.each([
    ['iob2', 'B-PER I-PER O B-PER B-PER I-PER I-PER O B-LOC'],
    ['iob1', 'I-PER I-PER O I-PER B-PER I-PER I-PER O I-LOC'],
    ['iobes', 'B-PER E-PER O S-PER B-PER I-PER E-PER O S-LOC'],
    ['bmes', 'B-PER E-PER O S-PER B-PER M-PER E-PER O S-LOC'],
  ] as const)('%s', (scheme, expected) => {
    expect(spansToTags(9, spans, scheme).join(' ')).toBe(expected)
  })

  it('refuses overlapping and out-of-range spans', () => {
    expect(() => spansToTags(3, [{ start: 0, end: 2, label: 'A' }, { start: 1, end: 3, label: 'B' }], 'iob2')).toThrow(/overlap/)
    expect(() => spansToTags(3, [{ start: 2, end: 4, label: 'A' }], 'iob2')).toThrow(/outside/)
  })
})

describe('spansToTags: BILOU', () => {
  it('writes B- I- L- for entities and U- for one-token entities', () => {
    expect(spansToTags(9, spans, 'bilou').join(' ')).toBe('B-PER L-PER O U-PER B-PER I-PER L-PER O U-LOC')
  })
})

type Case = [tags: string, scheme: FileTagScheme, repaired: string, rejected: string, invalid: number[]]

/** Spans written `start-end:LABEL`, token indexes. */
function spanList(list: readonly TokenSpan[]): string {
  return list.map((s) => `${s.start}-${s.end}:${s.label}`).join(' ')
}

// Hand-computed. Columns: tags, scheme, spans under 'repair', spans under 'reject', indexes reported.
const cases: Case[] = [
  // IOB2
  ['B-PER I-PER O B-LOC', 'iob2', '0-2:PER 3-4:LOC', '0-2:PER 3-4:LOC', []],
  ['B-PER B-PER I-PER', 'iob2', '0-1:PER 1-3:PER', '0-1:PER 1-3:PER', []],
  ['I-PER I-PER O', 'iob2', '0-2:PER', '', [0]], // conlleval: I- at the start begins an entity
  ['O I-LOC B-LOC', 'iob2', '1-2:LOC 2-3:LOC', '2-3:LOC', [1]],
  ['B-PER I-LOC I-LOC', 'iob2', '0-1:PER 1-3:LOC', '0-1:PER', [1]], // type change: a new entity
  ['B-PER PER O', 'iob2', '0-1:PER', '0-1:PER', [1]], // bare tag: unknown, read as O
  ['B-PER X-PER B-', 'iob2', '0-1:PER', '0-1:PER', [1, 2]],
  // IOB1
  ['I-PER I-PER B-PER O I-LOC', 'iob1', '0-2:PER 2-3:PER 4-5:LOC', '0-2:PER 2-3:PER 4-5:LOC', []],
  ['I-PER I-LOC', 'iob1', '0-1:PER 1-2:LOC', '0-1:PER 1-2:LOC', []],
  ['O B-PER I-PER', 'iob1', '1-3:PER', '', [1]], // B- only between touching entities of one type
  ['I-LOC B-PER', 'iob1', '0-1:LOC 1-2:PER', '0-1:LOC', [1]],
  // IOBES
  ['S-PER B-LOC I-LOC E-LOC O', 'iobes', '0-1:PER 1-4:LOC', '0-1:PER 1-4:LOC', []],
  ['B-PER O', 'iobes', '0-1:PER', '', [0]], // not closed: reported at its last token
  ['B-PER I-PER', 'iobes', '0-2:PER', '', [1]], // not closed at the end of the sentence
  ['I-PER E-PER', 'iobes', '0-2:PER', '', [0]], // stray I begins the entity, E closes it
  ['O E-LOC O', 'iobes', '1-2:LOC', '', [1]], // stray E: a one-token entity
  ['B-PER I-PER E-LOC', 'iobes', '0-2:PER 2-3:LOC', '', [1, 2]],
  ['B-PER E-PER E-PER', 'iobes', '0-2:PER 2-3:PER', '0-2:PER', [2]],
  ['B-PER B-PER E-PER', 'iobes', '0-1:PER 1-3:PER', '1-3:PER', [0]],
  ['B-PER S-PER', 'iobes', '0-1:PER 1-2:PER', '1-2:PER', [0]],
  ['B-PER M-PER E-PER', 'iobes', '0-3:PER', '', [1]], // M- is BMES: read as I-
  // BMES
  ['B-ORG M-ORG M-ORG E-ORG S-PER', 'bmes', '0-4:ORG 4-5:PER', '0-4:ORG 4-5:PER', []],
  ['B-ORG M-ORG', 'bmes', '0-2:ORG', '', [1]],
  ['M-ORG E-ORG', 'bmes', '0-2:ORG', '', [0]], // Resume NER has two sentences split like this
  ['B-ORG M-LOC E-LOC', 'bmes', '0-1:ORG 1-3:LOC', '', [0, 1]],
  // BILOU
  ['U-PER B-LOC I-LOC L-LOC O', 'bilou', '0-1:PER 1-4:LOC', '0-1:PER 1-4:LOC', []],
  ['B-LOC I-LOC O', 'bilou', '0-2:LOC', '', [1]],
  ['L-LOC', 'bilou', '0-1:LOC', '', [0]],
  ['S-PER', 'bilou', '0-1:PER', '', [0]], // S- is IOBES: read as U-
]

describe('tagsToSpans', () => {
  it.each(cases)('%s (%s)', (tags, scheme, repaired, rejected, invalid) => {
    const list = tags.split(' ')
    const r = tagsToSpans(list, scheme, 'repair')
    expect(spanList(r.spans)).toBe(repaired)
    expect(r.invalid.map((p) => p.index)).toEqual(invalid)
    const j = tagsToSpans(list, scheme, 'reject')
    expect(spanList(j.spans)).toBe(rejected)
    expect(j.invalid.map((p) => p.index)).toEqual(invalid)
  })

  it('says what is wrong and, when repairing, what it did', () => {
    const [stray] = tagsToSpans(['O', 'I-LOC'], 'iob2', 'repair').invalid
    expect(stray).toMatchObject({ index: 1, kind: 'sequence' })
    expect(stray!.message).toMatch(/I-LOC after O.*B-LOC.*read as the start/)
    const [rejected] = tagsToSpans(['O', 'I-LOC'], 'iob2', 'reject').invalid
    expect(rejected!.message).not.toMatch(/read as/)
    const [unknown] = tagsToSpans(['PER'], 'iob2', 'repair').invalid
    expect(unknown).toMatchObject({ index: 0, kind: 'unknown-tag' })
    expect(unknown!.message).toMatch(/unknown tag "PER"/)
    const [foreign] = tagsToSpans(['S-PER'], 'bilou', 'repair').invalid
    expect(foreign).toMatchObject({ kind: 'scheme' })
    expect(foreign!.message).toMatch(/S-.*BILOU.*U-PER/)
    const [open] = tagsToSpans(['B-ORG', 'M-ORG', 'O'], 'bmes', 'repair').invalid
    expect(open!.message).toMatch(/ORG entity starting at token 0 is not closed with E-ORG \(followed by O\)/)
  })

  it('reads an empty sentence and all-O as no entities', () => {
    expect(tagsToSpans([], 'iob2', 'reject')).toEqual({ spans: [], invalid: [] })
    expect(tagsToSpans(['O', 'O'], 'bmes', 'reject')).toEqual({ spans: [], invalid: [] })
  })
})

describe('spansToTags and tagsToSpans are inverse on valid sequences', () => {
  // A small deterministic generator (mulberry32) so failures reproduce.
  function rng(seed: number): () => number {
    let a = seed
    return () => {
      a = (a + 0x6d2b79f5) | 0
      let t = Math.imul(a ^ (a >>> 15), 1 | a)
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
  }
  function randomSpans(random: () => number, length: number): TokenSpan[] {
    const out: TokenSpan[] = []
    let i = 0
    while (i < length) {
      if (random() < 0.4) {
        i++ // O; otherwise an entity starts here, often touching the previous one
        continue
      }
      const len = 1 + Math.floor(random() * Math.min(4, length - i))
      out.push({ start: i, end: i + len, label: random() < 0.5 ? 'A' : 'B' })
      i += len
    }
    return out
  }

  it.each(FILE_TAG_SCHEMES)('%s', (scheme) => {
    const random = rng(17)
    for (let n = 0; n < 500; n++) {
      const length = Math.floor(random() * 12)
      const spans = randomSpans(random, length)
      const tags = spansToTags(length, spans, scheme)
      for (const policy of ['repair', 'reject'] as const) {
        const back = tagsToSpans(tags, scheme, policy)
        expect(back.invalid).toEqual([])
        expect(back.spans).toEqual(spans)
        expect(spansToTags(length, back.spans, scheme)).toEqual(tags)
      }
      expect(detectScheme(tags).mixed).toBe(false)
    }
  })
})

describe('detectScheme', () => {
  it.each([
    ['B-PER I-PER O B-LOC', 'iob2', false],
    ['I-PER O I-LOC B-LOC', 'iob1', false],
    ['B-PER E-PER S-LOC O', 'iobes', false],
    ['B-PER I-PER E-PER', 'iobes', false],
    ['B-PER M-PER E-PER', 'bmes', false],
    ['B-PER L-PER U-LOC', 'bilou', false],
    ['B-PER M-PER L-PER', 'bmes', true], // M- with L-
    ['S-PER U-PER', 'bilou', true], // S- with U-
    ['B-PER I-PER M-PER E-PER', 'bmes', true], // I- in BMES
    ['O O', 'iob2', false],
    ['PER LOC', 'iob2', false], // no prefixed tags at all
  ] as const)('%s -> %s', (tags, scheme, mixed) => {
    const d = detectScheme(tags.split(' '))
    expect(d.scheme).toBe(scheme)
    expect(d.mixed).toBe(mixed)
    expect(d.reason.length).toBeGreaterThan(0)
  })

  it('treats an empty string as a sentence boundary', () => {
    expect(detectScheme(['B-X', 'I-X', 'I-X']).scheme).toBe('iob2')
    expect(detectScheme(['I-X', '', 'I-X']).reason).toMatch(/2 of 2 entities start with I-/)
    expect(detectScheme(['I-X', 'I-X']).reason).toMatch(/1 of 1 entities start with I-/)
  })

  it('takes a few I- starts in a B- file as IOB2 errors, not as IOB1', () => {
    // Weibo NER train has 10 I- starts among 1895 entities.
    const d = detectScheme('B-X O B-X O B-X O I-X'.split(' '))
    expect(d.scheme).toBe('iob2')
    expect(d.reason).toMatch(/1 of 4 entities start with I-/)
    expect(detectScheme('I-X O I-X O I-X O B-X'.split(' ')).scheme).toBe('iob1')
  })

  it('names the foreign prefixes when mixed', () => {
    expect(detectScheme(['B-X', 'M-X', 'L-X']).reason).toMatch(/L-.*BMES does not use/)
  })
})
