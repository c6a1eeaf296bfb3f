import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import SQLite from 'better-sqlite3'
import { openSqliteStore } from '../src/storage/sqlite.ts'
import { SqliteConnection } from '../src/storage/sqlite-connection.ts'
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

describe('SQLite: remembered reads', () => {
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

  /** A connection on a fresh file with one table; `read` is a remembered hot read of it. */
  async function withTable(
    fn: (t: {
      connection: SqliteConnection
      read(k: string): Promise<unknown>
      run(sql: string, ...parameters: unknown[]): Promise<unknown>
      other: SQLite.Database
    }) => Promise<void>,
  ): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'pixie-remember-'))
    const path = join(dir, 'r.db')
    const sqlite = new SQLite(path)
    sqlite.pragma('journal_mode = WAL')
    sqlite.exec("create table t (k text primary key, v integer); insert into t values ('a', 1)")
    const other = new SQLite(path)
    other.pragma('busy_timeout = 1000')
    const connection = new SqliteConnection(sqlite, 256, 2)
    const read = async (k: string) => {
      const result = await connection.direct('select v from t where k = ?', [k], true)
      return (result!.rows[0] as { v: number } | undefined)?.v
    }
    const run = async (sql: string, ...parameters: unknown[]) => connection.direct(sql, parameters)
    try {
      await fn({ connection, read, run, other })
    } finally {
      connection.flush()
      other.close()
      sqlite.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }

  it('are answered again while the database is unchanged, and are frozen', () =>
    withTable(async ({ connection, read }) => {
      assert.equal(await read('a'), 1)
      await nextTurn()
      // A change that bypasses the connection (and so cannot be seen by it) shows the rows
      // come from memory; the same statement not remembered reads the table.
      connection.sqlite.prepare("update t set v = 2 where k = 'a'").run()
      assert.equal(await read('a'), 1)
      const plain = await connection.direct('select v from t where k = ?', ['a'])
      assert.equal((plain!.rows[0] as { v: number }).v, 2)
      const kept = await connection.direct('select v from t where k = ?', ['a'], true)
      assert.throws(() => Object.assign(kept!.rows[0] as object, { v: 9 }), TypeError)
      // A row not found is not kept: inserted later, it is found.
      assert.equal(await read('b'), undefined)
      connection.sqlite.prepare("insert into t values ('b', 7)").run()
      assert.equal(await read('b'), 7)
    }))

  it("are kept over this connection's plain inserts, forgotten on any other write", () =>
    withTable(async ({ connection, read, run }) => {
      assert.equal(await read('a'), 1)
      connection.sqlite.prepare("update t set v = 2 where k = 'a'").run() // unseen, as above
      await run("insert into t values ('c', 3)")
      assert.equal(await read('a'), 1)
      await run("update t set v = 3 where k = 'c'")
      assert.equal(await read('a'), 2)

      connection.sqlite.prepare("update t set v = 4 where k = 'a'").run()
      await run("insert into t values ('d', 4) on conflict (k) do update set v = excluded.v")
      assert.equal(await read('a'), 4)

      connection.sqlite.prepare("update t set v = 5 where k = 'a'").run()
      await run("delete from t where k = 'd'")
      assert.equal(await read('a'), 5)

      // Through Kysely's side of the connection (every statement is prepared for its run).
      connection.sqlite.prepare("update t set v = 6 where k = 'a'").run()
      connection.forKysely().prepare("insert into t values ('e', 1)").run([])
      assert.equal(await read('a'), 5)
      connection.forKysely().prepare("update t set v = 2 where k = 'e'").run([])
      assert.equal(await read('a'), 6)
    }))

  it('are forgotten from the next turn once another connection commits', () =>
    withTable(async ({ read, other }) => {
      assert.equal(await read('a'), 1)
      other.prepare("update t set v = 2 where k = 'a'").run()
      // The same turn still reads the snapshot of its first read, as any read would.
      assert.equal(await read('a'), 1)
      await nextTurn()
      assert.equal(await read('a'), 2)
      // An insert elsewhere changes data_version too: forgotten all the same.
      other.prepare("insert into t values ('x', 1)").run()
      await nextTurn()
      other.prepare("update t set v = 3 where k = 'a'").run()
      await nextTurn()
      assert.equal(await read('a'), 3)
    }))

  it('keep at most the configured number of results per statement, the newest', () =>
    withTable(async ({ connection, read, run }) => {
      await run("insert into t values ('b', 2), ('c', 3)")
      assert.deepEqual([await read('a'), await read('b'), await read('c')], [1, 2, 3])
      connection.sqlite.exec('update t set v = v * 10') // unseen
      // The limit is 2 here: 'a' went when 'c' came.
      assert.deepEqual([await read('b'), await read('c'), await read('a')], [2, 3, 10])
    }))
})
