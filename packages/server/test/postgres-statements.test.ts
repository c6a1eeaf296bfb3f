/**
 * What the PostgreSQL store sends (storage/postgres.ts): its hot queries as named prepared
 * statements, which keep working when something takes them away (a migration by another process,
 * or a pooler that moves the connection's statements elsewhere), and a token response's two rows
 * in one statement. Against the real server, each test on a store with one connection, so the
 * statements it inspects are the store's own.
 */
import { after, afterEach, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import pg from 'pg'
import { client, grant, user } from '../src/storage/contract.ts'
import { openPostgresStore, type PostgresStore } from '../src/storage/postgres.ts'
import { freshPgSchema, TEST_DATABASES } from '../src/testing.ts'

const skip = !TEST_DATABASES.includes('postgres') && 'PIXIE_TEST_DATABASES leaves PostgreSQL out'

describe('PostgreSQL statements', { skip }, async () => {
  const schema = skip ? undefined : await freshPgSchema()
  after(() => schema?.drop())

  let store: PostgresStore
  const ada = user()
  beforeEach(async () => {
    store = openPostgresStore(schema!.url, { poolSize: 1 })
    await store.migrate()
    await store.createUser(ada)
  })
  afterEach(async () => {
    await store.deleteUser(ada.username)
    await store.close()
  })

  /** The statements prepared on the store's one connection. */
  const prepared = async () =>
    (
      await store.pool.query<{ name: string; statement: string }>(
        'select name, statement from pg_prepared_statements order by name',
      )
    ).rows

  it('prepares each hot query once per connection, by name', async () => {
    const c = client()
    await store.createClient(c)
    for (let i = 0; i < 3; i++) {
      assert.equal((await store.getUserById(ada.id))?.username, ada.username)
      store.clientCacheMs = 0
      assert.equal((await store.getClient(c.clientId))?.clientName, c.clientName)
    }
    const statements = await prepared()
    assert.deepEqual(
      statements.map((s) => s.name),
      ['pixie_1', 'pixie_2'],
    )
    assert.match(statements[0]!.statement, /from "users" where "id" = \$1/)
    assert.match(statements[1]!.statement, /from "clients" where "client_id" = \$1/)
    await store.deleteClient(c.clientId)
  })

  it('prepares a statement again when a migration changed the columns it reads', async () => {
    await store.getUserById(ada.id)
    // What a newer release's migration might do while this process runs: `select *` now has
    // another column, and PostgreSQL refuses the prepared plan (0A000).
    const other = new pg.Client({ connectionString: schema!.url })
    await other.connect()
    try {
      await other.query('alter table users add column nickname text')
      const again = await store.getUserById(ada.id)
      assert.equal(again?.username, ada.username)
      assert.deepEqual(
        (await prepared()).map((s) => s.name),
        ['pixie_1', 'pixie_2'],
      )
    } finally {
      await other.query('alter table users drop column nickname')
      await other.end()
    }
  })

  it('turns named statements off when a pooler lost one (26000)', async () => {
    await store.getUserById(ada.id)
    // A pooler in transaction mode gives the next query another server connection, which does
    // not have the statement: here the statement is deallocated behind pg's back.
    await store.pool.query('deallocate all')
    assert.equal((await store.getUserById(ada.id))?.username, ada.username)
    assert.equal((await store.getSession('no-such-session', 0)) ?? null, null)
    assert.deepEqual(await prepared(), [])
  })

  it('turns named statements off when a pooler has the name taken (42P05)', async () => {
    // Another client's statement of the same name, on the server connection the pooler gave us.
    await store.pool.query('prepare pixie_1 as select 1')
    assert.equal((await store.getUserById(ada.id))?.username, ada.username)
    assert.equal((await store.getUserById(ada.id))?.username, ada.username)
    assert.deepEqual(
      (await prepared()).map((s) => s.name),
      ['pixie_1'],
    )
  })

  it("stores a token response's access and refresh rows together, or neither", async () => {
    const c = client()
    await store.createClient(c)
    const g = grant(c, ada)
    await store.createGrant(g)
    const access = (tokenHash: string) => ({
      tokenHash,
      grantId: g.id,
      clientId: c.clientId,
      userId: ada.id,
      scope: ['profile'],
      expiresAt: g.expiresAt,
      audience: null,
    })
    const refresh = (tokenHash: string) => ({
      tokenHash,
      grantId: g.id,
      clientId: c.clientId,
      scope: ['profile'],
      createdAt: g.createdAt,
      expiresAt: g.expiresAt,
      rotatedAt: null,
    })
    await store.saveTokens(access('at-1'), refresh('rt-1'))
    assert.equal((await store.getAccessToken('at-1'))?.grantId, g.id)
    assert.equal((await store.getRefreshToken('rt-1'))?.grantId, g.id)
    // The refresh row cannot be stored (its hash is taken): the access row is not stored either.
    await assert.rejects(store.saveTokens(access('at-2'), refresh('rt-1')), { code: '23505' })
    assert.equal(await store.getAccessToken('at-2'), undefined)
    await store.deleteClient(c.clientId)
  })
})
