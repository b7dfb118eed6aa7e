/**
 * The system panel's readings: CPU and memory of the machine, of the host process and of the
 * training process, and the GPUs through nvidia-smi when it is installed. CPU percentages are
 * over the time since the previous sample and of all cores (0-100). Process figures come from
 * /proc on Linux and `ps` on macOS; elsewhere they are null.
 */
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import os from 'node:os'
import type { SystemSample } from '../../../src-shared/domain/run'

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on every mainstream Linux). */
const USER_HZ = 100
/** How long a missing nvidia-smi is believed before asking again. */
const NO_GPU_RETRY_MS = 60_000

export interface ProcessReading {
  /** CPU seconds used so far (user + system). */
  cpuSeconds: number | null
  rssBytes: number | null
  /** Percent of all cores straight from `ps` (macOS), when times are not available. */
  cpuPercent?: number | null
}

/** utime + stime (seconds) and resident memory of a process from /proc (Linux). */
export function parseProcStat(stat: string, status: string): ProcessReading {
  // The command name is in parentheses and may hold spaces or parentheses: read after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
  return {
    cpuSeconds: Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / USER_HZ : null,
    rssBytes: rss ? Number(rss[1]) * 1024 : null,
  }
}

/** nvidia-smi's CSV (noheader, nounits) of index, name, utilization.gpu, memory.used, memory.total (MiB). */
export function parseNvidiaSmi(csv: string): SystemSample['gpu']['devices'] {
  const num = (s: string | undefined): number | null => {
    const n = Number(s?.trim())
    return s === undefined || s.trim() === '' || !Number.isFinite(n) ? null : n
  }
  return csv
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const [index, name, util, used, total] = line.split(',').map((x) => x.trim())
      const usedMiB = num(used)
      const totalMiB = num(total)
      return {
        index: num(index) ?? 0,
        name: name ?? 'GPU',
        utilizationPercent: num(util),
        memoryUsedBytes: usedMiB === null ? null : usedMiB * 1024 ** 2,
        memoryTotalBytes: totalMiB === null ? null : totalMiB * 1024 ** 2,
      }
    })
}

/** GPU memory per process id from `nvidia-smi --query-compute-apps=pid,used_memory` (MiB). */
export function parseComputeApps(csv: string): Map<number, number> {
  const out = new Map<number, number>()
  for (const line of csv.split('\n')) {
    const [pid, used] = line.split(',').map((x) => Number(x.trim()))
    if (Number.isInteger(pid) && Number.isFinite(used)) out.set(pid!, (out.get(pid!) ?? 0) + used! * 1024 ** 2)
  }
  return out
}

function run(cmd: string, args: string[], timeout = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout, windowsHide: true }, (err, stdout) => (err ? reject(err) : resolve(stdout)))
  })
}

async function readProcess(pid: number): Promise<ProcessReading> {
  if (process.platform === 'linux') {
    try {
      const [stat, status] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile(`/proc/${pid}/status`, 'utf8')])
      return parseProcStat(stat, status)
    } catch {
      return { cpuSeconds: null, rssBytes: null }
    }
  }
  if (process.platform === 'darwin') {
    try {
      const [rss, cpu] = (await run('ps', ['-o', 'rss=,%cpu=', '-p', String(pid)])).trim().split(/\s+/).map(Number)
      return { cpuSeconds: null, rssBytes: Number.isFinite(rss) ? rss! * 1024 : null, cpuPercent: Number.isFinite(cpu) ? cpu! / os.cpus().length : null }
    } catch {
      return { cpuSeconds: null, rssBytes: null }
    }
  }
  return { cpuSeconds: null, rssBytes: null }
}

/** Memory in use: total minus what is available (Linux MemAvailable counts the reclaimable cache as free; os.freemem does not). */
async function usedMemory(): Promise<number> {
  if (process.platform === 'linux') {
    try {
      const m = /^MemAvailable:\s+(\d+)\s+kB/m.exec(await readFile('/proc/meminfo', 'utf8'))
      if (m) return os.totalmem() - Number(m[1]) * 1024
    } catch {
      // fall back below
    }
  }
  return os.totalmem() - os.freemem()
}

