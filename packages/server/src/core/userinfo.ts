import type { AccessTokenRecord, UserRecord } from '../storage/store.ts'

/**
 * OIDC Core 5.3.2: the UserInfo response, claims by scope (5.4): always `sub`; `profile` ->
 * name, preferred_username; `email` -> email, email_verified (false: Pixie never verifies one).
 */
export function userInfoClaims(
  token: AccessTokenRecord,
  user: UserRecord,
): Record<string, unknown> {
  const claims: Record<string, unknown> = { sub: user.id }
  if (token.scope.includes('profile')) {
    claims.name = user.name
    claims.preferred_username = user.username
  }
  if (token.scope.includes('email') && user.email) {
    claims.email = user.email
    claims.email_verified = false
  }
  return claims
}
