import type { ColumnType, Generated } from 'kysely'
import type { Timestamp } from '../db/schema.ts'

/** A row of `jobs` (migration 0003): one unit of durable work; see src/queue/claim.ts for its life cycle. */
export interface JobsTable {
  id: Generated<number>
  company_id: number | null
  kind: string
  /** Written as a JSON string; read back parsed. */
  payload: ColumnType<unknown, string, string>
  queue_key: string | null
  run_at: ColumnType<Date, Date | string | undefined, Date | string>
  attempts: Generated<number>
  max_attempts: Generated<number>
  locked_until: Timestamp | null
  locked_by: string | null
  last_error: string | null
  dead_at: Timestamp | null
  created_at: Generated<Date>
}

/** The queue's tables, part of `Database`. */
export interface QueueTables {
  jobs: JobsTable
}
