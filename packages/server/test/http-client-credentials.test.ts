import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { parseConfig } from '../src/config.ts'
import { clientRecord } from '../src/seed.ts'
import { openStore } from '../src/storage/index.ts'
import { startTestServer, TEST_CLIENT, TEST_DATABASES, type TestServer } from '../src/testing.ts'
import {
  basic,
  CONFIDENTIAL_CLIENT,
  CONFIDENTIAL_SECRET,
  decodeJwt,
  getMe,
  MACHINE_CLIENT,
  MACHINE_SECRET,
  RS_CLIENT,
  RS_SECRET,
  tokenRequest,
} from './support.ts'

const machine = (extra: Record<string, string> = {}) => ({
  grant_type: 'client_credentials',
  client_id: MACHINE_CLIENT.client_id,
  client_secret: MACHINE_SECRET,
  ...extra,
})

for (const db of TEST_DATABASES)
  describe(`client_credentials grant, RFC 6749 4.4 (${db})`, () => {
    let server: TestServer
    before(async () => {
      server = await startTestServer(
        { clients: [TEST_CLIENT, CONFIDENTIAL_CLIENT, RS_CLIENT, MACHINE_CLIENT] },
        db,
      )
    })
    after(() => server.close())

    it('a client removed by another process while cached: 400 invalid_request, then invalid_client', async () => {
      const other = await openStore(server.config.database)
      try {
        const gone = { ...MACHINE_CLIENT, client_id: `gone-${randomBytes(4).toString('hex')}` }
        assert.equal(await other.createClient(clientRecord(gone, 1_800_000_000)), true)
        const ask = () => tokenRequest(server, machine({ client_id: gone.client_id }))
        assert.equal((await ask()).status, 200) // this server now keeps the client a while
        assert.equal(await other.deleteClient(gone.client_id), true)
        // The grant names a client that is gone: refused, not a 500, and no token issued.
        const refused = await ask()
        assert.equal(refused.status, 400)
        assert.equal(refused.json.error, 'invalid_request')
        assert.equal(refused.json.access_token, undefined)
        // The store dropped its copy: the client is unknown now (RFC 6749 5.2).
        const unknown = await ask()
        assert.equal(unknown.status, 401)
        assert.equal(unknown.json.error, 'invalid_client')
      } finally {
        await other.close()
      }
    })

    it('a confidential client gets an access token and no refresh token (RFC 6749 4.4.3)', async () => {
      const res = await tokenRequest(server, machine())
      assert.equal(res.status, 200, JSON.stringify(res.json))
      assert.equal(res.headers.get('cache-control'), 'no-store')
      assert.deepEqual(Object.keys(res.json).sort(), [
        'access_token',
        'expires_in',
        'scope',
        'token_type',
      ])
      assert.equal(res.json.token_type, 'Bearer')
      assert.equal(res.json.scope, 'profile') // the client's registered scope by default
      const { header, payload } = decodeJwt(res.json.access_token as string)
      assert.equal(header.typ, 'at+jwt')
      // RFC 9068 2.2: without a user the subject is the client itself; no auth_time.
      assert.equal(payload.sub, MACHINE_CLIENT.client_id)
      assert.equal(payload.client_id, MACHINE_CLIENT.client_id)
      assert.equal('auth_time' in payload, false)
      const stored = await server.store.getAccessToken(
        (await import('../src/crypto/hash.ts')).tokenKey(res.json.access_token as string),
      )
      assert.ok(stored)
      assert.equal(stored.userId, null)
    })

    it('over client_secret_basic, with a narrower scope and a resource', async () => {
      const res = await tokenRequest(
        server,
        { grant_type: 'client_credentials', scope: 'email', resource: 'https://api.example.com' },
        { authorization: basic(RS_CLIENT.client_id, RS_SECRET) },
      )
      assert.equal(res.status, 200, JSON.stringify(res.json))
      assert.equal(res.json.scope, 'email')
      assert.equal(
        decodeJwt(res.json.access_token as string).payload.aud,
        'https://api.example.com',
      )
    })

    it('the token has no user: /v1/me answers 401 invalid_token', async () => {
      const res = await tokenRequest(server, machine())
      const me = await getMe(server, `Bearer ${res.json.access_token as string}`)
      assert.equal(me.status, 401)
      assert.equal(me.json.error, 'invalid_token')
    })

    it('a scope beyond the registration -> 400 invalid_scope; openid -> 400 invalid_scope', async () => {
      const wide = await tokenRequest(server, machine({ scope: 'profile email' }))
      assert.equal(wide.status, 400)
      assert.equal(wide.json.error, 'invalid_scope')
      const openid = await tokenRequest(
        server,
        { grant_type: 'client_credentials', scope: 'openid' },
        { authorization: basic(RS_CLIENT.client_id, RS_SECRET) },
      )
      assert.equal(openid.status, 400)
      assert.equal(openid.json.error, 'invalid_scope')
    })

    it('a public client -> 400 unauthorized_client', async () => {
      const res = await tokenRequest(server, {
        grant_type: 'client_credentials',
        client_id: TEST_CLIENT.client_id,
      })
      assert.equal(res.status, 400)
      assert.equal(res.json.error, 'unauthorized_client')
    })

    it('a confidential client not registered for it -> 400 unauthorized_client', async () => {
      const res = await tokenRequest(
        server,
        { grant_type: 'client_credentials' },
        { authorization: basic(CONFIDENTIAL_CLIENT.client_id, CONFIDENTIAL_SECRET) },
      )
      assert.equal(res.status, 400)
      assert.equal(res.json.error, 'unauthorized_client')
    })

    it('a wrong secret -> 401 invalid_client', async () => {
      const res = await tokenRequest(server, machine({ client_secret: 'wrong' }))
      assert.equal(res.status, 401)
      assert.equal(res.json.error, 'invalid_client')
    })

    it('a client_credentials-only client cannot use /authorize (error page, no redirect URI)', async () => {
      const res = await fetch(
        new URL(
          `/authorize?client_id=${MACHINE_CLIENT.client_id}&response_type=code&redirect_uri=https%3A%2F%2Fm.example%2Fcb`,
          server.url,
        ),
        { redirect: 'manual' },
      )
      assert.equal(res.status, 400)
      assert.equal(res.headers.get('location'), null)
    })
  })

describe('client_credentials in the client configuration', () => {
  const base = {
    client_id: 'm',
    token_endpoint_auth_method: 'client_secret_basic',
    client_secret: 'x'.repeat(40),
  }
  it('needs a confidential client', () => {
    assert.throws(
      () =>
        parseConfig({
          clients: [
            {
              client_id: 'p',
              token_endpoint_auth_method: 'none',
              grant_types: ['client_credentials'],
            },
          ],
        }),
      /client_credentials needs a confidential client/,
    )
  })
  it('without authorization_code needs no redirect URI, and gets no refresh_token', () => {
    const c = parseConfig({ clients: [{ ...base, grant_types: ['client_credentials'] }] })
    assert.deepEqual(c.clients[0]!.redirect_uris, [])
    assert.throws(
      () =>
        parseConfig({
          clients: [{ ...base, grant_types: ['client_credentials', 'refresh_token'] }],
        }),
      /refresh_token needs authorization_code/,
    )
  })
  it('authorization_code still needs a redirect URI', () => {
    assert.throws(
      () => parseConfig({ clients: [{ ...base, grant_types: ['authorization_code'] }] }),
      /redirect_uris: at least one redirect URI/,
    )
  })
})
