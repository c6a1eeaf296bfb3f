/**
 * Three real `pixie serve` processes on one fresh PostgreSQL schema, started at the same instant
 * (so they also race on migrations), sharing one issuer as they would behind a load balancer.
 * Flows hop between them; single use and rotation hold across processes.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { CookieJar, formFields, freshPgSchema, TEST_CLIENT, TEST_USER } from '../src/testing.ts'
import {
  freePort,
  loginForm,
  postForm,
  sleep,
  spawnPixie,
  type PixieProcess,
} from './scale-support.ts'
import { authorizeUrl, getCode, pkcePair, tokenRequest } from './support.ts'

const schema = await freshPgSchema()
const ports = [await freePort(), await freePort(), await freePort()]
const issuer = `http://127.0.0.1:${ports[0]}`
let procs: PixieProcess[] = []

before(async () => {
  procs = await Promise.all(
    ports.map((port) =>
      spawnPixie({
        issuer,
        port,
        host: '127.0.0.1',
        database: schema.url,
        database_pool_size: 4,
        clients: [TEST_CLIENT],
        users: [TEST_USER],
        refresh_token_reuse_interval: 1,
        log_level: 'error',
      }),
    ),
  )
})

after(async () => {
  await Promise.all(procs.map((p) => p.stop()))
  await schema.drop()
})

const at = (i: number) => ({ url: procs[i % 3]!.url })
const asTestServer = (i: number) =>
  ({ url: procs[i]!.url, clientId: TEST_CLIENT.client_id, ...TEST_USER }) as never

async function me(i: number, accessToken: string): Promise<number> {
  const res = await fetch(`${procs[i % 3]!.url}/v1/me`, {
    headers: { authorization: `Bearer ${accessToken}` },
  })
  await res.body?.cancel()
  return res.status
}

async function tokens(i: number) {
  const { code, verifier, redirectUri } = await getCode(asTestServer(i))
  const res = await tokenRequest(at(i + 1), {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    client_id: TEST_CLIENT.client_id,
    code_verifier: verifier,
  })
  assert.equal(res.status, 200, JSON.stringify(res.json))
  return res.json as { access_token: string; refresh_token: string }
}

const refresh = (i: number, token: string) =>
  tokenRequest(at(i), {
    grant_type: 'refresh_token',
    refresh_token: token,
    client_id: TEST_CLIENT.client_id,
  })

describe('three pixie serve processes, one PostgreSQL', () => {
  it('all three started together and are ready', async () => {
    assert.equal(new Set(procs.map((p) => p.url)).size, 3)
    for (const p of procs) {
      assert.equal((await fetch(`${p.url}/readyz`)).status, 200)
      assert.equal((await fetch(`${p.url}/healthz`)).status, 200)
    }
  })

  it('a flow hops: login on A, consent on B, token on C, /v1/me on A, refresh on B', async () => {
    const [a, b, c] = procs.map((p) => p.url) as [string, string, string]
    const { challenge, verifier } = pkcePair()
    const redirectUri = 'http://127.0.0.1/callback'
    const query = new URL(
      authorizeUrl(
        { url: a },
        {
          client_id: TEST_CLIENT.client_id,
          response_type: 'code',
          redirect_uri: redirectUri,
          scope: 'profile email',
          state: 'hop',
          code_challenge: challenge,
          code_challenge_method: 'S256',
        },
      ),
    ).searchParams
    const jar = new CookieJar()
    const { fields } = await loginForm(a, query, jar)
    fields.set('username', TEST_USER.username)
    fields.set('password', TEST_USER.password)
    const login = await postForm(`${a}/login`, fields, jar, issuer)
    assert.equal(login.status, 303)

    // The session created on A is known to B: B shows the consent page.
    const consentPage = await fetch(`${b}/authorize?${query}`, {
      redirect: 'manual',
      headers: { cookie: jar.header() },
    })
    jar.store(consentPage)
    assert.equal(consentPage.status, 200)
    const consent = formFields(await consentPage.text())
    assert.equal(consent.action, '/consent')
    consent.fields.set('decision', 'allow')
    const approved = await postForm(`${b}/consent`, consent.fields, jar, issuer)
    assert.equal(approved.status, 303)
    const back = new URL(approved.headers.get('location')!)
    assert.equal(back.searchParams.get('iss'), issuer)
    assert.equal(back.searchParams.get('state'), 'hop')

    const token = await tokenRequest(
      { url: c },
      {
        grant_type: 'authorization_code',
        code: back.searchParams.get('code')!,
        redirect_uri: redirectUri,
        client_id: TEST_CLIENT.client_id,
        code_verifier: verifier,
      },
    )
    assert.equal(token.status, 200, JSON.stringify(token.json))
    assert.equal(await me(0, token.json.access_token as string), 200)
    const refreshed = await refresh(1, token.json.refresh_token as string)
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.json))
    assert.equal(await me(2, refreshed.json.access_token as string), 200)
  })

  it('20 concurrent redemptions of one code over three processes: exactly one succeeds', async () => {
    const { code, verifier, redirectUri } = await getCode(asTestServer(0))
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        tokenRequest(at(i), {
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          client_id: TEST_CLIENT.client_id,
          code_verifier: verifier,
        }),
      ),
    )
    const ok = results.filter((r) => r.status === 200)
    assert.equal(ok.length, 1, JSON.stringify(results.map((r) => [r.status, r.json.error])))
    for (const r of results) {
      if (r.status !== 200) assert.deepEqual([r.status, r.json.error], [400, 'invalid_grant'])
    }
    // The replays revoked what the code issued (RFC 9700 4.5.3 / OAuth 2.1 4.1.3).
    assert.equal(await me(1, ok[0]!.json.access_token as string), 401)
  })

  it('concurrent refreshes of one token across processes all succeed; the family lives', async () => {
    const t = await tokens(0)
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => refresh(i, t.refresh_token)),
    )
    for (const r of results) assert.equal(r.status, 200, JSON.stringify(r.json))
    // Nobody was logged out: every new access token works, and the new refresh tokens rotate on.
    for (const [i, r] of results.entries()) {
      assert.equal(await me(i, r.json.access_token as string), 200)
    }
    const next = await refresh(2, results[3]!.json.refresh_token as string)
    assert.equal(next.status, 200, JSON.stringify(next.json))
    assert.equal(await me(0, next.json.access_token as string), 200)
  })

  it('a replay after the reuse interval revokes the family on every process', async () => {
    const t = await tokens(1)
    const first = await refresh(0, t.refresh_token)
    assert.equal(first.status, 200)
    await sleep(2200) // refresh_token_reuse_interval is 1 s
    const replay = await refresh(1, t.refresh_token)
    assert.equal(replay.status, 400)
    assert.equal(replay.json.error, 'invalid_grant')
    // The tokens the first refresh issued are refused too, wherever they are presented.
    const successor = await refresh(2, first.json.refresh_token as string)
    assert.equal(successor.status, 400)
    assert.equal(successor.json.error, 'invalid_grant')
    for (let i = 0; i < 3; i++) assert.equal(await me(i, first.json.access_token as string), 401)
  })

  it('no process crashed or logged a server error', () => {
    for (const p of procs) {
      assert.ok(p.alive())
      assert.doesNotMatch(p.stderr(), /"level":"error"/)
    }
  })
})
