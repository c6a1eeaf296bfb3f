import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'
import { storeContract } from '../src/storage/contract.ts'
import { openSqliteStore } from '../src/storage/sqlite.ts'

// A real SQLite file, not :memory:, so the test covers what users run.
const dir = mkdtempSync(join(tmpdir(), 'pixie-store-'))
after(() => rmSync(dir, { recursive: true, force: true }))

storeContract('sqlite (file)', async () => openSqliteStore(join(dir, 'pixie.db')))
