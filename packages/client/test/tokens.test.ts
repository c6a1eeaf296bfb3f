import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  isInvalidTokenChallenge,
  memoryStorage,
  memoryTokenStore,
  PixieClientError,
  storageTokenStore,
} from '../src/index.ts'
import { ISSUER, issue, json, makeClient, sleep, tokens } from './helpers.ts'

const hasCode = (code: string) => (e: unknown) => e instanceof PixieClientError && e.code === code
const API = 'https://api.example.com/data'

describe('refresh (RFC 6749 section 6)', () => {
  test('sends the refresh grant and stores the rotated tokens', async () => {
    const { client, calls } = makeClient(() => json(issue()), {
      tokenStore: memoryTokenStore(tokens()),
    })
    const next = await client.refresh()
    assert.match(next.refreshToken!, /^rt-\d+$/)
    assert.deepEqual(await client.getTokens(), next)
    const { body } = calls[0]!
    assert.deepEqual(Object.fromEntries(body), {
      grant_type: 'refresh_token',
      refresh_token: 'rt-old',
      client_id: 'demo',
    })
  })

  test('keeps the old refresh token (and scope) when the response omits them', async () => {
    const { client } = makeClient(() => json({ access_token: 'at-new', token_type: 'Bearer' }), {
      tokenStore: memoryTokenStore(tokens({ scope: 'profile' })),
    })
    const next = await client.refresh()
    assert.equal(next.accessToken, 'at-new')
    assert.equal(next.refreshToken, 'rt-old')
    assert.equal(next.scope, 'profile')
    assert.equal(next.expiresAt, undefined)
  })

  test('concurrent refreshes in one page collapse to one request', async () => {
    const { client, calls } = makeClient(async () => (await sleep(20), json(issue())), {
      tokenStore: memoryTokenStore(tokens()),
    })
    const results = await Promise.all(Array.from({ length: 10 }, () => client.refresh()))
    assert.equal(calls.length, 1)
    assert.ok(results.every((r) => r === results[0]))
    await client.refresh() // a later call is a new refresh
    assert.equal(calls.length, 2)
  })

  test('under a Web Lock, a refresh done meanwhile by another tab is reused', async () => {
    const shared = storageTokenStore(memoryStorage())
    await shared.set(tokens())
    let held: Promise<unknown> = Promise.resolve()
    const names: string[] = []
    // A minimal exclusive LockManager shared by two "tabs".
    const locks = {
      request: (name: string, callback: () => Promise<unknown>) => {
        names.push(name)
        const run = held.then(callback)
        held = run.catch(() => undefined)
        return run
      },
    } as unknown as LockManager
    const server = makeClient(async () => (await sleep(10), json(issue())), {
      tokenStore: shared,
      locks,
    })
    const tabA = server.client
    const tabB = makeClient(() => json(issue()), { tokenStore: shared, locks })
    const [a, b] = await Promise.all([tabA.refresh(), tabB.client.refresh()])
    assert.equal(server.calls.length + tabB.calls.length, 1)
    assert.deepEqual(a, b)
    assert.deepEqual(names, ['pixie:refresh:demo', 'pixie:refresh:demo'])
  })

  test('refusal is refresh_failed; invalid_grant clears the tokens', async () => {
    const { client } = makeClient(() => json({ error: 'invalid_grant' }, 400), {
      tokenStore: memoryTokenStore(tokens()),
    })
    await assert.rejects(client.refresh(), (e: unknown) => {
      assert.ok(e instanceof PixieClientError && e.code === 'refresh_failed')
      assert.equal(e.error, 'invalid_grant')
      assert.equal(e.status, 400)
      return true
    })
    assert.equal(await client.getTokens(), undefined)
    await assert.rejects(client.refresh(), hasCode('no_tokens'))
  })

  test('a server error keeps the tokens', async () => {
    const { client } = makeClient(() => json({ error: 'temporarily_unavailable' }, 503), {
      tokenStore: memoryTokenStore(tokens()),
    })
    await assert.rejects(client.refresh(), hasCode('refresh_failed'))
    assert.equal((await client.getTokens())?.refreshToken, 'rt-old')
  })

  test('without tokens or a refresh token: no_tokens', async () => {
    await assert.rejects(makeClient(() => json(issue())).client.refresh(), hasCode('no_tokens'))
    const { client } = makeClient(() => json(issue()), {
      tokenStore: memoryTokenStore(tokens({ refreshToken: undefined })),
    })
    await assert.rejects(client.refresh(), hasCode('no_tokens'))
  })
})

