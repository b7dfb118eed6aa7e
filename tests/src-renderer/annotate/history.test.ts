import { describe, expect, it } from 'vitest'
import { push, redo, startHistory, undo } from '../../../src-renderer/src/annotate/history'
import { nextChar, nextWord, prevChar, prevWord } from '../../../src-renderer/src/annotate/caret'

describe('undo/redo', () => {
  it('walks back and forth, and a new edit drops the redo branch', () => {
    const a = { spans: [], status: 'todo' as const }
    const b = { spans: [[0, 3, 1]] as [number, number, number][], status: 'todo' as const }
    const c = { spans: [[0, 3, 2]] as [number, number, number][], status: 'done' as const }
    let h = push(push(startHistory(a), b), c)
    h = undo(h)
    expect(h.present).toBe(b)
    h = undo(h)
    expect(h.present).toBe(a)
    expect(undo(h)).toBe(h)
    h = redo(h)
    expect(h.present).toBe(b)
    h = push(h, c)
    expect(redo(h)).toBe(h)
    expect(h.past).toEqual([a, b])
  })
})

describe('caret', () => {
  it('steps over astral characters whole, and by words', () => {
    const t = 'a😀b Ada Lovelace'
    expect(nextChar(t, 1)).toBe(3)
    expect(prevChar(t, 3)).toBe(1)
    expect(nextWord(t, 5)).toBe(8)
    expect(nextWord(t, 8)).toBe(17)
    expect(prevWord(t, 17)).toBe(9)
    expect(prevWord(t, 0)).toBe(0)
  })
})
