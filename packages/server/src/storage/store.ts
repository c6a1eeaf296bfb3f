/**
 * The storage contract. The server reaches the database only through this interface; every
 * implementation passes the shared suite in `contract.ts`.
 *
 * Conventions: times are Unix seconds; secrets (token values, codes, session ids, client
 * secrets) arrive already hashed and are never stored in plain text; single use is an atomic
 * operation of the store, never get-then-delete.
 *
 * Visibility: a store's own writes are seen by its next read. Another process's commit is seen
 * from the next turn of the event loop at the latest (SQLite's reads of one turn share one read
 * transaction: sqlite-connection.ts).
 */
export type TokenEndpointAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post'

export interface ClientRecord {
  clientId: string
  clientName: string
  redirectUris: string[]
  tokenEndpointAuthMethod: TokenEndpointAuthMethod
  /** SHA-256 of the secret; null for public clients. */
  clientSecretHash: string | null
  grantTypes: string[]
  scope: string[]
  createdAt: number
  /** Per-client access token format; null means the server default. */
  accessTokenFormat: 'jwt' | 'opaque' | null
  /** OIDC RP-Initiated Logout: where the client may be sent after logout. */
  postLogoutRedirectUris: string[]
}

export interface UserRecord {
  id: string
  username: string
  /** argon2id PHC string. */
  passwordHash: string
  name: string
  email: string | null
  createdAt: number
}

export interface SessionRecord {
  idHash: string
  userId: string
  authTime: number
  expiresAt: number
}

/**
 * A grant is born with its authorization code at /authorize and lives on as the token family:
 * every access and refresh token issued from that code points back to it, so revoking the grant
 * revokes them all (code replay, refresh token reuse).
 */
export interface GrantRecord {
  id: string
  clientId: string
  /** Null for client_credentials grants: no user is involved. */
  userId: string | null
  scope: string[]
  redirectUri: string
  codeChallenge: string | null
  codeHash: string
  codeExpiresAt: number
  codeUsedAt: number | null
  authTime: number
  createdAt: number
  /** End of the family: no refresh token of this grant outlives it. */
  expiresAt: number
  revokedAt: number | null
  /** OIDC nonce of the authorization request, for the id_token. */
  nonce: string | null
  /** RFC 8707 resource indicators the grant was issued for (the access token audiences). */
  resource: string[] | null
}

export interface AccessTokenRecord {
  tokenHash: string
  grantId: string
  clientId: string
  userId: string | null
  scope: string[]
  expiresAt: number
  /** Whom the token is for (RFC 8707 resources, else the issuer); null: stored before 0004. */
  audience: string[] | null
}

/** An access token as a resource server checks it: with its grant's revocation state. */
export type AccessTokenState = AccessTokenRecord & { grantRevokedAt: number | null }

export interface RefreshTokenRecord {
  tokenHash: string
  grantId: string
  clientId: string
  scope: string[]
  createdAt: number
  expiresAt: number
  /** Set, atomically and once, when the token is exchanged for its successor. */
  rotatedAt: number | null
}

export type SigningAlg = 'ES256' | 'EdDSA' | 'RS256'

/** A JWS signing key. Published in the JWKS from creation until well after it retires. */
export interface SigningKeyRecord {
  kid: string
  alg: SigningAlg
  /** The public JWK, JSON. */
  publicJwk: string
  /** PKCS#8 PEM, or its AES-256-GCM ciphertext (`enc:v1:...`) when PIXIE_SECRET is set. */
  privateKey: string
  createdAt: number
  /** Not used to sign before this time, so every cache has seen it in the JWKS first. */
  activatesAt: number
  /** Stopped signing at this time; still published until tokens it signed have expired. */
  retiredAt: number | null
}

export type CodeRedemption =
  | { status: 'redeemed'; grant: GrantRecord }
  | { status: 'already_used'; grant: GrantRecord }
  | { status: 'not_found' }

