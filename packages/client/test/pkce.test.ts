import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  base64url,
  codeChallengeS256,
  generateCodeVerifier,
  generateState,
  PixieClientError,
} from '../src/index.ts'

const UNRESERVED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~'

/**
 * Pearson's chi-square goodness-of-fit test for a uniform distribution over `alphabet`.
 * The critical value (p = 1e-4, so a fair generator fails about once in 10,000 runs) uses the
 * Wilson-Hilferty approximation of the chi-square quantile.
 */
function chiSquareUniform(text: string, alphabet: string) {
  const counts = new Map<string, number>([...alphabet].map((c) => [c, 0]))
  for (const c of text) {
    assert.ok(counts.has(c), `unexpected character ${JSON.stringify(c)}`)
    counts.set(c, counts.get(c)! + 1)
  }
  const expected = text.length / alphabet.length
  let statistic = 0
  for (const n of counts.values()) statistic += (n - expected) ** 2 / expected
  const k = alphabet.length - 1 // degrees of freedom
  const z = 3.719 // standard normal quantile for 1 - 1e-4
  const critical = k * (1 - 2 / (9 * k) + z * Math.sqrt(2 / (9 * k))) ** 3
  return { statistic, critical, uniform: statistic < critical }
}

/** The classic mistake: `byte % 62` over a 62-character alphabet favours its first 8 characters. */
function biasedVerifier(length: number) {
  const alphabet = UNRESERVED.slice(0, 62)
  let out = ''
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(128))) out += alphabet[b % 62]
  }
  return out.slice(0, length)
}

describe('PKCE (RFC 7636)', () => {
  test('S256 challenge matches the RFC 7636 appendix B vector', async () => {
    assert.equal(
      await codeChallengeS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'),
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    )
  })

  test('base64url has no padding and uses - and _', () => {
    assert.equal(base64url(new Uint8Array([251, 255])), '-_8')
    assert.equal(base64url(new Uint8Array([])), '')
    assert.equal(base64url(new Uint8Array([0])), 'AA')
  })

  test('verifiers use only the unreserved set, 43-128 characters', () => {
    for (let i = 0; i < 2000; i++) {
      const v = generateCodeVerifier()
      assert.match(v, /^[A-Za-z0-9\-._~]{64}$/)
    }
    for (const length of [43, 44, 100, 128]) {
      assert.equal(generateCodeVerifier(length).length, length)
    }
    for (const length of [0, 42, 129, 50.5, NaN]) {
      assert.throws(
        () => generateCodeVerifier(length),
        (e: unknown) => e instanceof PixieClientError && e.code === 'invalid_argument',
      )
    }
    const seen = new Set(Array.from({ length: 1000 }, () => generateCodeVerifier(43)))
    assert.equal(seen.size, 1000)
  })

  test('states are unreserved, 43 characters and distinct', () => {
    const states = new Set(Array.from({ length: 1000 }, generateState))
    assert.equal(states.size, 1000)
    for (const s of states) assert.match(s, /^[A-Za-z0-9\-._~]{43}$/)
  })

  test('verifier characters are uniformly distributed (chi-square)', () => {
    let text = ''
    for (let i = 0; i < 2000; i++) text += generateCodeVerifier(128) // 256,000 characters
    const result = chiSquareUniform(text, UNRESERVED)
    assert.ok(
      result.uniform,
      `chi2 ${result.statistic.toFixed(1)} >= ${result.critical.toFixed(1)}`,
    )
  })

  test('the chi-square check catches a modulo-biased generator', () => {
    const text = biasedVerifier(256_000)
    const result = chiSquareUniform(text, UNRESERVED.slice(0, 62))
    assert.equal(result.uniform, false, `chi2 ${result.statistic.toFixed(1)} should be large`)
    assert.ok(result.statistic > 10 * result.critical)
  })
})
