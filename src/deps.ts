import type { Kysely } from 'kysely'
import type pg from 'pg'
import type { Logger } from 'pino'
import type { Clock } from './clock.ts'
import type { Config } from './config.ts'
import type { Database } from './db/schema.ts'
import type { Metrics } from './http/metrics.ts'

/** What every shell (route, job, command) may use; built once by server.ts, or by a test helper. */
export interface Deps {
  db: Kysely<Database>
  config: Config
  log: Logger
  clock: Clock
  metrics: Metrics
  /** Opens a dedicated connection for LISTEN (auth cache, queue wake-ups). */
  connectListener: () => pg.Client
}
