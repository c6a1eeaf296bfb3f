import pg from 'pg'
import { Kysely, PostgresDialect } from 'kysely'
import type { Database } from './schema.ts'
import { KyselyStore } from './kysely-store.ts'

// bigint columns hold Unix seconds: safe as JS numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v))

export interface PostgresOptions {
  /** Pool size per process. */
  poolSize?: number
}

/** The scale-out store: N stateless Pixie processes share one PostgreSQL. */
export function openPostgresStore(url: string, options: PostgresOptions = {}): KyselyStore {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5000,
  })
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => {})
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return new KyselyStore(db)
}
