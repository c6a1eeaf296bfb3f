import type { Config } from '../config.ts'
import { openStore } from '../storage/index.ts'
import type { Store } from '../storage/store.ts'

/** Runs a CLI action on the configured database, migrated, and closes it afterwards. */
export async function withStore<T>(config: Config, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(config.database)
  try {
    await store.migrate()
    return await fn(store)
  } finally {
    await store.close()
  }
}
