import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startTestServer, TEST_DATABASES, type TestServer } from '../src/testing.ts'
import { getCode, tokenRequest } from './support.ts'

for (const db of TEST_DATABASES)
  describe(`the Authorization Code + PKCE flow end to end (${db})`, () => {
    let server: TestServer
    before(async () => {
      server = await startTestServer({}, db)
    })
    after(() => server.close())

    it('authorize -> login -> consent -> code -> token -> /v1/me -> refresh', async () => {
      const { code, verifier, redirectUri, location } = await getCode(server, { state: 'xyz' })
      assert.equal(location.origin + location.pathname, 'http://127.0.0.1/callback')
      assert.equal(location.searchParams.get('state'), 'xyz')
      assert.equal(location.searchParams.get('iss'), server.issuer)
      assert.match(code, /^[0-9a-f]{12}[A-Za-z0-9_-]{43}$/)

      const token = await tokenRequest(server, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: server.clientId,
        code_verifier: verifier,
      })
      assert.equal(token.status, 200)
      assert.equal(token.headers.get('cache-control'), 'no-store')
      assert.equal(token.json.token_type, 'Bearer')
      assert.equal(token.json.scope, 'profile email')
      assert.equal(token.json.expires_in, 3600)
      assert.equal(typeof token.json.access_token, 'string')
      assert.equal(typeof token.json.refresh_token, 'string')

      const me = await fetch(new URL('/v1/me', server.url), {
        headers: { authorization: `Bearer ${token.json.access_token}` },
      })
      assert.equal(me.status, 200)
      const profile = (await me.json()) as Record<string, string>
      assert.deepEqual(Object.keys(profile).sort(), ['display_name', 'email', 'id'])
      assert.equal(profile.display_name, 'Ada Lovelace')
      assert.equal(profile.email, 'ada@example.com')

      const refreshed = await tokenRequest(server, {
        grant_type: 'refresh_token',
        refresh_token: token.json.refresh_token as string,
        client_id: server.clientId,
      })
      assert.equal(refreshed.status, 200)
      assert.notEqual(refreshed.json.refresh_token, token.json.refresh_token)
      assert.notEqual(refreshed.json.access_token, token.json.access_token)
    })
  })
