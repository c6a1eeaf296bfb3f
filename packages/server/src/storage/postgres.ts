import pg from 'pg'
import {
  Kysely,
  Migrator,
  PostgresDialect,
  sql,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type SchemaMetadata,
  type TableMetadata,
} from 'kysely'
import type { Database } from './schema.ts'
import { KyselyStore, type AccessTokenRow, type RefreshTokenRow } from './kysely-store.ts'
import { migrationProvider } from './migrations.ts'
import { PreparedQuery, type DirectExecutor } from './prepared.ts'

// bigint columns hold Unix seconds: safe as JS numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v))

export interface PostgresOptions {
  /** Pool size per process. */
  poolSize?: number
  /** How long to wait for a connection before answering 503 (ms). */
  connectionTimeoutMs?: number
  /** A query that gets no answer (network black hole) fails after this long (ms). */
  queryTimeoutMs?: number
}

/**
 * The scale-out store: N stateless Pixie processes share one PostgreSQL. The pool is exposed for
 * the rate limiter, which keeps its counters in the same database.
 */
export class PostgresStore extends KyselyStore {
  constructor(
    db: Kysely<Database>,
    readonly pool: pg.Pool,
  ) {
    super(db, () => db.destroy(), namedStatements(pool))
  }

  /**
   * Both rows of a token response in one statement (a data-modifying WITH), so one commit where
   * two inserts made two, and both rows or neither. With the store alone and 64 at a time:
   * PostgreSQL's CPU per pair 0.31-0.39 -> 0.18-0.21 ms, this process's 0.12-0.15 -> 0.07-0.09 ms.
   * In interleaved bench cells at c=64: code exchanges +12% and +16%, refreshes +5% to +19%.
   */
  private readonly insertTokenPair = new PreparedQuery((p: TokenPair) =>
    this.db
      .with('access', (db) =>
        db.insertInto('access_tokens').values({
          token_hash: p.access_token_hash,
          grant_id: p.access_grant_id,
          client_id: p.access_client_id,
          user_id: p.access_user_id,
          scope: p.access_scope,
          expires_at: p.access_expires_at,
          audience: p.access_audience,
        }),
      )
      .insertInto('refresh_tokens')
      .values({
        token_hash: p.refresh_token_hash,
        grant_id: p.refresh_grant_id,
        client_id: p.refresh_client_id,
        scope: p.refresh_scope,
        created_at: p.refresh_created_at,
        expires_at: p.refresh_expires_at,
        rotated_at: p.refresh_rotated_at,
      }),
  )

  protected override async saveTokenPair(
    access: AccessTokenRow,
    refresh: RefreshTokenRow,
  ): Promise<void> {
    await this.run(this.insertTokenPair, {
      ...prefixed('access_', access),
      ...prefixed('refresh_', refresh),
    } as TokenPair)
  }

