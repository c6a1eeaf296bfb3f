import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { parse } from 'node-html-parser'
import { formFields, startTestServer, TEST_DATABASES, type TestServer } from '../src/testing.ts'
import {
  ALL_CLIENTS,
  ALL_USERS,
  authorizeUrl,
  Browser,
  credentials,
  validAuthorizeParams,
  XSS_CLIENT,
  XSS_NAME,
} from './support.ts'

/** Anti-framing and no caching on every login / consent / error page. */
function assertPageHeaders(res: Response): void {
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/)
  assert.equal(res.headers.get('x-frame-options'), 'DENY')
  const csp = res.headers.get('content-security-policy') ?? ''
  assert.match(csp, /frame-ancestors 'none'/)
  assert.equal(res.headers.get('cache-control'), 'no-store')
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
}

function cookieLine(res: Response, name: string): string | undefined {
  return res.headers.getSetCookie().find((l) => l.startsWith(`${name}=`))
}

function assertCookieFlags(line: string | undefined, secure: boolean): void {
  assert.ok(line, 'cookie is set')
  const attrs = line
    .split(';')
    .slice(1)
    .map((a) => a.trim().toLowerCase())
  assert.ok(attrs.includes('httponly'), line)
  assert.ok(attrs.includes('samesite=lax'), line)
  assert.equal(attrs.includes('secure'), secure, line)
  assert.ok(attrs.includes('path=/'), line)
}

function errorText(html: string): string | undefined {
  return parse(html).querySelector('.error')?.text
}

