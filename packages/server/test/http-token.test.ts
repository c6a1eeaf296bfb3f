import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startTestServer, TEST_DATABASES, type TestServer } from '../src/testing.ts'
import {
  ALL_CLIENTS,
  assertTokenError,
  basic,
  CONFIDENTIAL_CLIENT,
  CONFIDENTIAL_SECRET,
  exchangeCode,
  getCode,
  getMe,
  NO_REFRESH_CLIENT,
  OTHER_SPA,
  POST_CLIENT,
  POST_SECRET,
  refresh,
  tokenRequest,
  withClock,
  type ClockedServer,
} from './support.ts'

for (const db of TEST_DATABASES)
  describe(`token endpoint, RFC 6749 4.1.3 / 5 (${db})`, () => {
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

    const confidentialCode = (pkce = false) =>
      getCode(server, {
        clientId: CONFIDENTIAL_CLIENT.client_id,
        redirectUri: CONFIDENTIAL_CLIENT.redirect_uris[0],
        pkce,
      })

    it('happy path: 200 JSON, exact fields, Cache-Control no-store (RFC 6749 5.1)', async () => {
      const got = await getCode(server)
      const res = await exchangeCode(server, got)
      assert.equal(res.status, 200)
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
      assert.equal(res.headers.get('cache-control'), 'no-store')
      assert.deepEqual(Object.keys(res.json).sort(), [
        'access_token',
        'expires_in',
        'refresh_token',
        'scope',
        'token_type',
      ])
      assert.equal(res.json.token_type, 'Bearer')
      assert.equal(res.json.expires_in, 3600)
      assert.equal(res.json.scope, 'profile email')
      // The default access token format is an RFC 9068 JWT (opaque: see http-jwt.test.ts).
      assert.match(
        res.json.access_token as string,
        /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/,
      )
      assert.match(res.json.refresh_token as string, /^[0-9a-f]{12}[A-Za-z0-9_-]{43}$/)
      assert.notEqual(res.json.access_token, res.json.refresh_token)
    })

    it('the granted scope is what was asked for', async () => {
      const res = await exchangeCode(server, await getCode(server, { scope: 'email' }))
      assert.equal(res.status, 200)
      assert.equal(res.json.scope, 'email')
    })

    it('a client without the refresh_token grant gets no refresh token', async () => {
      const got = await getCode(server, {
        clientId: NO_REFRESH_CLIENT.client_id,
        redirectUri: NO_REFRESH_CLIENT.redirect_uris[0],
      })
      const res = await exchangeCode(server, got, NO_REFRESH_CLIENT.client_id)
      assert.equal(res.status, 200)
      assert.equal(res.json.refresh_token, undefined)
    })

    describe('PKCE at the token endpoint (RFC 7636 4.5, 4.6)', () => {
      it('wrong code_verifier -> invalid_grant, and the code is spent', async () => {
        const got = await getCode(server)
        const wrong = await exchangeCode(server, { ...got, verifier: 'x'.repeat(43) })
        assertTokenError(wrong, 'invalid_grant')
        // A code is good for one attempt: the right verifier afterwards is too late.
        assertTokenError(await exchangeCode(server, got), 'invalid_grant')
      })
      for (const [what, verifier] of [
        ['42 characters', 'a'.repeat(42)],
        ['129 characters', 'a'.repeat(129)],
        ['a character outside [A-Za-z0-9-._~]', 'a'.repeat(42) + '+'],
      ] as const) {
        it(`code_verifier of the wrong grammar (${what}) -> invalid_grant (RFC 7636 4.1)`, async () => {
          const got = await getCode(server)
          assertTokenError(await exchangeCode(server, { ...got, verifier }), 'invalid_grant')
        })
      }
      it('missing code_verifier for a code issued with a challenge -> invalid_grant', async () => {
        const got = await getCode(server)
        const res = await tokenRequest(server, {
          grant_type: 'authorization_code',
          code: got.code,
          redirect_uri: got.redirectUri,
          client_id: server.clientId,
        })
        assertTokenError(res, 'invalid_grant')
      })
      it('code_verifier for a code issued without a challenge -> invalid_grant (RFC 9700 2.1.1)', async () => {
        const got = await confidentialCode(false)
        const res = await tokenRequest(
          server,
          {
            grant_type: 'authorization_code',
            code: got.code,
            redirect_uri: got.redirectUri,
            code_verifier: got.verifier,
          },
          { authorization: basic(CONFIDENTIAL_CLIENT.client_id, CONFIDENTIAL_SECRET) },
        )
        assertTokenError(res, 'invalid_grant')
      })
      it('a confidential client without PKCE and without verifier -> 200', async () => {
        const got = await confidentialCode(false)
        const res = await tokenRequest(
          server,
          { grant_type: 'authorization_code', code: got.code, redirect_uri: got.redirectUri },
          { authorization: basic(CONFIDENTIAL_CLIENT.client_id, CONFIDENTIAL_SECRET) },
        )
        assert.equal(res.status, 200, JSON.stringify(res.json))
      })
      it('a confidential client with PKCE -> 200', async () => {
        const got = await confidentialCode(true)
        const res = await tokenRequest(
          server,
          {
            grant_type: 'authorization_code',
            code: got.code,
            redirect_uri: got.redirectUri,
            code_verifier: got.verifier,
          },
          { authorization: basic(CONFIDENTIAL_CLIENT.client_id, CONFIDENTIAL_SECRET) },
        )
        assert.equal(res.status, 200, JSON.stringify(res.json))
      })
    })

    describe('the code and what it is bound to (RFC 6749 4.1.3)', () => {
      it('code issued to another client -> invalid_grant', async () => {
        const res = await exchangeCode(server, await getCode(server), OTHER_SPA.client_id)
        assertTokenError(res, 'invalid_grant')
      })
      it('redirect_uri different from the authorization request -> invalid_grant', async () => {
        const got = await getCode(server)
        const res = await exchangeCode(server, {
          ...got,
          redirectUri: 'http://localhost:5173/callback',
        })
        assertTokenError(res, 'invalid_grant')
      })
      it('loopback redirect_uri with another port than at /authorize -> invalid_grant', async () => {
        const got = await getCode(server, { redirectUri: 'http://127.0.0.1:40001/callback' })
        const res = await exchangeCode(server, {
          ...got,
          redirectUri: 'http://127.0.0.1:40002/callback',
        })
        assertTokenError(res, 'invalid_grant')
      })
      it('missing redirect_uri -> invalid_request (OAuth 2.1 4.1.3)', async () => {
        const got = await getCode(server)
        const res = await tokenRequest(server, {
          grant_type: 'authorization_code',
          code: got.code,
          client_id: server.clientId,
          code_verifier: got.verifier,
        })
        assertTokenError(res, 'invalid_request')
      })
      it('expired code (60 s lifetime) -> invalid_grant', async () => {
        const got = await getCode(server)
        clocked.offset = 61
        try {
          assertTokenError(await exchangeCode(clocked, got), 'invalid_grant')
        } finally {
          clocked.offset = 0
        }
      })
      it('a code just inside its lifetime still works', async () => {
        const got = await getCode(server)
        clocked.offset = 58
        try {
          assert.equal((await exchangeCode(clocked, got)).status, 200)
        } finally {
          clocked.offset = 0
        }
      })
      it('unknown code -> invalid_grant', async () => {
        const got = await getCode(server)
        assertTokenError(
          await exchangeCode(server, { ...got, code: 'A'.repeat(43) }),
          'invalid_grant',
        )
      })
      it('code replay -> invalid_grant, and what the code issued is revoked (RFC 6749 4.1.2, 10.5)', async () => {
        const got = await getCode(server)
        const first = await exchangeCode(server, got)
        assert.equal(first.status, 200)
        const at = first.json.access_token as string
        assert.equal((await getMe(server, `Bearer ${at}`)).status, 200)

        assertTokenError(await exchangeCode(server, got), 'invalid_grant')

        const me = await getMe(server, `Bearer ${at}`)
        assert.equal(me.status, 401)
        assert.equal(me.json.error, 'invalid_token')
        assert.match(me.headers.get('www-authenticate')!, /error="invalid_token"/)
        assertTokenError(await refresh(server, first.json.refresh_token as string), 'invalid_grant')
      })
    })

    describe('request syntax (RFC 6749 5.2)', () => {
      it('missing grant_type -> invalid_request', async () => {
        const got = await getCode(server)
        const res = await tokenRequest(server, {
          code: got.code,
          redirect_uri: got.redirectUri,
          client_id: server.clientId,
          code_verifier: got.verifier,
        })
        assertTokenError(res, 'invalid_request')
      })
      it('missing code -> invalid_request', async () => {
        const res = await tokenRequest(server, {
          grant_type: 'authorization_code',
          redirect_uri: 'http://127.0.0.1/callback',
          client_id: server.clientId,
          code_verifier: 'a'.repeat(43),
        })
        assertTokenError(res, 'invalid_request')
      })
      for (const grantType of [
        'password',
        // client_credentials is supported now (for confidential clients only): a public client
        // gets unauthorized_client, see http-client-credentials.test.ts.
        'implicit',
        'urn:x',
        'Refresh_Token',
      ]) {
        it(`grant_type=${grantType} -> unsupported_grant_type`, async () => {
          const res = await tokenRequest(server, {
            grant_type: grantType,
            client_id: server.clientId,
          })
          assertTokenError(res, 'unsupported_grant_type')
        })
      }
      for (const name of ['code', 'grant_type', 'client_id', 'code_verifier', 'redirect_uri']) {
        it(`duplicate ${name} -> invalid_request (RFC 6749 3.2)`, async () => {
          const got = await getCode(server)
          const body = new URLSearchParams({
            grant_type: 'authorization_code',
            code: got.code,
            redirect_uri: got.redirectUri,
            client_id: server.clientId,
            code_verifier: got.verifier,
          })
          body.append(name, body.get(name)!)
          assertTokenError(await tokenRequest(server, body.toString()), 'invalid_request')
        })
      }
      it('a duplicated parameter does not burn the code', async () => {
        const got = await getCode(server)
        const body = new URLSearchParams({
          grant_type: 'authorization_code',
          code: got.code,
          redirect_uri: got.redirectUri,
          client_id: server.clientId,
          code_verifier: got.verifier,
        })
        body.append('code_verifier', got.verifier)
        assertTokenError(await tokenRequest(server, body.toString()), 'invalid_request')
        assert.equal((await exchangeCode(server, got)).status, 200)
      })
      it('a parameter with an empty value is treated as omitted (RFC 6749 3.2)', async () => {
        const got = await getCode(server)
        const body =
          new URLSearchParams({
            grant_type: 'authorization_code',
            code: got.code,
            redirect_uri: got.redirectUri,
            client_id: server.clientId,
            code_verifier: got.verifier,
          }).toString() + '&scope='
        assert.equal((await tokenRequest(server, body)).status, 200)
      })
    })

    describe('client authentication (RFC 6749 2.3, 5.2)', () => {
      const codeBody = (got: Awaited<ReturnType<typeof getCode>>) => ({
        grant_type: 'authorization_code',
        code: got.code,
        redirect_uri: got.redirectUri,
      })

      it('client_secret_basic -> 200', async () => {
        const got = await confidentialCode()
        const res = await tokenRequest(server, codeBody(got), {
          authorization: basic(CONFIDENTIAL_CLIENT.client_id, CONFIDENTIAL_SECRET),
        })
        assert.equal(res.status, 200, JSON.stringify(res.json))
      })
      it('client_secret_basic with client_id also in the body (same value) -> 200', async () => {
        const got = await confidentialCode()
        const res = await tokenRequest(
          server,
          { ...codeBody(got), client_id: CONFIDENTIAL_CLIENT.client_id },
          { authorization: basic(CONFIDENTIAL_CLIENT.client_id, CONFIDENTIAL_SECRET) },
        )
        assert.equal(res.status, 200, JSON.stringify(res.json))
      })
      it('Basic with a wrong secret -> 401 invalid_client + WWW-Authenticate: Basic', async () => {
        const got = await confidentialCode()
        const res = await tokenRequest(server, codeBody(got), {
          authorization: basic(CONFIDENTIAL_CLIENT.client_id, CONFIDENTIAL_SECRET + 'x'),
        })
        assertTokenError(res, 'invalid_client', 401)
        assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="pixie"/)
      })
      it('Basic for an unknown client -> 401 invalid_client + WWW-Authenticate: Basic', async () => {
        const res = await tokenRequest(
          server,
          { grant_type: 'authorization_code', code: 'x', redirect_uri: 'https://conf.example/cb' },
          { authorization: basic('nobody', CONFIDENTIAL_SECRET) },
        )
        assertTokenError(res, 'invalid_client', 401)
        assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /)
      })
      it('malformed Basic credentials -> 401 invalid_client + WWW-Authenticate: Basic', async () => {
        for (const authorization of ['Basic', 'Basic !!!', `Basic ${btoa('no-colon')}`]) {
          const res = await tokenRequest(
            server,
            {
              grant_type: 'authorization_code',
              code: 'x',
              redirect_uri: 'https://conf.example/cb',
            },
            { authorization },
          )
          assertTokenError(res, 'invalid_client', 401)
          assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /)
        }
      })
      it('Basic from a client registered for client_secret_post -> 401 invalid_client', async () => {
        const res = await tokenRequest(
          server,
          { grant_type: 'authorization_code', code: 'x', redirect_uri: 'https://post.example/cb' },
          { authorization: basic(POST_CLIENT.client_id, POST_SECRET) },
        )
        assertTokenError(res, 'invalid_client', 401)
      })
      it('client_secret_post -> 200', async () => {
        const got = await getCode(server, {
          clientId: POST_CLIENT.client_id,
          redirectUri: POST_CLIENT.redirect_uris[0],
        })
        const res = await tokenRequest(server, {
          ...codeBody(got),
          client_id: POST_CLIENT.client_id,
          client_secret: POST_SECRET,
          code_verifier: got.verifier,
        })
        assert.equal(res.status, 200, JSON.stringify(res.json))
      })
      it('client_secret_post with a wrong secret -> 401 invalid_client, no Basic challenge', async () => {
        const res = await tokenRequest(server, {
          grant_type: 'authorization_code',
          code: 'x',
          redirect_uri: 'https://post.example/cb',
          client_id: POST_CLIENT.client_id,
          client_secret: POST_SECRET + 'x',
        })
        assertTokenError(res, 'invalid_client', 401)
        assert.equal(res.headers.get('www-authenticate'), null)
      })
      it('Basic and client_secret in the body at once -> invalid_request (RFC 6749 2.3)', async () => {
        const got = await confidentialCode()
        const res = await tokenRequest(
          server,
          { ...codeBody(got), client_secret: CONFIDENTIAL_SECRET },
          { authorization: basic(CONFIDENTIAL_CLIENT.client_id, CONFIDENTIAL_SECRET) },
        )
        assertTokenError(res, 'invalid_request')
      })
      it('Basic and a different client_id in the body -> invalid_request', async () => {
        const res = await tokenRequest(
          server,
          { grant_type: 'authorization_code', code: 'x', redirect_uri: 'x', client_id: 'test-spa' },
          { authorization: basic(CONFIDENTIAL_CLIENT.client_id, CONFIDENTIAL_SECRET) },
        )
        assertTokenError(res, 'invalid_request')
      })
      it('a public client sending a secret -> 401 invalid_client', async () => {
        const got = await getCode(server)
        const res = await tokenRequest(server, {
          ...codeBody(got),
          client_id: server.clientId,
          client_secret: 'a'.repeat(40),
          code_verifier: got.verifier,
        })
        assertTokenError(res, 'invalid_client', 401)
      })
      it('a confidential client sending no secret -> 401 invalid_client', async () => {
        const got = await confidentialCode()
        const res = await tokenRequest(server, {
          ...codeBody(got),
          client_id: CONFIDENTIAL_CLIENT.client_id,
        })
        assertTokenError(res, 'invalid_client', 401)
        assert.equal(res.headers.get('www-authenticate'), null)
      })
      it('unknown client_id -> 401 invalid_client', async () => {
        const res = await tokenRequest(server, {
          grant_type: 'authorization_code',
          code: 'x',
          redirect_uri: 'http://127.0.0.1/callback',
          client_id: 'nobody',
          code_verifier: 'a'.repeat(43),
        })
        assertTokenError(res, 'invalid_client', 401)
      })
      it('no client identification at all -> 401 invalid_client', async () => {
        const res = await tokenRequest(server, {
          grant_type: 'authorization_code',
          code: 'x',
          redirect_uri: 'http://127.0.0.1/callback',
        })
        assertTokenError(res, 'invalid_client', 401)
      })
      it('a failed client authentication does not burn the code', async () => {
        const got = await confidentialCode()
        const bad = await tokenRequest(server, codeBody(got), {
          authorization: basic(CONFIDENTIAL_CLIENT.client_id, 'wrong'.repeat(8)),
        })
        assertTokenError(bad, 'invalid_client', 401)
        const good = await tokenRequest(server, codeBody(got), {
          authorization: basic(CONFIDENTIAL_CLIENT.client_id, CONFIDENTIAL_SECRET),
        })
        assert.equal(good.status, 200)
      })
    })
  })
