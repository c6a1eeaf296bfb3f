import pg from 'pg'
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely'
import type { Database } from './schema.ts'
import { KyselyStore } from './kysely-store.ts'
import { migrationProvider } from './migrations.ts'

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
    super(db)
  }

  /**
   * Kysely's migrator looks for its bookkeeping tables in every schema it can see, so a
   * `kysely_migration` table of another schema (another app, another test run) would make it skip
   * creating ours. Pinning it to the current schema (the first of search_path) avoids that. Several
   * processes migrating at once serialize on the migrator's advisory lock.
   */
  override async migrate(): Promise<void> {
    const { rows } = await sql<{
      schema: string | null
    }>`select current_schema() as schema`.execute(this.db)
    const schema = rows[0]?.schema
    if (!schema) throw new Error('no schema to migrate: the search_path names no existing schema')
    const migrator = new Migrator({
      db: this.db,
      provider: migrationProvider,
      migrationTableSchema: schema,
    })
    for (let attempt = 1; ; attempt++) {
      const { error, results } = await migrator.migrateToLatest()
      if (!error) return
      // The migrator's table lookup reads the catalog of every schema; one dropped at that moment
      // by someone else (another app, a parallel test run) fails it with 3F000. Nothing was
      // migrated then, so looking again is safe.
      const failed = results?.find((r) => r.status === 'Error')
      const raced = !failed && (error as { code?: string }).code === '3F000'
      if (raced && attempt < 5) {
        await new Promise((resolve) => setTimeout(resolve, 25 * attempt))
        continue
      }
      throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${String(error)}`)
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
