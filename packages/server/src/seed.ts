import { randomUUID } from 'node:crypto'
import type { ClientConfig, UserConfig } from './config.ts'
import { hashToken } from './crypto/hash.ts'
import { hashPassword } from './crypto/password.ts'
import type { ClientRecord, Store } from './storage/store.ts'

export function clientRecord(c: ClientConfig, now: number): ClientRecord {
  return {
    clientId: c.client_id,
    clientName: c.client_name ?? c.client_id,
    redirectUris: c.redirect_uris,
    tokenEndpointAuthMethod: c.token_endpoint_auth_method,
    clientSecretHash: c.client_secret ? hashToken(c.client_secret) : null,
    grantTypes: c.grant_types,
    scope: c.scope.split(' '),
    createdAt: now,
    accessTokenFormat: c.access_token_format ?? null,
    postLogoutRedirectUris: c.post_logout_redirect_uris ?? [],
  }
}

/** Creates the configured clients and users that the database does not have yet. */
export async function seed(
  store: Store,
  seeds: { clients: ClientConfig[]; users: UserConfig[] },
  now = Math.floor(Date.now() / 1000),
): Promise<{ clients: string[]; users: string[] }> {
  const created = { clients: [] as string[], users: [] as string[] }
  for (const c of seeds.clients) {
    if (await store.createClient(clientRecord(c, now))) created.clients.push(c.client_id)
  }
  for (const u of seeds.users) {
    if (await store.getUserByUsername(u.username)) continue
    const ok = await store.createUser({
      id: randomUUID(),
      username: u.username,
      passwordHash: await hashPassword(u.password),
      name: u.name,
      email: u.email ?? null,
      createdAt: now,
    })
    if (ok) created.users.push(u.username)
  }
  return created
}
