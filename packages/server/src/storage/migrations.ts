import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely'

/**
 * The schema's history, shared by every dialect: Kysely's migrator records applied migrations in
 * `kysely_migration`, so `pixie migrate` and start-up in development are the same operation.
 * Columns use portable types only (text, bigint); times are Unix seconds.
 */
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('clients')
        .addColumn('client_id', 'text', (c) => c.primaryKey())
        .addColumn('client_name', 'text', (c) => c.notNull())
        .addColumn('redirect_uris', 'text', (c) => c.notNull())
        .addColumn('token_endpoint_auth_method', 'text', (c) => c.notNull())
        .addColumn('client_secret_hash', 'text')
        .addColumn('grant_types', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('email', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('auth_time', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('sessions_expires_at')
        .on('sessions')
        .column('expires_at')
        .execute()
      await db.schema
        .createTable('consents')
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('client_id', 'text', (c) =>
          c.notNull().references('clients.client_id').onDelete('cascade'),
        )
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('consents_pk', ['user_id', 'client_id'])
        .execute()
      await db.schema
        .createTable('grants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) =>
          c.notNull().references('clients.client_id').onDelete('cascade'),
        )
        // Null for client_credentials grants, which have no user.
        .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('redirect_uri', 'text', (c) => c.notNull())
        .addColumn('code_challenge', 'text')
        .addColumn('code_hash', 'text', (c) => c.notNull().unique())
        .addColumn('code_expires_at', 'bigint', (c) => c.notNull())
        .addColumn('code_used_at', 'bigint')
        .addColumn('auth_time', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute()
      await db.schema.createIndex('grants_expires_at').on('grants').column('expires_at').execute()
      await db.schema
        .createIndex('grants_code_expires_at')
        .on('grants')
        .column('code_expires_at')
        .execute()
      for (const table of ['access_tokens', 'refresh_tokens'] as const) {
        let t = db.schema
          .createTable(table)
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('grant_id', 'text', (c) =>
            c.notNull().references('grants.id').onDelete('cascade'),
          )
          .addColumn('client_id', 'text', (c) => c.notNull())
          .addColumn('scope', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
        t =
          table === 'access_tokens'
            ? t.addColumn('user_id', 'text')
            : t
                .addColumn('created_at', 'bigint', (c) => c.notNull())
                .addColumn('rotated_at', 'bigint')
        await t.execute()
        await db.schema.createIndex(`${table}_grant_id`).on(table).column('grant_id').execute()
        await db.schema.createIndex(`${table}_expires_at`).on(table).column('expires_at').execute()
      }
    },
    async down(db: Kysely<any>) {
      for (const t of [
        'refresh_tokens',
        'access_tokens',
        'grants',
        'consents',
        'sessions',
        'users',
        'clients',
      ]) {
        await sql`drop table if exists ${sql.table(t)}`.execute(db)
      }
    },
  },
  // Counters of the PostgreSQL rate limiter (rate-limiter-flexible's RateLimiterPostgres layout:
  // key, points, expire in Unix ms). Created here rather than by the limiter at start-up, where
  // several processes starting at once would race on CREATE TABLE. Unused by SQLite.
  '0002_rate_limits': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('rate_limits')
        .addColumn('key', 'varchar(255)', (c) => c.primaryKey())
        .addColumn('points', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('expire', 'bigint')
        .execute()
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('rate_limits').ifExists().execute()
    },
  },
  '0003_oidc_and_keys': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('clients').addColumn('access_token_format', 'text').execute()
      await db.schema.alterTable('clients').addColumn('post_logout_redirect_uris', 'text').execute()
      await db.schema.alterTable('grants').addColumn('nonce', 'text').execute()
      await db.schema.alterTable('grants').addColumn('resource', 'text').execute()
      await db.schema
        .createTable('signing_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('alg', 'text', (c) => c.notNull())
        .addColumn('public_jwk', 'text', (c) => c.notNull())
        // PKCS#8 PEM, or AES-256-GCM ciphertext of it when PIXIE_SECRET is set.
        .addColumn('private_key', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('activates_at', 'bigint', (c) => c.notNull())
        .addColumn('retired_at', 'bigint')
        .execute()
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('signing_keys').ifExists().execute()
    },
  },
  // The audiences of each access token (RFC 8707 resources, else the issuer), so a resource check
  // needs no decoding and holds for opaque tokens too. Null in rows written before it.
  '0004_access_token_audience': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('access_tokens').addColumn('audience', 'text').execute()
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('access_tokens').dropColumn('audience').execute()
    },
  },
}

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations
  },
}
