/**
 * Serving speed: a BERT token classifier (random weights of the asked shape; speed does not
 * depend on what it learned) saved as a run's model folder, served by the real model-server
 * process (as the app's toggle starts it), and N concurrent HTTP clients sending real sentences
 * (WNUT-17 from ../shared/data when present, else generated ones), with dynamic batching and
 * without. Prints requests/s, texts/s, p50/p95/p99 latency and the batch sizes the server formed;
 * last, one JSON line.
 *
 *   npm run bench:serve -- [--clients 1,8,32] [--requests 240] [--texts 1] [--hidden 256 --layers 4 --heads 4]
 *                          [--max-length 64] [--window 5] [--max-batch 32] [--backend wasm] [--sweep]
 *
 * --sweep first measures, in this process, the CPU time per text of a model call with one text
 * and of calls with 32 texts run in forward passes of 4, 8, 16 and 32 windows (three rounds,
 * interleaved): what chose the server's forward pass size on a CPU (serve/server.ts).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { initBackend, isBackendPreference, type BackendPreference } from '../src-main/engine/backend'
import { parseBertConfig } from '../src-main/engine/model/bert-config'
import { countParams, disposeParams } from '../src-main/engine/model/bert'
import { createTokenClassifier, saveTokenClassifier } from '../src-main/engine/model/io'
import { buildTagSet } from '../src-main/engine/data'
import { loadBertTokenizer } from '../src-main/engine/tokenizer'
import { forkModelServer, type ServerProcess } from '../src-main/services/serving/process'
import { loadServedModel } from '../src-main/serve/model'
import type { ServeStats } from '../src-main/serve/http-server'
import { seededRandom } from '../src-shared/domain/splits'
import { readNerFile } from './lib/ner-data'

const SHARED = resolve(import.meta.dirname, '../../shared/data')
const WNUT_TYPES = ['corporation', 'creative-work', 'group', 'location', 'person', 'product']

interface Options {
  clients: number[]
  requests: number
  texts: number
  hidden: number
  layers: number
  heads: number
  maxLength: number
  window: number
  maxBatch: number
  backend: BackendPreference
  seed: number
  /** Also measure, in this process, the CPU cost per text of forward passes of 1, 4, 8, 16 and 32 windows. */
  sweep: boolean
}

function parse(argv: string[]): Options {
  const o: Options = { clients: [1, 8, 32], requests: 240, texts: 1, hidden: 256, layers: 4, heads: 4, maxLength: 64, window: 5, maxBatch: 32, backend: 'wasm', seed: 0, sweep: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') continue
    if (arg === '--sweep') {
      o.sweep = true
      continue
    }
    const [flag, inline] = arg.replace(/^--/, '').split('=', 2) as [string, string | undefined]
    const value = inline ?? argv[++i]
    if (value === undefined) throw new Error(`${arg} needs a value`)
    if (flag === 'clients') o.clients = value.split(',').map(Number)
    else if (flag === 'backend') {
      if (!isBackendPreference(value)) throw new Error('--backend must be one of auto, tensorflow-gpu, tensorflow, wasm, cpu')
      o.backend = value
    } else {
      const key = ({ requests: 'requests', texts: 'texts', hidden: 'hidden', layers: 'layers', heads: 'heads', 'max-length': 'maxLength', window: 'window', 'max-batch': 'maxBatch', seed: 'seed' } as const)[flag as 'requests']
      if (!key) throw new Error(`unknown flag ${arg}`)
      const n = Number(value)
      if (!Number.isInteger(n) || n < 0) throw new Error(`${arg} must be a whole number`)
      o[key] = n
    }
  }
  if (o.clients.some((c) => !Number.isInteger(c) || c < 1)) throw new Error('--clients takes positive whole numbers, such as 1,8,32')
  return o
}

/** Sentences to send: WNUT-17's training tweets when the shared data is there, else generated ones. */
async function sentences(seed: number): Promise<{ texts: string[]; source: string }> {
  const file = join(SHARED, 'wnut17/wnut17train.conll')
  if (existsSync(file)) {
    const { docs } = await readNerFile(file, 'w')
    return { texts: docs.map((d) => d.text).filter((t) => t.trim().length > 0), source: `WNUT-17 train (${docs.length} sentences)` }
  }
  console.log(`(${SHARED} not found: generated sentences are sent instead of WNUT-17)`)
  const random = seededRandom(seed + 7)
  const words = ['the', 'new', 'phone', 'from', 'apple', 'is', 'out', 'today', 'in', 'london', 'and', 'paris', 'mary', 'said', 'she', 'loves', 'it', 'lol', 'check', 'this', 'video', 'on', 'youtube', '!', '?', ',']
  const texts = Array.from({ length: 2000 }, () => Array.from({ length: 6 + Math.floor(random() * 20) }, () => words[Math.floor(random() * words.length)]).join(' '))
  return { texts, source: 'generated (2000 sentences)' }
}