export type RefreshRotation =
  | { status: 'rotated'; token: RefreshTokenRecord; grant: GrantRecord }
  | { status: 'already_rotated'; token: RefreshTokenRecord; grant: GrantRecord }
  | { status: 'not_found' }

export interface Store {
  /** Brings the schema to the newest migration. Idempotent. */
  migrate(): Promise<void>
  /** Throws when the database cannot be reached. */
  ping(): Promise<void>
  close(): Promise<void>

  /** Inserts; false when the client_id is taken. */
  createClient(client: ClientRecord): Promise<boolean>
  getClient(clientId: string): Promise<ClientRecord | undefined>
  listClients(): Promise<ClientRecord[]>
  /** Removes the client and everything issued to it; false when there was none. */
  deleteClient(clientId: string): Promise<boolean>

  /** Inserts; false when the username is taken. */
  createUser(user: UserRecord): Promise<boolean>
  getUserById(id: string): Promise<UserRecord | undefined>
  getUserByUsername(username: string): Promise<UserRecord | undefined>
  listUsers(): Promise<UserRecord[]>
  /** Removes the user with their sessions, consents and grants; false when there was none. */
  deleteUser(username: string): Promise<boolean>

  createSession(session: SessionRecord): Promise<void>
  /** The session if it exists and has not expired at `now`. */
  getSession(idHash: string, now: number): Promise<SessionRecord | undefined>
  /**
   * The session (as getSession) with the scopes its user has consented to for this client (empty
   * when none), in one read: the authorization endpoint needs both on every request of a
   * signed-in user.
   */
  getSessionWithConsent(
    idHash: string,
    now: number,
    clientId: string,
  ): Promise<{ session: SessionRecord; consent: string[] } | undefined>
  deleteSession(idHash: string): Promise<void>

  /** Adds scopes to the remembered consent (a union with what was there). */
  addConsent(userId: string, clientId: string, scopes: string[], now: number): Promise<void>

  createGrant(grant: GrantRecord): Promise<void>
  /**
   * Atomically marks the code used. Exactly one caller ever sees `redeemed` for a code; a later
   * caller sees `already_used` (and the grant, so it can be revoked).
   */
  redeemCode(codeHash: string, now: number): Promise<CodeRedemption>
  /** Revokes the grant and so every token issued from it. Idempotent. */
  revokeGrant(grantId: string, now: number): Promise<void>
  getGrant(grantId: string): Promise<GrantRecord | undefined>

  /** Stores an access token and optionally a refresh token of the same grant, together. */
  saveTokens(access: AccessTokenRecord, refresh: RefreshTokenRecord | null): Promise<void>
  /** The access token with its grant's revocation state. */
  getAccessToken(tokenHash: string): Promise<AccessTokenState | undefined>
  /**
   * The same, with the token's user (null when it has none or the user is gone), in one query:
   * what /v1/me and /userinfo need on every call.
   */
  getAccessTokenWithUser(
    tokenHash: string,
  ): Promise<{ token: AccessTokenState; user: UserRecord | null } | undefined>
  /**
   * Atomically marks the refresh token rotated. Exactly one caller sees `rotated`; later callers
   * see `already_rotated` with the time it happened (reuse detection and the grace period).
   */
  rotateRefreshToken(tokenHash: string, now: number): Promise<RefreshRotation>
  getRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | undefined>
  /** Deletes one access token (RFC 7009 revocation of an access token). */
  deleteAccessToken(tokenHash: string): Promise<void>

  createSigningKey(key: SigningKeyRecord): Promise<void>
  listSigningKeys(): Promise<SigningKeyRecord[]>
  /** Marks every key but `keepKid` retired at `now` (those not retired already). */
  retireSigningKeys(keepKid: string, now: number): Promise<void>
  /** Deletes keys retired before `before`. */
  deleteSigningKeysRetiredBefore(before: number): Promise<number>

  /** Deletes what has expired (codes never redeemed, ended sessions and families). */
  deleteExpired(now: number): Promise<number>
}
