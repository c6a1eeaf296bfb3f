import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { openSqliteStore } from '../src/storage/sqlite.ts'
import { PreparedQuery } from '../src/storage/prepared.ts'
import { client } from '../src/storage/contract.ts'

describe('PreparedQuery: built once, run with new values', () => {
  it('binds each value by name, keeps the builder constants, and builds only once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pixie-prepared-'))
    const store = openSqliteStore(join(dir, 'p.db'))
    try {
      await store.migrate()
      const a = client({ clientName: 'A', createdAt: 10 })
      const b = client({ clientName: 'B', createdAt: 20 })
      await store.createClient(a)
      await store.createClient(b)
      let builds = 0
      const q = new PreparedQuery((p: { after: number; name: string }) => {
        builds++
        return store.db
          .selectFrom('clients')
          .select(['client_id', 'client_name'])
          .where('created_at', '>', p.after)
          .where('client_name', '!=', p.name)
          .orderBy('created_at')
          .limit(1)
      })
      assert.deepEqual(await q.first(store.db, { after: 0, name: 'A' }), {
        client_id: b.clientId,
        client_name: 'B',
      })
      assert.deepEqual(await q.first(store.db, { after: 0, name: 'B' }), {
        client_id: a.clientId,
        client_name: 'A',
      })
      assert.equal(await q.first(store.db, { after: 20, name: 'x' }), undefined)
      assert.equal(builds, 1)
    } finally {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('refuses a builder that inlines a value into the SQL text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pixie-prepared-'))
    const store = openSqliteStore(join(dir, 'p.db'))
    try {
      const q = new PreparedQuery((p: { name: string }) =>
        store.db.selectFrom('clients').selectAll().where(sql.lit(p.name), '=', 'x'),
      )
      await assert.rejects(q.execute(store.db, { name: 'a' }), /inlined a value/)
    } finally {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
