// Interoperability: the SDK against the real `oidc-provider` (panva), mounted on Pixie's
// endpoint paths, with a public client, PKCE, refresh token rotation and revocation.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PixieClient, PixieClientError, memoryStorage, memoryTokenStore } from '../src/index.ts'

const REDIRECT_URI = 'http://127.0.0.1/callback'
const CLIENT_ID = 'pixie-demo'

// oidc-provider prints development notices (in-memory adapter, dev keys): keep the output clean.
const original = { warn: console.warn, info: console.info }
const quiet =
  (log: (...args: unknown[]) => void) =>
  (...args: unknown[]) =>
    String(args[0]).includes('oidc-provider') ? undefined : log(...args)

console.warn = quiet(original.warn)
console.info = quiet(original.info)
// Imported after the filter is in place: the runtime notice is printed at import time.
const { default: Provider } = await import('oidc-provider')

let issuer = ''
let provider: InstanceType<typeof Provider>
const http = createServer()

/** Our own tiny interaction endpoints: log in as `user-1`, grant whatever is asked. */
async function interaction(req: IncomingMessage, res: ServerResponse) {
  const details = await provider.interactionDetails(req, res)
  if (details.prompt.name === 'login') {
    return provider.interactionFinished(
      req,
      res,
      { login: { accountId: 'user-1' } },
      {
        mergeWithLastSubmission: false,
      },
    )
  }
  const missing = details.prompt.details as {
    missingOIDCScope?: string[]
    missingOIDCClaims?: string[]
  }
  const grant = details.grantId
    ? (await provider.Grant.find(details.grantId))!
    : new provider.Grant({
        accountId: details.session!.accountId,
        clientId: details.params.client_id as string,
      })
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '))
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims)
  const grantId = await grant.save()
  return provider.interactionFinished(
    req,
    res,
    { consent: details.grantId ? {} : { grantId } },
    {
      mergeWithLastSubmission: true,
    },
  )
}

/** Plays the browser: follows redirects with a cookie jar until the client's callback URL. */
async function signIn(authorizationUrl: string): Promise<string> {
  const jar = new Map<string, string>()
  let url = authorizationUrl
  for (let hops = 0; hops < 10; hops++) {
    if (url.startsWith(REDIRECT_URI)) return url
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
    const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} })
    for (const header of res.headers.getSetCookie()) {
      const pair = header.split(';', 1)[0]!
      const eq = pair.indexOf('=')
      const [name, value] = [pair.slice(0, eq).trim(), pair.slice(eq + 1)]
      if (value) jar.set(name, value)
      else jar.delete(name)
    }
    const location = res.headers.get('location')
    if (!location) throw new Error(`no redirect from ${url}: ${res.status} ${await res.text()}`)
    url = new URL(location, url).href
  }
  throw new Error('too many redirects')
}

/** A fetch that counts token endpoint requests. */
function countingFetch() {
  const counts = { token: 0, all: 0 }
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input)
    counts.all++
    if (new URL(url).pathname === '/api/token') counts.token++
    return fetch(input, init)
  }
  return { fetch: fetchImpl, counts }
}

