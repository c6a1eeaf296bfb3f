import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely'
import type { Database } from './schema.ts'
import { KyselyStore, type DirectExecutor } from './kysely-store.ts'
import { startCheckpointer } from './sqlite-checkpointer.ts'

export interface SqliteOptions {
  /** Checkpoint the WAL from a worker thread (sqlite-checkpointer.ts): for long-running servers. */
  backgroundCheckpoints?: boolean
}

/** The embedded store: one SQLite file, nothing to install. */
export function openSqliteStore(path: string, options: SqliteOptions = {}): KyselyStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const sqlite = new SQLite(path)
  // WAL lets the CLI read and write while a server runs; busy_timeout makes the writers wait for
  // each other instead of failing; foreign keys carry deletes of clients and users to their grants.
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma('busy_timeout = 5000')
  sqlite.pragma('foreign_keys = ON')
  const checkpointer =
    options.backgroundCheckpoints && path !== ':memory:' ? startCheckpointer(path) : undefined
  // With the worker, this connection checkpoints only as a fallback (the default mark is 1000).
  if (checkpointer) sqlite.pragma('wal_autocheckpoint = 10000')
  const statements = cachedStatements(sqlite)
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: statements }) })
  return new KyselyStore(
    db,
    async () => {
      await checkpointer?.stop()
      await db.destroy()
    },
    directExecutor(sqlite, statements),
  )
}

/**
 * better-sqlite3 is synchronous, so a statement run straight away cannot interleave with
 * anything else in this process: the store's hot queries skip Kysely's connection queue (a chain
 * of promises around one connection) and answer in the same tick. The one exception is a Kysely
 * transaction between its BEGIN and COMMIT (awaiting its next statement): a statement run then
 * would join it, so while the connection is in a transaction the query takes the queue as usual.
 */
function directExecutor(sqlite: SQLite.Database, statements: SqliteDatabase): DirectExecutor {
  return (sql, parameters) => {
    if (sqlite.inTransaction) return undefined
    const stmt = statements.prepare(sql) as SQLite.Statement
    if (stmt.reader) return { rows: stmt.all(parameters) }
    const { changes, lastInsertRowid } = stmt.run(parameters)
    return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) }
  }
}

/**
 * Kysely prepares every query anew; better-sqlite3 statements can be reused, and preparing was
 * a tenth of the server's CPU under load (`npm run bench -- --profile`). The cache is bounded so
 * queries with varying SQL (IN lists) cannot grow it without end. SQLite re-prepares a cached
 * statement by itself when a migration changes the schema.
 */
function cachedStatements(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>()
  return {
    prepare(sql: string) {
      let stmt = cache.get(sql)
      if (!stmt) {
        stmt = sqlite.prepare(sql)
        if (cache.size >= 256) cache.delete(cache.keys().next().value!)
        cache.set(sql, stmt)
      }
      return stmt
    },
    close() {
      sqlite.close()
    },
  }
}
