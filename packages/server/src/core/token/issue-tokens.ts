import { randomToken, timeHex, timeOrderedToken, tokenKey } from '../../crypto/hash.ts'
import { leftHalfHash, signJwt, type Signer } from '../../crypto/signing-keys.ts'
import type { ClientRecord, GrantRecord, Store } from '../../storage/store.ts'
import { formatScope } from '../scope.ts'

export interface TokenResponse {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  scope: string
  refresh_token?: string
  id_token?: string
}

export interface TokenLifetimes {
  accessTokenTtl: number
  refreshTokenTtl: number
}

/** What signing tokens needs: who signs, with which key, in which format, for how long. */
export interface TokenPolicy extends TokenLifetimes {
  issuer: string
  /** The server default; a client's own accessTokenFormat wins. */
  accessTokenFormat: 'jwt' | 'opaque'
  idTokenTtl: number
  /** The audience of an access token when no RFC 8707 resource was named: the issuer. */
  defaultAudience: string
  signer: (now: number) => Promise<Signer>
}

export interface IssueOptions {
  /** The refresh token's scope, when it differs from the access token's (RFC 6749 6). */
  refreshScopes?: string[]
  /** RFC 8707 audiences of the access token; null: the default audience. */
  resource?: string[] | null
  /** OIDC Core 3.1.3.3: add an id_token (the grant has a user and the openid scope). */
  idToken?: boolean
  /** OIDC Core 3.1.3.6 / 12.2: the nonce goes in the code exchange's id_token, not a refresh's. */
  nonce?: string | null
  /** False for client_credentials (RFC 6749 4.4.3: a refresh token SHOULD NOT be included). */
  refresh?: boolean
}

/**
 * Mints an access token (and a refresh token when the client may refresh, and an id_token for
 * OpenID Connect) for a grant, stores the token hashes together, and builds the RFC 6749 5.1
 * response. Whatever its format, every access token's hash is stored: Pixie's own APIs look it
 * up and so refuse a revoked token at once. A refresh token never outlives its family.
 */
export async function issueTokens(
  store: Store,
  client: ClientRecord,
  grant: GrantRecord,
  scopes: string[],
  policy: TokenPolicy,
  now: number,
  options: IssueOptions = {},
): Promise<TokenResponse> {
  const format = client.accessTokenFormat ?? policy.accessTokenFormat
  const signer = format === 'jwt' || options.idToken ? await policy.signer(now) : null
  const accessExpiresAt = now + policy.accessTokenTtl
  const accessToken =
    format === 'jwt'
      ? await jwtAccessToken(signer!, policy, client, grant, scopes, options.resource ?? null, now)
      : timeOrderedToken()
  const refreshToken =
    options.refresh !== false && client.grantTypes.includes('refresh_token')
      ? timeOrderedToken()
      : null
  await store.saveTokens(
    {
      tokenHash: tokenKey(accessToken),
      grantId: grant.id,
      clientId: client.clientId,
      userId: grant.userId,
      scope: scopes,
      expiresAt: accessExpiresAt,
      audience: options.resource ?? [policy.defaultAudience],
    },
    refreshToken === null
      ? null
      : {
          tokenHash: tokenKey(refreshToken),
          grantId: grant.id,
          clientId: client.clientId,
          scope: options.refreshScopes ?? scopes,
          createdAt: now,
          expiresAt: Math.min(now + policy.refreshTokenTtl, grant.expiresAt),
          rotatedAt: null,
        },
  )
  const response: TokenResponse = {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: policy.accessTokenTtl,
    scope: formatScope(scopes),
  }
  if (refreshToken !== null) response.refresh_token = refreshToken
  if (options.idToken && grant.userId !== null) {
    response.id_token = await idToken(
      signer!,
      policy,
      client,
      grant,
      accessToken,
      options.nonce,
      now,
    )
  }
  return response
}

/**
 * RFC 9068 2: `typ: at+jwt`, with iss, exp, aud, sub, client_id, iat, jti (2.2) and scope
 * (2.2.3). For client_credentials the subject is the client itself (2.2).
 */
function jwtAccessToken(
  signer: Signer,
  policy: TokenPolicy,
  client: ClientRecord,
  grant: GrantRecord,
  scopes: string[],
  resource: string[] | null,
  now: number,
): Promise<string> {
  const aud =
    resource === null ? policy.defaultAudience : resource.length === 1 ? resource[0] : resource
  const claims: Record<string, unknown> = {
    // First, and time-ordered, so the token's storage key is too (tokenKey in crypto/hash.ts).
    jti: timeHex() + randomToken(16),
    iss: policy.issuer,
    sub: grant.userId ?? client.clientId,
    aud,
    client_id: client.clientId,
    scope: formatScope(scopes),
    iat: now,
    exp: now + policy.accessTokenTtl,
  }
  if (grant.userId !== null) claims.auth_time = grant.authTime // RFC 9068 2.2.1
  return signJwt(signer, 'at+jwt', claims)
}

/** OIDC Core 2 (claims) and 3.1.3.6 (at_hash). */
function idToken(
  signer: Signer,
  policy: TokenPolicy,
  client: ClientRecord,
  grant: GrantRecord,
  accessToken: string,
  nonce: string | null | undefined,
  now: number,
): Promise<string> {
  const claims: Record<string, unknown> = {
    iss: policy.issuer,
    sub: grant.userId,
    aud: client.clientId,
    exp: now + policy.idTokenTtl,
    iat: now,
    auth_time: grant.authTime,
  }
  // OIDC Core 3.1.2.1 / 3.1.3.7 11: the nonce of the authentication request, unmodified.
  if (nonce) claims.nonce = nonce
  claims.at_hash = leftHalfHash(signer.alg, accessToken)
  claims.azp = client.clientId
  return signJwt(signer, 'JWT', claims)
}
