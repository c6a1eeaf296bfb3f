import { Migrator, type Insertable, type Kysely, type Selectable } from 'kysely'
import { isForeignKeyViolation } from '../core/errors.ts'
import type { Database } from './schema.ts'
import { migrationProvider } from './migrations.ts'
import { PreparedQuery, type DirectExecutor } from './prepared.ts'
import type {
  AccessTokenRecord,
  AccessTokenState,
  ClientRecord,
  CodeRedemption,
  GrantRecord,
  RefreshRotation,
  RefreshTokenRecord,
  SessionRecord,
  SigningAlg,
  SigningKeyRecord,
  Store,
  TokenEndpointAuthMethod,
  UserRecord,
} from './store.ts'

export type AccessTokenRow = Selectable<Database['access_tokens']>
export type RefreshTokenRow = Selectable<Database['refresh_tokens']>

/** An access token's row with its grant's revocation time (access_tokens a, grants g). */
const ACCESS_TOKEN_COLUMNS = [
  'a.token_hash',
  'a.grant_id',
  'a.client_id',
  'a.user_id',
  'a.scope',
  'a.expires_at',
  'a.audience',
  'g.revoked_at',
] as const

/**
 * The Store on any SQL database Kysely speaks. The dialects differ only in how they are opened
 * (sqlite.ts, postgres.ts); the queries, the migrations and the atomic single-use operations
 * (`UPDATE ... WHERE used IS NULL RETURNING`) are the same.
 */
export class KyselyStore implements Store {
  constructor(
    readonly db: Kysely<Database>,
    private readonly onClose: () => Promise<void> = () => db.destroy(),
    private readonly direct?: DirectExecutor,
  ) {}

  /** Runs a prepared query: directly where `direct` can, else through Kysely. */
  protected run<P extends Record<string, unknown>, R>(query: PreparedQuery<P, R>, values: P) {
    return query.execute(this.db, values, this.direct)
  }

  private first<P extends Record<string, unknown>, R>(query: PreparedQuery<P, R>, values: P) {
    return query.first(this.db, values, this.direct)
  }

  /** The queries of every request, compiled once (prepared.ts); the rest are built per call. */
  private readonly q = {
    client: new PreparedQuery((p: { id: string }) =>
      this.db.selectFrom('clients').selectAll().where('client_id', '=', p.id),
    ),
    userById: new PreparedQuery((p: { id: string }) =>
      this.db.selectFrom('users').selectAll().where('id', '=', p.id),
    ),
    session: new PreparedQuery((p: { idHash: string; now: number }) =>
      this.db
        .selectFrom('sessions')
        .selectAll()
        .where('id_hash', '=', p.idHash)
        .where('expires_at', '>', p.now),
    ),
    sessionWithConsent: new PreparedQuery((p: { idHash: string; now: number; clientId: string }) =>
      this.db
        .selectFrom('sessions as s')
        .leftJoin('consents as c', (join) =>
          join.onRef('c.user_id', '=', 's.user_id').on('c.client_id', '=', p.clientId),
        )
        .select(['s.id_hash', 's.user_id', 's.auth_time', 's.expires_at', 'c.scope'])
        .where('s.id_hash', '=', p.idHash)
        .where('s.expires_at', '>', p.now),
    ),
    insertGrant: new PreparedQuery((p: Insertable<Database['grants']>) =>
      this.db.insertInto('grants').values({
        id: p.id,
        client_id: p.client_id,
        user_id: p.user_id,
        scope: p.scope,
        redirect_uri: p.redirect_uri,
        code_challenge: p.code_challenge,
        code_hash: p.code_hash,
        code_expires_at: p.code_expires_at,
        code_used_at: p.code_used_at,
        auth_time: p.auth_time,
        created_at: p.created_at,
        expires_at: p.expires_at,
        revoked_at: p.revoked_at,
        nonce: p.nonce,
        resource: p.resource,
      }),
    ),
    useCode: new PreparedQuery((p: { codeHash: string; now: number }) =>
      this.db
        .updateTable('grants')
        .set({ code_used_at: p.now })
        .where('code_hash', '=', p.codeHash)
        .where('code_used_at', 'is', null)
        .returningAll(),
    ),
    grantByCode: new PreparedQuery((p: { codeHash: string }) =>
      this.db.selectFrom('grants').selectAll().where('code_hash', '=', p.codeHash),
    ),
    grant: new PreparedQuery((p: { id: string }) =>
      this.db.selectFrom('grants').selectAll().where('id', '=', p.id),
    ),
    insertAccess: new PreparedQuery((p: Insertable<Database['access_tokens']>) =>
      this.db.insertInto('access_tokens').values({
        token_hash: p.token_hash,
        grant_id: p.grant_id,
        client_id: p.client_id,
        user_id: p.user_id,
        scope: p.scope,
        expires_at: p.expires_at,
        audience: p.audience,
      }),
    ),
    insertRefresh: new PreparedQuery((p: Insertable<Database['refresh_tokens']>) =>
      this.db.insertInto('refresh_tokens').values({
        token_hash: p.token_hash,
        grant_id: p.grant_id,
        client_id: p.client_id,
        scope: p.scope,
        created_at: p.created_at,
        expires_at: p.expires_at,
        rotated_at: p.rotated_at,
      }),
    ),
    accessToken: new PreparedQuery((p: { tokenHash: string }) =>
      this.db
        .selectFrom('access_tokens as a')
        .innerJoin('grants as g', 'g.id', 'a.grant_id')
        .select(ACCESS_TOKEN_COLUMNS)
        .where('a.token_hash', '=', p.tokenHash),
    ),
    accessTokenWithUser: new PreparedQuery(
      (p: { tokenHash: string }) =>
        this.db
          .selectFrom('access_tokens as a')
          .innerJoin('grants as g', 'g.id', 'a.grant_id')
          .leftJoin('users as u', 'u.id', 'a.user_id')
          .select([
            ...ACCESS_TOKEN_COLUMNS,
            'u.id as u_id',
            'u.username as u_username',
            'u.password_hash as u_password_hash',
            'u.name as u_name',
            'u.email as u_email',
            'u.created_at as u_created_at',
          ])
          .where('a.token_hash', '=', p.tokenHash),
      // The bearer lookup of every /v1/me: kept while the database stays as it was.
      { remember: true },
    ),
    rotateRefresh: new PreparedQuery((p: { tokenHash: string; now: number }) =>
      this.db
        .updateTable('refresh_tokens')
        .set({ rotated_at: p.now })
        .where('token_hash', '=', p.tokenHash)
        .where('rotated_at', 'is', null)
        .returningAll(),
    ),
    refreshToken: new PreparedQuery((p: { tokenHash: string }) =>
      this.db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', p.tokenHash),
    ),
  }

