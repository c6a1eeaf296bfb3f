import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startTestServer, TEST_DATABASES, type TestServer } from '../src/testing.ts'
import { getMe, getTokens, revoke, withClock, type ClockedServer } from './support.ts'

type MeResult = Awaited<ReturnType<typeof getMe>>

/** RFC 6750 3: the status, the error in WWW-Authenticate and the same error in the JSON body. */
function assertBearerError(res: MeResult, status: number, error: string): string {
  assert.equal(res.status, status, JSON.stringify(res.json))
  const challenge = res.headers.get('www-authenticate') ?? ''
  assert.match(challenge, /^Bearer realm="pixie"/)
  assert.ok(challenge.includes(`error="${error}"`), challenge)
  assert.equal(res.json.error, error)
  assert.equal(res.headers.get('cache-control'), 'no-store')
  return challenge
}

for (const db of TEST_DATABASES)
  describe(`bearer tokens at /v1/me, RFC 6750 (${db})`, () => {
    let server: TestServer
    let clocked: ClockedServer
    before(async () => {
      server = await startTestServer({}, db)
      clocked = await withClock(server)
    })
    after(async () => {
      await clocked.close()
      await server.close()
    })

    it('valid token with profile + email: 200 with id, display_name, email', async () => {
      const t = await getTokens(server)
      const res = await getMe(server, `Bearer ${t.access_token}`)
      assert.equal(res.status, 200)
      assert.deepEqual(Object.keys(res.json).sort(), ['display_name', 'email', 'id'])
      assert.equal(res.json.email, 'ada@example.com')
      assert.equal(res.headers.get('cache-control'), 'no-store')
    })

    it('email only with the email scope', async () => {
      const t = await getTokens(server, { scope: 'profile' })
      const res = await getMe(server, `Bearer ${t.access_token}`)
      assert.equal(res.status, 200)
      assert.deepEqual(Object.keys(res.json).sort(), ['display_name', 'id'])
    })

    it('the auth scheme is case-insensitive (RFC 7235 2.1)', async () => {
      const t = await getTokens(server)
      assert.equal((await getMe(server, `bearer ${t.access_token}`)).status, 200)
      assert.equal((await getMe(server, `BEARER ${t.access_token}`)).status, 200)
    })

    it('no Authorization -> 401, WWW-Authenticate: Bearer realm="pixie", no error (RFC 6750 3.1)', async () => {
      const res = await getMe(server, undefined)
      assert.equal(res.status, 401)
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="pixie"')
      assert.ok(!(res.headers.get('www-authenticate') ?? '').includes('error='))
      assert.equal(res.json.error, undefined)
    })

    it('another auth scheme counts as no bearer token -> 401 without error', async () => {
      const res = await getMe(server, 'Basic dXNlcjpwYXNz')
      assert.equal(res.status, 401)
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="pixie"')
    })

    it('a token in the query is not accepted (OAuth 2.1 5.2) -> 401 without error', async () => {
      const t = await getTokens(server)
      const res = await fetch(new URL(`/v1/me?access_token=${t.access_token}`, server.url))
      assert.equal(res.status, 401)
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="pixie"')
    })

    it('unknown token -> 401 error="invalid_token"', async () => {
      assertBearerError(await getMe(server, `Bearer ${'C'.repeat(43)}`), 401, 'invalid_token')
    })

    it('a refresh token is not an access token -> 401 invalid_token', async () => {
      const t = await getTokens(server)
      assertBearerError(await getMe(server, `Bearer ${t.refresh_token}`), 401, 'invalid_token')
    })

    it('expired token -> 401 invalid_token', async () => {
      // Issued with the clock standing still, so its expiry is known to the second.
      const t0 = Math.floor(Date.now() / 1000)
      clocked.at = t0
      try {
        const t = await getTokens(clocked)
        assert.equal(t.expires_in, 3600)
        clocked.at = t0 + 3599
        assert.equal((await getMe(clocked, `Bearer ${t.access_token}`)).status, 200)
        clocked.at = t0 + 3600
        assertBearerError(await getMe(clocked, `Bearer ${t.access_token}`), 401, 'invalid_token')
      } finally {
        clocked.at = null
      }
    })

    it('token without the profile scope -> 403 error="insufficient_scope", scope="profile" (RFC 6750 3.1)', async () => {
      const t = await getTokens(server, { scope: 'email' })
      const challenge = assertBearerError(
        await getMe(server, `Bearer ${t.access_token}`),
        403,
        'insufficient_scope',
      )
      assert.ok(challenge.includes('scope="profile"'), challenge)
    })

    for (const header of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer a,b', 'Bearer "abc"']) {
      it(`malformed header ${JSON.stringify(header)} -> 400 invalid_request (RFC 6750 3.1)`, async () => {
        const res = await getMe(server, header)
        assert.equal(res.status, 400)
        assert.equal(res.json.error, 'invalid_request')
      })
    }

    it('revoked via POST /api/revoke (RFC 7009) -> 401 invalid_token immediately', async () => {
      const t = await getTokens(server)
      assert.equal((await getMe(server, `Bearer ${t.access_token}`)).status, 200)
      const r = await revoke(server, { token: t.access_token, client_id: server.clientId })
      assert.equal(r.status, 200)
      assertBearerError(await getMe(server, `Bearer ${t.access_token}`), 401, 'invalid_token')
    })

    it('revoking the refresh token ends the access token too', async () => {
      const t = await getTokens(server)
      const r = await revoke(server, { token: t.refresh_token, client_id: server.clientId })
      assert.equal(r.status, 200)
      assertBearerError(await getMe(server, `Bearer ${t.access_token}`), 401, 'invalid_token')
    })
  })
