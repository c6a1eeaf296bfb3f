import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import assert from 'node:assert/strict'
import { after, it } from 'node:test'
import { sql } from 'kysely'
import { storeContract } from '../src/storage/contract.ts'
import { openSqliteStore } from '../src/storage/sqlite.ts'

// A real SQLite file, not :memory:, so the test covers what users run.
const dir = mkdtempSync(join(tmpdir(), 'pixie-store-'))
after(() => rmSync(dir, { recursive: true, force: true }))

storeContract('sqlite (file)', async () => openSqliteStore(join(dir, 'pixie.db')))

it("keeps SQLite's own 2 MB page cache, not better-sqlite3's 16 MB (the server's memory budget)", async () => {
  const store = openSqliteStore(join(dir, 'cache.db'))
  try {
    const { rows } = await sql<{ cache_size: number }>`PRAGMA cache_size`.execute(store.db)
    assert.deepEqual(rows, [{ cache_size: -2000 }])
  } finally {
    await store.close()
  }
})
