import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startTestServer, TEST_DATABASES, type TestServer } from '../src/testing.ts'
import {
  ALL_CLIENTS,
  basic,
  CONFIDENTIAL_CLIENT,
  CONFIDENTIAL_SECRET,
  getCode,
  getMe,
  getTokens,
  OTHER_SPA,
  refresh,
  revoke,
  tokenRequest,
} from './support.ts'

for (const db of TEST_DATABASES)
  describe(`token revocation, RFC 7009 (${db})`, () => {
    let server: TestServer
    before(async () => {
      server = await startTestServer({ clients: ALL_CLIENTS }, db)
    })
    after(() => server.close())

    it('revoking a refresh token revokes its family: access token and refresh token (RFC 7009 2.1)', async () => {
      const t0 = await getTokens(server)
      const r1 = await refresh(server, t0.refresh_token)
      assert.equal(r1.status, 200)
      const res = await revoke(server, {
        token: r1.json.refresh_token as string,
        token_type_hint: 'refresh_token',
        client_id: server.clientId,
      })
      assert.equal(res.status, 200)
      assert.equal(res.text, '')
      for (const at of [t0.access_token, r1.json.access_token as string]) {
        const me = await getMe(server, `Bearer ${at}`)
        assert.equal(me.status, 401)
        assert.equal(me.json.error, 'invalid_token')
      }
      const again = await refresh(server, r1.json.refresh_token as string)
      assert.equal(again.status, 400)
      assert.equal(again.json.error, 'invalid_grant')
    })

    it('revoking an access token: 200 and /v1/me refuses it', async () => {
      const t = await getTokens(server)
      const res = await revoke(server, {
        token: t.access_token,
        token_type_hint: 'access_token',
        client_id: server.clientId,
      })
      assert.equal(res.status, 200)
      assert.equal((await getMe(server, `Bearer ${t.access_token}`)).status, 401)
    })

    it('a wrong hint still finds the token (RFC 7009 2.1)', async () => {
      const t = await getTokens(server)
      const res = await revoke(server, {
        token: t.access_token,
        token_type_hint: 'refresh_token',
        client_id: server.clientId,
      })
      assert.equal(res.status, 200)
      assert.equal((await getMe(server, `Bearer ${t.access_token}`)).status, 401)
    })

    it('unknown token -> 200 (RFC 7009 2.2)', async () => {
      const res = await revoke(server, { token: 'D'.repeat(43), client_id: server.clientId })
      assert.equal(res.status, 200)
    })

    it('revoking twice -> 200 both times', async () => {
      const t = await getTokens(server)
      const body = { token: t.refresh_token, client_id: server.clientId }
      assert.equal((await revoke(server, body)).status, 200)
      assert.equal((await revoke(server, body)).status, 200)
    })

    it('a token of another client -> 400, and the token still works', async () => {
      const t = await getTokens(server)
      for (const token of [t.access_token, t.refresh_token]) {
        const res = await revoke(server, { token, client_id: OTHER_SPA.client_id })
        assert.equal(res.status, 400)
        assert.equal(JSON.parse(res.text).error, 'invalid_request')
      }
      assert.equal((await getMe(server, `Bearer ${t.access_token}`)).status, 200)
      assert.equal((await refresh(server, t.refresh_token)).status, 200)
    })

    it('missing token -> 400 invalid_request', async () => {
      const res = await revoke(server, { client_id: server.clientId })
      assert.equal(res.status, 400)
      assert.equal(JSON.parse(res.text).error, 'invalid_request')
    })

    it('unknown client -> 401 invalid_client', async () => {
      const res = await revoke(server, { token: 'x', client_id: 'nobody' })
      assert.equal(res.status, 401)
      assert.equal(JSON.parse(res.text).error, 'invalid_client')
    })

    it('a confidential client authenticates (RFC 7009 2.1): Basic ok, wrong secret 401', async () => {
      const got = await getCode(server, {
        clientId: CONFIDENTIAL_CLIENT.client_id,
        redirectUri: CONFIDENTIAL_CLIENT.redirect_uris[0],
        pkce: false,
      })
      const auth = { authorization: basic(CONFIDENTIAL_CLIENT.client_id, CONFIDENTIAL_SECRET) }
      const t = await tokenRequest(
        server,
        { grant_type: 'authorization_code', code: got.code, redirect_uri: got.redirectUri },
        auth,
      )
      assert.equal(t.status, 200)
      const bad = await revoke(
        server,
        { token: t.json.refresh_token as string },
        { authorization: basic(CONFIDENTIAL_CLIENT.client_id, 'wrong-secret'.repeat(3)) },
      )
      assert.equal(bad.status, 401)
      assert.equal(JSON.parse(bad.text).error, 'invalid_client')
      assert.match(bad.headers.get('www-authenticate') ?? '', /^Basic /)
      // Without its secret, a confidential client cannot revoke either.
      const none = await revoke(server, {
        token: t.json.refresh_token as string,
        client_id: CONFIDENTIAL_CLIENT.client_id,
      })
      assert.equal(none.status, 401)
      assert.equal((await getMe(server, `Bearer ${t.json.access_token as string}`)).status, 200)
      const ok = await revoke(server, { token: t.json.refresh_token as string }, auth)
      assert.equal(ok.status, 200)
      assert.equal((await getMe(server, `Bearer ${t.json.access_token as string}`)).status, 401)
    })
  })
