import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { checkPkceRequest, checkPkceVerifier } from '../src/core/pkce.ts'
import { sha256Base64url } from '../src/crypto/hash.ts'

// RFC 7636 Appendix B.
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'

describe('PKCE (RFC 7636)', () => {
  it('computes the Appendix B S256 challenge', () => {
    assert.equal(sha256Base64url(VERIFIER), CHALLENGE)
  })

  it('accepts the Appendix B verifier for its challenge', () => {
    assert.doesNotThrow(() => checkPkceVerifier(VERIFIER, CHALLENGE))
  })

  it('refuses a verifier that does not match', () => {
    const other = VERIFIER.slice(0, -1) + 'j'
    assert.throws(() => checkPkceVerifier(other, CHALLENGE), { error: 'invalid_grant' })
  })

  it('checks verifier grammar: 43-128 unreserved characters', () => {
    for (const bad of [
      'a'.repeat(42),
      'a'.repeat(129),
      'a'.repeat(42) + '!',
      'a'.repeat(42) + ' ',
    ]) {
      assert.throws(() => checkPkceVerifier(bad, sha256Base64url(bad)), {
        error: 'invalid_grant',
        message: /43-128/,
      })
    }
    const ok = 'aZ09-._~'.repeat(16) // 128 characters
    assert.doesNotThrow(() => checkPkceVerifier(ok, sha256Base64url(ok)))
  })

  it('refuses a verifier for a code issued without a challenge (downgrade)', () => {
    assert.throws(() => checkPkceVerifier(VERIFIER, null), { error: 'invalid_grant' })
    assert.doesNotThrow(() => checkPkceVerifier(undefined, null))
  })

  it('requires the verifier when a challenge was sent', () => {
    assert.throws(() => checkPkceVerifier(undefined, CHALLENGE), { error: 'invalid_grant' })
  })

  it('authorization request: S256 only, plain refused, method required', () => {
    assert.deepEqual(
      checkPkceRequest({ code_challenge: CHALLENGE, code_challenge_method: 'S256' }, true),
      { challenge: CHALLENGE },
    )
    // No method means plain (RFC 7636 4.3), which is refused.
    assert.throws(() => checkPkceRequest({ code_challenge: CHALLENGE }, true), {
      error: 'invalid_request',
    })
    assert.throws(
      () => checkPkceRequest({ code_challenge: CHALLENGE, code_challenge_method: 'plain' }, true),
      { error: 'invalid_request' },
    )
    assert.throws(
      () => checkPkceRequest({ code_challenge: 'short', code_challenge_method: 'S256' }, true),
      { error: 'invalid_request' },
    )
  })

  it('public clients must send a challenge; confidential clients may omit it', () => {
    assert.throws(() => checkPkceRequest({}, true), { error: 'invalid_request' })
    assert.deepEqual(checkPkceRequest({}, false), { challenge: null })
  })
})
