/**
 * The PostgreSQL store under several processes: concurrent migrations of a fresh schema, and the
 * expiry sweep that replaces a cron job.
 */
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { client, grant, user } from '../src/storage/contract.ts'
import { openPostgresStore, type PostgresStore } from '../src/storage/postgres.ts'
import { freshPgSchema, startTestServer, TEST_PG_URL } from '../src/testing.ts'
import { sleep } from './scale-support.ts'

const cleanups: (() => Promise<void>)[] = []
after(async () => {
  for (const c of cleanups.reverse()) await c()
})

async function schemaWithStores(n: number): Promise<PostgresStore[]> {
  const schema = await freshPgSchema()
  const stores = Array.from({ length: n }, () => openPostgresStore(schema.url, { poolSize: 2 }))
  cleanups.push(async () => {
    await Promise.all(stores.map((s) => s.close()))
    await schema.drop()
  })
  return stores
}

describe('migrations with several processes', () => {
  it('three processes migrating one fresh schema at once all succeed, once', async () => {
    // Another schema of the same database already has Kysely's bookkeeping tables: the
    // migrator must not mistake them for ours.
    const [other] = await schemaWithStores(1)
    await other!.migrate()
    const stores = await schemaWithStores(3)
    await Promise.all(stores.map((s) => s.migrate()))
    const { rows } = await sql<{
      name: string
    }>`select name from kysely_migration order by name`.execute(stores[0]!.db)
    assert.deepEqual(
      rows.map((r) => r.name),
      ['0001_initial', '0002_rate_limits', '0003_oidc_and_keys', '0004_access_token_audience'],
    )
    await Promise.all(stores.map((s) => s.migrate())) // and again: nothing to do
    await stores[1]!.ping()
  })
})

describe('migrations while other schemas come and go', () => {
  it('a migration is not failed by another schema dropped at the same moment', async () => {
    // Parallel test runs and other apps drop schemas; the migrator's catalog lookup used to fail
    // with 3F000 naming the other schema (16 of 40 migrations in a loop like this one).
    const { default: pg } = await import('pg')
    const churner = new pg.Client({ connectionString: TEST_PG_URL })
    await churner.connect()
    let stop = false
    const churn = (async () => {
      for (let i = 0; !stop; i++) {
        const s = `pixie_churn_${randomUUID().slice(0, 8)}_${i}`
        await churner.query(`create schema ${s}; create table ${s}.t (a int primary key, b text)`)
        await churner.query(`drop schema ${s} cascade`)
      }
    })()
    try {
      for (let i = 0; i < 10; i++) {
        const [store] = await schemaWithStores(1)
        await store!.migrate()
      }
    } finally {
      stop = true
      await churn
      await churner.end()
    }
  })
})

describe('expiry sweep without cron', () => {
  it('N processes sweeping the same rows at once delete each exactly once', async () => {
    const stores = await schemaWithStores(3)
    await stores[0]!.migrate()
    const s = stores[0]!
    const c = client()
    const u = user()
    await s.createClient(c)
    await s.createUser(u)
    const now = 1_800_000_000
    for (let i = 0; i < 10; i++) {
      await s.createGrant(grant(c, u, { codeExpiresAt: now - 1, codeUsedAt: null }))
      await s.createSession({
        idHash: randomUUID(),
        userId: u.id,
        authTime: now,
        expiresAt: now - 1,
      })
    }
    const live = grant(c, u, { codeExpiresAt: now + 60, codeUsedAt: null, expiresAt: now + 3600 })
    await s.createGrant(live)
    const counts = await Promise.all(stores.map((x) => x.deleteExpired(now)))
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      20,
    )
    assert.ok(await s.getGrant(live.id))
  })

  it('a running server sweeps expired rows on its own timer', async () => {
    const server = await startTestServer({ cleanup_interval: 1 }, 'postgres')
    cleanups.push(() => server.close())
    const s = server.store
    const c = (await s.listClients())[0]!
    const u = (await s.listUsers())[0]!
    const past = Math.floor(Date.now() / 1000) - 10
    const expired = grant(c, u, { codeExpiresAt: past, codeUsedAt: null })
    await s.createGrant(expired)
    await s.createSession({ idHash: 'sweep-me', userId: u.id, authTime: past, expiresAt: past })
    const start = Date.now()
    while ((await s.getGrant(expired.id)) && Date.now() - start < 5000) await sleep(100)
    assert.equal(await s.getGrant(expired.id), undefined)
    const { rows } = await sql<{
      n: number
    }>`select count(*)::int as n from sessions where id_hash = 'sweep-me'`.execute(
      (s as PostgresStore).db,
    )
    assert.equal(rows[0]!.n, 0)
  })
})
