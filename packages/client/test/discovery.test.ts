import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { discover, metadataUrls, PixieClient, pixieServer, PixieClientError } from '../src/index.ts'
import { ISSUER, json, recordingFetch } from './helpers.ts'

const metadata = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/authorize`,
  token_endpoint: `${ISSUER}/api/token`,
  userinfo_endpoint: `${ISSUER}/v1/me`,
  authorization_response_iss_parameter_supported: true,
}
const hasCode = (code: string) => (e: unknown) => e instanceof PixieClientError && e.code === code

describe('discovery (RFC 8414)', () => {
  test('well-known URLs: RFC 8414 inserts, OIDC appends', () => {
    assert.deepEqual(metadataUrls('https://a.example'), [
      'https://a.example/.well-known/oauth-authorization-server',
      'https://a.example/.well-known/openid-configuration',
    ])
    assert.deepEqual(metadataUrls('https://a.example/tenant/'), [
      'https://a.example/.well-known/oauth-authorization-server/tenant',
      'https://a.example/tenant/.well-known/openid-configuration',
    ])
  })

  test('reads RFC 8414 metadata', async () => {
    const { fetch, calls } = recordingFetch(() => json(metadata))
    assert.deepEqual(await discover(ISSUER, { fetch }), metadata)
    assert.equal(calls.length, 1)
    assert.equal(calls[0]!.req.url, `${ISSUER}/.well-known/oauth-authorization-server`)
  })

  test('falls back to OpenID Connect discovery on 404', async () => {
    const { fetch, calls } = recordingFetch((req) =>
      req.url.endsWith('openid-configuration') ? json(metadata) : json({}, 404),
    )
    assert.equal((await discover(ISSUER, { fetch })).token_endpoint, metadata.token_endpoint)
    assert.equal(calls.length, 2)
  })

  test('issuer must match exactly (RFC 8414 section 3.3)', async () => {
    const { fetch } = recordingFetch(() => json({ ...metadata, issuer: `${ISSUER}/` }))
    await assert.rejects(discover(ISSUER, { fetch }), hasCode('issuer_mismatch'))
  })

  test('malformed metadata and failures are discovery errors', async () => {
    for (const body of [[], { ...metadata, token_endpoint: 'not a url' }, { issuer: ISSUER }]) {
      const { fetch } = recordingFetch(() => json(body))
      await assert.rejects(discover(ISSUER, { fetch }), hasCode('discovery_error'))
    }
    const notFound = recordingFetch(() => json({}, 404))
    await assert.rejects(discover(ISSUER, { fetch: notFound.fetch }), hasCode('discovery_error'))
    const broken = recordingFetch(() => json({}, 500))
    await assert.rejects(discover(ISSUER, { fetch: broken.fetch }), hasCode('discovery_error'))
    const offline = recordingFetch(() => Promise.reject(new TypeError('fetch failed')))
    await assert.rejects(discover(ISSUER, { fetch: offline.fetch }), hasCode('network_error'))
  })

  test('the client discovers once, and retries after a failure', async () => {
    let fail = true
    const { fetch, calls } = recordingFetch(() => (fail ? json({}, 503) : json(metadata)))
    const client = new PixieClient({
      issuer: ISSUER,
      clientId: 'c',
      redirectUri: 'https://x/cb',
      fetch,
    })
    await assert.rejects(client.getServer(), hasCode('discovery_error'))
    fail = false
    await client.getServer()
    await client.getServer()
    assert.equal(calls.length, 2)
  })

  test('pixieServer gives Pixie default endpoints', () => {
    assert.deepEqual(pixieServer('http://127.0.0.1:3000'), {
      issuer: 'http://127.0.0.1:3000',
      authorization_endpoint: 'http://127.0.0.1:3000/authorize',
      token_endpoint: 'http://127.0.0.1:3000/api/token',
      userinfo_endpoint: 'http://127.0.0.1:3000/v1/me',
      authorization_response_iss_parameter_supported: true,
      code_challenge_methods_supported: ['S256'],
    })
  })

  test('the client needs an issuer or a server', () => {
    assert.throws(
      () => new PixieClient({ clientId: 'c', redirectUri: 'https://x/cb' }),
      hasCode('invalid_argument'),
    )
  })
})
