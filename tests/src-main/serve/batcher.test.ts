/**
 * Dynamic batching on its own: which requests share a model call, that each gets its own
 * results back, and what happens when a call fails or too much waits.
 */
import { describe, expect, it } from 'vitest'
import { createBatcher, QueueFullError, type BatchInfo } from '../../../src-main/serve/batcher'

/** A "model" that answers each text upper-cased and records the calls it got. */
function recorder(fail?: (texts: string[]) => boolean): { calls: string[][]; run: (texts: string[]) => string[] } {
  const calls: string[][] = []
  return {
    calls,
    run: (texts) => {
      calls.push([...texts])
      if (fail?.(texts)) throw new Error('model broke')
      return texts.map((t) => t.toUpperCase())
    },
  }
}

describe('dynamic batching', () => {
  it('merges requests that arrive within the window into one call and gives each its own results', async () => {
    const m = recorder()
    const infos: BatchInfo[] = []
    const b = createBatcher(m.run, { windowMs: 30, maxBatchTexts: 10, maxQueuedTexts: 100 }, (i) => infos.push(i))
    const answers = await Promise.all([b.submit(['a', 'b']), b.submit(['c']), b.submit(['d', 'e', 'f'])])
    expect(m.calls).toEqual([['a', 'b', 'c', 'd', 'e', 'f']])
    expect(answers.map((a) => a.results)).toEqual([['A', 'B'], ['C'], ['D', 'E', 'F']])
    for (const a of answers) expect(a.batch).toMatchObject({ texts: 6, requests: 3 })
    expect(infos).toHaveLength(1)
  })

  it('without a window, requests that arrive together still share a call; later ones get their own', async () => {
    const m = recorder()
    const b = createBatcher(m.run, { windowMs: 0, maxBatchTexts: 10, maxQueuedTexts: 100 })
    await Promise.all([b.submit(['a']), b.submit(['b'])])
    await b.submit(['c'])
    expect(m.calls).toEqual([['a', 'b'], ['c']])
  })

  it('never puts more than maxBatchTexts texts in a call, and never splits a request', async () => {
    const m = recorder()
    const b = createBatcher(m.run, { windowMs: 20, maxBatchTexts: 3, maxQueuedTexts: 100 })
    const answers = await Promise.all([b.submit(['a', 'b']), b.submit(['c', 'd']), b.submit(['e', 'f', 'g', 'h']), b.submit(['i'])])
    expect(m.calls.flat()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'])
    // Requests keep their order: [a b] (adding c d would make 4), [c d], [e f g h] alone (over the limit), [i].
    expect(m.calls).toEqual([['a', 'b'], ['c', 'd'], ['e', 'f', 'g', 'h'], ['i']])
    expect(answers.map((a) => a.results.join(''))).toEqual(['AB', 'CD', 'EFGH', 'I'])
  })

  it('with maxBatchTexts 1 every request is a call of its own', async () => {
    const m = recorder()
    const b = createBatcher(m.run, { windowMs: 20, maxBatchTexts: 1, maxQueuedTexts: 100 })
    await Promise.all([b.submit(['a']), b.submit(['b']), b.submit(['c'])])
    expect(m.calls).toEqual([['a'], ['b'], ['c']])
  })

  it('requests that arrive during a call form the next batch', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const calls: string[][] = []
    const b = createBatcher(
      async (texts: string[]) => {
        calls.push(texts)
        if (calls.length === 1) await gate
        return texts
      },
      { windowMs: 1, maxBatchTexts: 10, maxQueuedTexts: 100 },
    )
    const first = b.submit(['a'])
    await new Promise((r) => setTimeout(r, 20))
    const later = [b.submit(['b']), b.submit(['c'])]
    await new Promise((r) => setTimeout(r, 20))
    expect(calls).toEqual([['a']])
    release()
    await Promise.all([first, ...later])
    expect(calls).toEqual([['a'], ['b', 'c']])
  })

  it('a failing call rejects the requests in it only; the next batch works', async () => {
    const m = recorder((texts) => texts.includes('boom'))
    const b = createBatcher(m.run, { windowMs: 10, maxBatchTexts: 2, maxQueuedTexts: 100 })
    const results = await Promise.allSettled([b.submit(['boom']), b.submit(['x']), b.submit(['ok'])])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled'])
    expect((results[0] as PromiseRejectedResult).reason.message).toBe('model broke')
    expect((results[2] as PromiseFulfilledResult<{ results: string[] }>).value.results).toEqual(['OK'])
    await expect(b.submit(['again'])).resolves.toMatchObject({ results: ['AGAIN'] })
  })

  it('refuses new requests when too many texts wait, and accepts again once they are done', async () => {
    const m = recorder()
    const b = createBatcher(m.run, { windowMs: 30, maxBatchTexts: 100, maxQueuedTexts: 5 })
    const waiting = [b.submit(['a', 'b', 'c']), b.submit(['d', 'e'])]
    expect(b.queued()).toBe(5)
    await expect(b.submit(['f'])).rejects.toBeInstanceOf(QueueFullError)
    await Promise.all(waiting)
    await b.idle()
    expect(b.queued()).toBe(0)
    await expect(b.submit(['f'])).resolves.toMatchObject({ results: ['F'] })
  })

  it('a request larger than the queue limit is still served when nothing else waits', async () => {
    const m = recorder()
    const b = createBatcher(m.run, { windowMs: 1, maxBatchTexts: 2, maxQueuedTexts: 2 })
    await expect(b.submit(['a', 'b', 'c'])).resolves.toMatchObject({ results: ['A', 'B', 'C'] })
  })
})
