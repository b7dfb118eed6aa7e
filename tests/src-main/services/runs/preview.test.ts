/**
 * Before a run: run.preview counts the done documents and entities per split, tokenizes them as
 * the trainer will (windows, spans that do not align) and estimates memory and time, from a
 * stated rough figure until a run has completed on this machine and from its measured speed
 * after. The estimate's arithmetic and the system readings' parsers, by hand.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTempDirs } from '../../../helpers/temp-dir'
import { useHosts } from '../../../helpers/host'
import { TINY_BERT, toyDocuments } from '../../../helpers/toy-ner'
import type { Host } from '../../../../src-main/host/create-host'
import type { NerDocument } from '../../../../src-main/engine/data'
import { bertParamCount, epochTime, RUNTIME_BYTES, steadyMedian, trainingMemory } from '../../../../src-main/services/runs/estimate'
import { createSystemSampler, parseComputeApps, parseNvidiaSmi, parseProcStat } from '../../../../src-main/services/runs/system'

const tempDir = useTempDirs()
const newHost = useHosts(tempDir)

function doccano(path: string, docs: NerDocument[]): string {
  writeFileSync(path, docs.map((d) => JSON.stringify({ text: d.text, label: d.spans.map((s) => [s.start, s.end, s.label]) })).join('\n') + '\n')
  return path
}

const CONFIG = { model: TINY_BERT, epochs: 3, batchSize: 8, learningRate: 5e-3, maxLength: 32, dropout: 0, seed: 1 }

/** The toy data, plus in train one span inside a word ("ary" of "mary") and two documents that are not done. */
async function project(host: Host): Promise<{ projectId: number; docs: Record<'train' | 'dev' | 'test', NerDocument[]> }> {
  const p = await host.call('project.create', { name: 'Toy', labels: [{ name: 'PER' }, { name: 'LOC' }] })
  const dir = tempDir()
  const docs = { train: toyDocuments(48, 1, 't'), dev: toyDocuments(12, 2, 'v'), test: toyDocuments(12, 3, 's') }
  docs.train.push({ id: 'odd', text: 'mary lives in paris', spans: [{ start: 1, end: 4, label: 'PER' }, { start: 14, end: 19, label: 'LOC' }] })
  for (const [split, list] of Object.entries(docs)) {
    await host.call('dataset.import', { projectId: p.id, files: [{ path: doccano(join(dir, `${split}.jsonl`), list) }], format: 'doccano', split: split as 'train' })
  }
  const plain = join(dir, 'todo.txt')
  writeFileSync(plain, 'john went home\nanna stayed\n')
  await host.call('dataset.import', { projectId: p.id, files: [{ path: plain }], format: 'text', split: 'train' })
  return { projectId: p.id, docs }
}

const count = (docs: NerDocument[], label: string): number => docs.reduce((n, d) => n + d.spans.filter((s) => s.label === label).length, 0)

