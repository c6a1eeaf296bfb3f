/**
 * Login throttling and the token endpoint budget on each backend: memory (one process, SQLite),
 * PostgreSQL (shared by the processes of one database) and Redis (real, at 127.0.0.1:6379).
 * Clients are told apart by X-Forwarded-For (trust_proxy_hops: 1), as behind a load balancer.
 */
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { parseConfig } from '../src/config.ts'
import { startServer, type RunningServer } from '../src/server.ts'
import {
  freshPgSchema,
  startTestServer,
  TEST_CLIENT,
  TEST_USER,
  type TestServer,
} from '../src/testing.ts'
import { loginForm, postForm } from './scale-support.ts'
import { pkcePair, tokenRequest } from './support.ts'

const REDIS_URL = process.env.PIXIE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const BOB = { username: 'bob', password: 'bob-has-a-long-password', name: 'Bob' }

const rateLimit = (prefix: string) => ({
  login_failures_per_user_ip: { points: 3, duration: 60 },
  login_failures_per_ip: { points: 6, duration: 60 },
  token_requests_per_client: { points: 4, duration: 60 },
  trust_proxy_hops: 1,
  key_prefix: prefix,
})

function query(): URLSearchParams {
  return new URLSearchParams({
    client_id: TEST_CLIENT.client_id,
    response_type: 'code',
    redirect_uri: 'http://127.0.0.1/callback',
    scope: 'profile',
    state: 's',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
  })
}

async function login(server: { url: string }, ip: string, username: string, password: string) {
  const { jar, fields } = await loginForm(server.url, query())
  fields.set('username', username)
  fields.set('password', password)
  const res = await postForm(`${server.url}/login`, fields, jar, new URL(server.url).origin, {
    'x-forwarded-for': `203.0.113.9, ${ip}`,
  })
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() }
}

interface Setup {
  /** Two servers sharing the backend (the same server twice for memory). */
  servers: [{ url: string }, { url: string }]
  backend: string
  close(): Promise<void>
}

const setups: Record<string, () => Promise<Setup>> = {
  async memory() {
    const s = await startTestServer({
      users: [TEST_USER, BOB],
      rate_limit: rateLimit('t'),
    })
    return { servers: [s, s], backend: s.rateLimits.backend, close: () => s.close() }
  },
  async postgres() {
    const schema = await freshPgSchema()
    const config = parseConfig({
      port: 0,
      database: schema.url,
      log_level: 'silent',
      clients: [TEST_CLIENT],
      users: [TEST_USER, BOB],
      rate_limit: rateLimit('t'),
    })
    const a = await startServer(config)
    const b = await startServer(config)
    return {
      servers: [a, b],
      backend: a.rateLimits.backend,
      async close() {
        await a.close()
        await b.close()
        await schema.drop()
      },
    }
  },
  async redis() {
    // A fresh key prefix per run: the Redis server is shared with other runs.
    const prefix = `pixie-test-${randomBytes(6).toString('hex')}`
    const extra = { users: [TEST_USER, BOB], redis: REDIS_URL, rate_limit: rateLimit(prefix) }
    const a = await startTestServer(extra)
    const b = await startTestServer(extra)
    return {
      servers: [a, b],
      backend: a.rateLimits.backend,
      async close() {
        await a.close()
        await b.close()
      },
    }
  },
}

for (const [name, setup] of Object.entries(setups)) {
  describe(`rate limits (${name})`, () => {
    let s: Setup
    after(() => s?.close())

    it(`uses the ${name} backend`, async () => {
      s = await setup()
      assert.equal(s.backend, name)
    })

    it('refuses a username+IP after its failures, wherever it tries next; others sign in', async () => {
      const [a, b] = s.servers
      const ip = '198.51.100.1'
      for (let i = 0; i < 3; i++) {
        const r = await login(i % 2 ? b : a, ip, 'ada', 'wrong password!')
        assert.equal(r.status, 401)
      }
      // Blocked now, even with the right password, on the other process too.
      const blocked = await login(b, ip, 'ada', TEST_USER.password)
      assert.equal(blocked.status, 429)
      assert.ok(Number(blocked.retryAfter) > 0 && Number(blocked.retryAfter) <= 60)
      assert.match(blocked.body, /Too many failed sign-in attempts/)
      // The same user from another IP, and another user from the same IP: not affected.
      assert.equal((await login(a, '198.51.100.2', 'ada', TEST_USER.password)).status, 303)
      assert.equal((await login(b, ip, 'bob', BOB.password)).status, 303)
    })

    it('a successful login clears the username+IP failures', async () => {
      const [a, b] = s.servers
      const ip = '198.51.100.3'
      for (let round = 0; round < 2; round++) {
        assert.equal((await login(a, ip, 'bob', 'nope-nope-nope')).status, 401)
        assert.equal((await login(b, ip, 'bob', 'nope-nope-nope')).status, 401)
        assert.equal((await login(a, ip, 'bob', BOB.password)).status, 303)
      }
    })

    it('refuses an IP that guesses many usernames', async () => {
      const [a, b] = s.servers
      const ip = '198.51.100.4'
      for (let i = 0; i < 6; i++) {
        assert.equal((await login(i % 2 ? a : b, ip, `user${i}`, 'guess-guess')).status, 401)
      }
      assert.equal((await login(a, ip, 'bob', BOB.password)).status, 429)
      assert.equal((await login(b, '198.51.100.5', 'bob', BOB.password)).status, 303)
    })

    it('the token endpoint answers 429 temporarily_unavailable over the client budget', async () => {
      const [a, b] = s.servers
      const body = {
        grant_type: 'refresh_token',
        refresh_token: 'not-a-token',
        client_id: TEST_CLIENT.client_id,
      }
      for (let i = 0; i < 4; i++) {
        assert.equal((await tokenRequest(i % 2 ? a : b, body)).status, 400)
      }
      const limited = await tokenRequest(a, body)
      assert.equal(limited.status, 429)
      assert.equal(limited.json.error, 'temporarily_unavailable')
      assert.ok(Number(limited.headers.get('retry-after')) > 0)
      assert.equal(limited.headers.get('cache-control'), 'no-store')
      // An unknown client is not counted (and gets its usual answer).
      const unknown = await tokenRequest(a, { ...body, client_id: 'nobody' })
      assert.equal(unknown.status, 401)
    })
  })
}

describe('rate limits while Redis is unreachable', () => {
  let server: TestServer
  after(() => server?.close())

  it('falls back to per-process limits: logins work and are still throttled', async () => {
    server = await startTestServer({
      users: [TEST_USER],
      redis: 'redis://127.0.0.1:1',
      rate_limit: rateLimit('down'),
    })
    assert.equal(server.rateLimits.backend, 'redis')
    const ip = '198.51.100.9'
    assert.equal((await login(server, ip, 'ada', TEST_USER.password)).status, 303)
    for (let i = 0; i < 3; i++) {
      assert.equal((await login(server, ip, 'ada', 'wrong password!')).status, 401)
    }
    assert.equal((await login(server, ip, 'ada', TEST_USER.password)).status, 429)
  })
})
