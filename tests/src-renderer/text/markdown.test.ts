import { describe, expect, it } from 'vitest'
import { renderMarkdown } from '../../../src-renderer/src/text/markdown'

describe('guidelines markdown', () => {
  it('renders headings, lists, emphasis, code and links', () => {
    expect(renderMarkdown('# PER\nPeople, **not** *pets*.\n\n- include `Dr.`\n- titles\n\n1. first\n2. second\n\nSee [the wiki](https://example.org/ner).')).toBe(
      '<h3>PER</h3><p>People, <strong>not</strong> <em>pets</em>.</p><ul><li>include <code>Dr.</code></li><li>titles</li></ul><ol><li>first</li><li>second</li></ol><p>See <a href="https://example.org/ner" target="_blank" rel="noopener noreferrer">the wiki</a>.</p>',
    )
  })
  it('never lets markup or scripts through', () => {
    const html = renderMarkdown('<img src=x onerror=alert(1)> [x](javascript:alert(1)) <script>alert(2)</script>')
    expect(html).not.toContain('<img')
    expect(html).not.toContain('<script')
    expect(html).not.toContain('href="javascript')
  })
})
