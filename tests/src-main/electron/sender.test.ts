import { describe, expect, it } from 'vitest'
import { senderAllowed } from '../../../src-main/electron/sender'

describe('Electron sender check', () => {
  const file = 'file:///opt/Tagtune/resources/app.asar/out/renderer/index.html'
  it('accepts only our own page in the top frame', () => {
    expect(senderAllowed({ url: `${file}#/projects`, isMainFrame: true }, file)).toBe(true)
    expect(senderAllowed({ url: file, isMainFrame: false }, file)).toBe(false)
    expect(senderAllowed({ url: 'file:///tmp/evil.html', isMainFrame: true }, file)).toBe(false)
    expect(senderAllowed({ url: 'https://example.com/', isMainFrame: true }, file)).toBe(false)
    expect(senderAllowed({ url: 'not a url', isMainFrame: true }, file)).toBe(false)
  })
  it('accepts the dev server origin in development', () => {
    expect(senderAllowed({ url: 'http://localhost:5173/#/train', isMainFrame: true }, 'http://localhost:5173/')).toBe(true)
    expect(senderAllowed({ url: 'http://localhost:5174/', isMainFrame: true }, 'http://localhost:5173/')).toBe(false)
  })
})