before(async () => {
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  provider = new Provider(issuer, {
    routes: {
      authorization: '/authorize',
      token: '/api/token',
      userinfo: '/v1/me',
      revocation: '/api/revoke',
      jwks: '/jwks',
    },
    clients: [
      {
        client_id: CLIENT_ID,
        token_endpoint_auth_method: 'none',
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    async findAccount(_ctx: unknown, sub: string) {
      return {
        accountId: sub,
        claims: async () => ({ sub, name: 'Ada Lovelace', email: 'ada@example.com' }),
      }
    },
    interactions: { url: (_ctx: unknown, i: { uid: string }) => `/interaction/${i.uid}` },
    features: { devInteractions: { enabled: false }, revocation: { enabled: true } },
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    cookies: { keys: ['integration-test-cookie-key'] },
  })
  const callback = provider.callback()
  http.on('request', (req, res) => {
    if (!req.url?.startsWith('/interaction/')) return callback(req, res)
    interaction(req, res).catch((error: unknown) => {
      res.statusCode = 500
      res.end(String(error))
    })
  })
})

after(async () => {
  http.closeAllConnections()
  await new Promise((resolve) => http.close(resolve))
  Object.assign(console, original)
})

describe('interoperability with oidc-provider', () => {
  test('discovery, PKCE flow, userinfo, refresh rotation, collapse, revocation', async () => {
    const { fetch, counts } = countingFetch()
    const tokenStore = memoryTokenStore()
    const client = new PixieClient({
      issuer,
      clientId: CLIENT_ID,
      redirectUri: REDIRECT_URI,
      scope: 'openid profile email',
      fetch,
      storage: memoryStorage(),
      tokenStore,
    })

    // OIDC discovery (oidc-provider serves no RFC 8414 document: the fallback is exercised)
    const server = await client.getServer()
    assert.equal(server.token_endpoint, `${issuer}/api/token`)
    assert.equal(server.authorization_response_iss_parameter_supported, true)

    const authorizationUrl = await client.buildAuthorizationUrl()
    const callbackUrl = await signIn(authorizationUrl.href)
    const params = new URL(callbackUrl).searchParams
    assert.equal(params.get('iss'), issuer)
    assert.equal(params.get('state'), authorizationUrl.searchParams.get('state'))

    const first = await client.handleCallback(callbackUrl)
    assert.ok(first.refreshToken, 'a refresh token is issued')
    assert.ok(first.expiresAt! > Date.now())
    await assert.rejects(client.handleCallback(callbackUrl), (e: unknown) => {
      return e instanceof PixieClientError && e.code === 'missing_transaction'
    })

    assert.deepEqual(await client.getProfile(), {
      sub: 'user-1',
      name: 'Ada Lovelace',
      email: 'ada@example.com',
    })

    // refresh twice: both tokens rotate each time
    const second = await client.refresh()
    const third = await client.refresh()
    assert.notEqual(second.refreshToken, first.refreshToken)
    assert.notEqual(third.refreshToken, second.refreshToken)
    assert.notEqual(third.accessToken, second.accessToken)
    assert.equal((await client.getProfile()).sub, 'user-1')

    // concurrent refreshes collapse to a single token request (a second one would reuse a
    // rotated refresh token, which oidc-provider punishes by revoking the whole grant)
    const before = counts.token
    const results = await Promise.all(Array.from({ length: 5 }, () => client.refresh()))
    assert.equal(counts.token - before, 1)
    assert.ok(results.every((r) => r.accessToken === results[0]!.accessToken))
    assert.equal((await client.getProfile()).sub, 'user-1')

    // an access token the server no longer accepts: userinfo answers 401 invalid_token, the SDK
    // refreshes once and retries. (Revoking the access token would not do: oidc-provider then
    // revokes every token of the grant, refresh tokens included.)
    const stale = (await tokenStore.get())!
    await tokenStore.set({ ...stale, accessToken: 'not-a-token-the-server-issued' })
    const beforeRetry = counts.token
    assert.equal((await client.getProfile()).sub, 'user-1')
    assert.equal(counts.token - beforeRetry, 1)

    // sign out: refresh and access tokens are revoked at the server
    const last = (await client.getTokens())!
    await client.signOut()
    assert.equal(await client.getTokens(), undefined)
    const userinfo = await globalThis.fetch(server.userinfo_endpoint!, {
      headers: { authorization: `Bearer ${last.accessToken}` },
    })
    assert.equal(userinfo.status, 401)
    const reuse = await globalThis.fetch(server.token_endpoint, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: last.refreshToken!,
        client_id: CLIENT_ID,
      }),
    })
    assert.equal(reuse.status, 400)
    assert.equal(((await reuse.json()) as { error: string }).error, 'invalid_grant')
  })

  test('a denied authorization surfaces as authorization_error', async () => {
    const client = new PixieClient({
      issuer,
      clientId: CLIENT_ID,
      redirectUri: REDIRECT_URI,
      scope: 'openid',
      storage: memoryStorage(),
    })
    // prompt=none without a session: the server answers login_required on the redirect URI
    const url = await client.buildAuthorizationUrl({ params: { prompt: 'none' } })
    const callbackUrl = await signIn(url.href)
    await assert.rejects(client.handleCallback(callbackUrl), (e: unknown) => {
      assert.ok(e instanceof PixieClientError)
      assert.equal(e.code, 'authorization_error')
      assert.equal(e.error, 'login_required')
      return true
    })
  })
})
