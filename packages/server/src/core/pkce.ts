import { InvalidGrant, InvalidRequest } from './errors.ts'
import { sha256Base64url, timingSafeEqualString } from '../crypto/hash.ts'

/** RFC 7636 4.1: code_verifier = 43*128unreserved; 4.2: the S256 challenge has the same grammar. */
const PKCE_GRAMMAR = /^[A-Za-z0-9\-._~]{43,128}$/

/**
 * Authorization request side of PKCE.
 * - S256 only: a challenge without a method defaults to `plain` (RFC 7636 4.3), which OAuth 2.1
 *   lets us refuse (RFC 9700 2.1.1).
 * - Public clients must send a challenge (OAuth 2.1 4.1.1, RFC 9700 2.1.1).
 */
export function checkPkceRequest(
  params: { code_challenge?: string | undefined; code_challenge_method?: string | undefined },
  isPublicClient: boolean,
): { challenge: string | null } {
  const { code_challenge: challenge, code_challenge_method: method } = params
  if (challenge === undefined) {
    if (method !== undefined)
      throw new InvalidRequest('code_challenge_method without code_challenge')
    if (isPublicClient) throw new InvalidRequest('code_challenge is required (PKCE, RFC 7636)')
    return { challenge: null }
  }
  if (method === undefined) {
    throw new InvalidRequest('code_challenge_method is required and must be S256')
  }
  if (method !== 'S256') {
    throw new InvalidRequest('code_challenge_method must be S256; plain is not allowed')
  }
  // RFC 7636 4.2: BASE64URL(SHA256) is exactly 43 characters.
  if (!/^[A-Za-z0-9\-_]{43}$/.test(challenge)) {
    throw new InvalidRequest('code_challenge must be 43 base64url characters (S256)')
  }
  return { challenge }
}

/** RFC 7636 4.5 / 4.6: the token request's code_verifier against the stored challenge. */
export function checkPkceVerifier(verifier: string | undefined, challenge: string | null): void {
  if (challenge === null) {
    // OAuth 2.1 4.1.3 / RFC 9700 2.1.1: refuse a verifier for a code issued without a challenge
    // (PKCE downgrade attack).
    if (verifier !== undefined) {
      throw new InvalidGrant('code_verifier sent for a code issued without code_challenge')
    }
    return
  }
  if (verifier === undefined) throw new InvalidGrant('code_verifier is required')
  // RFC 7636 4.1: verifier grammar.
  if (!PKCE_GRAMMAR.test(verifier)) {
    throw new InvalidGrant('code_verifier must be 43-128 characters of [A-Za-z0-9-._~]')
  }
  // RFC 7636 4.6: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) == code_challenge.
  if (!timingSafeEqualString(sha256Base64url(verifier), challenge)) {
    throw new InvalidGrant('code_verifier does not match the code_challenge')
  }
}
