import type SQLite from 'better-sqlite3'
import type { QueryResult, SqliteDatabase } from 'kysely'

interface Waiter {
  resolve(): void
  reject(err: unknown): void
}

/**
 * The server's one SQLite connection, shared by Kysely's driver and the store's hot queries.
 *
 * - Statements are prepared once and reused (Kysely prepares every query anew; preparing was a
 *   tenth of the server's CPU under load). The caches are bounded, for SQL that varies (IN lists).
 *   The hot queries have statements of their own, which return raw rows (rowsOf).
 * - The hot queries run straight away (`direct`): better-sqlite3 is synchronous, so a statement
 *   cannot interleave with anything else in this process, and skipping Kysely's connection queue
 *   (a chain of promises around one connection) answers in the same tick.
 * - Group commit: the writes of one turn of the event loop share one transaction, committed
 *   before the turn ends (setImmediate), and each write's promise settles only after that COMMIT,
 *   so no response reports a write that is not committed. With N requests in flight, one COMMIT
 *   (WAL append, locks) serves them all. Reads run at once and see the open group's writes.
 * - Read groups: the reads of one turn that find no write group open share one read transaction
 *   (BEGIN ... COMMIT at setImmediate). Outside a transaction every statement takes and drops
 *   WAL's read lock with fcntl calls, which cost more than an indexed read itself (measured:
 *   14 µs a lookup alone, 6 µs with 32 to a transaction). A read then sees the database as of
 *   the turn's first read: another process's commit made during that turn shows from the next
 *   one, as if it had come a moment later. A write in the turn first ends the read group.
 * - A Kysely statement first commits the open group, so Kysely's own transactions (consent,
 *   migrations) never nest in it; while a Kysely transaction is open between its statements, the
 *   hot queries wait in Kysely's queue like any other, so they never join it.
 * - Remembered reads: a hot read its caller marks `remember` (the bearer token lookup of every
 *   /v1/me) keeps its rows for the same parameters until the database may have changed them.
 *   They are all forgotten when this connection runs any write but a plain INSERT (an insert adds
 *   rows; it cannot change rows already read), when a group rolls back, and when another
 *   connection has committed: `PRAGMA data_version` changes exactly then (sqlite.org/pragma.html
 *   #pragma_data_version), and it is read once per read or write group, in the group's snapshot.
 *   So a remembered read answers what the statement would answer in the same group; another
 *   process's revocation is seen from the next turn, as without them. Rows not found are not kept.
 */
export class SqliteConnection {
  private readonly cache = new Map<string, SQLite.Statement>()
  private readonly hot = new Map<string, HotStatement>()
  /** Per hot statement, its remembered results by parameters (see `recall`). */
  private readonly remembered = new Map<HotStatement, Map<string, QueryResult<any>>>()
  /** PRAGMA data_version as last read, and whether the open group has read it. */
  private dataVersion: unknown = undefined
  private versionChecked = false
  private group: Waiter[] | null = null
  private reading = false
  private flushScheduled = false
  private readonly begin: SQLite.Statement
  private readonly beginRead: SQLite.Statement
  private readonly commit: SQLite.Statement
  private readonly rollback: SQLite.Statement
  private readonly version: SQLite.Statement

  constructor(
    readonly sqlite: SQLite.Database,
    private readonly maxStatements = 256,
    /** How many results each remembered statement keeps; the oldest goes first. */
    private readonly maxRemembered = 10_000,
  ) {
    this.begin = sqlite.prepare('BEGIN IMMEDIATE')
    this.beginRead = sqlite.prepare('BEGIN')
    this.commit = sqlite.prepare('COMMIT')
    this.rollback = sqlite.prepare('ROLLBACK')
    this.version = sqlite.prepare('PRAGMA data_version').pluck()
  }

  /** What Kysely's SqliteDialect drives: every statement of it commits the open group first. */
  forKysely(): SqliteDatabase {
    return {
      prepare: (sql: string) => {
        this.flush()
        const stmt = this.prepare(sql)
        // Kysely prepares a statement for every run of it, so this is every write it makes.
        if (!stmt.readonly && !keepsRemembered(sql)) this.forget()
        return stmt
      },
      close: () => {
        this.flush()
        this.sqlite.close()
      },
    }
  }

