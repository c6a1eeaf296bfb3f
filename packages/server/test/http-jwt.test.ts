import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import {
  CookieJar,
  signIn,
  startTestServer,
  TEST_DATABASES,
  TEST_CLIENT,
  type TestServer,
} from '../src/testing.ts'
import type { ClientConfig } from '../src/config.ts'
import {
  decodeJwt,
  exchangeCode,
  getCode,
  getMe,
  pkcePair,
  refresh,
  revoke,
  tokenRequest,
  type Pixie,
} from './support.ts'

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

const OPAQUE_CLIENT: ClientConfig = {
  client_id: 'opaque-spa',
  client_name: 'Opaque SPA',
  redirect_uris: ['http://127.0.0.1/callback'],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  scope: 'profile email',
  access_token_format: 'opaque',
}

async function verifyAt(server: TestServer, token: string, audience: string | string[]) {
  const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', server.url))
  return jwtVerify(token, jwks, { issuer: server.issuer, audience, typ: 'at+jwt' })
}

for (const db of TEST_DATABASES)
  describe(`JWT access tokens, RFC 9068 (${db})`, () => {
    let server: TestServer
    before(async () => {
      server = await startTestServer({ clients: [TEST_CLIENT, OPAQUE_CLIENT] }, db)
    })
    after(() => server.close())

    it('the default access token is an at+jwt with exactly the RFC 9068 2.2 claims', async () => {
      const res = await exchangeCode(server, await getCode(server))
      assert.equal(res.status, 200)
      const token = res.json.access_token as string
      assert.match(token, JWT)
      const { header, payload } = decodeJwt(token)
      assert.deepEqual(Object.keys(header).sort(), ['alg', 'kid', 'typ'])
      assert.equal(header.typ, 'at+jwt') // RFC 9068 2.1
      assert.equal(header.alg, 'ES256')
      const { payload: verified } = await verifyAt(server, token, server.issuer)
      assert.deepEqual(verified, payload)
      assert.deepEqual(Object.keys(payload).sort(), [
        'aud',
        'auth_time',
        'client_id',
        'exp',
        'iat',
        'iss',
        'jti',
        'scope',
        'sub',
      ])
      assert.equal(payload.iss, server.issuer)
      assert.equal(payload.aud, server.issuer) // no resource: the default audience
      assert.equal(payload.client_id, TEST_CLIENT.client_id)
      assert.equal(payload.scope, 'profile email')
      assert.equal((payload.exp as number) - (payload.iat as number), 3600)
      assert.match(payload.jti as string, /^[0-9a-f]{12}[A-Za-z0-9_-]{22}$/)
      const user = await server.store.getUserByUsername(server.username)
      assert.equal(payload.sub, user!.id)
      // /v1/me accepts it, and reports the same subject.
      const me = await getMe(server, `Bearer ${token}`)
      assert.equal(me.status, 200)
      assert.equal(me.json.id, payload.sub)
    })

    it('each token has its own jti; a refresh gives a new JWT', async () => {
      const first = await exchangeCode(server, await getCode(server))
      const second = await refresh(server, first.json.refresh_token as string)
      assert.equal(second.status, 200)
      const a = decodeJwt(first.json.access_token as string).payload
      const b = decodeJwt(second.json.access_token as string).payload
      assert.notEqual(a.jti, b.jti)
      assert.equal(b.sub, a.sub)
    })

    it('a revoked JWT is refused by /v1/me at once, although its signature is still good', async () => {
      const res = await exchangeCode(server, await getCode(server))
      const token = res.json.access_token as string
      assert.equal((await getMe(server, `Bearer ${token}`)).status, 200)
      const r = await revoke(server, { token, client_id: TEST_CLIENT.client_id })
      assert.equal(r.status, 200)
      const me = await getMe(server, `Bearer ${token}`)
      assert.equal(me.status, 401)
      assert.equal(me.json.error, 'invalid_token')
      assert.match(me.headers.get('www-authenticate') ?? '', /error="invalid_token"/)
      await verifyAt(server, token, server.issuer) // still a valid JWT: the store decides
    })

    it('a JWT that Pixie did not store (forged payload, copied signature) is refused', async () => {
      const res = await exchangeCode(server, await getCode(server))
      const [h, p, s] = (res.json.access_token as string).split('.')
      const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>
      claims.scope = 'profile email admin'
      const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`
      const me = await getMe(server, `Bearer ${forged}`)
      assert.equal(me.status, 401)
      assert.equal(me.json.error, 'invalid_token')
    })

    it('resource at /authorize becomes the audience (RFC 8707 2)', async () => {
      const got = await getCode(server, { extra: { resource: 'https://api.example.com' } })
      const res = await exchangeCode(server, got)
      assert.equal(res.status, 200, JSON.stringify(res.json))
      const { payload } = await verifyAt(
        server,
        res.json.access_token as string,
        'https://api.example.com',
      )
      assert.equal(payload.aud, 'https://api.example.com')
      // The refreshed token keeps the grant's audience.
      const again = await refresh(server, res.json.refresh_token as string)
      assert.equal(
        decodeJwt(again.json.access_token as string).payload.aud,
        'https://api.example.com',
      )
    })

    it('/v1/me refuses a JWT issued for another resource, takes one that also names Pixie', async () => {
      const other = await exchangeCode(
        server,
        await getCode(server, { extra: { resource: 'https://api.example.com' } }),
      )
      const me = await getMe(server, `Bearer ${other.json.access_token as string}`)
      assert.equal(me.status, 401)
      assert.equal(me.json.error, 'invalid_token')
      assert.match(me.headers.get('www-authenticate') ?? '', /another audience/)
      const both = await exchangeCode(server, await getCode(server), TEST_CLIENT.client_id, [
        'https://api.example.com',
        server.issuer,
      ])
      assert.equal((await getMe(server, `Bearer ${both.json.access_token as string}`)).status, 200)
    })

    it('several resources at /authorize survive login and consent; the token request may pick one', async () => {
      const { verifier, challenge } = pkcePair()
      const url = new URL('/authorize', server.url)
      url.search = new URLSearchParams([
        ['client_id', TEST_CLIENT.client_id],
        ['response_type', 'code'],
        ['redirect_uri', 'http://127.0.0.1/callback'],
        ['scope', 'profile'],
        ['state', 'st-r'],
        ['code_challenge', challenge],
        ['code_challenge_method', 'S256'],
        ['resource', 'https://a.example.com'],
        ['resource', 'https://b.example.com/api'],
      ]).toString()
      // A fresh browser: the resources ride through the login and consent forms.
      const location = await signIn(url.href, server, { jar: new CookieJar() })
      const code = new URL(location).searchParams.get('code')!
      const body = {
        grant_type: 'authorization_code',
        code,
        redirect_uri: 'http://127.0.0.1/callback',
        client_id: TEST_CLIENT.client_id,
        code_verifier: verifier,
      }
      const all = await tokenRequest(server, body)
      assert.equal(all.status, 200, JSON.stringify(all.json))
      assert.deepEqual(decodeJwt(all.json.access_token as string).payload.aud, [
        'https://a.example.com',
        'https://b.example.com/api',
      ])
      const one = await refresh(server, all.json.refresh_token as string, {
        resource: 'https://b.example.com/api',
      })
      assert.equal(one.status, 200, JSON.stringify(one.json))
      assert.equal(
        decodeJwt(one.json.access_token as string).payload.aud,
        'https://b.example.com/api',
      )
    })

    it('several resources at the token endpoint -> an aud array (RFC 8707 2.2)', async () => {
      const res = await exchangeCode(server, await getCode(server), TEST_CLIENT.client_id, [
        'https://a.example.com',
        'https://b.example.com/api',
      ])
      assert.equal(res.status, 200, JSON.stringify(res.json))
      const { payload } = decodeJwt(res.json.access_token as string)
      assert.deepEqual(payload.aud, ['https://a.example.com', 'https://b.example.com/api'])
    })

    it('a token request may narrow the resources of the grant, not widen them -> invalid_target', async () => {
      const got = await getCode(server, { extra: { resource: 'https://api.example.com' } })
      const res = await tokenRequest(server, {
        grant_type: 'authorization_code',
        code: got.code,
        redirect_uri: got.redirectUri,
        client_id: TEST_CLIENT.client_id,
        code_verifier: got.verifier,
        resource: 'https://other.example.com',
      })
      assert.equal(res.status, 400)
      assert.equal(res.json.error, 'invalid_target')
      assert.equal(res.headers.get('cache-control'), 'no-store')
    })

    for (const bad of ['api', '/relative', 'https://api.example.com/#frag']) {
      it(`resource=${JSON.stringify(bad)} at the token endpoint -> 400 invalid_target`, async () => {
        const got = await getCode(server)
        const res = await tokenRequest(server, {
          grant_type: 'authorization_code',
          code: got.code,
          redirect_uri: got.redirectUri,
          client_id: TEST_CLIENT.client_id,
          code_verifier: got.verifier,
          resource: bad,
        })
        assert.equal(res.status, 400)
        assert.equal(res.json.error, 'invalid_target')
      })
    }

    it('resource with a fragment at /authorize -> redirect with error=invalid_target', async () => {
      const url = new URL('/authorize', server.url)
      url.search = new URLSearchParams({
        client_id: TEST_CLIENT.client_id,
        response_type: 'code',
        redirect_uri: 'http://127.0.0.1/callback',
        scope: 'profile',
        state: 'st',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        resource: 'https://api.example.com/#x',
      }).toString()
      const res = await fetch(url, { redirect: 'manual' })
      assert.equal(res.status, 302)
      const loc = new URL(res.headers.get('location')!)
      assert.equal(loc.searchParams.get('error'), 'invalid_target')
      assert.equal(loc.searchParams.get('state'), 'st')
    })

    it('a client with access_token_format opaque gets a time prefix and 256 random bits', async () => {
      const opaque: Pixie = { ...server, clientId: OPAQUE_CLIENT.client_id }
      const got = await getCode(opaque)
      const res = await exchangeCode(server, got, OPAQUE_CLIENT.client_id)
      assert.equal(res.status, 200)
      assert.match(res.json.access_token as string, /^[0-9a-f]{12}[A-Za-z0-9_-]{43}$/)
      const me = await getMe(server, `Bearer ${res.json.access_token as string}`)
      assert.equal(me.status, 200)
    })
  })

for (const db of TEST_DATABASES)
  describe(`access_token_format: opaque for the whole server (${db})`, () => {
    let server: TestServer
    before(async () => {
      server = await startTestServer({ access_token_format: 'opaque' }, db)
    })
    after(() => server.close())

    it('the token response has the exact opaque shape of before', async () => {
      const res = await exchangeCode(server, await getCode(server))
      assert.equal(res.status, 200)
      assert.deepEqual(Object.keys(res.json).sort(), [
        'access_token',
        'expires_in',
        'refresh_token',
        'scope',
        'token_type',
      ])
      assert.match(res.json.access_token as string, /^[0-9a-f]{12}[A-Za-z0-9_-]{43}$/)
      assert.equal((await getMe(server, `Bearer ${res.json.access_token as string}`)).status, 200)
    })
  })
