import { PixieClientError } from './errors.ts'

// RFC 7636 section 4.1: unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" (66 characters)
const UNRESERVED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~'
// The largest multiple of 66 that fits in a byte: bytes at or above it are rejected, otherwise
// `byte % 66` would favour the first 256 % 66 = 58 characters (modulo bias).
const LIMIT = 198

/** A uniformly random string over the unreserved set, by rejection sampling. */
function randomString(length: number): string {
  let out = ''
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length))) {
      if (byte < LIMIT && out.length < length) out += UNRESERVED[byte % UNRESERVED.length]
    }
  }
  return out
}

/**
 * Encodes bytes as base64url without padding.
 *
 * @example
 * ```ts
 * base64url(new Uint8Array([251, 255])) // '-_8'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7636#appendix-A
 */
export function base64url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/**
 * Generates a PKCE `code_verifier`: `length` (43-128, default 64) characters drawn uniformly
 * from the unreserved set with `crypto.getRandomValues`.
 *
 * @example
 * ```ts
 * const verifier = generateCodeVerifier() // e.g. 'k3~Yq.Zr...' (64 characters)
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.1
 */
export function generateCodeVerifier(length = 64): string {
  if (!Number.isInteger(length) || length < 43 || length > 128) {
    throw new PixieClientError('invalid_argument', 'a code_verifier has 43 to 128 characters')
  }
  return randomString(length)
}

/**
 * Generates an opaque, unguessable `state` value (43 unreserved characters, ~260 bits) that
 * binds the authorization response to this browser's request.
 *
 * @example
 * ```ts
 * const state = generateState()
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.12
 */
export function generateState(): string {
  return randomString(43)
}

/**
 * Derives the S256 `code_challenge`: base64url(SHA-256(ASCII(verifier))), without padding.
 *
 * @example
 * ```ts
 * await codeChallengeS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')
 * // 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.2
 */
export async function codeChallengeS256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))
  return base64url(new Uint8Array(digest))
}
