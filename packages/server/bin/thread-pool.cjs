'use strict'
const { readdirSync, stat } = require('node:fs')
const { availableParallelism, getPriority, setPriority } = require('node:os')

/**
 * libuv's thread pool signs JWTs and hashes passwords (argon2id). Node starts 4 threads whatever
 * the machine; on fewer cores the extra ones only take turns with the event loop, which then
 * waits. As many threads as cores, at least 2 and at most Node's 4. Measured on 2 cores in
 * interleaved bench runs (UV_THREADPOOL_SIZE=2 against the default, same build): code and refresh
 * at c=64 ahead in 9 of 9 pairs (+0.4 to +14%), login at c=16 and 64 in 6 of 6 (+4 to +14%),
 * flow even (6 of 12).
 */
function defaultThreadPoolSize(cores = availableParallelism()) {
  return Math.min(4, Math.max(2, cores))
}

/**
 * Sets UV_THREADPOOL_SIZE unless the environment has it. libuv reads it when the pool first runs
 * work, so only a CommonJS entry can: an ES module entry is itself read through the pool.
 */
function applyThreadPoolDefault(env = process.env, cores = availableParallelism()) {
  if (!env.UV_THREADPOOL_SIZE) env.UV_THREADPOOL_SIZE = String(defaultThreadPoolSize(cores))
  return env.UV_THREADPOOL_SIZE
}

/** How many nice levels the pool's threads go below the process: PIXIE_POOL_NICE (0 to 19). */
function poolNice(env = process.env) {
  const raw = env.PIXIE_POOL_NICE
  if (raw === undefined || raw === '') return 10
  if (!/^\d+$/.test(raw) || Number(raw) > 19) {
    throw new Error(`PIXIE_POOL_NICE must be an integer from 0 to 19, not ${JSON.stringify(raw)}`)
  }
  return Number(raw)
}

/**
 * Lowers the priority of libuv's pool threads below the event loop's: 10 nice levels, or what
 * PIXIE_POOL_NICE says (0 keeps them level; nice values stop at 19). The pool hashes passwords
 * (argon2id, ~20 ms of CPU each) and signs JWTs. At the event loop's priority a burst of sign-ins
 * took the CPU from page and token requests, and a pool thread woken to sign preempted the loop
 * that had queued the signature.
 * Interleaved bench pairs on 2 cores (PIXIE_POOL_NICE=10 against 0, same build):
 * - login at c=64: GET /authorize p99 103 -> 23, 134 -> 80 ms; the whole sign-in's p99
 *   877 -> 764, 1057 -> 930 ms; throughput +3 to +5%;
 * - flow, code, refresh at c=16 and c=64: ahead in 12 of 18 cells, code at c=64 in 3 of 3
 *   (+5 to +10%).
 *
 * Linux only: there the nice value belongs to a thread (setpriority(2), NOTES), and the pool's
 * threads are the ones that appear when it first runs work, which must not have happened yet.
 * Where threads cannot be listed, or their number is not the pool's size, nothing changes.
 * Resolves to the thread ids it changed.
 */
async function lowerPoolPriority(env = process.env) {
  const nice = poolNice(env)
  const before = threads()
  // Any pool work starts all of the pool's threads, before its callback runs.
  await new Promise((resolve) => stat(__filename, () => resolve()))
  if (nice === 0 || before === null) return []
  const added = (threads() ?? []).filter((tid) => !before.includes(tid))
  if (added.length !== Number(env.UV_THREADPOOL_SIZE)) return []
  const changed = []
  const target = Math.min(19, getPriority(0) + nice)
  for (const tid of added) {
    try {
      setPriority(tid, target)
      changed.push(tid)
    } catch {
      // A sandbox may forbid it: the server runs as it would have.
    }
  }
  return changed
}

function threads() {
  try {
    return readdirSync('/proc/self/task').map(Number)
  } catch {
    return null
  }
}

module.exports = { defaultThreadPoolSize, applyThreadPoolDefault, lowerPoolPriority, poolNice }
