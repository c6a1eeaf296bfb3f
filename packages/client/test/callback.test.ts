import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { codeChallengeS256, PixieClientError, pixieServer } from '../src/index.ts'
import { ISSUER, REDIRECT_URI, issue, json, makeClient } from './helpers.ts'

const hasCode = (code: string) => (e: unknown) => e instanceof PixieClientError && e.code === code

function callback(params: Record<string, string>) {
  const url = new URL(REDIRECT_URI)
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
  return url
}

/** A client with a pending transaction; returns the state it sent. */
async function started(options: Parameters<typeof makeClient>[1] = {}) {
  const { client, calls } = makeClient(() => json(issue()), options)
  const url = await client.buildAuthorizationUrl()
  return { client, calls, url, state: url.searchParams.get('state')! }
}

describe('authorization request (RFC 6749 section 4.1.1, RFC 7636 section 4.3)', () => {
  test('carries every parameter and stores the verifier', async () => {
    const storage = new Map<string, string>()
    const { client } = makeClient(() => json(issue()), {
      storage: {
        get: (k) => storage.get(k),
        set: (k, v) => void storage.set(k, v),
        remove: (k) => void storage.delete(k),
      },
    })
    const url = await client.buildAuthorizationUrl({ params: { prompt: 'consent', state: 'evil' } })
    assert.equal(url.origin + url.pathname, `${ISSUER}/authorize`)
    const p = url.searchParams
    assert.equal(p.get('client_id'), 'demo')
    assert.equal(p.get('response_type'), 'code')
    assert.equal(p.get('redirect_uri'), REDIRECT_URI)
    assert.equal(p.get('scope'), 'profile email')
    assert.equal(p.get('code_challenge_method'), 'S256')
    assert.equal(p.get('prompt'), 'consent')
    assert.match(p.get('state')!, /^[A-Za-z0-9\-._~]{43}$/)
    assert.notEqual(p.get('state'), 'evil') // extension params cannot override the protocol
    const tx = JSON.parse(storage.get('pixie:demo:transaction')!)
    assert.equal(tx.state, p.get('state'))
    assert.equal(await codeChallengeS256(tx.codeVerifier), p.get('code_challenge'))
    const again = await client.buildAuthorizationUrl()
    assert.notEqual(again.searchParams.get('state'), p.get('state'))
  })
})

