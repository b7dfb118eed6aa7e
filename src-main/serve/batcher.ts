/**
 * Dynamic batching: the requests waiting when the model is free are merged into one model call
 * (up to a number of texts), and each gets its own slice of the answer back. One model call runs
 * at a time, so the requests that arrive during a call form the next batch; an optional window
 * also makes the first request of an idle server wait for others. A request is never split, so
 * a request with more texts than the batch limit runs alone. Knows nothing of HTTP or tfjs.
 */

export interface BatcherOptions {
  /** How long the first waiting request waits for others, ms (0: no wait, only what arrived with it or during a call). */
  windowMs: number
  /** Texts per model call at most (1 turns merging off). */
  maxBatchTexts: number
  /** Texts waiting at most; submit() refuses beyond that. */
  maxQueuedTexts: number
}

export interface BatchInfo {
  texts: number
  requests: number
  inferenceMs: number
}

export interface Batched<T> {
  results: T[]
  batch: BatchInfo
  /** From submit() to the start of the model call. */
  queueMs: number
}

export class QueueFullError extends Error {
  constructor(readonly queued: number) {
    super(`the server is busy: ${queued} texts are waiting`)
    this.name = 'QueueFullError'
  }
}

interface Pending<T> {
  texts: readonly string[]
  at: number
  resolve(b: Batched<T>): void
  reject(err: unknown): void
}

export interface Batcher<T> {
  submit(texts: readonly string[]): Promise<Batched<T>>
  /** Texts waiting (not in the running call). */
  queued(): number
  /** Resolves when nothing waits and no call runs. */
  idle(): Promise<void>
}

/** `run` answers one result per text, in order (it may be synchronous: the model call blocks anyway). */
export function createBatcher<T>(run: (texts: string[]) => T[] | Promise<T[]>, options: BatcherOptions, onBatch?: (info: BatchInfo) => void): Batcher<T> {
  const queue: Pending<T>[] = []
  let queuedTexts = 0
  let running = false
  /** Cancels the scheduled flush, when one is. */
  let pendingFlush: (() => void) | undefined
  let idleWaiters: (() => void)[] = []

  function later(ms: number): void {
    if (ms > 0) {
      const t = setTimeout(flush, ms)
      pendingFlush = () => clearTimeout(t)
    } else {
      const i = setImmediate(flush)
      pendingFlush = () => clearImmediate(i)
    }
  }

  function cancelFlush(): void {
    pendingFlush?.()
    pendingFlush = undefined
  }

  function schedule(): void {
    if (running || queue.length === 0) return
    if (queuedTexts >= options.maxBatchTexts) {
      cancelFlush()
      later(0)
    } else if (!pendingFlush) {
      // Without a window: the next turn of the event loop, after the I/O already read, so that
      // requests that arrived together still share the call.
      later(options.windowMs)
    }
  }

  async function flush(): Promise<void> {
    cancelFlush()
    if (running || queue.length === 0) return
    const taken = [queue.shift()!]
    let size = taken[0]!.texts.length
    while (queue.length > 0 && size + queue[0]!.texts.length <= options.maxBatchTexts) {
      const next = queue.shift()!
      size += next.texts.length
      taken.push(next)
    }
    queuedTexts -= size
    running = true
    const started = performance.now()
    try {
      const texts = taken.flatMap((p) => p.texts)
      const results = await run(texts)
      if (results.length !== texts.length) throw new Error(`the model answered ${results.length} results for ${texts.length} texts`)
      const batch: BatchInfo = { texts: texts.length, requests: taken.length, inferenceMs: performance.now() - started }
      onBatch?.(batch)
      let offset = 0
      for (const p of taken) {
        p.resolve({ results: results.slice(offset, offset + p.texts.length), batch, queueMs: started - p.at })
        offset += p.texts.length
      }
    } catch (err) {
      for (const p of taken) p.reject(err)
    } finally {
      running = false
      if (queue.length > 0) {
        cancelFlush()
        later(0)
      } else {
        const waiters = idleWaiters
        idleWaiters = []
        for (const w of waiters) w()
      }
    }
  }

  return {
    submit(texts) {
      if (queue.length > 0 && queuedTexts + texts.length > options.maxQueuedTexts) return Promise.reject(new QueueFullError(queuedTexts))
      return new Promise<Batched<T>>((resolve, reject) => {
        queue.push({ texts, at: performance.now(), resolve, reject })
        queuedTexts += texts.length
        schedule()
      })
    },
    queued: () => queuedTexts,
    idle: () => (!running && queue.length === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r))),
  }
}
