import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

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

/** A random opaque value: 32 bytes (256 bits) base64url encoded, 43 characters. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url')
}

/** Token values are stored only as hashes: SHA-256 suits high-entropy random values. */
export function hashToken(token: string): string {
  return sha256Base64url(token)
}
