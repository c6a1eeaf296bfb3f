import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import {
  CookieJar,
  signIn,
  startTestServer,
  TEST_CLIENT,
  TEST_DATABASES,
  type TestServer,
} from '../src/testing.ts'
import {
  ALL_USERS,
  authorizeUrl,
  Browser,
  credentials,
  decodeJwt,
  exchangeCode,
  getCode,
  OIDC_CLIENT,
  pkcePair,
  refresh,
  RS_CLIENT,
  withClock,
  type ClockedServer,
  type Pixie,
} from './support.ts'

const CLIENTS = [TEST_CLIENT, OIDC_CLIENT, RS_CLIENT]

function oidcParams(overrides: Record<string, string | undefined> = {}) {
  return {
    client_id: OIDC_CLIENT.client_id,
    response_type: 'code',
    redirect_uri: 'http://127.0.0.1/callback',
    scope: 'openid profile email',
    state: 'st-oidc',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
    ...overrides,
  }
}

/** The redirect back to the client, as a URL (status 302 or 303). */
function redirectOf(res: Response): URL {
  assert.ok(res.status === 302 || res.status === 303, `expected a redirect, got ${res.status}`)
  return new URL(res.headers.get('location')!, 'http://pixie.invalid')
}

async function userInfo(
  server: { url: string },
  token: string | undefined,
  method: 'GET' | 'POST' = 'GET',
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const headers: Record<string, string> = {}
  if (token !== undefined) headers.authorization = `Bearer ${token}`
  const res = await fetch(new URL('/userinfo', server.url), { method, headers })
  const text = await res.text()
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : {} }
}

