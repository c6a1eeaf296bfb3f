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
      assert.equal(res.headers.get('access-control-allow-origin'), '*')
      const m = (await res.json()) as Record<string, unknown>
      // RFC 8414 3.3: the issuer MUST be identical to the one the metadata was requested for.
      assert.equal(m.issuer, server.issuer)
      assert.equal(m.authorization_endpoint, `${server.issuer}/authorize`)
      assert.equal(m.token_endpoint, `${server.issuer}/api/token`)
      assert.equal(m.revocation_endpoint, `${server.issuer}/api/revoke`)
      assert.equal(m.introspection_endpoint, `${server.issuer}/api/introspect`)
      assert.deepEqual(m.introspection_endpoint_auth_methods_supported, [
        'client_secret_basic',
        'client_secret_post',
      ])
      assert.equal(m.jwks_uri, `${server.issuer}/.well-known/jwks.json`)
      assert.equal(m.userinfo_endpoint, `${server.issuer}/userinfo`)
      assert.equal(m.end_session_endpoint, `${server.issuer}/logout`)
      assert.deepEqual(m.code_challenge_methods_supported, ['S256'])
      assert.equal(m.authorization_response_iss_parameter_supported, true) // RFC 9207 3
      assert.deepEqual(m.response_types_supported, ['code'])
      assert.deepEqual(m.response_modes_supported, ['query'])
      assert.deepEqual(m.grant_types_supported, [
        'authorization_code',
        'refresh_token',
        'client_credentials',
      ])
      assert.deepEqual([...(m.token_endpoint_auth_methods_supported as string[])].sort(), [
        'client_secret_basic',
        'client_secret_post',
        'none',
      ])
      assert.deepEqual([...(m.scopes_supported as string[])].sort(), ['email', 'openid', 'profile'])
      assert.deepEqual(m.subject_types_supported, ['public'])
      assert.deepEqual(m.id_token_signing_alg_values_supported, ['ES256'])
      assert.deepEqual(m.prompt_values_supported, ['none', 'login', 'consent'])
      assert.equal(m.request_parameter_supported, false)
      assert.equal(m.request_uri_parameter_supported, false)
      assert.equal(m.claims_parameter_supported, false)
      assert.deepEqual([...(m.claims_supported as string[])].sort(), [
        'at_hash',
        'aud',
        'auth_time',
        'azp',
        'email',
        'email_verified',
        'exp',
        'iat',
        'iss',
        'name',
        'nonce',
        'preferred_username',
        'sub',
      ])
      for (const v of Object.values(m)) {
        if (typeof v === 'string' && v.startsWith('http')) assert.ok(v.startsWith(server.issuer))
      }
    })

    it('GET /.well-known/openid-configuration is the same document (OIDC Discovery 4.2)', async () => {
      const oidc = await fetch(new URL('/.well-known/openid-configuration', server.url))
      assert.equal(oidc.status, 200)
      assert.match(oidc.headers.get('content-type') ?? '', /^application\/json/)
      const oauth = await fetch(new URL('/.well-known/oauth-authorization-server', server.url))
      // OIDC Discovery 4.3: issuer identical to the URL the document was fetched under.
      assert.deepEqual(await oidc.json(), await oauth.json())
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
