import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from 'kysely'

type Slot = { name: string } | { value: unknown }

/**
 * Runs a statement without Kysely's driver when the database allows it (SQLite, see
 * sqlite-connection.ts); undefined sends it through Kysely's driver instead.
 */
export type DirectExecutor = (
  sql: string,
  parameters: unknown[],
  remember?: boolean,
) => QueryResult<any> | Promise<QueryResult<any>> | undefined

/**
 * A Kysely query built and compiled once, then run many times with new values.
 *
 * Kysely builds an operation tree and compiles it to SQL on every call; on the token endpoint
 * that was a quarter of the server's CPU (`npm run bench -- --profile`). The store's hot queries
 * keep the same typed builder, but it runs once, on the first call, with a marker string standing
 * in for each named value it reads; each compiled parameter is then mapped back to the value it
 * stands for (or kept, when the builder added a constant such as a `limit`).
 *
 * The builder must not branch on its values: the SQL is fixed by the first call.
 */
export class PreparedQuery<P extends Record<string, unknown>, R> {
  private compiled?: { sql: string; slots: Slot[] }

  constructor(
    private readonly build: (values: P) => Compilable<R>,
    /**
     * A read whose rows the direct executor may keep and answer again, for as long as the
     * database has not changed (sqlite-connection.ts, remembered reads).
     */
    private readonly options: { remember?: boolean } = {},
  ) {}

  /** The SQL and its parameters for these values. */
  bind(values: P): { sql: string; parameters: unknown[] } {
    const { sql, slots } = this.compiled ?? this.compile()
    const parameters = slots.map((s) => {
      const v = 'name' in s ? values[s.name] : s.value
      return v === undefined ? null : v
    })
    return { sql, parameters }
  }

  /**
   * Runs on `db` (which may be a transaction of the same database), or through `direct` when
   * that takes the statement.
   */
  async execute(db: Kysely<any>, values: P, direct?: DirectExecutor): Promise<QueryResult<R>> {
    const { sql, parameters } = this.bind(values)
    return (
      direct?.(sql, parameters, this.options.remember) ??
      db.executeQuery(CompiledQuery.raw(sql, parameters) as CompiledQuery<R>)
    )
  }

  async first(db: Kysely<any>, values: P, direct?: DirectExecutor): Promise<R | undefined> {
    return (await this.execute(db, values, direct)).rows[0]
  }

  private compile(): { sql: string; slots: Slot[] } {
    const byMarker = new Map<string, string>()
    const markers = new Proxy({} as P, {
      get(_, name) {
        const marker = `\u0001pixie:${String(name)}\u0001`
        byMarker.set(marker, String(name))
        return marker
      },
    })
    const query = this.build(markers).compile()
    for (const marker of byMarker.keys()) {
      // A value inlined into the SQL text instead of bound would be bound as the marker.
      if (query.sql.includes(marker)) throw new Error('a prepared query inlined a value')
    }
    const slots = query.parameters.map((p): Slot => {
      const name = typeof p === 'string' ? byMarker.get(p) : undefined
      return name === undefined ? { value: p } : { name }
    })
    this.compiled = { sql: query.sql, slots }
    return this.compiled
  }
}
