import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { TEST_CLIENT } from '../src/testing.ts'
import { freePort, spawnPixie } from './scale-support.ts'

const { applyThreadPoolDefault, defaultThreadPoolSize } = createRequire(import.meta.url)(
  '../bin/thread-pool.cjs',
) as {
  defaultThreadPoolSize(cores: number): number
  applyThreadPoolDefault(env: Record<string, string | undefined>, cores: number): string
}

/** Threads of a `pixie serve` process once it listens (SQLite file, no users to hash). */
async function servingThreads(env: Record<string, string | undefined>): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'pixie-pool-'))
  const port = await freePort()
  const pixie = await spawnPixie(
    {
      port,
      host: '127.0.0.1',
      database: `sqlite:${join(dir, 'pixie.db')}`,
      clients: [TEST_CLIENT],
      log_level: 'error',
    },
    [],
    env,
  )
  try {
    // The pool has run work by now: the ES modules of the server were read through it.
    return readdirSync(`/proc/${pixie.child.pid}/task`).length
  } finally {
    await pixie.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('libuv thread pool size (bin/thread-pool.cjs)', () => {
  it('as many threads as cores, at least 2, at most 4 (Node default)', () => {
    assert.equal(defaultThreadPoolSize(1), 2)
    assert.equal(defaultThreadPoolSize(2), 2)
    assert.equal(defaultThreadPoolSize(3), 3)
    assert.equal(defaultThreadPoolSize(4), 4)
    assert.equal(defaultThreadPoolSize(64), 4)
  })

  it("keeps the operator's UV_THREADPOOL_SIZE", () => {
    const set: Record<string, string | undefined> = { UV_THREADPOOL_SIZE: '16' }
    assert.equal(applyThreadPoolDefault(set, 2), '16')
    assert.equal(set.UV_THREADPOOL_SIZE, '16')
    const unset: Record<string, string | undefined> = {}
    assert.equal(applyThreadPoolDefault(unset, 2), '2')
    assert.equal(unset.UV_THREADPOOL_SIZE, '2')
  })

  it(
    'the pixie CLI starts that many pool threads, or what UV_THREADPOOL_SIZE says (Linux /proc)',
    { skip: process.platform !== 'linux' && 'counts threads in /proc' },
    async () => {
      // Same process but for the pool: the difference in threads is the difference in pool size.
      const byDefault = await servingThreads({ UV_THREADPOOL_SIZE: undefined })
      const one = await servingThreads({ UV_THREADPOOL_SIZE: '1' })
      const six = await servingThreads({ UV_THREADPOOL_SIZE: '6' })
      assert.equal(six - one, 5)
      assert.equal(byDefault - one, defaultThreadPoolSize(availableParallelism()) - 1)
    },
  )
})
