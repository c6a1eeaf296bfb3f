import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startTestServer, TEST_DATABASES, type TestServer } from '../src/testing.ts'
import {
  ALL_CLIENTS,
  getMe,
  getTokens,
  OTHER_SPA,
  refresh,
  tokenRequest,
  withClock,
  type ClockedServer,
  type Tokens,
  assertTokenError,
} from './support.ts'

async function assertTokenWorks(server: { url: string }, t: Tokens | Record<string, unknown>) {
  const me = await getMe(server, `Bearer ${t.access_token as string}`)
  assert.equal(me.status, 200, JSON.stringify(me.json))
}

async function assertTokenRevoked(server: { url: string }, t: Tokens | Record<string, unknown>) {
  const me = await getMe(server, `Bearer ${t.access_token as string}`)
  assert.equal(me.status, 401)
  assert.equal(me.json.error, 'invalid_token')
}

for (const db of TEST_DATABASES)
  describe(`refresh tokens, RFC 6749 6 / OAuth 2.1 4.3 (${db})`, () => {
    let server: TestServer
    let clocked: ClockedServer
    before(async () => {
      server = await startTestServer({ clients: ALL_CLIENTS }, db)
      clocked = await withClock(server)
    })
    after(async () => {
      await clocked.close()
      await server.close()
    })

    it('rotation: a new pair; reusing the old one after the reuse interval revokes the family (RFC 9700 4.14.2)', async () => {
      const t0 = await getTokens(server)
      const r1 = await refresh(server, t0.refresh_token)
      assert.equal(r1.status, 200)
      assert.equal(r1.headers.get('cache-control'), 'no-store')
      assert.equal(r1.json.token_type, 'Bearer')
      assert.equal(r1.json.scope, 'profile email')
      assert.notEqual(r1.json.refresh_token, t0.refresh_token)
      assert.notEqual(r1.json.access_token, t0.access_token)
      await assertTokenWorks(server, r1.json)

      // 11 s later (default interval 10 s) the old token is a replay.
      clocked.offset = 11
      try {
        assertTokenError(await refresh(clocked, t0.refresh_token), 'invalid_grant')
      } finally {
        clocked.offset = 0
      }
      await assertTokenRevoked(server, r1.json)
      await assertTokenRevoked(server, t0)
      assertTokenError(await refresh(server, r1.json.refresh_token as string), 'invalid_grant')
    })

    it('within the reuse interval the rotated token is honoured once more, family intact', async () => {
      const t0 = await getTokens(server)
      const r1 = await refresh(server, t0.refresh_token)
      const r2 = await refresh(server, t0.refresh_token)
      assert.equal(r1.status, 200)
      assert.equal(r2.status, 200, JSON.stringify(r2.json))
      await assertTokenWorks(server, r1.json)
      await assertTokenWorks(server, r2.json)
      assert.equal((await refresh(server, r1.json.refresh_token as string)).status, 200)
      assert.equal((await refresh(server, r2.json.refresh_token as string)).status, 200)
    })

    it('two concurrent refreshes of the same token both succeed, family stays valid', async () => {
      const t0 = await getTokens(server)
      const [a, b] = await Promise.all([
        refresh(server, t0.refresh_token),
        refresh(server, t0.refresh_token),
      ])
      assert.equal(a.status, 200, JSON.stringify(a.json))
      assert.equal(b.status, 200, JSON.stringify(b.json))
      await assertTokenWorks(server, a.json)
      await assertTokenWorks(server, b.json)
      const [a2, b2] = await Promise.all([
        refresh(server, a.json.refresh_token as string),
        refresh(server, b.json.refresh_token as string),
      ])
      assert.equal(a2.status, 200)
      assert.equal(b2.status, 200)
      await assertTokenWorks(server, a2.json)
      await assertTokenWorks(server, t0)
    })

    it('scope narrowing: the access token gets only the narrowed scope (RFC 6749 6)', async () => {
      const t0 = await getTokens(server)
      const r1 = await refresh(server, t0.refresh_token, { scope: 'profile' })
      assert.equal(r1.status, 200, JSON.stringify(r1.json))
      assert.equal(r1.json.scope, 'profile')
      const me = await getMe(server, `Bearer ${r1.json.access_token as string}`)
      assert.equal(me.status, 200)
      assert.equal(me.json.email, undefined)
      assert.equal(me.json.display_name, 'Ada Lovelace')
      // The old access token keeps its own scope.
      assert.equal((await getMe(server, `Bearer ${t0.access_token}`)).json.email, 'ada@example.com')
    })

    it('after narrowing, the new refresh token keeps the scope of the one presented (RFC 6749 6)', async () => {
      // "If a new refresh token is issued, the refresh token scope MUST be identical to that of
      // the refresh token included by the client in the request."
      const t0 = await getTokens(server)
      const r1 = await refresh(server, t0.refresh_token, { scope: 'profile' })
      assert.equal(r1.json.scope, 'profile')
      const r2 = await refresh(server, r1.json.refresh_token as string)
      assert.equal(r2.status, 200, JSON.stringify(r2.json))
      assert.equal(r2.json.scope, 'profile email')
      const r3 = await refresh(server, r2.json.refresh_token as string, { scope: 'email' })
      assert.equal(r3.status, 200, JSON.stringify(r3.json))
      assert.equal(r3.json.scope, 'email')
    })

    it('scope widening -> invalid_scope (RFC 6749 6)', async () => {
      const t0 = await getTokens(server, { scope: 'profile' })
      const res = await refresh(server, t0.refresh_token, { scope: 'profile email' })
      assert.equal(res.status, 400)
      assert.equal(res.json.error, 'invalid_scope')
      // The refused request did not spend the token.
      assert.equal((await refresh(server, t0.refresh_token)).status, 200)
    })

    it('unknown or malformed scope -> invalid_scope', async () => {
      const t0 = await getTokens(server)
      for (const scope of ['admin', 'profile  email', 'profile\temail']) {
        const res = await refresh(server, t0.refresh_token, { scope })
        assert.equal(res.status, 400)
        assert.equal(res.json.error, 'invalid_scope', scope)
      }
    })

    it('refresh token presented by another client -> invalid_grant (RFC 6749 6, 10.4)', async () => {
      const t0 = await getTokens(server)
      const res = await refresh(server, t0.refresh_token, { client_id: OTHER_SPA.client_id })
      assertTokenError(res, 'invalid_grant')
      // A token presented by the wrong client has leaked: its family is revoked.
      await assertTokenRevoked(server, t0)
      assertTokenError(await refresh(server, t0.refresh_token), 'invalid_grant')
    })

    it('unknown refresh token -> invalid_grant', async () => {
      assertTokenError(await refresh(server, 'B'.repeat(43)), 'invalid_grant')
    })

    it('an access token is not a refresh token -> invalid_grant', async () => {
      const t0 = await getTokens(server)
      assertTokenError(await refresh(server, t0.access_token), 'invalid_grant')
    })

    it('missing refresh_token -> invalid_request', async () => {
      const res = await tokenRequest(server, {
        grant_type: 'refresh_token',
        client_id: server.clientId,
      })
      assert.equal(res.status, 400)
      assert.equal(res.json.error, 'invalid_request')
    })

    it('expired refresh token (30 days) -> invalid_grant', async () => {
      const t0 = await getTokens(server)
      clocked.offset = 30 * 24 * 3600 + 1
      try {
        assertTokenError(await refresh(clocked, t0.refresh_token), 'invalid_grant')
      } finally {
        clocked.offset = 0
      }
    })

    it('the access token of a refreshed pair expires on its own (expires_in)', async () => {
      const t0 = await getTokens(server)
      const r1 = await refresh(server, t0.refresh_token)
      clocked.offset = 3601
      try {
        const me = await getMe(clocked, `Bearer ${r1.json.access_token as string}`)
        assert.equal(me.status, 401)
        assert.equal(me.json.error, 'invalid_token')
      } finally {
        clocked.offset = 0
      }
    })
  })

for (const db of TEST_DATABASES)
  describe(`refresh_token_reuse_interval: 0 (${db})`, () => {
    let server: TestServer
    before(async () => {
      server = await startTestServer({ refresh_token_reuse_interval: 0 }, db)
    })
    after(() => server.close())

    it('a second use of a rotated token revokes the family at once (OAuth 2.1 4.3.1)', async () => {
      const t0 = await getTokens(server)
      const r1 = await refresh(server, t0.refresh_token)
      assert.equal(r1.status, 200)
      assertTokenError(await refresh(server, t0.refresh_token), 'invalid_grant')
      await assertTokenRevoked(server, r1.json)
      assertTokenError(await refresh(server, r1.json.refresh_token as string), 'invalid_grant')
    })

    it('two concurrent uses: one wins, the other is a replay and the family is revoked', async () => {
      const t0 = await getTokens(server)
      const results = await Promise.all([
        refresh(server, t0.refresh_token),
        refresh(server, t0.refresh_token),
      ])
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 400])
      const winner = results.find((r) => r.status === 200)!
      assertTokenError(
        results.find((r) => r.status === 400)!,
        'invalid_grant',
      )
      await assertTokenRevoked(server, winner.json)
    })
  })