  /**
   * Runs a statement now; writes join the open group (or open one) and settle after its COMMIT.
   * Undefined while a Kysely transaction is open: the caller then goes through Kysely's queue.
   */
  direct(
    sql: string,
    parameters: unknown[],
    remember = false,
  ): QueryResult<any> | Promise<QueryResult<any>> | undefined {
    if (this.sqlite.inTransaction && this.group === null && !this.reading) return undefined
    const hot = this.prepareHot(sql)
    const stmt = hot.stmt
    if (stmt.readonly) {
      if (!this.sqlite.inTransaction) {
        this.beginRead.run()
        this.reading = true
        this.scheduleFlush()
      }
      if (remember) return this.recall(hot, parameters)
      return { rows: rowsOf(hot, stmt.all(parameters) as unknown[][]) }
    }
    // A read transaction that has read may not upgrade to a write (another connection may have
    // written since its snapshot): it ends, and the write group begins with the write lock.
    if (this.reading) this.endRead()
    if (!hot.keepsRemembered) this.forget()
    if (this.group === null) {
      this.begin.run()
      this.group = []
      this.scheduleFlush()
    }
    const group = this.group
    let result: QueryResult<any>
    try {
      if (stmt.reader) result = { rows: rowsOf(hot, stmt.all(parameters) as unknown[][]) }
      else {
        const { changes, lastInsertRowid } = stmt.run(parameters)
        result = { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) }
      }
    } catch (err) {
      // A constraint error undoes only its statement. An I/O error, a full disk or the like can
      // roll the whole transaction back: the group's earlier writes are then gone, so they fail.
      if (!this.sqlite.inTransaction) {
        this.forget()
        this.settle(group, err)
      }
      throw err
    }
    return new Promise((resolve, reject) => {
      group.push({ resolve: () => resolve(result), reject })
    })
  }

  /** Ends the open read group, or commits the open write group and settles its writes. */
  flush(): void {
    if (this.reading) this.endRead()
    const group = this.group
    if (group === null) return
    this.versionChecked = false
    try {
      this.commit.run()
      this.settle(group)
    } catch (err) {
      try {
        if (this.sqlite.inTransaction) this.rollback.run()
      } catch {
        // nothing more to undo
      }
      this.forget()
      this.settle(group, err)
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return
    this.flushScheduled = true
    setImmediate(() => {
      this.flushScheduled = false
      this.flush()
    })
  }

  private endRead(): void {
    this.reading = false
    this.versionChecked = false
    // COMMIT of a read-only transaction only drops the read lock; should it fail, ROLLBACK does.
    try {
      this.commit.run()
    } catch {
      if (this.sqlite.inTransaction) this.rollback.run()
    }
  }

  /**
   * A remembered read, inside the open group: first, once a group, whether another connection
   * has committed since the last look (then everything remembered goes).
   */
  private recall(hot: HotStatement, parameters: unknown[]): QueryResult<any> {
    if (!this.versionChecked) {
      const version = this.version.get()
      if (version !== this.dataVersion) {
        this.forget()
        this.dataVersion = version
      }
      this.versionChecked = true
    }
    let results = this.remembered.get(hot)
    const key =
      parameters.length === 1 && typeof parameters[0] === 'string'
        ? parameters[0]
        : JSON.stringify(parameters)
    const known = results?.get(key)
    if (known !== undefined) return known
    const rows = rowsOf(hot, hot.stmt.all(parameters) as unknown[][])
    const result = { rows }
    if (rows.length === 0) return result
    // Shared by every later caller: nobody may change what the next one reads.
    for (const row of rows) Object.freeze(row)
    Object.freeze(rows)
    if (results === undefined) this.remembered.set(hot, (results = new Map()))
    if (results.size >= this.maxRemembered) results.delete(results.keys().next().value!)
    results.set(key, Object.freeze(result))
    return result
  }

  /** Drops every remembered read. */
  private forget(): void {
    if (this.remembered.size > 0) this.remembered.clear()
  }

  private settle(group: Waiter[], err?: unknown): void {
    if (this.group === group) this.group = null
    for (const w of group) {
      if (err === undefined) w.resolve()
      else w.reject(err)
    }
  }

  private prepare(sql: string): SQLite.Statement {
    return this.cached(this.cache, sql, () => this.sqlite.prepare(sql))
  }

  /** The hot queries' own statements: rows come as arrays (raw), keyed here by their columns. */
  private prepareHot(sql: string): HotStatement {
    return this.cached(this.hot, sql, () => {
      const stmt = this.sqlite.prepare(sql)
      const keeps = keepsRemembered(sql)
      if (!stmt.reader) return { stmt, columns: [], keepsRemembered: keeps }
      const columns = stmt.columns().map((c) => c.name)
      stmt.raw(true)
      return { stmt, columns, keepsRemembered: keeps }
    })
  }

  /** A bounded cache: the oldest entry goes when it is full. */
  private cached<T>(map: Map<string, T>, sql: string, make: () => T): T {
    let value = map.get(sql)
    if (value === undefined) {
      value = make()
      if (map.size >= this.maxStatements) map.delete(map.keys().next().value!)
      map.set(sql, value)
    }
    return value
  }
}

interface HotStatement {
  stmt: SQLite.Statement
  columns: string[]
  /** A plain INSERT: as a write, the only kind that leaves the remembered reads true. */
  keepsRemembered: boolean
}

/**
 * Whether a write `sql` cannot change rows that were already read: an INSERT that neither
 * replaces nor updates on conflict. Any other write (UPDATE, DELETE, DDL, ...) may. Only asked
 * of statements that are not read-only.
 */
function keepsRemembered(sql: string): boolean {
  return /^\s*insert\s+into\b/i.test(sql) && !/\bon\s+conflict\b|\breplace\b/i.test(sql)
}

/**
 * Rows as objects keyed by column name, as better-sqlite3 makes them: built here from raw rows,
 * whose names are already strings, better-sqlite3 makes (and interns) each column's name anew
 * for every row (measured: a 14-column row 12.3 -> 9.6 µs a lookup).
 */
function rowsOf(hot: HotStatement, raw: unknown[][]): Record<string, unknown>[] {
  const { columns } = hot
  const rows: Record<string, unknown>[] = new Array(raw.length)
  for (let r = 0; r < raw.length; r++) {
    const values = raw[r]!
    const row: Record<string, unknown> = {}
    for (let i = 0; i < columns.length; i++) row[columns[i]!] = values[i]
    rows[r] = row
  }
  return rows
}