/** A model folder like a run's best checkpoint: a cased BERT vocabulary when there is one. */
function buildModel(dir: string, o: Options, texts: readonly string[]): { params: number; vocab: string } {
  const vocabDir = join(dir, 'vocab')
  const cased = join(SHARED, 'vocab/bert-base-cased/vocab.txt')
  let vocabName: string
  mkdirSync(vocabDir, { recursive: true })
  if (existsSync(cased)) {
    copyFileSync(cased, join(vocabDir, 'vocab.txt'))
    writeFileSync(join(vocabDir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: false }))
    vocabName = 'bert-base-cased'
  } else {
    const words = new Set<string>()
    for (const t of texts) for (const w of t.toLowerCase().split(/\s+/)) if (w) words.add(w)
    const chars = [...'abcdefghijklmnopqrstuvwxyz0123456789.,!?\'"-#@:']
    writeFileSync(join(vocabDir, 'vocab.txt'), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...chars, ...chars.map((c) => `##${c}`), ...[...words].slice(0, 5000)].join('\n') + '\n')
    vocabName = 'generated'
  }
  const { tokenizer } = loadBertTokenizer(vocabDir)
  const config = parseBertConfig({
    model_type: 'bert',
    vocab_size: tokenizer.vocab.size,
    hidden_size: o.hidden,
    num_hidden_layers: o.layers,
    num_attention_heads: o.heads,
    intermediate_size: 4 * o.hidden,
    max_position_embeddings: Math.max(512, o.maxLength),
  })
  const model = createTokenClassifier(config, [...buildTagSet(WNUT_TYPES, 'iob2').tags], o.seed)
  saveTokenClassifier(model, join(dir, 'best'), { tokenizer })
  const params = countParams(model.params)
  disposeParams(model.params)
  return { params, vocab: vocabName }
}