for (const db of TEST_DATABASES)
  describe(`login and consent pages (${db})`, () => {
    let server: TestServer
    before(async () => {
      server = await startTestServer({ clients: ALL_CLIENTS, users: ALL_USERS }, db)
    })
    after(() => server.close())

    const loginUrl = (o: Record<string, string | undefined> = {}) =>
      authorizeUrl(server, validAuthorizeParams(o))

    /** A browser sitting on the login page. */
    async function onLoginPage(o: Record<string, string | undefined> = {}) {
      const browser = new Browser(server)
      const page = await browser.get(loginUrl(o))
      assert.equal(page.status, 200)
      return { browser, page, html: await page.text() }
    }

    /** A browser signed in as `user`, sitting on the consent page. */
    async function onConsentPage(user: Parameters<typeof credentials>[0]) {
      const browser = new Browser(server)
      const loggedIn = await browser.login(loginUrl(), credentials(user))
      assert.equal(loggedIn.status, 303)
      const page = await browser.get(loggedIn.headers.get('location')!)
      assert.equal(page.status, 200)
      return { browser, page, html: await page.text() }
    }

    it('login page: X-Frame-Options DENY, CSP frame-ancestors none, no-store; form fields', async () => {
      const { page, html } = await onLoginPage()
      assertPageHeaders(page)
      const { action, fields } = formFields(html)
      assert.equal(action, '/login')
      assert.ok(fields.get('csrf_token'))
      assert.ok(fields.has('username'))
      assert.match(html, /name="password"[^>]*type="password"|type="password"[^>]*name="password"/s)
    })

    it('CSRF cookie: HttpOnly, SameSite=Lax, no Secure on http', async () => {
      const { page } = await onLoginPage()
      assertCookieFlags(cookieLine(page, 'pixie_csrf'), false)
    })

    it('successful login: 303 back to /authorize, session cookie HttpOnly + SameSite=Lax', async () => {
      const { browser, html } = await onLoginPage()
      const res = await browser.submit(html, credentials('bob'))
      assert.equal(res.status, 303)
      const location = new URL(res.headers.get('location')!, server.url)
      assert.equal(location.pathname, '/authorize')
      assert.equal(location.searchParams.get('client_id'), 'test-spa')
      assert.equal(location.searchParams.get('state'), 'st-123')
      assertCookieFlags(cookieLine(res, 'pixie_session'), false)
    })

    it('consent page: same headers, lists the scopes, posts to /consent', async () => {
      const { page, html } = await onConsentPage('carol')
      assertPageHeaders(page)
      const { action, fields } = formFields(html)
      assert.equal(action, '/consent')
      assert.ok(fields.get('csrf_token'))
      assert.match(html, /name="decision" value="allow"/)
      assert.match(html, /name="decision" value="deny"/)
      assert.match(html, /See your name and account ID/)
      assert.match(html, /See your email address/)
    })

    it('consent allow: 303 to the client with code, state, iss', async () => {
      const { browser, html } = await onConsentPage('dave')
      const res = await browser.submit(html, { decision: 'allow' })
      assert.equal(res.status, 303)
      const location = new URL(res.headers.get('location')!)
      assert.equal(location.origin + location.pathname, 'http://127.0.0.1/callback')
      assert.ok(location.searchParams.get('code'))
      assert.equal(location.searchParams.get('state'), 'st-123')
      assert.equal(location.searchParams.get('iss'), server.issuer)
    })

    describe('CSRF on POST /login', () => {
      const cases: [string, Record<string, string | undefined>, Record<string, string>][] = [
        ['no csrf_token', { csrf_token: undefined }, {}],
        ['a wrong csrf_token', { csrf_token: 'x'.repeat(43) }, {}],
        ['an empty csrf_token', { csrf_token: '' }, {}],
        ['Origin of another site', {}, { origin: 'https://evil.example' }],
        ['Origin: null (opaque origin)', {}, { origin: 'null' }],
        ['Origin of the client app', {}, { origin: 'http://localhost:5173' }],
      ]
      for (const [what, set, headers] of cases) {
        it(`${what} -> 403, no session`, async () => {
          const { browser, html } = await onLoginPage()
          const res = await browser.submit(html, { ...credentials('bob'), ...set }, headers)
          assert.equal(res.status, 403)
          assert.equal(res.headers.get('location'), null)
          assert.equal(cookieLine(res, 'pixie_session'), undefined)
          assertPageHeaders(res)
        })
      }
      it('two csrf_token fields -> 403', async () => {
        const { browser, html } = await onLoginPage()
        const { fields } = formFields(html)
        fields.set('username', 'bob')
        fields.set('password', credentials('bob').password)
        fields.append('csrf_token', fields.get('csrf_token')!)
        const res = await browser.post('/login', fields)
        assert.equal(res.status, 403)
      })
      it('no CSRF cookie (a post from a fresh browser) -> 403', async () => {
        const { browser, html } = await onLoginPage()
        browser.jar.cookies.delete('pixie_csrf')
        const res = await browser.submit(html, credentials('bob'))
        assert.equal(res.status, 403)
      })
      it('no Origin header but a valid token -> accepted (older browsers, RFC 6454 7)', async () => {
        const { browser, html } = await onLoginPage()
        const { fields } = formFields(html)
        fields.set('username', 'bob')
        fields.set('password', credentials('bob').password)
        const res = await fetch(new URL('/login', server.url), {
          method: 'POST',
          redirect: 'manual',
          headers: {
            cookie: browser.jar.header(),
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: fields,
        })
        assert.equal(res.status, 303)
      })
    })

    describe('CSRF on POST /consent', () => {
      for (const [what, set, headers] of [
        ['no csrf_token', { csrf_token: undefined }, {}],
        ['a wrong csrf_token', { csrf_token: 'y'.repeat(43) }, {}],
        ['Origin of another site', {}, { origin: 'https://evil.example' }],
        ['Origin: null', {}, { origin: 'null' }],
      ] as [string, Record<string, string | undefined>, Record<string, string>][]) {
        it(`${what} -> 403, no code`, async () => {
          const { browser, html } = await onConsentPage('erin')
          const res = await browser.submit(html, { decision: 'allow', ...set }, headers)
          assert.equal(res.status, 403)
          assert.equal(res.headers.get('location'), null)
        })
      }
      it('without a session -> back to /authorize (sign in again), no code', async () => {
        const { browser, html } = await onConsentPage('erin')
        browser.jar.cookies.delete('pixie_session')
        const res = await browser.submit(html, { decision: 'allow' })
        assert.equal(res.status, 303)
        assert.match(res.headers.get('location')!, /^\/authorize\?/)
      })
    })

    describe('credentials', () => {
      it('unknown user and wrong password: same status, same message, no session', async () => {
        const a = await onLoginPage()
        const unknown = await a.browser.submit(a.html, {
          username: 'mallory',
          password: 'whatever1',
        })
        const b = await onLoginPage()
        const wrong = await b.browser.submit(b.html, { username: 'bob', password: 'whatever1' })
        assert.equal(unknown.status, 401)
        assert.equal(wrong.status, 401)
        const unknownText = errorText(await unknown.text())
        const wrongText = errorText(await wrong.text())
        assert.ok(unknownText)
        assert.equal(unknownText, wrongText)
        assert.equal(cookieLine(unknown, 'pixie_session'), undefined)
        assert.equal(cookieLine(wrong, 'pixie_session'), undefined)
        assertPageHeaders(wrong)
      })
      it('the failed login page can be submitted again and then succeeds', async () => {
        const { browser, html } = await onLoginPage()
        const wrong = await browser.submit(html, { username: 'bob', password: 'nope-nope' })
        assert.equal(wrong.status, 401)
        const again = await browser.submit(await wrong.text(), credentials('bob'))
        assert.equal(again.status, 303)
      })
      it('missing username / password -> 401, not 5xx', async () => {
        const { browser, html } = await onLoginPage()
        const res = await browser.submit(html, { username: undefined, password: undefined })
        assert.equal(res.status, 401)
      })
    })

    describe('output is HTML-escaped', () => {
      it(`client_name ${XSS_NAME} on the login and consent pages`, async () => {
        const o = { client_id: XSS_CLIENT.client_id, redirect_uri: XSS_CLIENT.redirect_uris[0] }
        const browser = new Browser(server)
        const login = await browser.get(loginUrl(o))
        assert.equal(login.status, 200)
        const loginHtml = await login.text()
        assert.ok(!loginHtml.includes(XSS_NAME))
        assert.ok(loginHtml.includes('&lt;script&gt;alert(1)&lt;/script&gt;'))
        const loggedIn = await browser.submit(loginHtml, credentials('frank'))
        const consent = await browser.get(loggedIn.headers.get('location')!)
        const consentHtml = await consent.text()
        assert.equal(consent.status, 200)
        assert.ok(!consentHtml.includes(XSS_NAME))
        assert.ok(consentHtml.includes('&lt;script&gt;alert(1)&lt;/script&gt;'))
      })
      it('the username is echoed escaped after a failed login', async () => {
        const { browser, html } = await onLoginPage()
        const evil = '"><script>alert(2)</script>'
        const res = await browser.submit(html, { username: evil, password: 'whatever1' })
        assert.equal(res.status, 401)
        const body = await res.text()
        assert.ok(!body.includes('<script>alert(2)</script>'))
        assert.ok(!body.includes('"><script>'))
        assert.equal(formFields(body).fields.get('username'), evil)
      })
      it('state is carried in hidden fields, escaped, and comes back exactly', async () => {
        const state = '"><script>alert(3)</script>&amp;'
        const { browser, html } = await onLoginPage({ state })
        assert.ok(!html.includes('<script>alert(3)</script>'))
        assert.equal(formFields(html).fields.get('state'), state)
        const loggedIn = await browser.submit(html, credentials('grace'))
        const consent = await browser.get(loggedIn.headers.get('location')!)
        const res = await browser.submit(await consent.text(), { decision: 'deny' })
        assert.equal(new URL(res.headers.get('location')!).searchParams.get('state'), state)
      })
      it('the error page escapes what it shows', async () => {
        const res = await fetch(
          authorizeUrl(server, validAuthorizeParams({ client_id: '<img src=x onerror=alert(4)>' })),
          { redirect: 'manual' },
        )
        assert.equal(res.status, 400)
        assertPageHeaders(res)
        assert.ok(!(await res.text()).includes('<img'))
      })
    })

    it('hidden fields are re-validated: a tampered redirect_uri on the login form is refused', async () => {
      const { browser, html } = await onLoginPage()
      const res = await browser.submit(html, {
        ...credentials('bob'),
        redirect_uri: 'https://evil.example/cb',
      })
      assert.equal(res.status, 400)
      assert.equal(res.headers.get('location'), null)
    })
  })

for (const db of TEST_DATABASES)
  describe(`cookies on an https issuer (${db})`, () => {
    let server: TestServer
    before(async () => {
      server = await startTestServer({ issuer: 'https://pixie.example' }, db)
    })
    after(() => server.close())

    it('session and CSRF cookies get Secure', async () => {
      const browser = new Browser(server)
      const page = await browser.get(authorizeUrl(server, validAuthorizeParams()))
      assertCookieFlags(cookieLine(page, 'pixie_csrf'), true)
      const res = await browser.submit(
        await page.text(),
        { username: server.username, password: server.password },
        {
          origin: 'https://pixie.example',
        },
      )
      assert.equal(res.status, 303)
      assertCookieFlags(cookieLine(res, 'pixie_session'), true)
    })
  })