function cpuTimes(): { idle: number; total: number } {
  let idle = 0
  let total = 0
  for (const c of os.cpus()) {
    const t = c.times
    idle += t.idle
    total += t.user + t.nice + t.sys + t.idle + t.irq
  }
  return { idle, total }
}

export interface SystemSampler {
  sample(trainer: { runId: number; pid: number } | null): Promise<SystemSample>
}

export function createSystemSampler(options: { nvidiaSmi?: string } = {}): SystemSampler {
  const smi = options.nvidiaSmi ?? 'nvidia-smi'
  let last: { wall: number; cpu: { idle: number; total: number }; host: number; trainer: Map<number, number> } | null = null
  let noGpu: { reason: string; until: number } | null = null

  async function gpu(): Promise<{ info: SystemSample['gpu']; perPid: Map<number, number> }> {
    if (noGpu && Date.now() < noGpu.until) return { info: { available: false, reason: noGpu.reason, devices: [] }, perPid: new Map() }
    try {
      const devices = parseNvidiaSmi(await run(smi, ['--query-gpu=index,name,utilization.gpu,memory.used,memory.total', '--format=csv,noheader,nounits']))
      let perPid = new Map<number, number>()
      try {
        perPid = parseComputeApps(await run(smi, ['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits']))
      } catch {
        // Per-process memory is a nicety; some drivers refuse it.
      }
      noGpu = null
      return { info: { available: devices.length > 0, reason: devices.length > 0 ? null : 'nvidia-smi lists no GPU', devices }, perPid }
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      const reason = e.code === 'ENOENT' ? 'nvidia-smi not found (no NVIDIA driver)' : `nvidia-smi failed: ${(e.message || String(err)).split('\n')[0]}`
      noGpu = { reason, until: Date.now() + NO_GPU_RETRY_MS }
      return { info: { available: false, reason, devices: [] }, perPid: new Map() }
    }
  }

  return {
    async sample(trainer) {
      const wall = performance.now()
      const cpu = cpuTimes()
      const hostCpu = process.cpuUsage()
      const hostSeconds = (hostCpu.user + hostCpu.system) / 1e6
      const cores = os.cpus().length || 1
      const [t, g, used] = await Promise.all([trainer ? readProcess(trainer.pid) : Promise.resolve(null), gpu(), usedMemory()])
      const prev = last
      const seconds = prev ? (wall - prev.wall) / 1000 : 0
      const pct = (used: number): number | null => (prev && seconds > 0.2 ? Math.max(0, Math.min(100, (100 * used) / (seconds * cores))) : null)
      let cpuPercent: number | null = null
      if (prev) {
        const total = cpu.total - prev.cpu.total
        cpuPercent = total > 0 ? Math.max(0, Math.min(100, 100 * (1 - (cpu.idle - prev.cpu.idle) / total))) : null
      }
      const trainerSeconds = new Map<number, number>()
      let trainerOut: SystemSample['trainer'] = null
      if (trainer && t) {
        let tp: number | null = t.cpuPercent ?? null
        if (t.cpuSeconds !== null) {
          trainerSeconds.set(trainer.pid, t.cpuSeconds)
          const before = prev?.trainer.get(trainer.pid)
          tp = before === undefined ? null : pct(t.cpuSeconds - before)
        }
        trainerOut = { runId: trainer.runId, pid: trainer.pid, cpuPercent: tp, rssBytes: t.rssBytes, gpuMemoryBytes: g.perPid.get(trainer.pid) ?? null }
      }
      last = { wall, cpu, host: hostSeconds, trainer: trainerSeconds }
      return {
        at: new Date().toISOString(),
        cpuCount: cores,
        cpuPercent,
        memoryTotalBytes: os.totalmem(),
        memoryUsedBytes: used,
        host: { pid: process.pid, cpuPercent: prev ? pct(hostSeconds - prev.host) : null, rssBytes: process.memoryUsage().rss },
        trainer: trainerOut,
        gpu: g.info,
      }
    },
  }
}