function post(agent: Agent, url: URL, body: string): Promise<{ status: number; ms: number; batchTexts: number }> {
  const t0 = performance.now()
  return new Promise((resolveP, reject) => {
    const req = request({ hostname: url.hostname, port: url.port, path: '/v1/ner', method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const ms = performance.now() - t0
        const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { timing?: { batchTexts: number }; error?: { message: string } }
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${json.error?.message}`))
        resolveP({ status: res.statusCode, ms, batchTexts: json.timing!.batchTexts })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

const pct = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

interface Row {
  mode: string
  clients: number
  requests: number
  texts: number
  seconds: number
  requestsPerSecond: number
  textsPerSecond: number
  p50: number
  p95: number
  p99: number
  meanBatch: number
  /** Server process CPU time per text: steadier than wall time when other jobs share the machine. */
  cpuMsPerText: number
  batchSizes: Record<number, number>
}

function delta(after: ServeStats, before: ServeStats): Record<number, number> {
  const out: Record<number, number> = {}
  for (const [k, v] of Object.entries(after.batchSizes)) {
    const d = v - (before.batchSizes[Number(k)] ?? 0)
    if (d > 0) out[Number(k)] = d
  }
  return out
}

async function scenario(server: ServerProcess, url: URL, mode: string, clients: number, o: Options, pool: readonly string[], offset: number): Promise<Row> {
  const agent = new Agent({ keepAlive: true, maxSockets: clients })
  let next = 0
  const bodyFor = (i: number): string => JSON.stringify({ texts: Array.from({ length: o.texts }, (_, j) => pool[(offset + i * o.texts + j) % pool.length]!) })
  // Warm up: a few requests (and connections) before measuring.
  await Promise.all(Array.from({ length: clients }, (_, c) => post(agent, url, bodyFor(c))))
  const before = await server.stats(60_000)
  const latencies: number[] = []
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < o.requests) {
        const i = next++
        latencies.push((await post(agent, url, bodyFor(i + clients))).ms)
      }
    }),
  )
  const seconds = (performance.now() - t0) / 1000
  const after = await server.stats(60_000)
  agent.destroy()
  const sizes = delta(after, before)
  const calls = Object.values(sizes).reduce((a, b) => a + b, 0)
  const sorted = [...latencies].sort((a, b) => a - b)
  return {
    mode,
    clients,
    requests: o.requests,
    texts: o.requests * o.texts,
    seconds,
    requestsPerSecond: o.requests / seconds,
    textsPerSecond: (o.requests * o.texts) / seconds,
    p50: pct(sorted, 50),
    p95: pct(sorted, 95),
    p99: pct(sorted, 99),
    meanBatch: calls ? Object.entries(sizes).reduce((n, [k, v]) => n + Number(k) * v, 0) / calls : 0,
    cpuMsPerText: (after.cpuMs - before.cpuMs) / (o.requests * o.texts),
    batchSizes: sizes,
  }
}

function sweep(modelDir: string, o: Options, texts: readonly string[]): void {
  const configs: [string, number, number][] = [['1 text per call', 1, 1], ['32 per call, passes of 4', 32, 4], ['32 per call, passes of 8', 32, 8], ['32 per call, passes of 16', 32, 16], ['32 per call, passes of 32', 32, 32]]
  const models = new Map([1, 4, 8, 16, 32].map((bs) => [bs, loadServedModel({ dir: modelDir, runId: null, name: 'sweep', maxLength: o.maxLength, labelAllSubtokens: false, batchSize: bs })]))
  const cpu = new Map<string, number[]>()
  for (const [, n, bs] of configs) models.get(bs)!.predict(texts.slice(0, n))
  for (let round = 0; round < 3; round++) {
    for (const [name, n, bs] of configs) {
      const c0 = process.cpuUsage()
      for (let i = 0; i < texts.length; i += n) models.get(bs)!.predict(texts.slice(i, i + n))
      const c = process.cpuUsage(c0)
      cpu.set(name, [...(cpu.get(name) ?? []), (c.user + c.system) / 1000 / texts.length])
    }
  }
  for (const m of models.values()) m.dispose()
  console.log(`forward pass sizes (${texts.length} texts, in this process, three rounds):`)
  for (const [name, xs] of cpu) console.log(`  ${name.padEnd(26)} ${xs.map((x) => x.toFixed(1)).join('  ')} ms CPU per text`)
}

const o = parse(process.argv.slice(2))
const backend = await initBackend(o.backend)
const dir = mkdtempSync(join(tmpdir(), 'tagtune-bench-serve-'))
const rows: Row[] = []
try {
  const { texts, source } = await sentences(o.seed)
  const { params, vocab } = buildModel(dir, o, texts)
  const words = texts.reduce((n, t) => n + t.split(/\s+/).length, 0) / texts.length
  console.log(`bench:serve: BERT ${o.layers}x${o.hidden} (${params.toLocaleString('en-US')} parameters, ${vocab} vocabulary, 13 WNUT tags), maxLength ${o.maxLength}, backend ${backend.label}`)
  console.log(`sentences: ${source}, ${words.toFixed(1)} words on average; ${o.texts} text(s) per request, ${o.requests} requests per row`)
  if (o.sweep) sweep(join(dir, 'best'), o, texts.slice(0, 256))
  // A window of 0 ms batches only what piles up while the model is busy (no added wait).
  const modes = [
    { mode: `batching (${o.window} ms, ≤${o.maxBatch})`, limits: { batchWindowMs: o.window, maxBatchTexts: o.maxBatch } },
    ...(o.window > 0 ? [{ mode: `batching (0 ms, ≤${o.maxBatch})`, limits: { batchWindowMs: 0, maxBatchTexts: o.maxBatch } }] : []),
    { mode: 'no batching', limits: { batchWindowMs: 0, maxBatchTexts: 1 } },
  ]
  // Both servers run side by side and the rows alternate between them, so that a change in the
  // machine's load (other jobs) does not fall on one mode only.
  const servers = await Promise.all(
    modes.map(async (m) => {
      const server = forkModelServer({
        model: { dir: join(dir, 'best'), runId: null, name: 'bench', maxLength: o.maxLength, labelAllSubtokens: false, batchSize: Math.max(32, o.maxBatch) },
        backend: o.backend,
        hostname: '127.0.0.1',
        port: 0,
        limits: { ...m.limits, maxTexts: Math.max(64, o.texts), maxQueuedTexts: 100_000 },
      })
      return { ...m, server, url: new URL((await server.listening).url) }
    }),
  )
  try {
    let offset = 0
    for (const clients of o.clients) {
      for (const m of servers) {
        const row = await scenario(m.server, m.url, m.mode, clients, o, texts, offset)
        offset += o.requests * o.texts + clients
        rows.push(row)
        const sizes = Object.entries(row.batchSizes).map(([k, v]) => `${k}×${v}`).join(' ')
        console.log(
          `${row.mode.padEnd(22)} ${String(clients).padStart(3)} clients  ${row.requestsPerSecond.toFixed(1).padStart(6)} req/s  ${row.textsPerSecond.toFixed(1).padStart(6)} texts/s  p50 ${row.p50.toFixed(0).padStart(5)} ms  p95 ${row.p95.toFixed(0).padStart(5)} ms  p99 ${row.p99.toFixed(0).padStart(5)} ms  server CPU ${row.cpuMsPerText.toFixed(1).padStart(5)} ms/text  mean batch ${row.meanBatch.toFixed(1).padStart(4)}  [${sizes.length > 50 ? `${sizes.slice(0, 50)}…` : sizes}]`,
        )
      }
    }
  } finally {
    await Promise.all(servers.map((m) => m.server.stop()))
  }
  console.log(JSON.stringify({ bench: 'serve', backend: backend.label, threads: backend.threads ?? 1, layers: o.layers, hidden: o.hidden, maxLength: o.maxLength, textsPerRequest: o.texts, rows: rows.map(({ batchSizes: _b, ...r }) => r) }))
} finally {
  rmSync(dir, { recursive: true, force: true })
}