describe('authorized fetch (RFC 6750)', () => {
  test('adds the bearer token', async () => {
    const { client, calls } = makeClient(() => json({ ok: true }), {
      tokenStore: memoryTokenStore(tokens()),
    })
    const res = await client.fetch(API, { method: 'POST', body: 'hello', headers: { 'x-a': '1' } })
    assert.equal(res.status, 200)
    const { req } = calls[0]!
    assert.equal(req.headers.get('authorization'), 'Bearer at-old')
    assert.equal(req.headers.get('x-a'), '1')
    assert.equal(await req.text(), 'hello')
  })

  test('refreshes ahead of expiry (skew)', async () => {
    const { client, calls } = makeClient(
      (req) => (req.url.endsWith('/api/token') ? json(issue()) : json({ ok: true })),
      { tokenStore: memoryTokenStore(tokens({ expiresAt: Date.now() + 20_000 })), refreshSkew: 30 },
    )
    await client.fetch(API)
    assert.equal(calls.length, 2)
    assert.ok(calls[0]!.req.url.endsWith('/api/token'))
    assert.match(calls[1]!.req.headers.get('authorization')!, /^Bearer at-\d+$/)
    // fresh now: no more refresh
    await client.fetch(API)
    assert.equal(calls.length, 3)
  })

  test('refreshes and retries once on 401 invalid_token', async () => {
    const challenge = { 'www-authenticate': 'Bearer realm="pixie", error="invalid_token"' }
    const { client, calls } = makeClient(
      (req) => {
        if (req.url.endsWith('/api/token')) return json(issue())
        return req.headers.get('authorization') === 'Bearer at-old'
          ? json({ error: 'invalid_token' }, 401, challenge)
          : json({ ok: true })
      },
      { tokenStore: memoryTokenStore(tokens()) },
    )
    const res = await client.fetch(API, { method: 'PUT', body: 'payload' })
    assert.equal(res.status, 200)
    assert.equal(calls.length, 3)
    assert.equal(await calls[2]!.req.text(), 'payload')
  })

  test('retries only once, and not for other 401s', async () => {
    const invalid = { 'www-authenticate': 'Bearer error="invalid_token"' }
    const always = makeClient(
      (req) => (req.url.endsWith('/api/token') ? json(issue()) : json({}, 401, invalid)),
      { tokenStore: memoryTokenStore(tokens()) },
    )
    assert.equal((await always.client.fetch(API)).status, 401)
    assert.equal(always.calls.length, 3) // request, refresh, retry

    const scope = makeClient(
      () => json({}, 401, { 'www-authenticate': 'Bearer error="insufficient_scope"' }),
      { tokenStore: memoryTokenStore(tokens()) },
    )
    assert.equal((await scope.client.fetch(API)).status, 401)
    assert.equal(scope.calls.length, 1)
  })

  test('WWW-Authenticate parsing', () => {
    assert.equal(isInvalidTokenChallenge('Bearer error="invalid_token"'), true)
    assert.equal(
      isInvalidTokenChallenge('bearer realm="x", error=invalid_token, error_description="y"'),
      true,
    )
    assert.equal(isInvalidTokenChallenge('DPoP algs="ES256", Bearer error="invalid_token"'), true)
    assert.equal(isInvalidTokenChallenge('Bearer realm="x"'), false)
    assert.equal(isInvalidTokenChallenge('Basic realm="invalid_token"'), false)
    assert.equal(isInvalidTokenChallenge(null), false)
  })

  test('without tokens: no_tokens', async () => {
    await assert.rejects(makeClient(() => json({})).client.fetch(API), hasCode('no_tokens'))
  })

  test('getProfile reads the userinfo endpoint', async () => {
    const { client, calls } = makeClient(
      (req) => (req.url === `${ISSUER}/v1/me` ? json({ sub: 'u1' }) : json({}, 404)),
      { tokenStore: memoryTokenStore(tokens()) },
    )
    assert.deepEqual(await client.getProfile(), { sub: 'u1' })
    assert.equal(calls[0]!.req.headers.get('authorization'), 'Bearer at-old')
    const failing = makeClient(() => json({ error: 'server_error' }, 500), {
      tokenStore: memoryTokenStore(tokens()),
    })
    await assert.rejects(failing.client.getProfile(), hasCode('userinfo_error'))
  })

  test('getProfile falls back to /v1/me, or uses profileEndpoint', async () => {
    const server = {
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/a`,
      token_endpoint: `${ISSUER}/t`,
    }
    const fallback = makeClient(() => json({ sub: 'u1' }), {
      server,
      tokenStore: memoryTokenStore(tokens()),
    })
    await fallback.client.getProfile()
    assert.equal(fallback.calls[0]!.req.url, `${ISSUER}/v1/me`)
    const explicit = makeClient(() => json({ sub: 'u1' }), {
      profileEndpoint: 'https://api.example.com/me',
      tokenStore: memoryTokenStore(tokens()),
    })
    await explicit.client.getProfile()
    assert.equal(explicit.calls[0]!.req.url, 'https://api.example.com/me')
  })
})

describe('revocation (RFC 7009)', () => {
  test('revoke posts token, hint and client_id', async () => {
    const { client, calls } = makeClient(() => new Response(null, { status: 200 }))
    await client.revoke('rt-1', 'refresh_token')
    assert.equal(calls[0]!.req.url, `${ISSUER}/api/revoke`)
    assert.deepEqual(Object.fromEntries(calls[0]!.body), {
      token: 'rt-1',
      client_id: 'demo',
      token_type_hint: 'refresh_token',
    })
  })

  test('revoke errors and missing endpoint', async () => {
    const { client } = makeClient(() => json({ error: 'unsupported_token_type' }, 400))
    await assert.rejects(client.revoke('x'), hasCode('revocation_error'))
    const none = makeClient(() => json({}), {
      server: { ...(await client.getServer()), revocation_endpoint: undefined },
    })
    await assert.rejects(none.client.revoke('x'), hasCode('not_supported'))
  })

  test('signOut revokes refresh then access token and clears the store', async () => {
    const { client, calls } = makeClient(() => new Response(null), {
      tokenStore: memoryTokenStore(tokens()),
    })
    await client.signOut()
    assert.deepEqual(
      calls.map((c) => [c.body.get('token'), c.body.get('token_type_hint')]),
      [
        ['rt-old', 'refresh_token'],
        ['at-old', 'access_token'],
      ],
    )
    assert.equal(await client.getTokens(), undefined)
  })

  test('signOut clears the store even when revocation fails', async () => {
    const { client } = makeClient(() => json({ error: 'server_error' }, 500), {
      tokenStore: memoryTokenStore(tokens()),
    })
    await assert.rejects(client.signOut(), hasCode('revocation_error'))
    assert.equal(await client.getTokens(), undefined)
  })
})
