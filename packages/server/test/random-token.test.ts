import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  hashToken,
  randomToken,
  timeOrderedId,
  timeOrderedToken,
  tokenKey,
} from '../src/crypto/hash.ts'

describe('randomToken (pooled CSPRNG bytes)', () => {
  it('gives 43-character base64url values of 256 bits, never the same bytes twice', () => {
    // 1,000 tokens of 32 bytes cross the 4 KiB pool's refill several times.
    const seen = new Set<string>()
    for (let i = 0; i < 1000; i++) {
      const t = randomToken()
      assert.match(t, /^[A-Za-z0-9_-]{43}$/)
      assert.equal(Buffer.from(t, 'base64url').length, 32)
      seen.add(t)
    }
    assert.equal(seen.size, 1000)
  })

  it('serves other sizes, including more than the pool holds', () => {
    assert.equal(Buffer.from(randomToken(16), 'base64url').length, 16)
    assert.equal(Buffer.from(randomToken(5000), 'base64url').length, 5000)
  })

  it('bytes are roughly uniform (each byte value within 5 sigma over 256 KiB)', () => {
    const counts = new Array<number>(256).fill(0)
    for (let i = 0; i < 8192; i++)
      for (const b of Buffer.from(randomToken(), 'base64url')) counts[b]!++
    const expected = (8192 * 32) / 256
    const sigma = Math.sqrt(expected)
    for (const c of counts) assert.ok(Math.abs(c - expected) < 5 * sigma, `count ${c}`)
  })
})

describe('timeOrderedId (RFC 9562 UUIDv7 grant ids)', () => {
  it('has the UUIDv7 layout: the milliseconds, version 7, variant 10, random bits', () => {
    const ms = Date.UTC(2026, 11, 1, 12, 0, 0, 123)
    const id = timeOrderedId(ms)
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    assert.equal(parseInt(id.replace(/-/g, '').slice(0, 12), 16), ms)
  })

  it('sorts by time, and ids of the same millisecond differ', () => {
    const a = timeOrderedId(1_000_000)
    const b = timeOrderedId(1_000_001)
    assert.ok(a < b, `${a} < ${b}`)
    const same = new Set(Array.from({ length: 1000 }, () => timeOrderedId(5)))
    assert.equal(same.size, 1000)
  })
})

describe('timeOrderedToken and tokenKey (storage keys in issue order)', () => {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'ES256' })}.${b64(claims)}.sig`

  it('a token is 12 hex digits of the current milliseconds and 256 random bits', () => {
    const before = Date.now()
    const t = timeOrderedToken()
    assert.match(t, /^[0-9a-f]{12}[A-Za-z0-9_-]{43}$/)
    const ms = parseInt(t.slice(0, 12), 16)
    assert.ok(ms >= before && ms <= Date.now())
    assert.equal(Buffer.from(t.slice(12), 'base64url').length, 32)
  })

  it('the key is the time prefix and the hash of the whole token', () => {
    const t = timeOrderedToken()
    assert.equal(tokenKey(t), t.slice(0, 12) + hashToken(t))
    // A JWT whose first claim is a time-ordered jti: its first 12 characters.
    const token = jwt({ jti: '0193a1b2c3d4' + 'x'.repeat(22), iss: 'https://issuer' })
    assert.equal(tokenKey(token), '0193a1b2c3d4' + hashToken(token))
  })

  it('tokens without a time prefix keep the plain hash (rows stored before it)', () => {
    for (const t of [
      randomToken(),
      '0193a1b2c3d4' + 'x'.repeat(42), // 54 characters: not the timed format
      'ZZZZZZZZZZZZ' + randomToken(),
      jwt({ iss: 'https://issuer', jti: '0193a1b2c3d4xx' }), // jti not first
      jwt({ jti: 'not-hex-at-all-here' }),
      'a.b',
      '.',
    ]) {
      assert.equal(tokenKey(t), hashToken(t), t)
    }
  })

  it('keys of tokens made later sort after those made earlier', () => {
    const early = '000000000001' + randomToken()
    const late = '000000000002' + randomToken()
    assert.ok(tokenKey(early) < tokenKey(late))
  })
})
