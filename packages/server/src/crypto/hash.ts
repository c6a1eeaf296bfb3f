import { createHash, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto'

export function sha256Base64url(value: string): string {
  return createHash('sha256').update(value).digest('base64url')
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

/** Token values are stored only as hashes: SHA-256 suits high-entropy random values. */
export function hashToken(token: string): string {
  return sha256Base64url(token)
}
