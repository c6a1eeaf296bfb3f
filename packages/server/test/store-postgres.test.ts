import { after } from 'node:test'
import { storeContract } from '../src/storage/contract.ts'
import { openPostgresStore } from '../src/storage/postgres.ts'
import { freshPgSchema } from '../src/testing.ts'

// The real PostgreSQL server (127.0.0.1:5432), in a schema of its own for this run.
const schema = await freshPgSchema()
after(() => schema.drop())

storeContract('postgres', async () => openPostgresStore(schema.url))
