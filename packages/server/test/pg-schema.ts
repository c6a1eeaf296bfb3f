import pg from 'pg'
import { randomBytes } from 'node:crypto'

/** The PostgreSQL the tests use; CI starts it (.ci/run). */
export const PG_URL = process.env.PIXIE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/**
 * A fresh schema per test run, so concurrent runs never collide; the returned URL selects it
 * through search_path. Dropped by the returned cleanup.
 */
export async function freshPgSchema(): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `pixie_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: PG_URL })
  await admin.connect()
  await admin.query(`create schema ${schema}`)
  await admin.end()
  const url = new URL(PG_URL)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_URL })
      await c.connect()
      await c.query(`drop schema ${schema} cascade`)
      await c.end()
    },
  }
}
