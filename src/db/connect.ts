import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { Database } from './schema.ts'

/**
 * One parsing for PostgreSQL's 8-byte integers across Attune: JS numbers. Ids are identity columns and counts
 * stay far below 2^53; `pg`'s default (strings) would make every id a string in one place and a number in
 * another. numeric stays a string (money must not lose digits).
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === (pg.types.builtins.INT8 as number)) return (value: string) => Number(value)
    return pg.types.getTypeParser(oid, format)
  }) as typeof pg.types.getTypeParser,
}

/** Options of `createPool`. */
export interface PoolOptions {
  /** Most connections held at once. Default 10. */
  max?: number
  /** `application_name` shown in pg_stat_activity. Default `attune`. */
  applicationName?: string
}

/** A pg Pool for `url` with Attune's type parsing. */
export function createPool(url: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'attune',
    types,
  })
  // An idle client losing its connection (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => {})
  return pool
}

/** Kysely over a pg Pool. Closing the Kysely instance ends the pool. */
export function createDb(pool: pg.Pool): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
}

/** A single client with Attune's type parsing, for LISTEN connections and tools. */
export function createClient(url: string, applicationName = 'attune'): pg.Client {
  return new pg.Client({ connectionString: url, application_name: applicationName, types })
}
