// The SDK against the Pixie server itself, through the server's test harness
// (packages/server/src/testing.ts): sign in over HTTP, exchange, /v1/me, refresh, revoke.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  PixieClient,
  PixieClientError,
  discover,
  memoryStorage,
  memoryTokenStore,
  type AuthorizationServer,
} from '../src/index.ts'

/** The contract of packages/server/src/testing.ts. */
interface PixieTesting {
  startTestServer(opts?: unknown): Promise<{
    url: string
    issuer: string
    close(): Promise<void>
    clientId: string
    username: string
    password: string
  }>
  signIn(
    authorizationUrl: string,
    credentials: { username: string; password: string },
  ): Promise<string>
}

const REDIRECT_URI = 'http://127.0.0.1/callback'
const harness = new URL('../../server/src/testing.ts', import.meta.url)

describe('integration with the Pixie server', () => {
  let testing: PixieTesting
  let pixie: Awaited<ReturnType<PixieTesting['startTestServer']>>
  let server: AuthorizationServer

  before(async () => {
    testing = (await import(harness.href)) as PixieTesting
    pixie = await testing.startTestServer()
    // Pixie publishes RFC 8414 metadata: discovery must work, not fall back to defaults.
    server = await discover(pixie.issuer)
  })

  after(() => pixie?.close())

  test('sign in, /v1/me, refresh rotation, collapse, retry on invalid_token, revoke', async () => {
    const counts = { token: 0 }
    const tokenStore = memoryTokenStore()
    const client = new PixieClient({
      server,
      clientId: pixie.clientId,
      redirectUri: REDIRECT_URI,
      scope: 'profile email',
      // Pixie's /v1/me: the metadata's userinfo_endpoint needs the openid scope.
      profileEndpoint: `${pixie.issuer}/v1/me`,
      storage: memoryStorage(),
      tokenStore,
      fetch: (input, init) => {
        const url = input instanceof Request ? input.url : String(input)
        if (url === server.token_endpoint) counts.token++
        return fetch(input, init)
      },
    })

    const authorizationUrl = await client.buildAuthorizationUrl()
    const callbackUrl = await testing.signIn(authorizationUrl.href, pixie)
    const params = new URL(callbackUrl).searchParams
    assert.equal(params.get('state'), authorizationUrl.searchParams.get('state'))
    assert.equal(params.get('iss'), pixie.issuer) // RFC 9207

    const first = await client.handleCallback(callbackUrl)
    assert.ok(first.refreshToken, 'a refresh token is issued')
    await assert.rejects(
      client.handleCallback(callbackUrl),
      (e: unknown) => e instanceof PixieClientError && e.code === 'missing_transaction',
    )

    const me = await client.getProfile()
    assert.equal(typeof me, 'object')

    const second = await client.refresh()
    const third = await client.refresh()
    assert.notEqual(second.refreshToken, first.refreshToken)
    assert.notEqual(third.refreshToken, second.refreshToken)
    assert.notEqual(third.accessToken, first.accessToken)
    assert.deepEqual(await client.getProfile(), me)

    const before = counts.token
    const results = await Promise.all(Array.from({ length: 5 }, () => client.refresh()))
    assert.equal(counts.token - before, 1)
    assert.ok(results.every((r) => r.accessToken === results[0]!.accessToken))
    assert.deepEqual(await client.getProfile(), me)

    // an access token Pixie does not know: 401 invalid_token, one refresh, one retry
    const held = (await tokenStore.get())!
    await tokenStore.set({ ...held, accessToken: 'not-a-token-pixie-issued' })
    const beforeRetry = counts.token
    assert.deepEqual(await client.getProfile(), me)
    assert.equal(counts.token - beforeRetry, 1)

    assert.equal(server.revocation_endpoint, `${pixie.issuer}/api/revoke`)
    const last = (await client.getTokens())!
    await client.signOut()
    assert.equal(await client.getTokens(), undefined)
    const res = await fetch(`${pixie.url}/v1/me`, {
      headers: { authorization: `Bearer ${last.accessToken}` },
    })
    assert.equal(res.status, 401)
    const reuse = new PixieClient({
      server,
      clientId: pixie.clientId,
      redirectUri: REDIRECT_URI,
      storage: memoryStorage(),
      tokenStore: memoryTokenStore(last),
    })
    await assert.rejects(reuse.refresh(), (e: unknown) => {
      return (
        e instanceof PixieClientError && e.code === 'refresh_failed' && e.error === 'invalid_grant'
      )
    })
  })
})