for (const db of TEST_DATABASES)
  describe(`OpenID Connect: id_token and UserInfo (${db})`, () => {
    let server: TestServer
    let oidc: Pixie
    before(async () => {
      server = await startTestServer({ clients: CLIENTS, users: ALL_USERS }, db)
      oidc = { ...server, clientId: OIDC_CLIENT.client_id }
    })
    after(() => server.close())

    const jwks = () => createRemoteJWKSet(new URL('/.well-known/jwks.json', server.url))

    async function oidcTokens(extra: Record<string, string> = {}, scope = 'openid profile email') {
      const got = await getCode(oidc, { scope, extra })
      const res = await exchangeCode(server, got, OIDC_CLIENT.client_id)
      assert.equal(res.status, 200, JSON.stringify(res.json))
      return res.json
    }

    it('scope openid -> an id_token with the OIDC Core 2 claims, nonce and at_hash', async () => {
      const tokens = await oidcTokens({ nonce: 'n-0S6_WzA2Mj' })
      assert.deepEqual(Object.keys(tokens).sort(), [
        'access_token',
        'expires_in',
        'id_token',
        'refresh_token',
        'scope',
        'token_type',
      ])
      const { payload, protectedHeader } = await jwtVerify(tokens.id_token as string, jwks(), {
        issuer: server.issuer,
        audience: OIDC_CLIENT.client_id,
      })
      assert.equal(protectedHeader.alg, 'ES256')
      assert.deepEqual(Object.keys(payload).sort(), [
        'at_hash',
        'aud',
        'auth_time',
        'azp',
        'exp',
        'iat',
        'iss',
        'nonce',
        'sub',
      ])
      assert.equal(payload.nonce, 'n-0S6_WzA2Mj')
      assert.equal(payload.azp, OIDC_CLIENT.client_id)
      assert.equal(payload.exp! - payload.iat!, 3600)
      const user = await server.store.getUserByUsername(server.username)
      assert.equal(payload.sub, user!.id)
      assert.ok((payload.auth_time as number) <= payload.iat!)
      // OIDC Core 3.1.3.6: at_hash = base64url(left half of SHA-256(access_token)).
      const digest = createHash('sha256')
        .update(tokens.access_token as string)
        .digest()
      assert.equal(payload.at_hash, digest.subarray(0, 16).toString('base64url'))
    })

    it('no nonce at /authorize -> no nonce claim', async () => {
      const tokens = await oidcTokens()
      assert.equal('nonce' in decodeJwt(tokens.id_token as string).payload, false)
    })

    it('without the openid scope there is no id_token', async () => {
      const tokens = await oidcTokens({}, 'profile email')
      assert.equal('id_token' in tokens, false)
    })

    it('a refresh returns a new id_token: same sub and auth_time, no nonce (OIDC Core 12.2)', async () => {
      const tokens = await oidcTokens({ nonce: 'abc' })
      const first = decodeJwt(tokens.id_token as string).payload
      const res = await refresh(server, tokens.refresh_token as string, {
        client_id: OIDC_CLIENT.client_id,
      })
      assert.equal(res.status, 200, JSON.stringify(res.json))
      const { payload } = await jwtVerify(res.json.id_token as string, jwks(), {
        issuer: server.issuer,
        audience: OIDC_CLIENT.client_id,
      })
      assert.equal(payload.sub, first.sub)
      assert.equal(payload.auth_time, first.auth_time)
      assert.equal('nonce' in payload, false)
    })

    it('a nonce longer than 512 characters -> error=invalid_request redirect', async () => {
      const res = await fetch(authorizeUrl(server, oidcParams({ nonce: 'n'.repeat(513) })), {
        redirect: 'manual',
      })
      const loc = redirectOf(res)
      assert.equal(loc.searchParams.get('error'), 'invalid_request')
      assert.equal(loc.searchParams.get('state'), 'st-oidc')
    })

    it('GET and POST /userinfo: claims by scope (OIDC Core 5.3, 5.4)', async () => {
      const tokens = await oidcTokens()
      for (const method of ['GET', 'POST'] as const) {
        const res = await userInfo(server, tokens.access_token as string, method)
        assert.equal(res.status, 200)
        assert.equal(res.headers.get('cache-control'), 'no-store')
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
        const user = await server.store.getUserByUsername(server.username)
        assert.deepEqual(res.json, {
          sub: user!.id,
          name: user!.name,
          preferred_username: user!.username,
          email: user!.email,
          email_verified: false,
        })
      }
    })

    it('/userinfo with openid alone -> only sub; with openid email -> sub and email', async () => {
      const only = await oidcTokens({}, 'openid')
      const a = await userInfo(server, only.access_token as string)
      assert.equal(a.status, 200)
      assert.deepEqual(Object.keys(a.json), ['sub'])
      const email = await oidcTokens({}, 'openid email')
      const b = await userInfo(server, email.access_token as string)
      assert.deepEqual(Object.keys(b.json).sort(), ['email', 'email_verified', 'sub'])
    })

    it('/userinfo with a token without openid -> 403 insufficient_scope (RFC 6750 3.1)', async () => {
      const tokens = await oidcTokens({}, 'profile email')
      const res = await userInfo(server, tokens.access_token as string)
      assert.equal(res.status, 403)
      assert.equal(res.json.error, 'insufficient_scope')
      assert.match(res.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/)
      assert.match(res.headers.get('www-authenticate') ?? '', /scope="openid"/)
    })

    it('/userinfo without a token -> 401, a challenge without error code (RFC 6750 3.1)', async () => {
      const res = await userInfo(server, undefined)
      assert.equal(res.status, 401)
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="pixie"')
    })

    it('/userinfo with an unknown or revoked token -> 401 invalid_token', async () => {
      const bad = await userInfo(server, 'nope')
      assert.equal(bad.status, 401)
      assert.equal(bad.json.error, 'invalid_token')
      const tokens = await oidcTokens()
      await fetch(new URL('/api/revoke', server.url), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          token: tokens.refresh_token as string,
          client_id: OIDC_CLIENT.client_id,
        }),
      })
      const revoked = await userInfo(server, tokens.access_token as string)
      assert.equal(revoked.status, 401)
      assert.equal(revoked.json.error, 'invalid_token')
    })
  })

