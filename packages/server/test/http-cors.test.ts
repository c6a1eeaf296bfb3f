import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startTestServer, TEST_CLIENT, TEST_DATABASES, type TestServer } from '../src/testing.ts'
import { getCode, getMe, getTokens, OTHER_SPA, tokenRequest } from './support.ts'

const APP = 'http://localhost:5173' // origin of TEST_CLIENT's redirect URI
const OTHER = 'http://localhost:5174' // origin of OTHER_SPA's redirect URI
const EVIL = 'https://evil.example'

function preflight(server: { url: string }, path: string, origin: string, headers = '') {
  return fetch(new URL(path, server.url), {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': path === '/v1/me' ? 'GET' : 'POST',
      ...(headers ? { 'access-control-request-headers': headers } : {}),
    },
  })
}

function list(h: string | null): string[] {
  return (h ?? '').split(',').map((s) => s.trim().toLowerCase())
}

/** CORS must never be wildcarded or credentialed on these endpoints. */
function assertNoCredentials(res: { headers: Headers }): void {
  assert.notEqual(res.headers.get('access-control-allow-origin'), '*')
  assert.equal(res.headers.get('access-control-allow-credentials'), null)
}

for (const db of TEST_DATABASES)
  describe(`CORS on /api/token, /api/revoke and /v1/me (${db})`, () => {
    let server: TestServer
    before(async () => {
      server = await startTestServer({ clients: [TEST_CLIENT, OTHER_SPA] }, db)
    })
    after(() => server.close())

    for (const path of ['/api/token', '/api/revoke']) {
      it(`preflight ${path} from a registered redirect origin -> 204 with ACAO`, async () => {
        const res = await preflight(server, path, APP, 'content-type')
        assert.equal(res.status, 204)
        assert.equal(res.headers.get('access-control-allow-origin'), APP)
        assert.ok(list(res.headers.get('access-control-allow-methods')).includes('post'))
        assert.ok(list(res.headers.get('access-control-allow-headers')).includes('content-type'))
        assert.ok(list(res.headers.get('vary')).includes('origin'))
        assertNoCredentials(res)
      })
    }

    it('preflight /v1/me allows the Authorization header and GET', async () => {
      const res = await preflight(server, '/v1/me', APP, 'authorization')
      assert.equal(res.status, 204)
      assert.equal(res.headers.get('access-control-allow-origin'), APP)
      assert.ok(list(res.headers.get('access-control-allow-headers')).includes('authorization'))
      assert.ok(list(res.headers.get('access-control-allow-methods')).includes('get'))
      assert.ok(list(res.headers.get('vary')).includes('origin'))
      assertNoCredentials(res)
    })

    for (const origin of [
      EVIL,
      'null',
      'http://localhost:5173.evil.example',
      'https://localhost:5173', // scheme differs
      'http://localhost', // port differs
      'http://localhost:5173/', // not an origin serialization
    ]) {
      it(`preflight from ${origin} -> no ACAO`, async () => {
        for (const path of ['/api/token', '/v1/me']) {
          const res = await preflight(server, path, origin)
          assert.equal(res.headers.get('access-control-allow-origin'), null, path)
          assert.equal(res.headers.get('access-control-allow-headers'), null, path)
          assert.ok(list(res.headers.get('vary')).includes('origin'))
        }
      })
    }

    it('POST /api/token from the client redirect origin -> ACAO, on success and on error', async () => {
      const got = await getCode(server)
      const res = await tokenRequest(
        server,
        {
          grant_type: 'authorization_code',
          code: got.code,
          redirect_uri: got.redirectUri,
          client_id: TEST_CLIENT.client_id,
          code_verifier: got.verifier,
        },
        { origin: APP },
      )
      assert.equal(res.status, 200)
      assert.equal(res.headers.get('access-control-allow-origin'), APP)
      assert.ok(list(res.headers.get('vary')).includes('origin'))
      assertNoCredentials(res)
      // The SPA must be able to read an error too.
      const err = await tokenRequest(
        server,
        { grant_type: 'refresh_token', refresh_token: 'nope', client_id: TEST_CLIENT.client_id },
        { origin: APP },
      )
      assert.equal(err.status, 400)
      assert.equal(err.headers.get('access-control-allow-origin'), APP)
    })

    it("another registered client's origin with this client_id -> no ACAO", async () => {
      const res = await tokenRequest(
        server,
        { grant_type: 'refresh_token', refresh_token: 'nope', client_id: TEST_CLIENT.client_id },
        { origin: OTHER },
      )
      assert.equal(res.status, 400)
      assert.equal(res.headers.get('access-control-allow-origin'), null)
      // ...while that client's own client_id from its own origin is allowed.
      const own = await tokenRequest(
        server,
        { grant_type: 'refresh_token', refresh_token: 'nope', client_id: OTHER_SPA.client_id },
        { origin: OTHER },
      )
      assert.equal(own.headers.get('access-control-allow-origin'), OTHER)
    })

    it('POST /api/token from an unregistered origin -> no ACAO', async () => {
      const res = await tokenRequest(
        server,
        { grant_type: 'refresh_token', refresh_token: 'nope', client_id: TEST_CLIENT.client_id },
        { origin: EVIL },
      )
      assert.equal(res.headers.get('access-control-allow-origin'), null)
    })

    it('/v1/me from the client origin: ACAO and Access-Control-Expose-Headers: WWW-Authenticate', async () => {
      const t = await getTokens(server)
      const ok = await getMe(server, `Bearer ${t.access_token}`, { origin: APP })
      assert.equal(ok.status, 200)
      assert.equal(ok.headers.get('access-control-allow-origin'), APP)
      assert.ok(list(ok.headers.get('vary')).includes('origin'))
      assertNoCredentials(ok)

      for (const auth of [undefined, `Bearer ${'E'.repeat(43)}`]) {
        const res = await getMe(server, auth, { origin: APP })
        assert.equal(res.status, 401)
        assert.equal(res.headers.get('access-control-allow-origin'), APP)
        assert.ok(
          list(res.headers.get('access-control-expose-headers')).includes('www-authenticate'),
        )
      }
    })

    it("/v1/me with a token of this client from another client's origin -> no ACAO", async () => {
      const t = await getTokens(server)
      const res = await getMe(server, `Bearer ${t.access_token}`, { origin: OTHER })
      assert.equal(res.status, 200)
      assert.equal(res.headers.get('access-control-allow-origin'), null)
    })

    it('/v1/me from an unregistered origin -> no ACAO', async () => {
      const t = await getTokens(server)
      const res = await getMe(server, `Bearer ${t.access_token}`, { origin: EVIL })
      assert.equal(res.headers.get('access-control-allow-origin'), null)
    })

    it('the metadata document is public: ACAO *', async () => {
      const res = await fetch(new URL('/.well-known/oauth-authorization-server', server.url), {
        headers: { origin: EVIL },
      })
      assert.equal(res.headers.get('access-control-allow-origin'), '*')
    })
  })
