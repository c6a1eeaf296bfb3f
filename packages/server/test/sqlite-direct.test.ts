import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import SQLite from 'better-sqlite3'
import { openSqliteStore } from '../src/storage/sqlite.ts'
import { client, grant, user } from '../src/storage/contract.ts'
import type { KyselyStore } from '../src/storage/kysely-store.ts'
import type { ClientRecord, UserRecord } from '../src/storage/store.ts'

interface Setup {
  store: KyselyStore
  c: ClientRecord
  u: UserRecord
  /** Another connection to the same file, as another process would have; closed at the end. */
  connect(options?: SQLite.Options): SQLite.Database
}

/** A store on a fresh SQLite file, migrated, with one client and one user. */
async function withStore(name: string, fn: (s: Setup) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `pixie-${name}-`))
  const path = join(dir, `${name}.db`)
  const store = openSqliteStore(path)
  const others: SQLite.Database[] = []
  const connect = (options?: SQLite.Options) => {
    const db = new SQLite(path, options)
    others.push(db)
    return db
  }
  try {
    await store.migrate()
    const c = client()
    const u = user()
    await store.createClient(c)
    await store.createUser(u)
    await fn({ store, c, u, connect })
  } finally {
    for (const db of others) db.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('SQLite: hot queries run directly, but never inside another transaction', () => {
  it('a write made while a transaction is open waits for it, and survives its rollback', () =>
    withStore('direct', async ({ store, c, u }) => {
      const doomed = client()
      const g = grant(c, u)
      let wrote: Promise<void> | undefined
      await assert.rejects(
        store.db.transaction().execute(async (tx) => {
          await tx
            .insertInto('clients')
            .values({
              client_id: doomed.clientId,
              client_name: 'doomed',
              redirect_uris: '[]',
              token_endpoint_auth_method: 'none',
              client_secret_hash: null,
              grant_types: '[]',
              scope: 'profile',
              created_at: 1,
              access_token_format: null,
              post_logout_redirect_uris: null,
            })
            .execute()
          // Another request stores a grant while this transaction is between statements.
          wrote = store.createGrant(g)
          await sleep(20)
          throw new Error('roll back')
        }),
        /roll back/,
      )
      await wrote
      assert.equal(await store.getClient(doomed.clientId), undefined)
      assert.equal((await store.getGrant(g.id))?.id, g.id)
      // Outside a transaction the direct path answers as the queue would.
      assert.equal((await store.redeemCode(g.codeHash, 1)).status, 'redeemed')
      assert.equal((await store.redeemCode(g.codeHash, 2)).status, 'already_used')
    }))

  it('group commit: a write settles only once committed, and the writes of one tick commit together', () =>
    withStore('group', async ({ store, c, u, connect }) => {
      const other = connect({ readonly: true })
      const seen = (id: string) =>
        other.prepare('select 1 from grants where id = ?').get(id) !== undefined
      const grants = Array.from({ length: 5 }, () => grant(c, u))
      let settled = 0
      const writes = grants.map((g) => store.createGrant(g).then(() => settled++))
      // Written inside the open group, not yet committed: nobody else sees them, nothing settled.
      assert.equal(
        grants.some((g) => seen(g.id)),
        false,
      )
      assert.equal(settled, 0)
      await Promise.all(writes)
      assert.equal(
        grants.every((g) => seen(g.id)),
        true,
      )

      // A statement through Kysely commits the open group first (no nested transactions).
      const late = grant(c, u)
      const write = store.createGrant(late)
      assert.equal(seen(late.id), false)
      assert.equal((await store.listClients()).length, 1)
      assert.equal(seen(late.id), true)
      await write

      // A failing write (a duplicate code) fails alone; the others of its group commit.
      const a = grant(c, u)
      const dup = grant(c, u, { codeHash: a.codeHash })
      const b = grant(c, u)
      const results = await Promise.allSettled([
        store.createGrant(a),
        store.createGrant(dup),
        store.createGrant(b),
      ])
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      )
      assert.equal(seen(a.id) && seen(b.id) && !seen(dup.id), true)
    }))

  it('read group: the reads of one turn share a snapshot; a write, Kysely or the next turn ends it', () =>
    withStore('read', async ({ store, c, u, connect }) => {
      const other = connect() // another process writing to the same file
      other.pragma('busy_timeout = 1000')
      const g = grant(c, u)
      await store.createGrant(g)
      const revokeElsewhere = (at: number) =>
        other.prepare('update grants set revoked_at = ? where id = ?').run(at, g.id)

      // Same turn: the second read sees the snapshot of the first; the next turn sees the commit.
      const before = store.getGrant(g.id)
      revokeElsewhere(10)
      const sameTurn = store.getGrant(g.id)
      assert.equal((await before)?.revokedAt, null)
      assert.equal((await sameTurn)?.revokedAt, null)
      await new Promise((resolve) => setImmediate(resolve))
      assert.equal((await store.getGrant(g.id))?.revokedAt, 10)

      // A write after a read in the same turn, with another connection's commit between them:
      // the read group ends first, so the write does not fail on a stale snapshot.
      const read = store.getGrant(g.id)
      revokeElsewhere(20)
      const g2 = grant(c, u)
      await store.createGrant(g2)
      assert.equal((await read)?.revokedAt, 10)
      assert.equal((await store.getGrant(g2.id))?.id, g2.id)
      assert.equal(
        other.prepare('select 1 from grants where id = ?').get(g2.id) !== undefined,
        true,
      )

      // A Kysely statement (its own transaction) after a read in the same turn.
      const read2 = store.getGrant(g.id)
      assert.equal((await store.listClients()).length, 1)
      assert.equal((await read2)?.revokedAt, 20)

      // The read lock is dropped by the next turn: another connection can checkpoint the whole WAL.
      await store.getGrant(g.id)
      await new Promise((resolve) => setImmediate(resolve))
      const [cp] = other.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[]
      assert.equal(cp!.busy, 0)
    }))
})