for (const db of TEST_DATABASES)
  describe(`OpenID Connect: prompt, max_age, login_hint (${db})`, () => {
    let server: TestServer
    let clocked: ClockedServer
    before(async () => {
      server = await startTestServer({ clients: CLIENTS, users: ALL_USERS }, db)
      clocked = await withClock(server)
    })
    after(async () => {
      await clocked.close()
      await server.close()
    })

    /** A browser signed in as `name` that has consented for the OIDC client. */
    async function signedIn(name: Parameters<typeof credentials>[0], target: { url: string }) {
      const jar = new CookieJar()
      const loc = await signIn(authorizeUrl(target, oidcParams()), credentials(name), { jar })
      assert.ok(new URL(loc).searchParams.get('code'))
      return new Browser(target, jar)
    }

    it('prompt=none without a session -> error=login_required, state and iss (OIDC Core 3.1.2.6)', async () => {
      const res = await fetch(authorizeUrl(server, oidcParams({ prompt: 'none' })), {
        redirect: 'manual',
      })
      assert.equal(res.status, 302)
      const loc = new URL(res.headers.get('location')!)
      assert.equal(loc.origin + loc.pathname, 'http://127.0.0.1/callback')
      assert.equal(loc.searchParams.get('error'), 'login_required')
      assert.equal(loc.searchParams.get('state'), 'st-oidc')
      assert.equal(loc.searchParams.get('iss'), server.issuer)
      assert.equal(loc.searchParams.get('code'), null)
    })

    it('prompt=none with a session and consent -> a code, no page', async () => {
      const browser = await signedIn('bob', server)
      const loc = redirectOf(
        await browser.get(authorizeUrl(server, oidcParams({ prompt: 'none' }))),
      )
      assert.ok(loc.searchParams.get('code'))
      assert.equal(loc.searchParams.get('state'), 'st-oidc')
    })

    it('prompt=none with a session but no consent for that client -> error=consent_required', async () => {
      const browser = await signedIn('carol', server)
      const url = authorizeUrl(server, {
        ...oidcParams({ prompt: 'none' }),
        client_id: RS_CLIENT.client_id,
        redirect_uri: RS_CLIENT.redirect_uris[0],
      })
      const loc = redirectOf(await browser.get(url))
      assert.equal(loc.searchParams.get('error'), 'consent_required')
      assert.equal(loc.searchParams.get('state'), 'st-oidc')
    })

    for (const prompt of ['none login', 'select_account', 'bogus']) {
      it(`prompt=${prompt} -> error=invalid_request (OIDC Core 3.1.2.1)`, async () => {
        const res = await fetch(authorizeUrl(server, oidcParams({ prompt })), {
          redirect: 'manual',
        })
        const loc = redirectOf(res)
        assert.equal(loc.searchParams.get('error'), 'invalid_request')
        assert.equal(loc.searchParams.get('state'), 'st-oidc')
      })
    }

    it('prompt=login with a session shows the login page; signing in again gives a code', async () => {
      const browser = await signedIn('dave', server)
      const page = await browser.get(authorizeUrl(server, oidcParams({ prompt: 'login' })))
      assert.equal(page.status, 200)
      const html = await page.text()
      assert.match(html, /action="\/login"/)
      const posted = await browser.submit(html, credentials('dave'))
      const resumed = redirectOf(posted)
      assert.equal(resumed.pathname, '/authorize')
      // prompt=login is satisfied: it is not carried on, or the user would be asked forever.
      assert.equal(resumed.searchParams.get('prompt'), null)
      const loc = redirectOf(await browser.get(resumed.pathname + resumed.search))
      assert.ok(loc.searchParams.get('code'))
    })

    it('prompt=consent shows the consent page even when consent was given', async () => {
      const browser = await signedIn('erin', server)
      const page = await browser.get(authorizeUrl(server, oidcParams({ prompt: 'consent' })))
      assert.equal(page.status, 200)
      assert.match(await page.text(), /action="\/consent"/)
    })

    it('max_age older than the session -> sign in again; prompt=none -> login_required', async () => {
      const browser = await signedIn('frank', clocked)
      clocked.offset = 120
      try {
        const fresh = await browser.get(authorizeUrl(clocked, oidcParams({ max_age: '600' })))
        assert.ok(redirectOf(fresh).searchParams.get('code'))
        const page = await browser.get(authorizeUrl(clocked, oidcParams({ max_age: '60' })))
        assert.equal(page.status, 200)
        assert.match(await page.text(), /action="\/login"/)
        const none = await browser.get(
          authorizeUrl(clocked, oidcParams({ max_age: '60', prompt: 'none' })),
        )
        assert.equal(redirectOf(none).searchParams.get('error'), 'login_required')
      } finally {
        clocked.offset = 0
      }
    })

    it('max_age=0: the user signs in again and the flow goes on to a code', async () => {
      const browser = await signedIn('grace', clocked)
      clocked.offset = 5
      try {
        const page = await browser.get(authorizeUrl(clocked, oidcParams({ max_age: '0' })))
        assert.equal(page.status, 200)
        const resumed = redirectOf(await browser.submit(await page.text(), credentials('grace')))
        // Satisfied by this login: not carried on, or a tick of the clock would ask again.
        assert.equal(resumed.searchParams.get('max_age'), null)
        const loc = redirectOf(await browser.get(resumed.pathname + resumed.search))
        assert.ok(loc.searchParams.get('code'))
      } finally {
        clocked.offset = 0
      }
    })

    for (const maxAge of ['-1', 'abc', '1.5']) {
      it(`max_age=${maxAge} -> error=invalid_request`, async () => {
        const res = await fetch(authorizeUrl(server, oidcParams({ max_age: maxAge })), {
          redirect: 'manual',
        })
        assert.equal(redirectOf(res).searchParams.get('error'), 'invalid_request')
      })
    }

    it('login_hint prefills the username, escaped', async () => {
      const res = await fetch(authorizeUrl(server, oidcParams({ login_hint: 'ada"><b>' })))
      assert.equal(res.status, 200)
      const html = await res.text()
      assert.match(html, /name="username"[^>]*value="ada&quot;&gt;&lt;b&gt;"/s)
    })
  })