describe('run.preview', () => {
  it('counts done documents per split, lists spans that do not align, and estimates from a rough figure, then from a measured run', async () => {
    const host = newHost()
    const { projectId, docs } = await project(host)
    const before = await host.call('run.preview', { projectId, config: CONFIG, backend: 'wasm' })
    expect(before.problems).toEqual([])
    expect(before.data.documents).toEqual({ train: 49, dev: 12, test: 12, unassigned: 0 })
    expect(before.data.notDone).toBe(2)
    expect(before.data.entities.dev).toEqual({ PER: count(docs.dev, 'PER'), LOC: count(docs.dev, 'LOC') })
    expect(before.data.entities.train.PER).toBe(count(docs.train, 'PER'))
    expect(before.model).toMatchObject({ error: null, vocabSize: 128, hiddenSize: 32, numLayers: 2, numHeads: 4, maxPositions: 64, lowercase: true })
    expect(before.windows).toMatchObject({ documents: { train: 49, dev: 12, test: 12 }, windows: { train: 49, dev: 12, test: 12 } })
    expect(before.windows!.longestWindow).toBeLessThanOrEqual(32)

    // "ary" lies inside the token "mary": trained as the whole word.
    expect(before.alignment!.total).toBe(1)
    expect(before.alignment!.bySplit).toEqual({ train: 1 })
    expect(before.alignment!.issues[0]).toMatchObject({ split: 'train', text: 'ary', label: 'PER', trainedAs: 'mary', before: 'm', after: ' lives in paris' })
    expect(['partial-token', 'partial-word']).toContain(before.alignment!.issues[0]!.reason)

    const e = before.estimate!
    expect(e.stepsPerEpoch).toBe(Math.ceil(49 / 8))
    expect(e.totalSteps).toBe(3 * Math.ceil(49 / 8))
    expect(e.memoryBytes).toBe(e.memoryParts.weights + e.memoryParts.gradientsAndOptimizer + e.memoryParts.activations + e.memoryParts.runtime)
    expect(e.basisRunId).toBeNull()
    expect(e.timeBasis).toMatch(/rough figure: no run has completed/)
    expect(e.device).toBe('CPU')

    // Train once; the next preview uses the run's measured speed, and counted the same parameters.
    const run = await host.call('run.start', { projectId, config: CONFIG, backend: 'wasm' })
    const done = await host.runs.waitFor(run.id)
    expect(done.status).toBe('completed')
    expect(before.model.params).toBe(done.totalParams)
    const after = await host.call('run.preview', { projectId, config: { ...CONFIG, batchSize: 4 }, backend: 'wasm' })
    expect(after.estimate!.basisRunId).toBe(run.id)
    expect(after.estimate!.timeBasis).toMatch(new RegExp(`^measured: run #${run.id} `))
    expect(after.estimate!.stepsPerEpoch).toBe(Math.ceil(49 / 4))
    // Another backend's speed is not this one's.
    const otherBackend = await host.call('run.preview', { projectId, config: CONFIG, backend: 'cpu' })
    expect(otherBackend.estimate!.basisRunId).toBeNull()
    // Techniques that cost more say so.
    const heavier = await host.call('run.preview', { projectId, config: { ...CONFIG, adversarial: { method: 'fgm' }, augmentation: { mentionReplacement: 0.5, copies: 1 } }, backend: 'wasm' })
    expect(heavier.estimate!.stepsPerEpoch).toBe(Math.ceil((2 * 49) / 8))
    expect(heavier.estimate!.secondsPerEpoch).toBeCloseTo(4 * after.estimate!.secondsPerEpoch, 6)
    expect(heavier.estimate!.timeBasis).toMatch(/2× the training windows per epoch \(augmentation\) and 2 forward and backward passes per step \(adversarial FGM\)/)
  })

  it('names the problems of the config and of the model, and still counts the data', async () => {
    const host = newHost()
    const { projectId } = await project(host)
    const bad = await host.call('run.preview', { projectId, config: { ...CONFIG, learningRate: -1, maxLength: 4 } })
    expect(bad.problems.join('\n')).toMatch(/learningRate[\s\S]*maxLength/)
    expect(bad.data.documents.train).toBe(49)
    expect(bad.estimate).toBeNull()
    expect(bad.model.error).toBeNull()

    const missing = await host.call('run.preview', { projectId, config: { ...CONFIG, model: join(tempDir(), 'nowhere') } })
    expect(missing.model.error).toMatch(/model folder not found/)
    expect(missing.windows).toBeNull()
    expect(missing.alignment).toBeNull()

    const none = await host.call('run.preview', { projectId, config: { epochs: 1 } })
    expect(none.problems).toContain('model: choose a model folder, or a vocabulary for a model from scratch')

    const tooLong = await host.call('run.preview', { projectId, config: { ...CONFIG, maxLength: 128 } })
    expect(tooLong.problems).toContain("maxLength: 128 is longer than the model's 64 positions")

    const scratch = await host.call('run.preview', { projectId, config: { ...CONFIG, model: { scratch: { vocab: join(TINY_BERT, 'vocab.txt'), hiddenSize: 16, numLayers: 1, numHeads: 2, maxPositions: 64 } } } })
    expect(scratch.model).toMatchObject({ error: null, vocabSize: 128, hiddenSize: 16, intermediateSize: 64, lowercase: true })
    expect(scratch.model.params).toBe(bertParamCount({ vocabSize: 128, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 64, maxPositions: 64, typeVocabSize: 2 }, 5).total)
    expect(scratch.estimate).not.toBeNull()

    const unknown = await host.invoke('run.preview', { projectId: 999, config: CONFIG })
    expect(unknown.ok || unknown.error.code).toBe('NOT_FOUND')
  })
})

