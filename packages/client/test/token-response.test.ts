import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { parseTokenResponse, PixieClientError } from '../src/index.ts'

const invalid = (e: unknown) => e instanceof PixieClientError && e.code === 'invalid_response'

describe('token response validation (RFC 6749 section 5.1)', () => {
  test('accepts a complete response and computes expiresAt', () => {
    const now = 1_000_000
    assert.deepEqual(
      parseTokenResponse(
        {
          access_token: 'at',
          token_type: 'bearer',
          expires_in: 60,
          refresh_token: 'rt',
          scope: 'profile',
          id_token: 'ignored',
        },
        now,
      ),
      {
        accessToken: 'at',
        tokenType: 'Bearer',
        expiresAt: now + 60_000,
        refreshToken: 'rt',
        scope: 'profile',
      },
    )
  })

  test('optional members may be absent', () => {
    assert.deepEqual(parseTokenResponse({ access_token: 'at', token_type: 'BEARER' }), {
      accessToken: 'at',
      tokenType: 'Bearer',
    })
  })

  const bad: [string, unknown][] = [
    ['not an object', 'token'],
    ['null', null],
    ['an array', [{ access_token: 'at', token_type: 'Bearer' }]],
    ['no access_token', { token_type: 'Bearer' }],
    ['empty access_token', { access_token: '', token_type: 'Bearer' }],
    ['numeric access_token', { access_token: 1, token_type: 'Bearer' }],
    ['no token_type', { access_token: 'at' }],
    ['DPoP token_type', { access_token: 'at', token_type: 'DPoP' }],
    ['string expires_in', { access_token: 'at', token_type: 'Bearer', expires_in: '3600' }],
    ['zero expires_in', { access_token: 'at', token_type: 'Bearer', expires_in: 0 }],
    ['negative expires_in', { access_token: 'at', token_type: 'Bearer', expires_in: -5 }],
    ['infinite expires_in', { access_token: 'at', token_type: 'Bearer', expires_in: Infinity }],
    ['empty refresh_token', { access_token: 'at', token_type: 'Bearer', refresh_token: '' }],
    ['null refresh_token', { access_token: 'at', token_type: 'Bearer', refresh_token: null }],
    ['array scope', { access_token: 'at', token_type: 'Bearer', scope: ['a'] }],
  ]
  for (const [name, body] of bad) {
    test(`rejects ${name}`, () => assert.throws(() => parseTokenResponse(body), invalid))
  }
})