describe('handleCallback (RFC 6749 section 4.1.2, RFC 9207)', () => {
  test('exchanges the code with the verifier and stores the tokens', async () => {
    const { client, calls, url, state } = await started()
    const tokens = await client.handleCallback(callback({ code: 'c0de', state, iss: ISSUER }))
    assert.equal(tokens.accessToken.startsWith('at-'), true)
    assert.deepEqual(await client.getTokens(), tokens)
    assert.equal(calls.length, 1)
    const { req, body } = calls[0]!
    assert.equal(req.method, 'POST')
    assert.equal(req.url, `${ISSUER}/api/token`)
    assert.equal(req.headers.get('content-type'), 'application/x-www-form-urlencoded')
    assert.equal(body.get('grant_type'), 'authorization_code')
    assert.equal(body.get('code'), 'c0de')
    assert.equal(body.get('redirect_uri'), REDIRECT_URI)
    assert.equal(body.get('client_id'), 'demo')
    assert.equal(
      await codeChallengeS256(body.get('code_verifier')!),
      url.searchParams.get('code_challenge'),
    )
  })

  test('a replayed callback fails: the transaction is single use', async () => {
    const { client, calls, state } = await started()
    const cb = callback({ code: 'c0de', state, iss: ISSUER })
    await client.handleCallback(cb)
    await assert.rejects(client.handleCallback(cb), hasCode('missing_transaction'))
    assert.equal(calls.length, 1)
  })

  test('a callback the client did not start is refused', async () => {
    const { client, calls } = makeClient(() => json(issue()))
    await assert.rejects(
      client.handleCallback(callback({ code: 'c', state: 'x', iss: ISSUER })),
      hasCode('missing_transaction'),
    )
    assert.equal(calls.length, 0)
  })

  test('state mismatch is refused and keeps the pending transaction', async () => {
    const { client, calls, state } = await started()
    await assert.rejects(
      client.handleCallback(callback({ code: 'c', state: `${state}x`, iss: ISSUER })),
      hasCode('invalid_state'),
    )
    await assert.rejects(
      client.handleCallback(callback({ code: 'c', iss: ISSUER })),
      hasCode('invalid_state'),
    )
    assert.equal(calls.length, 0)
    await client.handleCallback(callback({ code: 'c', state, iss: ISSUER }))
  })

  test('iss must be present and equal when the server advertises it', async () => {
    for (const iss of [undefined, 'https://evil.example', `${ISSUER}/`]) {
      const { client, calls, state } = await started()
      const params: Record<string, string> = { code: 'c', state }
      if (iss) params.iss = iss
      await assert.rejects(client.handleCallback(callback(params)), hasCode('issuer_mismatch'))
      assert.equal(calls.length, 0)
    }
  })

  test('iss is optional when not advertised, but still checked when sent', async () => {
    const server = pixieServer(ISSUER, { authorization_response_iss_parameter_supported: false })
    const a = await started({ server })
    await a.client.handleCallback(callback({ code: 'c', state: a.state }))
    const b = await started({ server })
    await assert.rejects(
      b.client.handleCallback(callback({ code: 'c', state: b.state, iss: 'https://evil.example' })),
      hasCode('issuer_mismatch'),
    )
  })

  test('error responses become typed authorization errors', async () => {
    const { client, calls, state } = await started()
    const cb = callback({
      error: 'access_denied',
      error_description: 'The user said no',
      state,
      iss: ISSUER,
    })
    await assert.rejects(client.handleCallback(cb), (e: unknown) => {
      assert.ok(e instanceof PixieClientError)
      assert.equal(e.code, 'authorization_error')
      assert.equal(e.error, 'access_denied')
      assert.equal(e.error_description, 'The user said no')
      return true
    })
    assert.equal(calls.length, 0)
    await assert.rejects(client.handleCallback(cb), hasCode('missing_transaction'))
  })

  test('a callback without code is an invalid response', async () => {
    const { client, state } = await started()
    await assert.rejects(
      client.handleCallback(callback({ state, iss: ISSUER })),
      hasCode('invalid_response'),
    )
  })

  test('token endpoint errors carry error, description and status', async () => {
    const { client } = makeClient(() =>
      json({ error: 'invalid_grant', error_description: 'code expired' }, 400),
    )
    const state = (await client.buildAuthorizationUrl()).searchParams.get('state')!
    await assert.rejects(
      client.handleCallback(callback({ code: 'c', state, iss: ISSUER })),
      (e: unknown) => {
        assert.ok(e instanceof PixieClientError)
        assert.equal(e.code, 'token_error')
        assert.equal(e.error, 'invalid_grant')
        assert.equal(e.error_description, 'code expired')
        assert.equal(e.status, 400)
        return true
      },
    )
    assert.equal(await client.getTokens(), undefined)
  })

  test('a malformed token response is refused', async () => {
    const { client } = makeClient(() => json({ access_token: 'at', token_type: 'mac' }))
    const state = (await client.buildAuthorizationUrl()).searchParams.get('state')!
    await assert.rejects(
      client.handleCallback(callback({ code: 'c', state, iss: ISSUER })),
      hasCode('invalid_response'),
    )
  })

  test('network failures are network errors', async () => {
    const { client } = makeClient(() => Promise.reject(new TypeError('fetch failed')))
    const state = (await client.buildAuthorizationUrl()).searchParams.get('state')!
    await assert.rejects(
      client.handleCallback(callback({ code: 'c', state, iss: ISSUER })),
      (e: unknown) => {
        assert.ok(e instanceof PixieClientError)
        assert.equal(e.code, 'network_error')
        assert.ok(e.cause instanceof TypeError)
        return true
      },
    )
  })
})
