// Tag sets: the order a new model's head uses, and reading the one a trained model's config has.
import { describe, expect, it } from 'vitest'
import { buildTagSet, tagId, tagSetFromId2Label, tagSetToConfig } from '../../../../src-main/engine/data'

describe('buildTagSet', () => {
  it('puts O first, then B-/I- per type in the order given (IOB2)', () => {
    const t = buildTagSet(['PER', 'LOC', 'creative-work'], 'iob2')
    expect(t.tags).toEqual(['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC', 'B-creative-work', 'I-creative-work'])
    expect(t.index.get('I-LOC')).toBe(4)
    expect(t.scheme).toBe('iob2')
    expect(t.types).toEqual(['PER', 'LOC', 'creative-work'])
    expect(t.roles).toEqual(['O', 'B', 'I', 'B', 'I', 'B', 'I'])
    expect(t.tagTypes[6]).toBe('creative-work')
    expect(t.outside).toBe(0)
  })

  it('adds E- and S- per type for IOBES', () => {
    expect(buildTagSet(['PER', 'LOC'], 'iobes').tags).toEqual(['O', 'B-PER', 'I-PER', 'E-PER', 'S-PER', 'B-LOC', 'I-LOC', 'E-LOC', 'S-LOC'])
  })

  it('refuses repeated or empty types and other schemes', () => {
    expect(() => buildTagSet(['PER', 'PER'], 'iob2')).toThrow(/"PER" is listed twice/)
    expect(() => buildTagSet([''], 'iob2')).toThrow(/empty/)
    expect(() => buildTagSet(['PER'], 'bilou' as 'iob2')).toThrow(/bilou/)
  })

  it('tagId finds a tag and names a missing one', () => {
    const t = buildTagSet(['PER'], 'iob2')
    expect(tagId(t, 'I', 'PER')).toBe(2)
    expect(tagId(t, 'O', '')).toBe(0)
    expect(() => tagId(t, 'S', 'PER')).toThrow(/"S-PER" is not in the tag set/)
  })

  it('tagSetToConfig writes id2label/label2id as config.json has them and reads back', () => {
    const t = buildTagSet(['PER', 'LOC'], 'iobes')
    const { id2label, label2id } = tagSetToConfig(t)
    expect(id2label['3']).toBe('E-PER')
    expect(label2id['S-LOC']).toBe(8)
    expect(tagSetFromId2Label(id2label).tags).toEqual(t.tags)
  })
})

describe('tagSetFromId2Label', () => {
  it("keeps a trained model's own ids, in whatever order, and infers IOB2", () => {
    // dslim/bert-base-NER's config.json order.
    const t = tagSetFromId2Label({ '0': 'O', '1': 'B-MISC', '2': 'I-MISC', '3': 'B-PER', '4': 'I-PER', '5': 'B-ORG', '6': 'I-ORG', '7': 'B-LOC', '8': 'I-LOC' })
    expect(t.scheme).toBe('iob2')
    expect(t.types).toEqual(['MISC', 'PER', 'ORG', 'LOC'])
    expect(t.index.get('B-LOC')).toBe(7)
    const u = tagSetFromId2Label({ 2: 'O', 0: 'B-X', 1: 'I-X' })
    expect(u.tags).toEqual(['B-X', 'I-X', 'O'])
    expect(u.outside).toBe(2)
  })

  it('infers IOBES from E-/S- tags, and reads an array as id -> tag', () => {
    const t = tagSetFromId2Label(['O', 'S-LOC', 'B-LOC', 'I-LOC', 'E-LOC'])
    expect(t.scheme).toBe('iobes')
    expect(t.types).toEqual(['LOC'])
  })

  it('names the tag that is not O or a B-/I-/E-/S- tag', () => {
    expect(() => tagSetFromId2Label({ 0: 'O', 1: 'B-PER', 2: 'I-PER', 3: 'L-PER' })).toThrow(/id2label\[3\] = "L-PER" is not O or B-\/I-\/E-\/S-/)
    expect(() => tagSetFromId2Label({ 0: 'O', 1: 'PER' })).toThrow(/"PER"/)
    expect(() => tagSetFromId2Label({ 0: 'O', 1: 'B-' })).toThrow(/"B-"/)
    expect(() => tagSetFromId2Label({ 0: 'LABEL_0', 1: 'LABEL_1' })).toThrow(/"LABEL_0"/)
  })

  it('refuses a missing O, repeated tags, gaps in the ids, and a type missing one of its tags', () => {
    expect(() => tagSetFromId2Label({ 0: 'B-PER', 1: 'I-PER' })).toThrow(/no "O"/)
    expect(() => tagSetFromId2Label({ 0: 'O', 1: 'B-PER', 2: 'B-PER' })).toThrow(/"B-PER" appears twice/)
    expect(() => tagSetFromId2Label({ 0: 'O', 1: 'B-PER', 3: 'I-PER' })).toThrow(/id "3" is not one of 0..2/)
    expect(() => tagSetFromId2Label({ 0: 'O', 1: 'B-PER' })).toThrow(/has B-PER but not I-PER/)
    expect(() => tagSetFromId2Label({ 0: 'O', 1: 'B-PER', 2: 'I-PER', 3: 'S-PER' })).toThrow(/not E-PER \(read as IOBES\)/)
    expect(() => tagSetFromId2Label({})).toThrow(/empty/)
  })
})
