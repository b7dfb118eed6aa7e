import { describe, expect, it } from 'vitest'
import { generateToken, hostHeaderAllowed, isLoopbackHost, originAllowed, tokensEqual } from '../../../src-main/host/access'

describe('access rules', () => {
  it.each([
    ['127.0.0.1', true], ['127.1.2.3', true], ['localhost', true], ['::1', true], ['[::1]', true],
    ['0.0.0.0', false], ['192.168.1.5', false], ['tagtune.lan', false], ['::', false],
  ])('isLoopbackHost(%s) = %s', (h, expected) => {
    expect(isLoopbackHost(h)).toBe(expected)
  })

  it('compares tokens exactly', () => {
    const t = generateToken()
    expect(t).not.toBe(generateToken())
    expect(tokensEqual(t, t)).toBe(true)
    expect(tokensEqual(t.slice(1), t)).toBe(false)
    expect(tokensEqual(null, t)).toBe(false)
  })

  it('allows only same-origin browsers; non-browser clients send no Origin', () => {
    expect(originAllowed(undefined, '127.0.0.1:5678')).toBe(true)
    expect(originAllowed('http://127.0.0.1:5678', '127.0.0.1:5678')).toBe(true)
    expect(originAllowed('http://127.0.0.1:9999', '127.0.0.1:5678')).toBe(false)
    expect(originAllowed('https://evil.example', '127.0.0.1:5678')).toBe(false)
    expect(originAllowed('null', '127.0.0.1:5678')).toBe(false)
    expect(originAllowed('file://', '127.0.0.1:5678')).toBe(false)
  })

  it('requires a loopback Host header only when no token protects a loopback bind', () => {
    expect(hostHeaderAllowed('localhost:5678', true, false)).toBe(true)
    expect(hostHeaderAllowed('[::1]:5678', true, false)).toBe(true)
    expect(hostHeaderAllowed('rebind.evil:5678', true, false)).toBe(false)
    expect(hostHeaderAllowed(undefined, true, false)).toBe(false)
    expect(hostHeaderAllowed('workstation.lan:5678', false, true)).toBe(true)
  })
})
