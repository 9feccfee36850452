import { sql, type Transaction } from 'kysely'
import type { Database } from '../db/schema.ts'

/** Channel that `enqueue` notifies at commit; workers LISTEN on it to wake without waiting for their poll. */
export const JOBS_CHANNEL = 'attune_jobs'

/** Attempts a job gets unless it says otherwise; also the column default in migration 0003. */
export const DEFAULT_MAX_ATTEMPTS = 10

/** A job to add to the queue. */
export interface NewJob<P = unknown> {
  /** The handler that runs it: a key of the job map (src/jobs.ts), e.g. `webhook.deliver`. */
  kind: string
  /** Handed to the handler as `job.payload`; stored as jsonb, so it must survive JSON.stringify. */
  payload: P
  /** The company it belongs to; omitted or null for a system job. Deleting the company deletes its jobs. */
  companyId?: number | null
  /** Earliest moment it may run. Default: the database's now() at the insert (due at once). */
  runAt?: Date
  /** Jobs with the same key run one at a time, in enqueue order. Default: none (no ordering). */
  queueKey?: string | null
  /** Attempts before the job is dead. Default DEFAULT_MAX_ATTEMPTS (10). */
  maxAttempts?: number
}

/**
 * Adds one job inside the caller's transaction and returns its id. It becomes visible to workers, and wakes
 * them, only when that transaction commits; a rollback discards it with everything else. The parameter is a
 * `Transaction`, not a `Kysely`, so enqueueing outside a transaction does not compile.
 */
export async function enqueue<P>(tx: Transaction<Database>, job: NewJob<P>): Promise<number> {
  const [id] = await enqueueMany(tx, [job])
  if (id === undefined) throw new Error('enqueue: the insert returned no id')
  return id
}

/**
 * Adds jobs in one INSERT inside the caller's transaction and returns their ids in the order given (ids grow
 * in that order, which is the order jobs sharing a queue_key run in). Workers are notified once per distinct
 * kind, not once per row.
 */
export async function enqueueMany(tx: Transaction<Database>, jobs: readonly NewJob[]): Promise<number[]> {
  if (jobs.length === 0) return []
  // unnest() keeps this one statement with six parameters whatever the batch size: a VALUES list would need
  // six per row and reach PostgreSQL's 65,535-parameter limit at about 10,900 jobs.
  const result = await sql<{ id: number }>`
    with inserted as (
      insert into jobs (company_id, kind, payload, queue_key, run_at, max_attempts)
      select company_id, kind, payload, queue_key, coalesce(run_at, now()), max_attempts
      from unnest(
        ${jobs.map((job) => job.companyId ?? null)}::bigint[],
        ${jobs.map((job) => job.kind)}::text[],
        ${jobs.map((job) => JSON.stringify(job.payload ?? null))}::jsonb[],
        ${jobs.map((job) => job.queueKey ?? null)}::text[],
        ${jobs.map((job) => job.runAt ?? null)}::timestamptz[],
        ${jobs.map((job) => job.maxAttempts ?? DEFAULT_MAX_ATTEMPTS)}::int[]
      ) with ordinality as j (company_id, kind, payload, queue_key, run_at, max_attempts, ord)
      order by ord
      returning id, kind
    ),
    -- NOTIFY is sent at commit (never for a rollback); PostgreSQL would fold repeats within a transaction
    -- anyway, but one call per kind keeps a 10,000-row batch from making 10,000 calls.
    notified as (
      select count(pg_notify(${JOBS_CHANNEL}, kind)) as kinds from (select distinct kind from inserted) k
    )
    select inserted.id from inserted cross join notified order by inserted.id
  `.execute(tx)
  return result.rows.map((row) => row.id)
}
