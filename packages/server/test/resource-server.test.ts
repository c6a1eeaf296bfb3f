import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Hono } from 'hono'
import { bearerAuth, protect, type ResourceServerOptions } from '../src/index.ts'
import { startTestServer, TEST_CLIENT, TEST_DATABASES, type TestServer } from '../src/testing.ts'
import {
  exchangeCode,
  getCode,
  MACHINE_CLIENT,
  MACHINE_SECRET,
  revoke,
  RS_CLIENT,
  RS_SECRET,
  tokenRequest,
} from './support.ts'

const API = 'https://api.example.com'
/** A client with JWT access tokens on a server whose default is opaque. */
const JWT_CLIENT = { ...TEST_CLIENT, client_id: 'jwt-spa', access_token_format: 'jwt' as const }

function api(options: ResourceServerOptions): Hono {
  const app = new Hono<{ Variables: { token: { sub: string; clientId: string } } }>()
  app.get('/things', bearerAuth(options), (c) =>
    c.json({ sub: c.get('token').sub, client_id: c.get('token').clientId }),
  )
  return app as unknown as Hono
}

const call = (app: Hono, authorization?: string) =>
  app.request('/things', { headers: authorization ? { authorization } : {} })

for (const db of TEST_DATABASES)
  describe(`resource-server helper: at+jwt via JWKS, opaque via introspection (${db})`, () => {
    let server: TestServer
    let opaque: TestServer
    before(async () => {
      server = await startTestServer({ clients: [TEST_CLIENT, MACHINE_CLIENT] }, db)
      opaque = await startTestServer(
        { clients: [TEST_CLIENT, RS_CLIENT, JWT_CLIENT], access_token_format: 'opaque' },
        db,
      )
    })
    after(async () => {
      await server.close()
      await opaque.close()
    })

    const jwtFor = async (resource?: string) => {
      const got = await getCode(server, resource ? { extra: { resource } } : {})
      const res = await exchangeCode(server, got)
      return res.json.access_token as string
    }

    it('a JWT for this audience with the scope -> the handler runs with the token', async () => {
      const app = api({ issuer: server.issuer, audience: API, scope: 'profile' })
      const res = await call(app, `Bearer ${await jwtFor(API)}`)
      assert.equal(res.status, 200)
      const body = (await res.json()) as Record<string, unknown>
      const user = await server.store.getUserByUsername(server.username)
      assert.deepEqual(body, { sub: user!.id, client_id: TEST_CLIENT.client_id })
    })

    it('no token -> 401 with a bare Bearer challenge (RFC 6750 3.1)', async () => {
      const res = await call(api({ issuer: server.issuer, audience: API, realm: 'things' }))
      assert.equal(res.status, 401)
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="things"')
    })

    it('a JWT for another audience -> 401 invalid_token', async () => {
      const app = api({ issuer: server.issuer, audience: API })
      const res = await call(app, `Bearer ${await jwtFor()}`) // aud = the issuer
      assert.equal(res.status, 401)
      assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/)
      assert.equal(((await res.json()) as Record<string, unknown>).error, 'invalid_token')
    })

    it('an id_token is not an access token (typ) -> 401 invalid_token', async () => {
      // Any JWT signed by Pixie without typ at+jwt: a forged header is refused by the signature,
      // and an id_token's typ is JWT.
      const app = api({ issuer: server.issuer, audience: TEST_CLIENT.client_id })
      const token = await jwtFor()
      const [, p, s] = token.split('.')
      const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: 'x' })).toString(
        'base64url',
      )
      const res = await call(app, `Bearer ${header}.${p}.${s}`)
      assert.equal(res.status, 401)
    })

    it('a missing scope -> 403 insufficient_scope with scope= in the challenge', async () => {
      const app = api({ issuer: server.issuer, audience: server.issuer, scope: 'email' })
      const got = await getCode(server, { scope: 'profile' })
      const token = (await exchangeCode(server, got)).json.access_token as string
      const res = await call(app, `Bearer ${token}`)
      assert.equal(res.status, 403)
      const challenge = res.headers.get('www-authenticate') ?? ''
      assert.match(challenge, /error="insufficient_scope"/)
      assert.match(challenge, /scope="email"/)
    })

    it('a malformed Authorization header -> 400 invalid_request', async () => {
      const res = await call(api({ issuer: server.issuer, audience: API }), 'Bearer a b')
      assert.equal(res.status, 400)
      assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_request"/)
    })

    it('a client_credentials token works with the plain fetch wrapper', async () => {
      const handler = protect({ issuer: server.issuer, audience: API }, (_req, token) =>
        Response.json({ sub: token.sub }),
      )
      const cc = await tokenRequest(server, {
        grant_type: 'client_credentials',
        client_id: MACHINE_CLIENT.client_id,
        client_secret: MACHINE_SECRET,
        resource: API,
      })
      const res = await handler(
        new Request('http://api/things', {
          headers: { authorization: `Bearer ${cc.json.access_token as string}` },
        }),
      )
      assert.equal(res.status, 200)
      assert.deepEqual(await res.json(), { sub: MACHINE_CLIENT.client_id })
    })

    it('an opaque token is introspected; revoked -> 401 invalid_token at once', async () => {
      const app = api({
        issuer: opaque.issuer,
        audience: opaque.issuer,
        introspection: { clientId: RS_CLIENT.client_id, clientSecret: RS_SECRET },
      })
      const tokens = await exchangeCode(opaque, await getCode(opaque))
      const token = tokens.json.access_token as string
      assert.equal((await call(app, `Bearer ${token}`)).status, 200)
      await revoke(opaque, { token, client_id: TEST_CLIENT.client_id })
      const res = await call(app, `Bearer ${token}`)
      assert.equal(res.status, 401)
      assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/)
    })

    it("introspect: 'always' sees a revoked JWT at once; local verification would not", async () => {
      const local = api({ issuer: opaque.issuer, audience: API })
      const always = api({
        issuer: opaque.issuer,
        audience: API,
        introspect: 'always',
        introspection: { clientId: RS_CLIENT.client_id, clientSecret: RS_SECRET },
      })
      const got = await getCode(opaque, {
        clientId: JWT_CLIENT.client_id,
        extra: { resource: API },
      })
      const tokens = await exchangeCode(opaque, got, JWT_CLIENT.client_id)
      const token = tokens.json.access_token as string
      assert.equal(token.split('.').length, 3)
      assert.equal((await call(always, `Bearer ${token}`)).status, 200)
      await revoke(opaque, { token, client_id: JWT_CLIENT.client_id })
      assert.equal((await call(local, `Bearer ${token}`)).status, 200) // valid until exp
      const res = await call(always, `Bearer ${token}`)
      assert.equal(res.status, 401)
      assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/)
    })

    it('an opaque token without introspection credentials -> 401 invalid_token', async () => {
      const app = api({ issuer: opaque.issuer, audience: opaque.issuer })
      const tokens = await exchangeCode(opaque, await getCode(opaque))
      const res = await call(app, `Bearer ${tokens.json.access_token as string}`)
      assert.equal(res.status, 401)
    })
  })