  async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.db, provider: migrationProvider })
    const { error, results } = await migrator.migrateToLatest()
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')
      throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${String(error)}`)
    }
  }

  async ping(): Promise<void> {
    await this.db.selectFrom('clients').select('client_id').limit(1).execute()
  }

  close(): Promise<void> {
    return this.onClose()
  }

  // Clients

  /**
   * Clients are read on every request and change rarely, so a found client is kept for
   * `clientCacheMs` (5 s): two reads fewer per sign-in flow, 8-15% of its throughput (npm run
   * bench). A change through this store is seen at once; one made by another process (the CLI,
   * another server on the same PostgreSQL) within 5 s, as the CORS origins are (http/cors.ts).
   * Unknown ids are never kept, so made-up client_ids cannot fill it.
   */
  private readonly clientCache = new Map<string, { at: number; client: ClientRecord }>()
  /** How long a found client is kept, in ms (tests shorten it). */
  clientCacheMs = CLIENT_CACHE_MS

  async createClient(c: ClientRecord): Promise<boolean> {
    const inserted = await this.db
      .insertInto('clients')
      .values({
        client_id: c.clientId,
        client_name: c.clientName,
        redirect_uris: JSON.stringify(c.redirectUris),
        token_endpoint_auth_method: c.tokenEndpointAuthMethod,
        client_secret_hash: c.clientSecretHash,
        grant_types: JSON.stringify(c.grantTypes),
        scope: c.scope.join(' '),
        created_at: c.createdAt,
        access_token_format: c.accessTokenFormat,
        post_logout_redirect_uris: JSON.stringify(c.postLogoutRedirectUris),
      })
      .onConflict((oc) => oc.column('client_id').doNothing())
      .executeTakeFirst()
    this.clientCache.delete(c.clientId)
    return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0
  }

  async getClient(clientId: string): Promise<ClientRecord | undefined> {
    const now = Date.now()
    const cached = this.clientCache.get(clientId)
    if (cached && now - cached.at < this.clientCacheMs) return cached.client
    const row = await this.first(this.q.client, { id: clientId })
    if (!row) {
      this.clientCache.delete(clientId)
      return undefined
    }
    const client = freezeRecord(toClient(row))
    if (this.clientCache.size >= CLIENT_CACHE_MAX) this.clientCache.clear()
    this.clientCache.set(clientId, { at: now, client })
    return client
  }

  async listClients(): Promise<ClientRecord[]> {
    const rows = await this.db.selectFrom('clients').selectAll().orderBy('client_id').execute()
    return rows.map(toClient)
  }

  async deleteClient(clientId: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('clients')
      .where('client_id', '=', clientId)
      .executeTakeFirst()
    this.clientCache.delete(clientId)
    return Number(r.numDeletedRows) > 0
  }

  // Users

  async createUser(u: UserRecord): Promise<boolean> {
    const inserted = await this.db
      .insertInto('users')
      .values({
        id: u.id,
        username: u.username,
        password_hash: u.passwordHash,
        name: u.name,
        email: u.email,
        created_at: u.createdAt,
      })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst()
    return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0
  }

  async getUserById(id: string): Promise<UserRecord | undefined> {
    const row = await this.first(this.q.userById, { id })
    return row && toUser(row)
  }

  async getUserByUsername(username: string): Promise<UserRecord | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirst()
    return row && toUser(row)
  }

  async listUsers(): Promise<UserRecord[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('username').execute()
    return rows.map(toUser)
  }

  async deleteUser(username: string): Promise<boolean> {
    const r = await this.db.deleteFrom('users').where('username', '=', username).executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  // Sessions and consent

  async createSession(s: SessionRecord): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({
        id_hash: s.idHash,
        user_id: s.userId,
        auth_time: s.authTime,
        expires_at: s.expiresAt,
      })
      .execute()
  }

  async getSession(idHash: string, now: number): Promise<SessionRecord | undefined> {
    const row = await this.first(this.q.session, { idHash, now })
    return row && toSession(row)
  }

  async getSessionWithConsent(
    idHash: string,
    now: number,
    clientId: string,
  ): Promise<{ session: SessionRecord; consent: string[] } | undefined> {
    const row = await this.first(this.q.sessionWithConsent, { idHash, now, clientId })
    return row && { session: toSession(row), consent: row.scope ? splitScope(row.scope) : [] }
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id_hash', '=', idHash).execute()
  }

  async addConsent(userId: string, clientId: string, scopes: string[], now: number): Promise<void> {
    const write = this.db.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('consents')
        .select('scope')
        .where('user_id', '=', userId)
        .where('client_id', '=', clientId)
        .executeTakeFirst()
      const union = [...new Set([...(row ? splitScope(row.scope) : []), ...scopes])].join(' ')
      await tx
        .insertInto('consents')
        .values({ user_id: userId, client_id: clientId, scope: union, updated_at: now })
        .onConflict((oc) =>
          oc.columns(['user_id', 'client_id']).doUpdateSet({ scope: union, updated_at: now }),
        )
        .execute()
    })
    await this.dropClientIfGone(clientId, write)
  }

  // Grants and tokens

  /**
   * A write that names a client which another process removed (while this one still had it
   * cached) fails its foreign key: the cached client goes, and the error goes on to the caller
   * (asOAuthError answers it with a 400).
   */
  private async dropClientIfGone<T>(clientId: string, write: Promise<T>): Promise<T> {
    try {
      return await write
    } catch (err) {
      if (isForeignKeyViolation(err)) this.clientCache.delete(clientId)
      throw err
    }
  }

  async createGrant(g: GrantRecord): Promise<void> {
    const write = this.run(this.q.insertGrant, {
      id: g.id,
      client_id: g.clientId,
      user_id: g.userId,
      scope: g.scope.join(' '),
      redirect_uri: g.redirectUri,
      code_challenge: g.codeChallenge,
      code_hash: g.codeHash,
      code_expires_at: g.codeExpiresAt,
      code_used_at: g.codeUsedAt,
      auth_time: g.authTime,
      created_at: g.createdAt,
      expires_at: g.expiresAt,
      revoked_at: g.revokedAt,
      nonce: g.nonce,
      resource: g.resource ? JSON.stringify(g.resource) : null,
    })
    await this.dropClientIfGone(g.clientId, write)
  }

  async redeemCode(codeHash: string, now: number): Promise<CodeRedemption> {
    // The single-use guarantee: one UPDATE that only matches an unused code.
    const row = await this.first(this.q.useCode, { codeHash, now })
    if (row) return { status: 'redeemed', grant: toGrant(row) }
    const used = await this.first(this.q.grantByCode, { codeHash })
    return used ? { status: 'already_used', grant: toGrant(used) } : { status: 'not_found' }
  }

  async revokeGrant(grantId: string, now: number): Promise<void> {
    await this.db
      .updateTable('grants')
      .set({ revoked_at: now })
      .where('id', '=', grantId)
      .where('revoked_at', 'is', null)
      .execute()
  }

  async getGrant(grantId: string): Promise<GrantRecord | undefined> {
    const row = await this.first(this.q.grant, { id: grantId })
    return row && toGrant(row)
  }

  async saveTokens(access: AccessTokenRecord, refresh: RefreshTokenRecord | null): Promise<void> {
    const accessRow: AccessTokenRow = {
      token_hash: access.tokenHash,
      grant_id: access.grantId,
      client_id: access.clientId,
      user_id: access.userId,
      scope: access.scope.join(' '),
      expires_at: access.expiresAt,
      audience: access.audience === null ? null : JSON.stringify(access.audience),
    }
    if (!refresh) {
      await this.run(this.q.insertAccess, accessRow)
      return
    }
    await this.saveTokenPair(accessRow, {
      token_hash: refresh.tokenHash,
      grant_id: refresh.grantId,
      client_id: refresh.clientId,
      scope: refresh.scope.join(' '),
      created_at: refresh.createdAt,
      expires_at: refresh.expiresAt,
      rotated_at: refresh.rotatedAt,
    })
  }

  /**
   * The two rows of a token response with a refresh token. Here two plain inserts without a
   * transaction: the caller answers only once both are stored, so a failure between them leaves
   * one unreturned random token that nobody holds, swept when it expires. On SQLite that costs
   * half of BEGIN + 2 inserts + COMMIT. PostgresStore sends both in one statement.
   */
  protected async saveTokenPair(access: AccessTokenRow, refresh: RefreshTokenRow): Promise<void> {
    await Promise.all([
      this.run(this.q.insertAccess, access),
      this.run(this.q.insertRefresh, refresh),
    ])
  }

  async getAccessToken(tokenHash: string): Promise<AccessTokenState | undefined> {
    const row = await this.first(this.q.accessToken, { tokenHash })
    return row && toAccessTokenState(row)
  }

  async getAccessTokenWithUser(
    tokenHash: string,
  ): Promise<{ token: AccessTokenState; user: UserRecord | null } | undefined> {
    const row = await this.first(this.q.accessTokenWithUser, { tokenHash })
    if (!row) return undefined
    const user =
      row.u_id === null
        ? null
        : toUser({
            id: row.u_id,
            username: row.u_username!,
            password_hash: row.u_password_hash!,
            name: row.u_name!,
            email: row.u_email,
            created_at: row.u_created_at!,
          })
    return { token: toAccessTokenState(row), user }
  }

  async rotateRefreshToken(tokenHash: string, now: number): Promise<RefreshRotation> {
    const rotated = await this.first(this.q.rotateRefresh, { tokenHash, now })
    const row = rotated ?? (await this.first(this.q.refreshToken, { tokenHash }))
    if (!row) return { status: 'not_found' }
    const grant = await this.getGrant(row.grant_id)
    if (!grant) return { status: 'not_found' }
    return { status: rotated ? 'rotated' : 'already_rotated', token: toRefresh(row), grant }
  }

  async getRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    const row = await this.first(this.q.refreshToken, { tokenHash })
    return row && toRefresh(row)
  }

  async deleteAccessToken(tokenHash: string): Promise<void> {
    await this.db.deleteFrom('access_tokens').where('token_hash', '=', tokenHash).execute()
  }

  async createSigningKey(k: SigningKeyRecord): Promise<void> {
    await this.db
      .insertInto('signing_keys')
      .values({
        kid: k.kid,
        alg: k.alg,
        public_jwk: k.publicJwk,
        private_key: k.privateKey,
        created_at: k.createdAt,
        activates_at: k.activatesAt,
        retired_at: k.retiredAt,
      })
      .execute()
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    const rows = await this.db
      .selectFrom('signing_keys')
      .selectAll()
      .orderBy('created_at')
      .execute()
    return rows.map((r) => ({
      kid: r.kid,
      alg: r.alg as SigningAlg,
      publicJwk: r.public_jwk,
      privateKey: r.private_key,
      createdAt: Number(r.created_at),
      activatesAt: Number(r.activates_at),
      retiredAt: nullableNumber(r.retired_at),
    }))
  }

  async retireSigningKeys(keepKid: string, now: number): Promise<void> {
    await this.db
      .updateTable('signing_keys')
      .set({ retired_at: now })
      .where('kid', '!=', keepKid)
      .where('retired_at', 'is', null)
      .execute()
  }

  async deleteSigningKeysRetiredBefore(before: number): Promise<number> {
    const r = await this.db
      .deleteFrom('signing_keys')
      .where('retired_at', '<', before)
      .executeTakeFirst()
    return Number(r.numDeletedRows)
  }

  async deleteExpired(now: number): Promise<number> {
    let n = 0
    n += Number(
      (
        await this.db
          .deleteFrom('grants')
          .where((eb) =>
            eb.or([
              eb('expires_at', '<=', now),
              eb('revoked_at', 'is not', null),
              eb.and([eb('code_used_at', 'is', null), eb('code_expires_at', '<=', now)]),
            ]),
          )
          .executeTakeFirst()
      ).numDeletedRows,
    )
    for (const table of ['access_tokens', 'refresh_tokens', 'sessions'] as const) {
      n += Number(
        (await this.db.deleteFrom(table).where('expires_at', '<=', now).executeTakeFirst())
          .numDeletedRows,
      )
    }
    return n
  }
}

function splitScope(scope: string): string[] {
  return scope === '' ? [] : scope.split(' ')
}

function nullableNumber(v: number | string | null): number | null {
  return v === null ? null : Number(v)
}

function toSession(r: Selectable<Database['sessions']>): SessionRecord {
  return {
    idHash: r.id_hash,
    userId: r.user_id,
    authTime: Number(r.auth_time),
    expiresAt: Number(r.expires_at),
  }
}

const CLIENT_CACHE_MS = 5000
const CLIENT_CACHE_MAX = 1024

/** A cached record is shared by every request that reads it: none may change it or its lists. */
function freezeRecord<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v && typeof v === 'object') Object.freeze(v)
  return Object.freeze(o)
}

function toClient(r: Selectable<Database['clients']>): ClientRecord {
  return {
    clientId: r.client_id,
    clientName: r.client_name,
    redirectUris: JSON.parse(r.redirect_uris) as string[],
    tokenEndpointAuthMethod: r.token_endpoint_auth_method as TokenEndpointAuthMethod,
    clientSecretHash: r.client_secret_hash,
    grantTypes: JSON.parse(r.grant_types) as string[],
    scope: splitScope(r.scope),
    createdAt: Number(r.created_at),
    accessTokenFormat: (r.access_token_format as ClientRecord['accessTokenFormat']) ?? null,
    postLogoutRedirectUris: r.post_logout_redirect_uris
      ? (JSON.parse(r.post_logout_redirect_uris) as string[])
      : [],
  }
}

function toAccessTokenState(
  r: Selectable<Database['access_tokens']> & { revoked_at: number | string | null },
): AccessTokenState {
  return {
    tokenHash: r.token_hash,
    grantId: r.grant_id,
    clientId: r.client_id,
    userId: r.user_id,
    scope: splitScope(r.scope),
    expiresAt: Number(r.expires_at),
    audience: r.audience === null ? null : (JSON.parse(r.audience) as string[]),
    grantRevokedAt: nullableNumber(r.revoked_at),
  }
}

function toUser(r: Selectable<Database['users']>): UserRecord {
  return {
    id: r.id,
    username: r.username,
    passwordHash: r.password_hash,
    name: r.name,
    email: r.email,
    createdAt: Number(r.created_at),
  }
}

function toGrant(r: Selectable<Database['grants']>): GrantRecord {
  return {
    id: r.id,
    clientId: r.client_id,
    userId: r.user_id,
    scope: splitScope(r.scope),
    redirectUri: r.redirect_uri,
    codeChallenge: r.code_challenge,
    codeHash: r.code_hash,
    codeExpiresAt: Number(r.code_expires_at),
    codeUsedAt: nullableNumber(r.code_used_at),
    authTime: Number(r.auth_time),
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    revokedAt: nullableNumber(r.revoked_at),
    nonce: r.nonce,
    resource: r.resource ? (JSON.parse(r.resource) as string[]) : null,
  }
}

function toRefresh(r: Selectable<Database['refresh_tokens']>): RefreshTokenRecord {
  return {
    tokenHash: r.token_hash,
    grantId: r.grant_id,
    clientId: r.client_id,
    scope: splitScope(r.scope),
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    rotatedAt: nullableNumber(r.rotated_at),
  }
}
