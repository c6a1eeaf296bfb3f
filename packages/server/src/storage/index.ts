import { openSqliteStore } from './sqlite.ts'
import type { Store } from './store.ts'

export type { Store } from './store.ts'

export interface OpenStoreOptions {
  /** PostgreSQL connections in this process's pool. */
  poolSize?: number
  /** SQLite: checkpoint the WAL from a worker thread (long-running servers, not the CLI). */
  backgroundCheckpoints?: boolean
}

/** Opens the store a database URL names: `sqlite:<path>` (or `sqlite::memory:`). */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  if (url.startsWith('sqlite:')) {
    const { backgroundCheckpoints = false } = options
    return openSqliteStore(url.slice('sqlite:'.length), { backgroundCheckpoints })
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { openPostgresStore } = await import('./postgres.ts')
    return openPostgresStore(url, options.poolSize ? { poolSize: options.poolSize } : {})
  }
  throw new Error(
    `unsupported database URL (expected sqlite:<path> or postgres://...): ${redact(url)}`,
  )
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@')
}
