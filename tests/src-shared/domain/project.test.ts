import { describe, expect, it } from 'vitest'
import { LabelSetInput, ProjectCreate, nextFreeColor, nextFreeShortcut, resolveLabelDefaults, LABEL_PALETTE } from '../../../src-shared/domain/project'
import { issuesToDetails } from '../../../src-shared/ipc/errors'

function problems(input: unknown): string[] {
  const r = ProjectCreate.safeParse(input)
  return r.success ? [] : issuesToDetails(r.error.issues).map((d) => `${d.path}: ${d.message}`)
}

describe('project and label validation', () => {
  it('accepts a plain project and trims names', () => {
    const r = ProjectCreate.parse({ name: '  News  ', labels: [{ name: ' PER ' }] })
    expect(r.name).toBe('News')
    expect(r.labels?.[0]?.name).toBe('PER')
  })

  it.each([
    [{ name: '' }, 'name: project name is empty'],
    [{ name: '   ' }, 'name: project name is empty'],
    [{ name: 'x'.repeat(101) }, 'name: project name is longer than 100 characters'],
    [{ name: 'P', labels: [{ name: '' }] }, 'labels.0.name: label name is empty'],
    [{ name: 'P', labels: [{ name: 'two words' }] }, 'labels.0.name: label name must not contain spaces (it becomes a tag such as B-NAME)'],
    [{ name: 'P', labels: [{ name: 'B-PER' }] }, 'labels.0.name: label name must not start with a tag prefix such as B- or I-'],
    [{ name: 'P', labels: [{ name: 'PER', color: 'red' }] }, 'labels.0.color: color must look like #1f77b4'],
    [{ name: 'P', labels: [{ name: 'PER', shortcut: 'F1' }] }, 'labels.0.shortcut: shortcut must be one lowercase letter or digit'],
    [{ name: 'P', tagScheme: 'bilou' }, 'tagScheme'],
    [{ name: 'P', extra: 1 }, 'Unrecognized key'],
  ])('refuses %j', (input, expected) => {
    expect(problems(input).join('\n')).toContain(expected)
  })

  it('refuses duplicate label names, case-insensitively, naming both rows', () => {
    const r = LabelSetInput.safeParse([{ name: 'PER' }, { name: 'ORG' }, { name: 'per' }])
    expect(r.success).toBe(false)
    expect(issuesToDetails(r.error!.issues)).toEqual([{ path: '2.name', message: 'label "per" is already used by label 1' }])
  })

  it('refuses duplicate shortcuts and duplicate ids', () => {
    const r = LabelSetInput.safeParse([
      { id: 1, name: 'A', shortcut: 'a' },
      { id: 1, name: 'B', shortcut: 'a' },
    ])
    const paths = issuesToDetails(r.error!.issues).map((d) => d.path)
    expect(paths).toEqual(['1.shortcut', '1.id'])
  })
})

describe('label defaults', () => {
  it('gives each new label a free color and a free key, in order', () => {
    const out = resolveLabelDefaults([{ name: 'PER', shortcut: '1' }, { name: 'ORG' }, { name: 'LOC', shortcut: null }, { name: 'MISC', color: LABEL_PALETTE[1] }])
    expect(out.map((l) => l.shortcut)).toEqual(['1', '2', null, '3'])
    expect(out.map((l) => l.color)).toEqual([LABEL_PALETTE[0], LABEL_PALETTE[2], LABEL_PALETTE[3], LABEL_PALETTE[1]])
    expect(new Set(out.map((l) => l.color)).size).toBe(4)
  })

  it('runs out of keys gracefully and reuses colors when the palette is exhausted', () => {
    expect(nextFreeShortcut([...'1234567890abcdefghijklmnopqrstuvwxyz'])).toBeNull()
    expect(LABEL_PALETTE).toContain(nextFreeColor(LABEL_PALETTE))
    expect(nextFreeColor([undefined, null, LABEL_PALETTE[0].toUpperCase()])).toBe(LABEL_PALETTE[1])
  })
})
