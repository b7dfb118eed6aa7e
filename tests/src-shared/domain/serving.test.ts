/** The serving schemas and helpers: what a start request accepts, the URL clients use, the curl example. */
import { describe, expect, it } from 'vitest'
import { curlExample, NerRequest, serverUrl, ServingStart } from '../../../src-shared/domain/serving'

describe('serving start options', () => {
  it('defaults to loopback and a free port', () => {
    expect(ServingStart.parse({ runId: 3 })).toEqual({ runId: 3, port: 0, host: '127.0.0.1' })
  })

  it('accepts host names and IPv4/IPv6 addresses, and refuses anything else', () => {
    for (const host of ['localhost', '127.0.0.1', '0.0.0.0', '::', '::1', '[::1]', 'gpu-box.lab.example', 'fe80::1']) expect(ServingStart.safeParse({ runId: 1, host }).success, host).toBe(true)
    for (const host of ['', 'a b', 'x;rm', 'http://x', 'host/path', '-'.repeat(254)]) expect(ServingStart.safeParse({ runId: 1, host }).success, host).toBe(false)
  })

  it('wants tokens of 16 visible ASCII characters or more', () => {
    expect(ServingStart.safeParse({ runId: 1, token: 'abcdefghijklmnop' }).success).toBe(true)
    for (const token of ['abcdefghijklmno', 'abcdefgh ijklmnop', 'abcdefghijklmnopé', 'abcdefgh\nijklmnop']) expect(ServingStart.safeParse({ runId: 1, token }).success, token).toBe(false)
  })
})

describe('the request body', () => {
  it('is an object with a non-empty array of strings, and nothing else', () => {
    expect(NerRequest.safeParse({ texts: ['', 'a'] }).success).toBe(true)
    expect(NerRequest.safeParse({ texts: ['a'], includeText: true }).success).toBe(true)
    for (const body of [{}, { texts: [] }, { texts: 'a' }, { texts: [1] }, { texts: ['a'], extra: 1 }, { text: ['a'] }]) expect(NerRequest.safeParse(body).success, JSON.stringify(body)).toBe(false)
  })
})

describe('server URLs and the curl example', () => {
  it('reaches a wildcard binding through loopback and brackets IPv6', () => {
    expect(serverUrl('127.0.0.1', 8765)).toBe('http://127.0.0.1:8765')
    expect(serverUrl('0.0.0.0', 80)).toBe('http://127.0.0.1:80')
    expect(serverUrl('::', 1)).toBe('http://[::1]:1')
    expect(serverUrl('::1', 2)).toBe('http://[::1]:2')
    expect(serverUrl('gpu-box', 3)).toBe('http://gpu-box:3')
  })

  it('quotes the text and the token for a POSIX shell', () => {
    expect(curlExample('http://127.0.0.1:1', null, "it's")).toBe(`curl -s http://127.0.0.1:1/v1/ner \\\n  -H 'Content-Type: application/json' \\\n  -d '{"texts":["it'\\''s"]}'`)
    expect(curlExample('http://h:2', 'tok$en')).toContain(`-H 'Authorization: Bearer tok$en'`)
  })
})
