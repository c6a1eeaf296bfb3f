/**
 * PostgreSQL goes away under load and comes back. The shared system PostgreSQL cannot be stopped
 * (other suites use it), so Pixie reaches it through a TCP proxy the test cuts and restores:
 * refused connections and sockets destroyed mid-query, as in a database restart.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { parseConfig } from '../src/config.ts'
import { startServer, type RunningServer } from '../src/server.ts'
import { freshPgSchema, TEST_CLIENT, TEST_USER } from '../src/testing.ts'
import { TcpProxy, sleep } from './scale-support.ts'
import { authorizeUrl, Browser, getTokens, tokenRequest, validAuthorizeParams } from './support.ts'

const schema = await freshPgSchema()
const target = new URL(schema.url)
const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
let server: RunningServer
const unexpected: unknown[] = []
const onUncaught = (err: unknown) => unexpected.push(err)

before(async () => {
  process.on('uncaughtException', onUncaught)
  process.on('unhandledRejection', onUncaught)
  await proxy.start()
  const url = new URL(schema.url)
  url.port = String(proxy.port)
  server = await startServer(
    parseConfig({
      port: 0,
      host: '127.0.0.1',
      database: url.toString(),
      database_pool_size: 4,
      log_level: 'silent',
      clients: [TEST_CLIENT],
      users: [TEST_USER],
    }),
  )
})

after(async () => {
  await server?.close()
  await proxy.cut()
  await schema.drop()
  process.off('uncaughtException', onUncaught)
  process.off('unhandledRejection', onUncaught)
})

const testServer = () =>
  ({ url: server.url, clientId: TEST_CLIENT.client_id, ...TEST_USER }) as never

describe('PostgreSQL outage under load', () => {
  it('answers 503 while the database is away, recovers alone, and loses no refresh token', async () => {
    // Four users, each refreshing in a loop and calling /v1/me: `latest` is the refresh token the
    // client holds (the last one it was given).
    const users = await Promise.all(Array.from({ length: 4 }, () => getTokens(testServer())))
    const latest = users.map((u) => u.refresh_token)
    const access = users.map((u) => u.access_token)
    const statuses: { phase: string; status: number; body: string }[] = []
    let phase = 'before'
    let running = true

    const worker = async (i: number) => {
      while (running) {
        const p = phase
        const r = await tokenRequest(
          { url: server.url },
          {
            grant_type: 'refresh_token',
            refresh_token: latest[i]!,
            client_id: TEST_CLIENT.client_id,
          },
        ).catch((e: Error) => ({
          status: -1,
          json: { error: e.message } as Record<string, unknown>,
          headers: new Headers(),
        }))
        statuses.push({ phase: p, status: r.status, body: JSON.stringify(r.json) })
        if (r.status === 200) {
          latest[i] = r.json.refresh_token as string
          access[i] = r.json.access_token as string
        }
        const me = await fetch(`${server.url}/v1/me`, {
          headers: { authorization: `Bearer ${access[i]}` },
        }).catch(() => null)
        statuses.push({ phase: p, status: me?.status ?? -1, body: (await me?.text()) ?? '' })
        await sleep(20)
      }
    }
    const load = Promise.all(users.map((_, i) => worker(i)))

    await sleep(500)
    phase = 'outage'
    await proxy.cut()
    await sleep(1500)
    // Readiness fails; liveness does not.
    const ready = await fetch(`${server.url}/readyz`)
    assert.equal(ready.status, 503)
    assert.deepEqual(((await ready.json()) as { status: string }).status, 'unavailable')
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200)
    // The pages say so in HTML, the token endpoint in JSON. The login page itself still shows:
    // it needs only the client, which the store keeps for a few seconds; signing in needs the
    // database.
    const browser = new Browser({ url: server.url })
    const loginPage = await browser.get(authorizeUrl(server, validAuthorizeParams()))
    assert.equal(loginPage.status, 200)
    const page = await browser.submit(await loginPage.text(), {
      username: TEST_USER.username,
      password: TEST_USER.password,
    })
    assert.equal(page.status, 503)
    assert.match(page.headers.get('content-type') ?? '', /text\/html/)
    assert.match(await page.text(), /temporarily unavailable/)
    const token = await tokenRequest(
      { url: server.url },
      { grant_type: 'refresh_token', refresh_token: latest[0]!, client_id: TEST_CLIENT.client_id },
    )
    assert.equal(token.status, 503)
    assert.equal(token.json.error, 'temporarily_unavailable')
    assert.equal(token.headers.get('retry-after'), '5')

    phase = 'recovering'
    await proxy.restore()
    const restoredAt = Date.now()
    while (Date.now() - restoredAt < 10_000) {
      if ((await fetch(`${server.url}/readyz`)).status === 200) break
      await sleep(100)
    }
    const recoveredIn = Date.now() - restoredAt
    assert.ok(recoveredIn < 5000, `ready again after ${recoveredIn} ms`)
    await sleep(800)
    phase = 'after'
    await sleep(700)
    running = false
    await load

    const during = statuses.filter((s) => s.phase === 'outage')
    const bad = statuses.filter((s) => ![200, 503].includes(s.status))
    assert.deepEqual(bad, [], 'only 200 and 503, never a 500 or a dropped connection')
    assert.ok(
      during.some((s) => s.status === 503),
      'requests during the outage got 503',
    )
    for (const s of during.filter((x) => x.status === 503)) {
      assert.match(s.body, /temporarily_unavailable/)
    }
    const afterwards = statuses.filter((s) => s.phase === 'after')
    assert.ok(afterwards.length > 0)
    assert.ok(
      afterwards.every((s) => s.status === 200),
      JSON.stringify(afterwards.filter((s) => s.status !== 200)),
    )
    // Every refresh token a client holds still works (no family was lost or revoked).
    for (const t of latest) {
      const r = await tokenRequest(
        { url: server.url },
        { grant_type: 'refresh_token', refresh_token: t, client_id: TEST_CLIENT.client_id },
      )
      assert.equal(r.status, 200, JSON.stringify(r.json))
    }
    assert.deepEqual(unexpected, [], 'no uncaught exception or unhandled rejection')
  })
})
