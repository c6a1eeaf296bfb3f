import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { clientRecord } from '../src/seed.ts'
import { openStore } from '../src/storage/index.ts'
import { signIn, startTestServer, TEST_DATABASES, type TestServer } from '../src/testing.ts'
import {
  ALL_CLIENTS,
  ALL_USERS,
  authorizeUrl,
  credentials,
  authorizeUrlPairs,
  Browser,
  exchangeCode,
  getCode,
  getManual,
  OTHER_SPA,
  pkcePair,
  QUERY_CLIENT,
  validAuthorizeParams,
} from './support.ts'

/** A 400 HTML error page that does not send the browser anywhere (RFC 6749 4.1.2.1). */
async function assertErrorPage(res: Response, message?: RegExp): Promise<string> {
  const body = await res.text()
  assert.equal(res.status, 400, body.slice(0, 300))
  assert.equal(res.headers.get('location'), null)
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/)
  assert.match(body, /invalid_request/)
  if (message) assert.match(body, message)
  return body
}

/** A 302 to the client's redirect URI with an RFC 6749 4.1.2.1 error, state and iss (RFC 9207). */
function assertErrorRedirect(
  res: Response,
  server: TestServer,
  expected: { error: string; state?: string | null; redirectUri?: string },
): URL {
  assert.equal(res.status, 302)
  const location = new URL(res.headers.get('location')!)
  assert.equal(
    location.origin + location.pathname,
    expected.redirectUri ?? 'http://127.0.0.1/callback',
  )
  assert.equal(location.searchParams.get('error'), expected.error)
  assert.ok(location.searchParams.get('error_description'), 'error_description is present')
  assert.equal(location.searchParams.get('iss'), server.issuer)
  assert.equal(location.searchParams.get('code'), null)
  const state = expected.state === undefined ? 'st-123' : expected.state
  assert.equal(location.searchParams.get('state'), state)
  assert.equal(location.searchParams.getAll('state').length, state === null ? 0 : 1)
  assert.equal(res.headers.get('cache-control'), 'no-store')
  assert.equal(res.headers.get('content-length'), '0')
  return location
}