describe('estimates', () => {
  it('counts BERT parameters as Hugging Face does (bert-base without its pooler)', () => {
    const base = { vocabSize: 30522, hiddenSize: 768, numLayers: 12, numHeads: 12, intermediateSize: 3072, maxPositions: 512, typeVocabSize: 2 }
    // bert-base-uncased: 109,482,240 parameters, 590,592 of them in the pooler.
    expect(bertParamCount(base, 0).total).toBe(109_482_240 - 590_592)
    expect(bertParamCount(base, 9).total).toBe(109_482_240 - 590_592 + 768 * 9 + 9)
    expect(bertParamCount(base, 0).embeddings).toBe((30522 + 512 + 2) * 768 + 2 * 768)
  })

  it('adds weights, gradients with Adam moments, activations and the runtime', () => {
    const m = trainingMemory({ params: 1000, trainableParams: 600, batchSize: 2, length: 10, shape: { hiddenSize: 8, intermediateSize: 32, numLayers: 3, numHeads: 2 } })
    expect(m.parts).toEqual({ weights: 4000, gradientsAndOptimizer: 7200, activations: 4 * 2 * 10 * 3 * (80 + 64 + 60), runtime: RUNTIME_BYTES })
    expect(m.total).toBe(4000 + 7200 + 4 * 2 * 10 * 3 * 204 + RUNTIME_BYTES)
  })

  it('takes the speed of the same model as measured, scales another model by parameters, and says so', () => {
    const same = epochTime({ trainTokens: 10_000, devTokens: 3000, params: 1e6, device: 'cpu', measured: { id: 4, name: 'a', tokensPerSecond: 500, params: 1e6, sameModel: true } })
    expect(same).toMatchObject({ tokensPerSecond: 500, secondsPerEpoch: 20, evalSeconds: 2, basisRunId: 4 })
    expect(same.basis).toMatch(/^measured: run #4 "a" trained this model at 500 tokens\/s/)
    const scaled = epochTime({ trainTokens: 10_000, devTokens: 0, params: 2e6, device: 'cpu', measured: { id: 4, name: 'a', tokensPerSecond: 500, params: 1e6, sameModel: false } })
    expect(scaled.tokensPerSecond).toBe(250)
    expect(scaled.basis).toMatch(/^scaled from run #4/)
    const guess = epochTime({ trainTokens: 6e6, devTokens: 0, params: 1e6, device: 'gpu', measured: null })
    expect(guess.tokensPerSecond).toBeCloseTo(5e12 / 6e6, 6)
    expect(guess.basis).toMatch(/rough figure.*5 TFLOP\/s \(GPU\)/)
  })

  it('takes the median speed, leaving out warm-up steps of long series', () => {
    expect(steadyMedian([])).toBeNull()
    expect(steadyMedian([3, 1, 2])).toBe(2)
    expect(steadyMedian([1, Number.NaN, 3, 0])).toBe(2)
    expect(steadyMedian([1, 1, 1, 10, 10, 10, 10, 10, 10, 10, 10])).toBe(10)
  })
})

describe('system readings', () => {
  it('reads /proc times and resident memory, nvidia-smi devices and per-process memory', () => {
    const stat = '4242 (node (trainer)) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 11 0 100 1000000 5000'
    expect(parseProcStat(stat, 'Name:\tnode\nVmRSS:\t  204800 kB\n')).toEqual({ cpuSeconds: 3, rssBytes: 204800 * 1024 })
    expect(parseNvidiaSmi('0, NVIDIA RTX A5000, 87, 10240, 24564\n1, Tesla T4, [N/A], 0, 15360\n')).toEqual([
      { index: 0, name: 'NVIDIA RTX A5000', utilizationPercent: 87, memoryUsedBytes: 10240 * 1024 ** 2, memoryTotalBytes: 24564 * 1024 ** 2 },
      { index: 1, name: 'Tesla T4', utilizationPercent: null, memoryUsedBytes: 0, memoryTotalBytes: 15360 * 1024 ** 2 },
    ])
    expect(parseComputeApps('4242, 900\n17, 100\n4242, 100\n')).toEqual(new Map([[4242, 1000 * 1024 ** 2], [17, 100 * 1024 ** 2]]))
  })

  it('samples the machine and a process, and says why there is no GPU reading', async () => {
    const sampler = createSystemSampler({ nvidiaSmi: join(tempDir(), 'no-nvidia-smi') })
    const first = await sampler.sample({ runId: 1, pid: process.pid })
    expect(first.cpuPercent).toBeNull()
    expect(first.gpu).toEqual({ available: false, reason: 'nvidia-smi not found (no NVIDIA driver)', devices: [] })
    let x = 0
    for (let i = 0; i < 3e6; i++) x += Math.sqrt(i)
    await new Promise((r) => setTimeout(r, 300))
    const second = await sampler.sample({ runId: 1, pid: process.pid })
    expect(x).toBeGreaterThan(0)
    expect(second.cpuPercent).toBeGreaterThanOrEqual(0)
    expect(second.memoryUsedBytes).toBeGreaterThan(0)
    expect(second.memoryUsedBytes).toBeLessThanOrEqual(second.memoryTotalBytes)
    if (process.platform === 'linux') {
      expect(second.trainer!.rssBytes).toBeGreaterThan(10 * 1024 ** 2)
      expect(second.trainer!.cpuPercent).toBeGreaterThan(0)
    }
  })
})
