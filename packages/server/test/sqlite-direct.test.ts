import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { openSqliteStore } from '../src/storage/sqlite.ts'
import { client, grant, user } from '../src/storage/contract.ts'

describe('SQLite: hot queries run directly, but never inside another transaction', () => {
  it('a write made while a transaction is open waits for it, and survives its rollback', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pixie-direct-'))
    const store = openSqliteStore(join(dir, 'd.db'))
    try {
      await store.migrate()
      const c = client()
      const u = user()
      await store.createClient(c)
      await store.createUser(u)
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
    } finally {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