  /**
   * Kysely's migrator looks for its bookkeeping tables in every schema it can see, so a
   * `kysely_migration` table of another schema (another app, another test run) would make it skip
   * creating ours. Pinning it to the current schema (the first of search_path) avoids that. Several
   * processes migrating at once serialize on the migrator's advisory lock.
   *
   * Its lookups go through an introspector of that one schema (OneSchemaIntrospector): Kysely's
   * own reads the catalog of every schema and resolves each by name, which fails with 3F000 when
   * someone else (another app, a parallel test run) drops a schema at that moment.
   */
  override async migrate(): Promise<void> {
    const { rows } = await sql<{
      schema: string | null
    }>`select current_schema() as schema`.execute(this.db)
    const schema = rows[0]?.schema
    if (!schema) throw new Error('no schema to migrate: the search_path names no existing schema')
    const pool = this.pool
    // A second Kysely on the same pool, never destroyed (that would end the pool).
    const db = new Kysely<Database>({
      dialect: new (class extends PostgresDialect {
        override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
          return new OneSchemaIntrospector(db, schema)
        }
      })({ pool }),
    })
    const migrator = new Migrator({ db, provider: migrationProvider, migrationTableSchema: schema })
    const { error, results } = await migrator.migrateToLatest()
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')
      throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${String(error)}`)
    }
  }
}

type Prefixed<P extends string, R> = { [K in keyof R & string as `${P}${K}`]: R[K] }
type TokenPair = Prefixed<'access_', AccessTokenRow> & Prefixed<'refresh_', RefreshTokenRow>

function prefixed(prefix: string, row: object): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(row)) out[prefix + k] = v
  return out
}

/**
 * What the migrator asks of the catalog (does our schema exist, which tables are in it), read
 * for one schema by its oid: nothing is resolved by name, so schemas dropped meanwhile elsewhere
 * cannot fail it. Columns are not listed: the migrator needs only the names.
 */
class OneSchemaIntrospector implements DatabaseIntrospector {
  constructor(
    private readonly db: Kysely<any>,
    private readonly schema: string,
  ) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string }>`
      select nspname as name from pg_catalog.pg_namespace where nspname = ${this.schema}`.execute(
      this.db,
    )
    return rows
  }

  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; kind: string }>`
      select c.relname as name, c.relkind as kind
      from pg_catalog.pg_class c join pg_catalog.pg_namespace ns on ns.oid = c.relnamespace
      where ns.nspname = ${this.schema} and c.relkind in ('r', 'v', 'p')`.execute(this.db)
    return rows.map((r) => ({
      name: r.name,
      schema: this.schema,
      isView: r.kind === 'v',
      columns: [],
    }))
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() }
  }
}

/**
 * Runs the store's hot queries (prepared.ts) as named prepared statements. Kysely's driver sends
 * every query unnamed, which PostgreSQL parses, analyses and plans anew each time; a named one is
 * parsed once per connection and then only bound and executed. With the store alone and 64
 * bearer lookups at a time, PostgreSQL's CPU per lookup went from 0.14 to 0.03-0.04 ms; `/v1/me`
 * at c=64 (npm run bench, alternating with the previous build) from 3.5k and 5.1k to 8.2k and
 * 11.8k a second.
 *
 * Two things can take a prepared statement away, and the query is then sent once more (it failed
 * before it ran, so this is safe for writes too):
 * - Another process migrated a table that a `select *` reads. PostgreSQL refuses the old plan
 *   (0A000, "cached plan must not change result type"). The SQL gets a new name and is prepared
 *   again on each connection.
 * - A pooler in transaction mode (PgBouncer before 1.21, or with max_prepared_statements = 0)
 *   hands each transaction to another server connection. A name it cannot find there (26000) or
 *   one that is already taken (42P05) turns named statements off for this process.
 */
function namedStatements(pool: pg.Pool): DirectExecutor {
  const names = new Map<string, string>()
  let count = 0
  let named = true
  const rename = (text: string) => {
    const name = `pixie_${++count}`
    names.set(text, name)
    return name
  }
  const send = async (text: string, values: unknown[], name?: string) => {
    // As Kysely's driver does: pool.query() would close the connection on any error, a unique
    // or foreign key violation included. A connection that broke is dropped when released.
    const connection = await pool.connect()
    try {
      const { command, rowCount, rows } = await connection.query(
        name ? { name, text, values } : { text, values },
      )
      const changed = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE'
      return { rows: rows ?? [], numAffectedRows: changed ? BigInt(rowCount ?? 0) : undefined }
    } finally {
      connection.release()
    }
  }
  return async (text, values) => {
    if (!named) return send(text, values)
    try {
      return await send(text, values, names.get(text) ?? rename(text))
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code
      if (code === '0A000') return send(text, values, rename(text))
      if (code !== '26000' && code !== '42P05') throw err
      named = false
      return send(text, values)
    }
  }
}

export function openPostgresStore(url: string, options: PostgresOptions = {}): PostgresStore {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    // TCP keepalive notices a peer that vanished without closing the connection.
    keepAlive: true,
    query_timeout: options.queryTimeoutMs ?? 30_000,
  })
  // A connection that dies while idle in the pool: pg-pool drops it; nothing else to do.
  pool.on('error', () => {})
  // A connection that dies while checked out (Kysely holds it for a query or a transaction) has
  // no pool listener: its 'error' event would be an uncaught exception and end the process. The
  // query itself is rejected (-> 503) and pg-pool discards the broken client when it is released.
  pool.on('connect', (client) => {
    client.on('error', () => {})
  })
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return new PostgresStore(db, pool)
}
