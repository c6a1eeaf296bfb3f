import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { DirectRoutes } from '../src/http/direct-routes.ts'
import { startTestServer, TEST_CLIENT, TEST_DATABASES, type TestServer } from '../src/testing.ts'
import {
  ALL_USERS,
  basic,
  codeForm,
  CONFIDENTIAL_CLIENT,
  exchangeCode,
  getCode,
  getTokens,
  OIDC_CLIENT,
  revoke,
} from './support.ts'

interface Raw {
  status: number
  /** Header name (lower case) to value, without Date. */
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** A GET with raw headers (name, value, name, value...), so a header may be sent twice. */
function get(url: string, rawHeaders: string[]): Promise<Raw> {
  return send('GET', url, rawHeaders)
}

function send(method: string, url: string, rawHeaders: string[], body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    // Raw headers replace node's own, Host included.
    const headers = ['Host', new URL(url).host, ...rawHeaders]
    if (body !== undefined) headers.push('Content-Length', String(Buffer.byteLength(body)))
    const req = request(url, { method, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => {
        const headers = { ...res.headers }
        delete headers.date
        resolve({ status: res.statusCode ?? 0, headers, body })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

/**
 * GET /v1/me and GET /userinfo are answered from node's request (http/listener.ts) when the
 * target is exactly the path; a target with a query (`/v1/me?`) goes through Hono to the same
 * endpoint. Both must give the same status, headers and body for every kind of request.
 */
for (const db of TEST_DATABASES)
  describe(`direct routes answer as Hono does (${db})`, () => {
    let server: TestServer
    let profile: string
    let oidc: string
    let revoked: string
    before(async () => {
      server = await startTestServer({ clients: [TEST_CLIENT, OIDC_CLIENT], users: ALL_USERS }, db)
      profile = (await getTokens(server)).access_token
      const got = await getCode(
        { ...server, clientId: OIDC_CLIENT.client_id },
        {
          scope: 'openid profile email',
        },
      )
      const res = await exchangeCode(server, got, OIDC_CLIENT.client_id)
      assert.equal(res.status, 200, JSON.stringify(res.json))
      oidc = res.json.access_token as string
      revoked = (await getTokens(server)).access_token
      const r = await revoke(server, { token: revoked, client_id: TEST_CLIENT.client_id })
      assert.equal(r.status, 200)
    })
    after(() => server.close())

    // [what, raw headers, status at /v1/me, status at /userinfo]
    const cases: [string, () => string[], number, number][] = [
      ['a valid token', () => ['Authorization', `Bearer ${profile}`], 200, 403],
      [
        'a valid token from an allowed Origin',
        () => ['Authorization', `Bearer ${profile}`, 'Origin', 'http://127.0.0.1'],
        200,
        403,
      ],
      [
        'a valid token from another Origin',
        () => ['Authorization', `Bearer ${profile}`, 'Origin', 'https://evil.example'],
        200,
        403,
      ],
      ['an OpenID Connect token', () => ['Authorization', `Bearer ${oidc}`], 200, 200],
      ['no Authorization', () => [], 401, 401],
      ['no Authorization, from an allowed Origin', () => ['Origin', 'http://127.0.0.1'], 401, 401],
      ['another scheme', () => ['Authorization', 'Basic dXNlcjpwYXNz'], 401, 401],
      ['a malformed bearer token', () => ['Authorization', 'Bearer a b'], 400, 400],
      ['an unknown token', () => ['Authorization', `Bearer ${'C'.repeat(43)}`], 401, 401],
      ['a revoked token', () => ['Authorization', `Bearer ${revoked}`], 401, 401],
      [
        'Authorization twice',
        () => ['Authorization', `Bearer ${profile}`, 'Authorization', `Bearer ${profile}`],
        400,
        400,
      ],
    ]

    for (const [path, column] of [
      ['/v1/me', 2],
      ['/userinfo', 3],
    ] as const)
      for (const c of cases)
        it(`${path}, ${c[0]}: ${c[column]}, with the same headers and body both ways`, async () => {
          const direct = await get(new URL(path, server.url).href, c[1]())
          assert.equal(direct.status, c[column], direct.body)
          // RFC 6750 3: every answer is JSON, never cached, and varies by Origin (CORS).
          assert.equal(direct.headers['cache-control'], 'no-store')
          assert.equal(direct.headers['content-type'], 'application/json')
          assert.equal(direct.headers['content-length'], String(Buffer.byteLength(direct.body)))
          assert.equal(direct.headers.vary, 'Origin')
          const challenge = direct.headers['www-authenticate']
          if (direct.status === 200) assert.equal(challenge, undefined)
          else assert.match(String(challenge), /^Bearer realm="pixie"/)
          const viaHono = await get(new URL(`${path}?`, server.url).href, c[1]())
          assert.deepEqual(direct, viaHono)
        })

    it("CORS on the direct route: the client's origin is allowed, another is not", async () => {
      const cors = await get(new URL('/v1/me', server.url).href, [
        'Authorization',
        `Bearer ${profile}`,
        'Origin',
        'http://127.0.0.1',
      ])
      assert.equal(cors.headers['access-control-allow-origin'], 'http://127.0.0.1')
      const foreign = await get(new URL('/v1/me', server.url).href, [
        'Authorization',
        `Bearer ${profile}`,
        'Origin',
        'https://evil.example',
      ])
      assert.equal(foreign.headers['access-control-allow-origin'], undefined)
    })
  })

/**
 * POST /api/token the same way: `/api/token` straight from node's request, `/api/token?` through
 * Hono. A code or refresh token works once, so a success is sent once each way and compared by
 * its shape; every refusal is compared whole.
 */
for (const db of TEST_DATABASES)
  describe(`the direct token endpoint answers as Hono does (${db})`, () => {
    let server: TestServer
    before(async () => {
      server = await startTestServer({ clients: [TEST_CLIENT, CONFIDENTIAL_CLIENT] }, db)
    })
    after(() => server.close())

    const FORM = ['Content-Type', 'application/x-www-form-urlencoded']
    const both = async (headers: string[], body: string) => {
      const direct = await send('POST', new URL('/api/token', server.url).href, headers, body)
      const viaHono = await send('POST', new URL('/api/token?', server.url).href, headers, body)
      return { direct, viaHono }
    }
    /** A fresh code exchanged at `target`. */
    const exchange = async (target: string, extra: string[]) => {
      const form = codeForm(await getCode(server)).toString()
      return send('POST', new URL(target, server.url).href, [...FORM, ...extra], form)
    }

    it('a code exchange: 200, the same headers and token response both ways', async () => {
      for (const extra of [[], ['Origin', 'http://127.0.0.1']]) {
        const direct = await exchange('/api/token', extra)
        const res = await exchange('/api/token?', extra)
        assert.equal(direct.status, 200, direct.body)
        assert.equal(res.status, 200, res.body)
        // RFC 6749 5.1: JSON, never cached.
        assert.equal(direct.headers['cache-control'], 'no-store')
        assert.equal(direct.headers['content-type'], 'application/json')
        const { 'content-length': a, ...directHeaders } = direct.headers
        const { 'content-length': b, ...honoHeaders } = res.headers
        assert.ok(a && b)
        assert.deepEqual(directHeaders, honoHeaders)
        const shape = (body: string) => Object.keys(JSON.parse(body) as object).sort()
        assert.deepEqual(shape(direct.body), shape(res.body))
        assert.deepEqual(shape(direct.body), [
          'access_token',
          'expires_in',
          'refresh_token',
          'scope',
          'token_type',
        ])
      }
    })

    // [what, raw headers, body, status, error]
    const refusals: [string, string[], string, number, string][] = [
      ['a JSON body', ['Content-Type', 'application/json'], '{}', 400, 'invalid_request'],
      ['no grant_type', FORM, 'client_id=test-spa', 400, 'invalid_request'],
      [
        'an unknown grant_type',
        FORM,
        'grant_type=password&client_id=test-spa',
        400,
        'unsupported_grant_type',
      ],
      [
        'an unknown code',
        FORM,
        'grant_type=authorization_code&code=nope&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback&client_id=test-spa&code_verifier=' +
          'v'.repeat(43),
        400,
        'invalid_grant',
      ],
      [
        'an unknown refresh token, from an allowed Origin',
        [...FORM, 'Origin', 'http://127.0.0.1'],
        'grant_type=refresh_token&refresh_token=nope&client_id=test-spa',
        400,
        'invalid_grant',
      ],
      [
        'a wrong client secret over HTTP Basic',
        [...FORM, 'Authorization', basic(CONFIDENTIAL_CLIENT.client_id, 'wrong')],
        'grant_type=client_credentials',
        401,
        'invalid_client',
      ],
      ['malformed percent-encoding', FORM, 'grant_type=%zz', 400, 'invalid_request'],
      ['a body over 16 KiB', FORM, 'x=' + 'a'.repeat(17 * 1024), 413, 'invalid_request'],
    ]
    for (const [name, headers, body, status, error] of refusals)
      it(`${name}: ${status} ${error}, the same both ways`, async () => {
        const { direct, viaHono } = await both(headers, body)
        assert.equal(direct.status, status, direct.body)
        assert.equal((JSON.parse(direct.body) as { error: string }).error, error)
        assert.equal(direct.headers['cache-control'], 'no-store')
        assert.equal(direct.headers.vary, 'Origin')
        assert.deepEqual(direct, viaHono)
      })

    it('the client that tried HTTP Basic is answered WWW-Authenticate: Basic (RFC 6749 5.2)', async () => {
      const { direct } = await both(
        [...FORM, 'Authorization', basic(CONFIDENTIAL_CLIENT.client_id, 'wrong')],
        'grant_type=client_credentials',
      )
      assert.equal(direct.headers['www-authenticate'], 'Basic realm="pixie", charset="UTF-8"')
    })
  })

describe('DirectRoutes', () => {
  it('matches the method and the exact path only', () => {
    const routes = new DirectRoutes()
    const endpoint = async () => ({ status: 200, headers: {}, body: '' })
    routes.add('GET', '/v1/me', endpoint)
    assert.equal(routes.find('GET', '/v1/me'), endpoint)
    for (const [method, target] of [
      ['HEAD', '/v1/me'],
      ['POST', '/v1/me'],
      ['get', '/v1/me'],
      ['OPTIONS', '/v1/me'],
      ['GET', '/v1/me?'],
      ['GET', '/v1/me/'],
      ['GET', '/V1/me'],
      ['GET', 'http://127.0.0.1/v1/me'],
      [undefined, '/v1/me'],
      ['GET', undefined],
    ] as const)
      assert.equal(routes.find(method, target), undefined, `${method} ${target}`)
  })
})