for (const db of TEST_DATABASES)
  describe(`RP-Initiated Logout 1.0: GET/POST /logout (${db})`, () => {
    let server: TestServer
    before(async () => {
      server = await startTestServer({ clients: CLIENTS, users: ALL_USERS }, db)
    })
    after(() => server.close())

    /** A signed-in browser and an id_token for it. */
    async function session(): Promise<{ jar: CookieJar; idToken: string }> {
      const jar = new CookieJar()
      const oidc = { ...server, clientId: OIDC_CLIENT.client_id }
      const got = await getCode(oidc, { scope: 'openid', jar })
      const res = await exchangeCode(server, got, OIDC_CLIENT.client_id)
      return { jar, idToken: res.json.id_token as string }
    }

    async function logout(jar: CookieJar, params: Record<string, string>): Promise<Response> {
      const url = new URL('/logout', server.url)
      url.search = new URLSearchParams(params).toString()
      const res = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } })
      jar.store(res)
      return res
    }

    /** Whether this session cookie still signs the user in at /authorize. */
    async function stillSignedIn(cookie: string): Promise<boolean> {
      const res = await fetch(
        authorizeUrl(server, oidcParams({ prompt: 'none', scope: 'openid' })),
        {
          redirect: 'manual',
          headers: { cookie },
        },
      )
      return new URL(res.headers.get('location')!).searchParams.get('code') !== null
    }

    it('id_token_hint + registered post_logout_redirect_uri + state -> 302 there, session ended', async () => {
      const { jar, idToken } = await session()
      const cookie = jar.header()
      assert.equal(await stillSignedIn(cookie), true)
      const res = await logout(jar, {
        id_token_hint: idToken,
        post_logout_redirect_uri: 'http://127.0.0.1/signed-out',
        state: 'bye-1',
      })
      assert.equal(res.status, 302)
      assert.equal(res.headers.get('location'), 'http://127.0.0.1/signed-out?state=bye-1')
      assert.equal(res.headers.get('cache-control'), 'no-store')
      assert.ok(
        res.headers.getSetCookie().some((c) => /^pixie_session=;/.test(c) && /Max-Age=0/i.test(c)),
        'the session cookie is deleted',
      )
      // The row is gone too: the old cookie no longer signs anyone in.
      assert.equal(await stillSignedIn(cookie), false)
    })

    it('client_id instead of id_token_hint: the user confirms, then 302 to the URI', async () => {
      const { jar } = await session()
      const cookie = jar.header()
      const page = await logout(jar, {
        client_id: OIDC_CLIENT.client_id,
        post_logout_redirect_uri: 'http://127.0.0.1/signed-out',
        state: 's2',
      })
      // RP-Initiated Logout 1.0 2: without an id_token_hint the OP MUST ask the user.
      assert.equal(page.status, 200)
      const html = await page.text()
      assert.match(html, /action="\/logout\/confirm"/)
      assert.match(html, /OIDC SPA asks to sign you out/)
      assert.match(
        page.headers.get('content-security-policy') ?? '',
        /form-action 'self' http:\/\/127\.0\.0\.1:\*/,
      )
      assert.equal(await stillSignedIn(cookie), true, 'nothing happens before the answer')
      const res = await new Browser(server, jar).submit(html, { decision: 'logout' })
      assert.equal(res.status, 302)
      assert.equal(res.headers.get('location'), 'http://127.0.0.1/signed-out?state=s2')
      assert.equal(await stillSignedIn(cookie), false)
    })

    it('"Stay signed in" keeps the session and still returns to the client', async () => {
      const { jar } = await session()
      const cookie = jar.header()
      const page = await logout(jar, {
        client_id: OIDC_CLIENT.client_id,
        post_logout_redirect_uri: 'http://127.0.0.1/signed-out',
      })
      const res = await new Browser(server, jar).submit(await page.text(), { decision: 'stay' })
      assert.equal(res.status, 302)
      assert.equal(res.headers.get('location'), 'http://127.0.0.1/signed-out')
      assert.equal(await stillSignedIn(cookie), true)
    })

    it('no parameters with a session -> confirmation; confirmed -> signed-out page', async () => {
      const { jar } = await session()
      const cookie = jar.header()
      const page = await logout(jar, {})
      assert.equal(page.status, 200)
      assert.equal(page.headers.get('x-frame-options'), 'DENY')
      const res = await new Browser(server, jar).submit(await page.text(), { decision: 'logout' })
      assert.equal(res.status, 200)
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/)
      assert.match(await res.text(), /You are signed out/)
      assert.equal(await stillSignedIn(cookie), false)
    })

    it('no session and no parameters -> 200 signed-out page at once', async () => {
      const res = await logout(new CookieJar(), {})
      assert.equal(res.status, 200)
      assert.match(await res.text(), /You are signed out/)
    })

    it('an id_token_hint for another user than the signed-in one -> confirmation first', async () => {
      const { idToken } = await session() // ada's
      const jar = new CookieJar()
      await signIn(authorizeUrl(server, oidcParams({ scope: 'openid' })), credentials('bob'), {
        jar,
      })
      const res = await logout(jar, { id_token_hint: idToken })
      assert.equal(res.status, 200)
      assert.match(await res.text(), /action="\/logout\/confirm"/)
    })

    it('the confirmation form without its CSRF token -> 403, session kept', async () => {
      const { jar } = await session()
      const cookie = jar.header()
      const page = await logout(jar, {})
      const res = await new Browser(server, jar).submit(await page.text(), {
        decision: 'logout',
        csrf_token: undefined,
      })
      assert.equal(res.status, 403)
      assert.equal(await stillSignedIn(cookie), true)
    })

    it('POST /logout with a form body works the same', async () => {
      const { jar, idToken } = await session()
      const res = await fetch(new URL('/logout', server.url), {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          id_token_hint: idToken,
          post_logout_redirect_uri: 'http://127.0.0.1/signed-out',
        }),
      })
      assert.equal(res.status, 302)
      assert.equal(res.headers.get('location'), 'http://127.0.0.1/signed-out')
    })

    const refusals: Array<[string, (t: string) => Record<string, string>]> = [
      [
        'an unregistered post_logout_redirect_uri',
        (t) => ({ id_token_hint: t, post_logout_redirect_uri: 'http://127.0.0.1/elsewhere' }),
      ],
      [
        "another client's post_logout_redirect_uri",
        (t) => ({ id_token_hint: t, post_logout_redirect_uri: 'http://127.0.0.1/rs-signed-out' }),
      ],
      [
        'post_logout_redirect_uri without id_token_hint or client_id',
        () => ({ post_logout_redirect_uri: 'http://127.0.0.1/signed-out' }),
      ],
      ['a tampered id_token_hint', (t) => ({ id_token_hint: t.slice(0, -4) + 'AAAA' })],
      ['an id_token_hint that is not a JWT', () => ({ id_token_hint: 'not-a-jwt' })],
      [
        'a client_id that is not the audience of the id_token_hint',
        (t) => ({
          id_token_hint: t,
          client_id: RS_CLIENT.client_id,
          post_logout_redirect_uri: 'http://127.0.0.1/rs-signed-out',
        }),
      ],
    ]
    for (const [name, params] of refusals) {
      it(`${name} -> 400 error page, no redirect, session kept`, async () => {
        const { jar, idToken } = await session()
        const cookie = jar.header()
        const res = await logout(jar, params(idToken))
        assert.equal(res.status, 400)
        assert.equal(res.headers.get('location'), null)
        assert.match(res.headers.get('content-type') ?? '', /^text\/html/)
        assert.match(await res.text(), /invalid_request/)
        assert.equal(await stillSignedIn(cookie), true)
      })
    }
  })
