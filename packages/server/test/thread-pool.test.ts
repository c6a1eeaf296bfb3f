import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism, getPriority, tmpdir } from 'node:os'
import { join } from 'node:path'
import { TEST_CLIENT } from '../src/testing.ts'
import { freePort, spawnPixie } from './scale-support.ts'

const { applyThreadPoolDefault, defaultThreadPoolSize, poolNice } = createRequire(import.meta.url)(
  '../bin/thread-pool.cjs',
) as {
  defaultThreadPoolSize(cores: number): number
  applyThreadPoolDefault(env: Record<string, string | undefined>, cores: number): string
  poolNice(env: Record<string, string | undefined>): number
}

/** The nice value of each thread of a `pixie serve` process once it listens, main thread first. */
async function servingThreads(env: Record<string, string | undefined>): Promise<number[]> {
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
    const pid = pixie.child.pid!
    const tids = readdirSync(`/proc/${pid}/task`).map(Number)
    tids.sort((a, b) => (a === pid ? -1 : b === pid ? 1 : a - b))
    // proc(5) stat: field 19 is the nice value; the fields after `(comm)` start at field 3.
    return tids.map((tid) => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])
    })
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
      assert.equal(six.length - one.length, 5)
      assert.equal(byDefault.length - one.length, defaultThreadPoolSize(availableParallelism()) - 1)
    },
  )
})

describe('libuv thread pool priority (bin/thread-pool.cjs)', () => {
  it('PIXIE_POOL_NICE: 10 levels unless set, 0 to 19, anything else refused', () => {
    assert.equal(poolNice({}), 10)
    assert.equal(poolNice({ PIXIE_POOL_NICE: '' }), 10)
    assert.equal(poolNice({ PIXIE_POOL_NICE: '0' }), 0)
    assert.equal(poolNice({ PIXIE_POOL_NICE: '19' }), 19)
    for (const bad of ['-5', '20', '1.5', 'low', ' 3'])
      assert.throws(() => poolNice({ PIXIE_POOL_NICE: bad }), /PIXIE_POOL_NICE must be an integer/)
  })

  it(
    'the pixie CLI lowers the pool threads, and only them, by that many levels (Linux /proc)',
    { skip: process.platform !== 'linux' && 'reads nice values in /proc' },
    async () => {
      const size = defaultThreadPoolSize(availableParallelism())
      const count = (nices: number[], n: number) => nices.filter((x) => x === n).length
      // Levels below the process's own (inherited from this one, as under `nice npm test`).
      const base = getPriority(0)
      const byDefault = await servingThreads({ PIXIE_POOL_NICE: undefined })
      assert.equal(byDefault[0], base, 'the main thread keeps its priority')
      assert.equal(count(byDefault, Math.min(19, base + 10)), size)
      assert.equal(count(byDefault, base), byDefault.length - size)
      const three = await servingThreads({ PIXIE_POOL_NICE: '3', UV_THREADPOOL_SIZE: '3' })
      assert.equal(three[0], base)
      assert.equal(count(three, Math.min(19, base + 3)), 3)
      const level = await servingThreads({ PIXIE_POOL_NICE: '0' })
      assert.equal(count(level, base), byDefault.length)
    },
  )

  it('a PIXIE_POOL_NICE out of range stops the CLI with a clear error', async () => {
    await assert.rejects(
      servingThreads({ PIXIE_POOL_NICE: '-1' }),
      /exited with 2: pixie: PIXIE_POOL_NICE must be an integer from 0 to 19, not "-1"/,
    )
  })
})
