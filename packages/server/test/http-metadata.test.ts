import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startTestServer, TEST_DATABASES, type TestServer } from '../src/testing.ts'

for (const db of TEST_DATABASES)
  describe(`metadata (RFC 8414) and health (${db})`, () => {
    let server: TestServer
    before(async () => {
      server = await startTestServer({}, db)
    })
    after(() => server.close())

    it('GET /.well-known/oauth-authorization-server describes the server (RFC 8414 2, 3)', async () => {
      const res = await fetch(new URL('/.well-known/oauth-authorization-server', server.url))
      assert.equal(res.status, 200)
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
      const m = (await res.json()) as Record<string, unknown>
      // RFC 8414 3.3: the issuer MUST be identical to the one the metadata was requested for.
      assert.equal(m.issuer, server.issuer)
      assert.equal(m.authorization_endpoint, `${server.issuer}/authorize`)
      assert.equal(m.token_endpoint, `${server.issuer}/api/token`)
      assert.equal(m.revocation_endpoint, `${server.issuer}/api/revoke`)
      assert.deepEqual(m.code_challenge_methods_supported, ['S256'])
      assert.equal(m.authorization_response_iss_parameter_supported, true) // RFC 9207 3
      assert.deepEqual(m.response_types_supported, ['code'])
      assert.deepEqual(m.grant_types_supported, ['authorization_code', 'refresh_token'])
      assert.deepEqual([...(m.token_endpoint_auth_methods_supported as string[])].sort(), [
        'client_secret_basic',
        'client_secret_post',
        'none',
      ])
      assert.deepEqual([...(m.scopes_supported as string[])].sort(), ['email', 'profile'])
      for (const v of Object.values(m)) {
        if (typeof v === 'string' && v.startsWith('http')) assert.ok(v.startsWith(server.issuer))
      }
    })

    it('GET /healthz -> 200', async () => {
      const res = await fetch(new URL('/healthz', server.url))
      assert.equal(res.status, 200)
    })

    it('an unknown path -> 404 JSON, not 5xx', async () => {
      const res = await fetch(new URL('/nope', server.url))
      assert.equal(res.status, 404)
    })
  })

for (const db of TEST_DATABASES)
  describe(`metadata with a configured issuer (${db})`, () => {
    let server: TestServer
    before(async () => {
      server = await startTestServer({ issuer: 'https://id.example.com' }, db)
    })
    after(() => server.close())

    it('issuer and endpoints use the configured issuer, and iss in redirects matches it', async () => {
      const res = await fetch(new URL('/.well-known/oauth-authorization-server', server.url))
      const m = (await res.json()) as Record<string, unknown>
      assert.equal(m.issuer, 'https://id.example.com')
      assert.equal(m.token_endpoint, 'https://id.example.com/api/token')
      const bad = await fetch(
        new URL(
          '/authorize?client_id=test-spa&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback&response_type=token&state=s',
          server.url,
        ),
        { redirect: 'manual' },
      )
      assert.equal(bad.status, 302)
      assert.equal(new URL(bad.headers.get('location')!).searchParams.get('iss'), m.issuer)
    })
  })
