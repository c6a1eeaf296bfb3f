// Child server processes: one process per server, so CPU and RSS are each server's own.
import { spawn } from 'node:child_process'
import { openSync, readFileSync, closeSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { request } from 'undici'

const CLK_TCK = 100 // Linux USER_HZ
const children = new Set()

/** Kill every child still running (on exit, on errors, on Ctrl-C). */
export function killAll() {
  for (const child of children) {
    try {
      child.kill('SIGKILL')
    } catch {}
  }
  children.clear()
}
process.on('exit', killAll)
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    killAll()
    process.exit(130)
  })
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

/**
 * Spawns `node <args>` with stdout/stderr in `logFile`, then polls `readyUrl` until it answers
 * 200. Returns the child, its pid and the milliseconds from spawn to the first 200.
 */
export async function startServerProcess({
  args,
  cwd,
  logFile,
  readyUrl,
  env,
  timeoutMs = 30_000,
}) {
  const fd = openSync(logFile, 'a')
  const t0 = performance.now()
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', fd, fd],
  })
  closeSync(fd)
  children.add(child)
  let exited = null
  child.once('exit', (code, signal) => {
    exited = { code, signal }
    children.delete(child)
  })
  const deadline = t0 + timeoutMs
  while (performance.now() < deadline) {
    if (exited) throw new Error(`server exited early (${JSON.stringify(exited)}); see ${logFile}`)
    try {
      const res = await request(readyUrl, { headersTimeout: 2000, bodyTimeout: 2000 })
      await res.body.dump()
      if (res.statusCode === 200) {
        return { child, pid: child.pid, readyMs: performance.now() - t0, logFile }
      }
    } catch {}
    await new Promise((r) => setTimeout(r, 5))
  }
  child.kill('SIGKILL')
  throw new Error(`server not ready after ${timeoutMs} ms; see ${logFile}`)
}

/** Stops a child with SIGTERM (so --cpu-prof can write its profile), SIGKILL after a grace time. */
export async function stopServerProcess(child, graceMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const done = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await done
  clearTimeout(timer)
  children.delete(child)
}

/** utime + stime of a process in milliseconds (/proc/<pid>/stat fields 14 and 15). */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // fields[0] is field 3 (state): utime is field 14 -> index 11, stime 15 -> index 12.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK
}

/** Peak (VmHWM) and current (VmRSS) resident set size in MB. */
export function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN)
  return { peak: kb('VmHWM') / 1024, current: kb('VmRSS') / 1024 }
}

/**
 * Resets the process's peak RSS (VmHWM) to its current RSS (Linux 4.0+, proc(5) clear_refs "5"),
 * so a later VmHWM is the peak of what ran since. False where the kernel refuses it.
 */
export function resetPeakRss(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

/** Busy and total CPU time of the whole machine in ms (/proc/stat, all cores). */
export function machineCpuMs() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number)
  const total = v.reduce((a, b) => a + b, 0)
  const idle = v[3] + v[4]
  return { busy: ((total - idle) * 1000) / CLK_TCK, total: (total * 1000) / CLK_TCK }
}

/**
 * Waits until the machine is quiet: under `maxBusy` of all its cores for one `windowMs`, or at
 * most `timeoutMs`. A server's database (PostgreSQL's autovacuum and checkpoints) goes on working
 * after its load stops; the next cell, often another server's, should not pay for it.
 * Returns the milliseconds waited.
 */
export async function waitQuiet({ maxBusy = 0.15, windowMs = 300, timeoutMs = 5000 } = {}) {
  const t0 = performance.now()
  for (;;) {
    const a = machineCpuMs()
    await new Promise((resolve) => setTimeout(resolve, windowMs))
    const b = machineCpuMs()
    const busy = (b.busy - a.busy) / Math.max(1, b.total - a.total)
    if (busy <= maxBusy || performance.now() - t0 >= timeoutMs) return performance.now() - t0
  }
}