for (const db of TEST_DATABASES)
  describe(`authorization endpoint, RFC 6749 4.1.1 (${db})`, () => {
    let server: TestServer
    before(async () => {
      server = await startTestServer({ clients: ALL_CLIENTS, users: ALL_USERS }, db)
    })
    after(() => server.close())

    const authorize = (overrides: Record<string, string | undefined> = {}) =>
      getManual(authorizeUrl(server, validAuthorizeParams(overrides)))

    describe('untrusted client or redirect URI: error page, never a redirect (RFC 6749 4.1.2.1)', () => {
      it('unknown client_id', async () => {
        await assertErrorPage(await authorize({ client_id: 'nope' }), /unknown client_id/)
      })
      it('missing client_id', async () => {
        await assertErrorPage(await authorize({ client_id: undefined }), /client_id is required/)
      })
      it('a client removed by another process while its record is cached: 400, then unknown', async () => {
        const other = await openStore(server.config.database)
        try {
          const clientId = `gone-${randomBytes(4).toString('hex')}`
          const spa = { ...ALL_CLIENTS[0]!, client_id: clientId, client_name: 'Gone SPA' }
          assert.equal(await other.createClient(clientRecord(spa, 1_800_000_000)), true)
          const browser = new Browser(server)
          // Signed in and consented: this server has read the client, and keeps it a while.
          const first = await getCode(server, { clientId, jar: browser.jar })
          assert.ok(first.code)
          assert.equal(await other.deleteClient(clientId), true)
          // The client is still cached; its consent went with it, so consent is asked again.
          // Allowing writes a consent that names a client that is gone: refused as invalid, not
          // a 500, and no code is issued.
          const params = validAuthorizeParams({ client_id: clientId })
          const page = await browser.get(authorizeUrl(server, params))
          assert.equal(page.status, 200)
          const allowed = await browser.submit(await page.text(), { decision: 'allow' })
          await assertErrorPage(allowed, /no longer exists/)
          // The store dropped its copy: the next request finds no such client.
          await assertErrorPage(
            await browser.get(authorizeUrl(server, params)),
            /unknown client_id/,
          )
        } finally {
          await other.close()
        }
      })
      it('empty client_id is the same as missing (RFC 6749 3.1)', async () => {
        await assertErrorPage(await authorize({ client_id: '' }))
      })
      it('missing redirect_uri (OAuth 2.1 4.1.1: required)', async () => {
        await assertErrorPage(await authorize({ redirect_uri: undefined }), /redirect_uri/)
      })
      for (const uri of [
        'http://127.0.0.1/callback/extra',
        'http://127.0.0.1/Callback',
        'http://127.0.0.1/callback?x=1',
        'http://127.0.0.1/callback/',
        'http://localhost:5173/callback#frag',
        'http://LOCALHOST:5173/callback',
        'https://localhost:5173/callback',
        'http://localhost:5174/callback', // another client's URI
        'http://localhost/callback', // only loopback IP literals may vary the port (RFC 8252 7.3)
        'http://127.0.0.1:49152/other',
        'https://evil.example/callback',
      ]) {
        it(`mismatched redirect_uri ${uri} (exact match, RFC 9700 2.1)`, async () => {
          await assertErrorPage(await authorize({ redirect_uri: uri }), /redirect_uri/)
        })
      }
      it('duplicate client_id (RFC 6749 3.1)', async () => {
        const p = validAuthorizeParams()
        const pairs = Object.entries(p) as [string, string][]
        pairs.push(['client_id', 'test-spa'])
        await assertErrorPage(await getManual(authorizeUrlPairs(server, pairs)))
      })
      it('duplicate redirect_uri (RFC 6749 3.1)', async () => {
        const pairs = Object.entries(validAuthorizeParams()) as [string, string][]
        pairs.push(['redirect_uri', 'http://127.0.0.1/callback'])
        await assertErrorPage(await getManual(authorizeUrlPairs(server, pairs)))
      })
      it('an invalid client is refused before a bad response_type could redirect', async () => {
        const res = await authorize({ client_id: 'nope', response_type: 'token' })
        await assertErrorPage(res)
      })
    })

    describe('other errors redirect with error, error_description, state, iss (RFC 6749 4.1.2.1, RFC 9207 2)', () => {
      it('missing response_type -> invalid_request', async () => {
        assertErrorRedirect(await authorize({ response_type: undefined }), server, {
          error: 'invalid_request',
        })
      })
      for (const rt of ['token', 'code id_token', 'id_token', 'CODE']) {
        it(`response_type=${rt} -> unsupported_response_type (OAuth 2.1 4.1.1)`, async () => {
          assertErrorRedirect(await authorize({ response_type: rt }), server, {
            error: 'unsupported_response_type',
          })
        })
      }
      it('no code_challenge from a public client -> invalid_request (RFC 9700 2.1.1)', async () => {
        assertErrorRedirect(
          await authorize({ code_challenge: undefined, code_challenge_method: undefined }),
          server,
          { error: 'invalid_request' },
        )
      })
      it('code_challenge without method (plain implied, RFC 7636 4.3) -> invalid_request', async () => {
        assertErrorRedirect(await authorize({ code_challenge_method: undefined }), server, {
          error: 'invalid_request',
        })
      })
      it('code_challenge_method=plain -> invalid_request (S256 only, RFC 9700 2.1.1)', async () => {
        const { verifier } = pkcePair()
        assertErrorRedirect(
          await authorize({ code_challenge: verifier, code_challenge_method: 'plain' }),
          server,
          { error: 'invalid_request' },
        )
      })
      it('code_challenge_method=s256 (wrong case) -> invalid_request', async () => {
        assertErrorRedirect(await authorize({ code_challenge_method: 's256' }), server, {
          error: 'invalid_request',
        })
      })
      it('code_challenge_method without code_challenge -> invalid_request', async () => {
        assertErrorRedirect(await authorize({ code_challenge: undefined }), server, {
          error: 'invalid_request',
        })
      })
      for (const [what, challenge] of [
        ['42 characters', 'a'.repeat(42)],
        ['44 characters', 'a'.repeat(44)],
        ['a + (base64, not base64url)', 'a'.repeat(42) + '+'],
        ['padding', 'a'.repeat(42) + '='],
        ['a space', 'a'.repeat(21) + ' ' + 'a'.repeat(21)],
      ]) {
        it(`malformed code_challenge: ${what} (RFC 7636 4.2) -> invalid_request`, async () => {
          assertErrorRedirect(await authorize({ code_challenge: challenge }), server, {
            error: 'invalid_request',
          })
        })
      }
      it('unknown scope -> invalid_scope (RFC 6749 4.1.2.1)', async () => {
        assertErrorRedirect(await authorize({ scope: 'profile admin' }), server, {
          error: 'invalid_scope',
        })
      })
      it('malformed scope (RFC 6749 3.3 grammar) -> invalid_scope', async () => {
        assertErrorRedirect(await authorize({ scope: 'profile  email' }), server, {
          error: 'invalid_scope',
        })
      })
      it('scope the client is not registered for -> invalid_scope', async () => {
        const res = await authorize({
          client_id: OTHER_SPA.client_id,
          redirect_uri: OTHER_SPA.redirect_uris[0],
          scope: 'profile email',
        })
        assertErrorRedirect(res, server, {
          error: 'invalid_scope',
          redirectUri: OTHER_SPA.redirect_uris[0],
        })
      })
      for (const name of ['scope', 'response_type', 'code_challenge', 'code_challenge_method']) {
        it(`duplicate ${name} -> invalid_request (RFC 6749 3.1)`, async () => {
          const pairs = Object.entries(validAuthorizeParams()) as [string, string][]
          pairs.push([name, validAuthorizeParams()[name]!])
          assertErrorRedirect(await getManual(authorizeUrlPairs(server, pairs)), server, {
            error: 'invalid_request',
          })
        })
      }
      it('duplicate state -> invalid_request, and no state is echoed (which one?)', async () => {
        const pairs = Object.entries(validAuthorizeParams()) as [string, string][]
        pairs.push(['state', 'other'])
        assertErrorRedirect(await getManual(authorizeUrlPairs(server, pairs)), server, {
          error: 'invalid_request',
          state: null,
        })
      })
      it('request objects are refused, not ignored', async () => {
        assertErrorRedirect(await authorize({ request: 'eyJhbGciOiJub25lIn0.e30.' }), server, {
          error: 'invalid_request',
        })
      })
      it('state with odd characters is echoed exactly (RFC 6749 4.1.2.1)', async () => {
        const state = `a b+c&d=e%25f/?#"'<>{}|\\^~\`;:@,é😀`
        const location = assertErrorRedirect(await authorize({ state, scope: 'nope' }), server, {
          error: 'invalid_scope',
          state,
        })
        assert.equal(location.searchParams.get('state'), state)
      })
      it('state omitted -> the error redirect has no state', async () => {
        assertErrorRedirect(await authorize({ state: undefined, scope: 'nope' }), server, {
          error: 'invalid_scope',
          state: null,
        })
      })
      it('errors keep the query of a registered redirect URI (RFC 6749 3.1.2)', async () => {
        const redirectUri = QUERY_CLIENT.redirect_uris[0]!
        const res = await authorize({
          client_id: QUERY_CLIENT.client_id,
          redirect_uri: redirectUri,
          scope: 'admin',
        })
        const location = assertErrorRedirect(res, server, {
          error: 'invalid_scope',
          redirectUri: 'https://q.example/cb',
        })
        assert.equal(location.searchParams.get('tenant'), 'acme')
        assert.equal(location.searchParams.get('lang'), 'en')
      })
    })

    describe('success redirects', () => {
      it('302 with code, state echoed exactly, iss (RFC 6749 4.1.2, RFC 9207 2)', async () => {
        const state = `a b+c&d=e%25f/?#"'<>{}|\\^~é😀`
        const p = validAuthorizeParams({ state })
        const location = new URL(await signIn(authorizeUrl(server, p), server))
        assert.equal(location.origin + location.pathname, 'http://127.0.0.1/callback')
        assert.equal(location.searchParams.get('state'), state)
        assert.equal(location.searchParams.get('iss'), server.issuer)
        assert.match(location.searchParams.get('code')!, /^[0-9a-f]{12}[A-Za-z0-9_-]{43}$/)
        assert.deepEqual([...location.searchParams.keys()].sort(), ['code', 'iss', 'state'])
      })
      it('state omitted -> no state parameter at all (OAuth 2.1 4.1.1)', async () => {
        const p = validAuthorizeParams({ state: undefined })
        const location = new URL(await signIn(authorizeUrl(server, p), server))
        assert.deepEqual([...location.searchParams.keys()].sort(), ['code', 'iss'])
      })
      it('scope omitted -> the client registered scope is used (RFC 6749 3.3)', async () => {
        const { verifier, challenge } = pkcePair()
        const p = validAuthorizeParams({ scope: undefined, code_challenge: challenge })
        const location = new URL(await signIn(authorizeUrl(server, p), server))
        const code = location.searchParams.get('code')!
        const t = await exchangeCode(server, {
          code,
          verifier,
          redirectUri: 'http://127.0.0.1/callback',
        })
        assert.equal(t.status, 200)
        assert.equal(t.json.scope, 'profile email')
      })
      it('a registered redirect URI with a query keeps it (RFC 6749 3.1.2)', async () => {
        const redirectUri = QUERY_CLIENT.redirect_uris[0]!
        const p = validAuthorizeParams({
          client_id: QUERY_CLIENT.client_id,
          redirect_uri: redirectUri,
        })
        const location = new URL(await signIn(authorizeUrl(server, p), server))
        assert.equal(location.origin + location.pathname, 'https://q.example/cb')
        assert.equal(location.searchParams.get('tenant'), 'acme')
        assert.equal(location.searchParams.get('lang'), 'en')
        assert.ok(location.searchParams.get('code'))
        assert.equal(location.searchParams.get('state'), 'st-123')
        assert.equal(location.searchParams.get('iss'), server.issuer)
        assert.ok(location.toString().startsWith(redirectUri + '&'))
      })
      it('loopback redirect may vary the port (RFC 8252 7.3), and the code is bound to it', async () => {
        const { verifier, challenge } = pkcePair()
        const redirectUri = 'http://127.0.0.1:49152/callback'
        const p = validAuthorizeParams({ redirect_uri: redirectUri, code_challenge: challenge })
        const location = new URL(await signIn(authorizeUrl(server, p), server))
        assert.equal(location.origin + location.pathname, redirectUri)
        const code = location.searchParams.get('code')!
        const t = await exchangeCode(server, { code, verifier, redirectUri })
        assert.equal(t.status, 200, JSON.stringify(t.json))
      })
    })

    describe('consent', () => {
      it('deny -> 303 to redirect_uri with access_denied, state, iss (RFC 6749 4.1.2.1)', async () => {
        const browser = new Browser(server)
        const loggedIn = await browser.login(
          authorizeUrl(server, validAuthorizeParams()),
          credentials('bob'),
        )
        assert.equal(loggedIn.status, 303)
        // The session cookie, and an empty body said so: not chunked.
        assert.match(loggedIn.headers.get('set-cookie') ?? '', /pixie_session=/)
        assert.equal(loggedIn.headers.get('content-length'), '0')
        assert.equal(loggedIn.headers.get('transfer-encoding'), null)
        const consent = await browser.get(loggedIn.headers.get('location')!)
        assert.equal(consent.status, 200)
        const res = await browser.submit(await consent.text(), { decision: 'deny' })
        assert.equal(res.status, 303)
        const location = new URL(res.headers.get('location')!)
        assert.equal(location.origin + location.pathname, 'http://127.0.0.1/callback')
        assert.equal(location.searchParams.get('error'), 'access_denied')
        assert.ok(location.searchParams.get('error_description'))
        assert.equal(location.searchParams.get('state'), 'st-123')
        assert.equal(location.searchParams.get('iss'), server.issuer)
        assert.equal(location.searchParams.get('code'), null)
      })
      it('a decision other than allow/deny is refused', async () => {
        const browser = new Browser(server)
        const loggedIn = await browser.login(
          authorizeUrl(server, validAuthorizeParams()),
          credentials('carol'),
        )
        const consent = await browser.get(loggedIn.headers.get('location')!)
        const res = await browser.submit(await consent.text(), { decision: 'maybe' })
        assert.equal(res.status, 400)
        assert.equal(res.headers.get('location'), null)
      })
      it('consent is remembered: the next authorize goes straight back with a code', async () => {
        const browser = new Browser(server)
        const first = new URL(
          await signIn(
            authorizeUrl(server, validAuthorizeParams({ scope: 'profile' })),
            credentials('dave'),
            { jar: browser.jar },
          ),
        )
        assert.ok(first.searchParams.get('code'))

        const again = await browser.get(
          authorizeUrl(server, validAuthorizeParams({ scope: 'profile', state: 'second' })),
        )
        assert.equal(again.status, 302)
        const location = new URL(again.headers.get('location')!)
        assert.equal(location.origin + location.pathname, 'http://127.0.0.1/callback')
        assert.ok(location.searchParams.get('code'))
        assert.notEqual(location.searchParams.get('code'), first.searchParams.get('code'))
        assert.equal(location.searchParams.get('state'), 'second')
        assert.equal(location.searchParams.get('iss'), server.issuer)
        assert.equal(again.headers.get('cache-control'), 'no-store')
        assert.equal(again.headers.get('referrer-policy'), 'no-referrer')
        // An empty body, said so: not chunked, and no text/plain type on a redirect.
        assert.equal(again.headers.get('content-length'), '0')
        assert.equal(again.headers.get('transfer-encoding'), null)
        assert.equal(again.headers.get('content-type'), null)

        // A wider scope asks again.
        const wider = await browser.get(
          authorizeUrl(server, validAuthorizeParams({ scope: 'profile email' })),
        )
        assert.equal(wider.status, 200)
        const html = await wider.text()
        assert.match(html, /action="\/consent"/)
        assert.match(html, /See your email address/)

        // An error is still redirected for a signed-in user.
        const bad = await browser.get(authorizeUrl(server, validAuthorizeParams({ scope: 'x' })))
        assertErrorRedirect(bad, server, { error: 'invalid_scope' })
      })
      it('consent for one client is not consent for another', async () => {
        const browser = new Browser(server)
        await signIn(
          authorizeUrl(server, validAuthorizeParams({ scope: 'profile' })),
          credentials('erin'),
          { jar: browser.jar },
        )
        const other = await browser.get(
          authorizeUrl(
            server,
            validAuthorizeParams({
              client_id: QUERY_CLIENT.client_id,
              redirect_uri: QUERY_CLIENT.redirect_uris[0],
              scope: 'profile',
            }),
          ),
        )
        assert.equal(other.status, 200)
        assert.match(await other.text(), /action="\/consent"/)
      })
    })
  })
