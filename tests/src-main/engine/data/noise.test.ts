import { describe, expect, it } from 'vitest'
import { addTextNoise } from '../../../../src-main/engine/data/noise'
import { seededRandom } from '../../../../src-shared/domain/splits'
import type { NerDocument } from '../../../../src-main/engine/data'

const en: NerDocument = { id: 1, text: 'Barack Obama visited Paris in May.', spans: [{ start: 0, end: 12, label: 'PER' }, { start: 21, end: 26, label: 'LOC' }] }
const zh: NerDocument = { id: 2, text: '约翰住在北京和𠮷野家。', spans: [{ start: 0, end: 2, label: 'PER' }, { start: 4, end: 6, label: 'LOC' }, { start: 7, end: 11, label: 'ORG' }] }

function valid(d: NerDocument): void {
  let prev = 0
  for (const s of d.spans) {
    expect(s.start).toBeGreaterThanOrEqual(prev)
    expect(s.end).toBeGreaterThan(s.start)
    expect(s.end).toBeLessThanOrEqual(d.text.length)
    prev = s.end
  }
  expect(d.text).toBe(d.text.normalize('NFC'))
  expect(/[\ud800-\udbff](?![\udc00-\udfff])/.test(d.text)).toBe(false)
}

describe('addTextNoise', () => {
  it('is the identity at rate 0', () => {
    expect(addTextNoise(en, { swap: 0, drop: 0, insert: 0 }, seededRandom(1))).toEqual(en)
    expect(addTextNoise(zh, { swap: 0, drop: 0, insert: 0 }, seededRandom(1))).toEqual(zh)
  })

  it('changes about the requested share of characters, keeping every span, for Latin and CJK text', () => {
    for (const doc of [en, zh]) {
      for (let seed = 0; seed < 200; seed++) {
        const noisy = addTextNoise(doc, { swap: 0.1, drop: 0.1, insert: 0.1 }, seededRandom(seed))
        valid(noisy)
        expect(noisy.spans.map((s) => s.label)).toEqual(doc.spans.map((s) => s.label))
      }
    }
    const noisy = addTextNoise(en, { swap: 0, drop: 0.2, insert: 0 }, seededRandom(3))
    expect(noisy.text.length).toBeLessThan(en.text.length)
  })

  it('keeps spaces and punctuation, and CJK insertions come from the document', () => {
    const noisy = addTextNoise(zh, { swap: 0, drop: 0, insert: 1 }, seededRandom(5))
    for (const ch of noisy.text) expect(zh.text).toContain(ch)
    const latin = addTextNoise(en, { swap: 0, drop: 0.5, insert: 0 }, seededRandom(9))
    expect(latin.text.split(' ').length).toBe(en.text.split(' ').length)
  })
})
