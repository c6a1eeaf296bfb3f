import { hash, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto'

/** One-shot crypto.hash: a third of createHash().update().digest()'s time on short inputs. */
export function sha256Base64url(value: string): string {
  return hash('sha256', value, 'base64url')
}

/** Constant-time comparison of two strings (the length itself is not secret here). */
export function timingSafeEqualString(a: string, b: string): boolean {
  const ba = Buffer.from(a)
  const bb = Buffer.from(b)
  if (ba.length !== bb.length) {
    // Compare anyway so the time does not depend on where the strings differ.
    timingSafeEqual(ba, ba)
    return false
  }
  return timingSafeEqual(ba, bb)
}

/**
 * Random bytes are drawn from the CSPRNG 4 KiB at a time: one randomBytes call per token cost
 * more in call overhead than in randomness (3% of the token endpoint's CPU, `--profile`). Each
 * byte is handed out once, then the pool is refilled.
 */
const POOL_SIZE = 4096
const pool = Buffer.alloc(POOL_SIZE)
let offset = POOL_SIZE

function randomSlice(bytes: number): Buffer {
  if (bytes > POOL_SIZE) return randomBytes(bytes)
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool)
    offset = 0
  }
  offset += bytes
  return pool.subarray(offset - bytes, offset)
}

/** A random opaque value: 32 bytes (256 bits) base64url encoded, 43 characters. */
export function randomToken(bytes = 32): string {
  return randomSlice(bytes).toString('base64url')
}

/**
 * A grant id: a UUIDv7 (RFC 9562 5.7), 48 bits of Unix milliseconds then 74 random bits. Ids made
 * in time order land at the end of the indexes that hold them (the grants' primary key, the
 * tokens' grant_id) instead of on a random page each: fewer pages written per commit. The ids are
 * not secrets; the random part only keeps them unique.
 */
export function timeOrderedId(now = Date.now()): string {
  const b = Buffer.from(randomSlice(16))
  b.writeUIntBE(now, 0, 6) // unix_ts_ms
  b[6] = 0x70 | (b[6]! & 0x0f) // ver = 7, then rand_a
  b[8] = 0x80 | (b[8]! & 0x3f) // var = 0b10, then rand_b
  const h = b.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** Token values are stored only as hashes: SHA-256 suits high-entropy random values. */
export function hashToken(token: string): string {
  return sha256Base64url(token)
}

/** 12 lowercase hex digits of Unix milliseconds: they sort as the time does (binary collation). */
export function timeHex(ms = Date.now()): string {
  return ms.toString(16).padStart(12, '0')
}

/**
 * An opaque token (code, refresh token, opaque access token) that begins with the time it was
 * made: 12 hex digits of Unix milliseconds, then 256 random bits, 55 characters. The time is not
 * a secret (a JWT says as much in `iat`); it lets the token's row sit at the end of its index.
 */
export function timeOrderedToken(): string {
  return timeHex() + randomToken()
}

const TIMED_OPAQUE = /^[0-9a-f]{12}[A-Za-z0-9_-]{43}$/
const HEX12 = /^[0-9a-f]{12}$/
const JTI_FIRST = '{"jti":"'

/**
 * The key a token's row is stored and looked up under: the token's SHA-256 (tokens are stored
 * only as hashes), after its time prefix when it has one: the first 12 characters of a
 * time-ordered opaque token, or the start of the `jti` of a JWT Pixie signed (its first claim).
 * Keys of tokens issued in order are then in order: each insert lands on the last page of the
 * index instead of a random one, so a commit writes a few pages instead of one or two per token.
 * Tokens without a time prefix (issued before it existed) keep the plain hash as their key.
 * The lookup still needs the whole token: the prefix only says where to look.
 */
export function tokenKey(token: string): string {
  return timePrefix(token) + hashToken(token)
}

function timePrefix(token: string): string {
  if (token.length === 55 && TIMED_OPAQUE.test(token)) return token.slice(0, 12)
  const dot = token.indexOf('.')
  if (dot > 0) {
    // 28 base64url characters are 21 bytes: '{"jti":"' and the jti's first 13 characters.
    const head = Buffer.from(token.slice(dot + 1, dot + 29), 'base64url').toString('latin1')
    const prefix = head.slice(JTI_FIRST.length, JTI_FIRST.length + 12)
    if (head.startsWith(JTI_FIRST) && HEX12.test(prefix)) return prefix
  }
  return ''
}
