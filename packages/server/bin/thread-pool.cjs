'use strict'
const { availableParallelism } = require('node:os')

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

module.exports = { defaultThreadPoolSize, applyThreadPoolDefault }
