import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { openSqliteStore } from '../src/storage/sqlite.ts'
import { client } from '../src/storage/contract.ts'

/** Writes ~100 pages into the WAL and reports whether they reached the database file. */
async function dbFileGrows(backgroundCheckpoints: boolean): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), 'pixie-ckpt-'))
  const path = join(dir, 'p.db')
  const store = openSqliteStore(path, { backgroundCheckpoints })
  try {
    await store.migrate()
    await sleep(400) // the migration's own pages reach the file first
    const before = statSync(path).size
    for (let i = 0; i < 100; i++) {
      await store.createClient(
        client({
          clientName: 'x'.repeat(190),
          redirectUris: [`https://a.example/${'p'.repeat(3000)}`],
        }),
      )
    }
    for (let i = 0; i < 20; i++) {
      if (statSync(path).size > before) return true
      await sleep(100)
    }
    return false
  } finally {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('SQLite WAL checkpoints in a worker thread', () => {
  it('with the worker, committed pages reach the database file without a checkpoint on the event loop', async () => {
    assert.equal(await dbFileGrows(true), true)
  })
  it('without it (the CLI), they stay in the WAL below the automatic mark', async () => {
    assert.equal(await dbFileGrows(false), false)
  })
})
