import { tokenKey } from '../crypto/hash.ts'
import type { ClientRecord, Store } from '../storage/store.ts'
import { InvalidClient, InvalidRequest } from './errors.ts'
import type { Params } from './params.ts'
import { formatScope } from './scope.ts'

export type Introspection = { active: false } | ({ active: true } & Record<string, unknown>)

const INACTIVE: Introspection = { active: false }

/** RFC 7662 2.1: the caller must be authorized; Pixie lets confidential clients introspect. */
export function checkIntrospector(client: ClientRecord): void {
  if (client.tokenEndpointAuthMethod === 'none') {
    throw new InvalidClient('only confidential clients may introspect tokens')
  }
}

/**
 * Token introspection (RFC 7662 2). An access token of any client may be introspected (the
 * caller is a resource server); a refresh token only by the client it was issued to. Unknown,
 * expired and revoked tokens are all `{"active":false}` (RFC 7662 2.2), with nothing else.
 */
export async function introspectToken(
  store: Store,
  client: ClientRecord,
  params: Params,
  issuer: string,
  now: number,
): Promise<Introspection> {
  const { token, token_type_hint: hint } = params
  if (token === undefined) throw new InvalidRequest('token is required') // RFC 7662 2.1
  const hash = tokenKey(token)
  // RFC 7662 2.1: the hint orders the search; an unknown hint is ignored.
  const order = hint === 'refresh_token' ? ['refresh', 'access'] : ['access', 'refresh']
  for (const kind of order) {
    const found =
      kind === 'access'
        ? await accessToken(store, token, hash, issuer, now)
        : await refreshToken(store, client, hash, issuer, now)
    if (found) return found
  }
  return INACTIVE
}

async function accessToken(
  store: Store,
  token: string,
  hash: string,
  issuer: string,
  now: number,
): Promise<Introspection | null> {
  const record = await store.getAccessToken(hash)
  if (!record) return null
  if (record.grantRevokedAt !== null || record.expiresAt <= now) return INACTIVE
  // The hash matched a token Pixie minted: a JWT's own claims can be read without re-verifying.
  // An opaque token's audience is the one stored with it (RFC 8707 resources, else the issuer);
  // a token stored before audiences were (migration 0004) gets its grant's.
  const claims = token.includes('.')
    ? jwtClaims(token)
    : {
        aud:
          record.audience === null
            ? await grantAudience(store, record.grantId, issuer)
            : oneOrMany(record.audience),
      }
  return {
    ...claims,
    active: true,
    iss: issuer,
    client_id: record.clientId,
    scope: formatScope(record.scope),
    sub: record.userId ?? record.clientId,
    exp: record.expiresAt,
    token_type: 'Bearer',
  }
}

async function refreshToken(
  store: Store,
  client: ClientRecord,
  hash: string,
  issuer: string,
  now: number,
): Promise<Introspection | null> {
  const record = await store.getRefreshToken(hash)
  if (!record) return null
  if (record.clientId !== client.clientId) return INACTIVE
  const grant = await store.getGrant(record.grantId)
  if (!grant || grant.revokedAt !== null) return INACTIVE
  if (record.rotatedAt !== null || record.expiresAt <= now) return INACTIVE
  const out: Introspection = {
    active: true,
    iss: issuer,
    client_id: record.clientId,
    scope: formatScope(record.scope),
    exp: record.expiresAt,
    iat: record.createdAt,
    token_type: 'refresh_token',
  }
  if (grant.userId !== null) out.sub = grant.userId
  return out
}

async function grantAudience(store: Store, grantId: string, issuer: string) {
  const resource = (await store.getGrant(grantId))?.resource ?? null
  return resource === null ? issuer : oneOrMany(resource)
}

/** RFC 7662 2.2 / RFC 7519 4.1.3: one audience as a string, several as an array. */
function oneOrMany(audience: string[]): string | string[] {
  return audience.length === 1 ? audience[0]! : audience
}

function jwtClaims(token: string): Record<string, unknown> {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString())
    return typeof payload === 'object' && payload !== null
      ? (payload as Record<string, unknown>)
      : {}
  } catch {
    return {}
  }
}
