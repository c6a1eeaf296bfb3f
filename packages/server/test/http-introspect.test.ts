import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startTestServer, TEST_CLIENT, TEST_DATABASES, type TestServer } from '../src/testing.ts'
import {
  basic,
  decodeJwt,
  exchangeCode,
  getCode,
  getMe,
  MACHINE_CLIENT,
  MACHINE_SECRET,
  revoke,
  RS_CLIENT,
  RS_SECRET,
  tokenRequest,
  withClock,
  type ClockedServer,
} from './support.ts'

async function introspect(
  server: { url: string },
  body: Record<string, string>,
  headers: Record<string, string> = { authorization: basic(RS_CLIENT.client_id, RS_SECRET) },
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const res = await fetch(new URL('/api/introspect', server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(body),
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : {} }
}

for (const db of TEST_DATABASES)
  describe(`token introspection, RFC 7662 (${db})`, () => {
    let server: TestServer
    let clocked: ClockedServer
    before(async () => {
      server = await startTestServer({ clients: [TEST_CLIENT, RS_CLIENT, MACHINE_CLIENT] }, db)
      clocked = await withClock(server)
    })
    after(async () => {
      await clocked.close()
      await server.close()
    })

    it('an active JWT access token: active, its claims, no-store (RFC 7662 2.2)', async () => {
      const tokens = await exchangeCode(server, await getCode(server))
      const token = tokens.json.access_token as string
      const res = await introspect(server, { token })
      assert.equal(res.status, 200)
      assert.equal(res.headers.get('cache-control'), 'no-store')
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
      const claims = decodeJwt(token).payload
      assert.equal(res.json.client_id, TEST_CLIENT.client_id)
      assert.equal(res.json.scope, 'profile email')
      assert.equal(res.json.iss, server.issuer)
      assert.deepEqual(res.json, { ...claims, active: true, token_type: 'Bearer' })
    })

    it('client_secret_post works too; token_type_hint only orders the search', async () => {
      const tokens = await exchangeCode(server, await getCode(server))
      const res = await introspect(
        server,
        {
          token: tokens.json.access_token as string,
          token_type_hint: 'refresh_token',
          client_id: MACHINE_CLIENT.client_id,
          client_secret: MACHINE_SECRET,
        },
        {},
      )
      assert.equal(res.status, 200)
      assert.equal(res.json.active, true)
    })

    it('an opaque access token: active with iss, sub, client_id, scope, exp', async () => {
      const opaque = await startTestServer(
        { clients: [TEST_CLIENT, RS_CLIENT], access_token_format: 'opaque' },
        db,
      )
      try {
        const tokens = await exchangeCode(opaque, await getCode(opaque))
        const res = await introspect(opaque, { token: tokens.json.access_token as string })
        assert.equal(res.status, 200)
        const user = await opaque.store.getUserByUsername(opaque.username)
        assert.deepEqual(Object.keys(res.json).sort(), [
          'active',
          'aud',
          'client_id',
          'exp',
          'iss',
          'scope',
          'sub',
          'token_type',
        ])
        assert.equal(res.json.active, true)
        assert.equal(res.json.sub, user!.id)
        assert.equal(res.json.token_type, 'Bearer')
        assert.equal(res.json.aud, opaque.issuer)
      } finally {
        await opaque.close()
      }
    })

    it('an opaque token keeps the narrowed audience: introspection says so, /v1/me refuses it', async () => {
      const opaque = await startTestServer(
        { clients: [TEST_CLIENT, RS_CLIENT], access_token_format: 'opaque' },
        db,
      )
      try {
        // RFC 8707 2.2: the grant names two resources, the token request narrows to one.
        const got = await getCode(opaque, {
          extra: { resource: ['https://a.example.com', 'https://b.example.com/api'] },
        })
        const tokens = await exchangeCode(opaque, got, TEST_CLIENT.client_id, [
          'https://b.example.com/api',
        ])
        assert.equal(tokens.status, 200)
        const token = tokens.json.access_token as string
        assert.doesNotMatch(token, /\./)
        const res = await introspect(opaque, { token })
        assert.equal(res.json.active, true)
        assert.equal(res.json.aud, 'https://b.example.com/api')
        // The token is for another resource server: Pixie's own API does not take it (RFC 9068 4
        // for JWTs; the same rule for opaque tokens).
        const me = await getMe(opaque, `Bearer ${token}`)
        assert.equal(me.status, 401)
        assert.equal(me.json.error, 'invalid_token')
        assert.match(me.headers.get('www-authenticate') ?? '', /another audience/)
        // Without a resource the audience is the issuer, and /v1/me answers.
        const plain = await exchangeCode(opaque, await getCode(opaque))
        assert.equal(
          (await getMe(opaque, `Bearer ${plain.json.access_token as string}`)).status,
          200,
        )
      } finally {
        await opaque.close()
      }
    })

    it('unknown, revoked and expired tokens are exactly {"active":false}', async () => {
      assert.deepEqual((await introspect(server, { token: 'no-such-token' })).json, {
        active: false,
      })
      const tokens = await exchangeCode(server, await getCode(server))
      const access = tokens.json.access_token as string
      clocked.offset = 3601
      try {
        const expired = await introspect(clocked, { token: access })
        assert.equal(expired.status, 200)
        assert.deepEqual(expired.json, { active: false })
      } finally {
        clocked.offset = 0
      }
      await revoke(server, { token: tokens.json.refresh_token as string, client_id: 'test-spa' })
      const revoked = await introspect(server, { token: access })
      assert.equal(revoked.status, 200)
      assert.deepEqual(revoked.json, { active: false })
    })

    it("a refresh token: active for the client it was issued to, inactive for another's", async () => {
      const got = await getCode(server, {
        clientId: RS_CLIENT.client_id,
        redirectUri: RS_CLIENT.redirect_uris[0],
        scope: 'openid profile',
      })
      const tokens = await fetch(new URL('/api/token', server.url), {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic(RS_CLIENT.client_id, RS_SECRET),
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: got.code,
          redirect_uri: got.redirectUri,
          code_verifier: got.verifier,
        }),
      }).then((r) => r.json() as Promise<Record<string, string>>)
      const own = await introspect(server, {
        token: tokens.refresh_token!,
        token_type_hint: 'refresh_token',
      })
      assert.equal(own.json.active, true)
      assert.equal(own.json.token_type, 'refresh_token')
      assert.equal(own.json.client_id, RS_CLIENT.client_id)
      assert.equal(own.json.scope, 'openid profile')
      const spaTokens = await exchangeCode(server, await getCode(server))
      const other = await introspect(server, { token: spaTokens.json.refresh_token as string })
      assert.deepEqual(other.json, { active: false })
    })

    it('a rotated refresh token is no longer active', async () => {
      const auth = { authorization: basic(RS_CLIENT.client_id, RS_SECRET) }
      const got = await getCode(server, {
        clientId: RS_CLIENT.client_id,
        redirectUri: RS_CLIENT.redirect_uris[0],
      })
      const tokens = await tokenRequest(
        server,
        {
          grant_type: 'authorization_code',
          code: got.code,
          redirect_uri: got.redirectUri,
          code_verifier: got.verifier,
        },
        auth,
      )
      const old = tokens.json.refresh_token as string
      const rotated = await tokenRequest(
        server,
        { grant_type: 'refresh_token', refresh_token: old },
        auth,
      )
      assert.equal(rotated.status, 200)
      assert.deepEqual((await introspect(server, { token: old })).json, { active: false })
      const next = await introspect(server, { token: rotated.json.refresh_token as string })
      assert.equal(next.json.active, true)
    })

    it('a public client may not introspect -> 401 invalid_client', async () => {
      const tokens = await exchangeCode(server, await getCode(server))
      const res = await introspect(
        server,
        { token: tokens.json.access_token as string, client_id: TEST_CLIENT.client_id },
        {},
      )
      assert.equal(res.status, 401)
      assert.equal(res.json.error, 'invalid_client')
    })

    it('a wrong secret over Basic -> 401 invalid_client with WWW-Authenticate: Basic', async () => {
      const res = await introspect(
        server,
        { token: 'x' },
        { authorization: basic(RS_CLIENT.client_id, 'wrong-secret') },
      )
      assert.equal(res.status, 401)
      assert.equal(res.json.error, 'invalid_client')
      assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /)
    })

    it('no client authentication at all -> 401 invalid_client', async () => {
      const res = await introspect(server, { token: 'x' }, {})
      assert.equal(res.status, 401)
      assert.equal(res.json.error, 'invalid_client')
    })

    it('no token -> 400 invalid_request; a duplicate token -> 400 invalid_request', async () => {
      const res = await introspect(server, {})
      assert.equal(res.status, 400)
      assert.equal(res.json.error, 'invalid_request')
      const dup = await fetch(new URL('/api/introspect', server.url), {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic(RS_CLIENT.client_id, RS_SECRET),
        },
        body: 'token=a&token=b',
      })
      assert.equal(dup.status, 400)
      assert.equal(((await dup.json()) as Record<string, unknown>).error, 'invalid_request')
    })

    it('a JSON body -> 400 invalid_request, never 5xx', async () => {
      const res = await fetch(new URL('/api/introspect', server.url), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: basic(RS_CLIENT.client_id, RS_SECRET),
        },
        body: '{"token":"x"}',
      })
      assert.equal(res.status, 400)
    })
  })
