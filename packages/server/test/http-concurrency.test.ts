import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startTestServer, TEST_DATABASES, type TestServer } from '../src/testing.ts'
import {
  ALL_USERS,
  authorizeUrl,
  Browser,
  credentials,
  exchangeCode,
  getCode,
  getMe,
  getTokens,
  refresh,
  validAuthorizeParams,
} from './support.ts'

for (const db of TEST_DATABASES)
  describe(`concurrency over real HTTP (${db})`, () => {
    let server: TestServer
    before(async () => {
      server = await startTestServer({ users: ALL_USERS }, db)
    })
    after(() => server.close())

    it('20 concurrent redemptions of one code: exactly one 200, 19 invalid_grant (RFC 6749 4.1.2)', async () => {
      const got = await getCode(server)
      const results = await Promise.all(Array.from({ length: 20 }, () => exchangeCode(server, got)))
      const winners = results.filter((r) => r.status === 200)
      const losers = results.filter((r) => r.status !== 200)
      assert.equal(winners.length, 1)
      assert.equal(losers.length, 19)
      for (const r of losers) {
        assert.equal(r.status, 400)
        assert.equal(r.json.error, 'invalid_grant')
      }
      // RFC 6749 4.1.2: "If an authorization code is used more than once, the authorization
      // server MUST deny the request and SHOULD revoke (when possible) all tokens previously
      // issued based on that authorization code." The 19 replays did exactly that: the winner's
      // tokens are dead too.
      const winner = winners[0]!.json
      const me = await getMe(server, `Bearer ${winner.access_token as string}`)
      assert.equal(me.status, 401)
      assert.equal(me.json.error, 'invalid_token')
      const r = await refresh(server, winner.refresh_token as string)
      assert.equal(r.status, 400)
      assert.equal(r.json.error, 'invalid_grant')
    })

    it('20 concurrent refreshes of one token inside the reuse interval: all succeed, family valid', async () => {
      const t = await getTokens(server)
      const results = await Promise.all(
        Array.from({ length: 20 }, () => refresh(server, t.refresh_token)),
      )
      for (const r of results) assert.equal(r.status, 200, JSON.stringify(r.json))
      const tokens = new Set(results.map((r) => r.json.refresh_token))
      assert.equal(tokens.size, 20)
      const me = await getMe(server, `Bearer ${results[19]!.json.access_token as string}`)
      assert.equal(me.status, 200)
      assert.equal((await refresh(server, results[0]!.json.refresh_token as string)).status, 200)
    })

    it('two tabs approving consent at once both get a code', async () => {
      const browser = new Browser(server)
      const loggedIn = await browser.login(
        authorizeUrl(server, validAuthorizeParams()),
        credentials('bob'),
      )
      const page = await browser.get(loggedIn.headers.get('location')!)
      const html = await page.text()
      const results = await Promise.all([
        browser.submit(html, { decision: 'allow' }),
        browser.submit(html, { decision: 'allow' }),
      ])
      for (const res of results) {
        assert.equal(res.status, 303)
        assert.ok(new URL(res.headers.get('location')!).searchParams.get('code'))
      }
    })

    it('10 concurrent authorization requests of a signed-in user: 10 distinct codes', async () => {
      const browser = new Browser(server)
      const loggedIn = await browser.login(
        authorizeUrl(server, validAuthorizeParams()),
        credentials('carol'),
      )
      const page = await browser.get(loggedIn.headers.get('location')!)
      await browser.submit(await page.text(), { decision: 'allow' })
      const results = await Promise.all(
        Array.from({ length: 10 }, () => browser.get(authorizeUrl(server, validAuthorizeParams()))),
      )
      const codes = results.map((r) => {
        assert.equal(r.status, 302)
        return new URL(r.headers.get('location')!).searchParams.get('code')
      })
      assert.equal(new Set(codes).size, 10)
    })
  })
