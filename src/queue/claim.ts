// How workers share the jobs table.
//
// One statement claims a batch: SELECT ... ORDER BY run_at, id LIMIT n FOR UPDATE SKIP LOCKED, then UPDATE
// the chosen rows with a lease (locked_until = now + lease, locked_by, attempts + 1). SKIP LOCKED lets any
// number of workers claim at once without queueing on each other's row locks, and without the advisory-lock
// bookkeeping of older designs (graphile-worker's getJobs.ts compares both; pg-boss uses the same statement).
// A second worker racing for a row that was just claimed re-checks the WHERE clause on the new row version,
// sees the lease, and passes it over, so a job is never handed out twice while its lease holds.
//
// The partial index jobs_due (run_at, id) WHERE dead_at IS NULL keeps the claim an index scan that stops
// after n due rows: scheduled and dead jobs are never read (claim.test.ts checks that the plan can use it).
// `now` is always a parameter from the worker's Clock, never SQL now(), so tests move time instead of
// sleeping (graphile-worker passes now the same way).
//
// A worker runs each job in a transaction whose first statement deletes the job row (takeJob). While that
// transaction is open the row stays locked, so SKIP LOCKED passes it over even after the lease runs out: the
// lease only decides when the job of a dead worker (its connection and transaction gone) may run again.
//
// Per-key ordering: a job with a queue_key is claimable only while it is the oldest live (not dead) job of
// its key. The head's row, running or backing off, holds the rest of its key back; a dead head lets the next
// one go. Each check is one probe of jobs_queue_key. A backlog of many same-key jobs makes the scan step over
// the waiting ones; keys are meant for small groups (one subscriber's messages), not for a whole queue.
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../db/schema.ts'

/** A claimed job as a handler sees it. */
export interface Job<P = unknown> {
  id: number
  kind: string
  payload: P
  companyId: number | null
  queueKey: string | null
  runAt: Date
  /** Claims so far, this one included: 1 on the first run. */
  attempts: number
  maxAttempts: number
  createdAt: Date
}

interface JobRow {
  id: number
  kind: string
  payload: unknown
  company_id: number | null
  queue_key: string | null
  run_at: Date
  attempts: number
  max_attempts: number
  created_at: Date
}

/** What one claim asks for. */
export interface ClaimRequest {
  workerId: string
  /** The worker's clock reading; due means run_at <= now. */
  now: Date
  leaseMs: number
  /** Most jobs to claim. */
  limit: number
}

/** The claim statement; claimJobs runs it (exported so a test can EXPLAIN it). */
export function claimJobsQuery({ workerId, now, leaseMs, limit }: ClaimRequest) {
  const lockedUntil = new Date(now.getTime() + leaseMs)
  return sql<JobRow>`
    with claimable as (
      select j.id from jobs j
      where j.dead_at is null
        and j.run_at <= ${now}
        and (j.locked_until is null or j.locked_until <= ${now})
        and (j.queue_key is null or j.id = (
          select min(k.id) from jobs k where k.queue_key = j.queue_key and k.dead_at is null))
      order by j.run_at, j.id
      limit ${limit}
      for update skip locked
    )
    update jobs set locked_until = ${lockedUntil}, locked_by = ${workerId}, attempts = jobs.attempts + 1
    from claimable where jobs.id = claimable.id
    returning jobs.id, jobs.kind, jobs.payload, jobs.company_id, jobs.queue_key, jobs.run_at, jobs.attempts,
      jobs.max_attempts, jobs.created_at
  `
}

/** Leases up to `limit` due jobs to `workerId`, oldest due first, in one statement. */
export async function claimJobs(db: Kysely<Database>, request: ClaimRequest): Promise<Job[]> {
  const result = await claimJobsQuery(request).execute(db)
  return result.rows.map(toJob).sort((a, b) => a.runAt.getTime() - b.runAt.getTime() || a.id - b.id)
}

/**
 * First statement of a job's transaction: deletes the row if this claim still owns it (same worker, same
 * attempt), which also locks it until the transaction ends. False: the lease was lost (it ran out before the
 * job started and another worker took it, or stop() released it), so the job must not run here.
 */
export async function takeJob(tx: Transaction<Database>, job: Job, workerId: string): Promise<boolean> {
  const result = await tx
    .deleteFrom('jobs')
    .where('id', '=', job.id)
    .where('locked_by', '=', workerId)
    .where('attempts', '=', job.attempts)
    .executeTakeFirst()
  return result.numDeletedRows === 1n
}

/** What a failed attempt leaves behind. */
export interface Failure {
  error: string
  now: Date
  /** When to try again, if attempts remain. */
  retryAt: Date
}

/**
 * Records a failed attempt after its transaction rolled back: the job is released to run again at `retryAt`,
 * or, after max_attempts, marked dead and kept. Returns the outcome; undefined if the claim was lost.
 */
export async function failJob(
  db: Kysely<Database>,
  job: Job,
  workerId: string,
  { error, now, retryAt }: Failure,
): Promise<'failed' | 'dead' | undefined> {
  const result = await sql<{ dead: boolean }>`
    update jobs set
      locked_until = null,
      locked_by = null,
      last_error = ${error},
      run_at = case when attempts >= max_attempts then run_at else ${retryAt}::timestamptz end,
      dead_at = case when attempts >= max_attempts then ${now}::timestamptz end
    where id = ${job.id} and locked_by = ${workerId} and attempts = ${job.attempts}
    returning dead_at is not null as dead
  `.execute(db)
  const row = result.rows[0]
  if (!row) return undefined
  return row.dead ? 'dead' : 'failed'
}

/**
 * Gives claims back without counting them (attempts - 1, lease cleared), so any worker can take the jobs at
 * once; used by a worker that stops before finishing them. Claims already lost are left alone.
 */
export async function releaseJobs(
  db: Kysely<Database>,
  jobs: readonly Job[],
  workerId: string,
): Promise<number> {
  if (jobs.length === 0) return 0
  const result = await sql`
    update jobs set locked_until = null, locked_by = null, attempts = jobs.attempts - 1
    from unnest(${jobs.map((job) => job.id)}::bigint[], ${jobs.map((job) => job.attempts)}::int[])
      as c (id, attempts)
    where jobs.id = c.id and jobs.attempts = c.attempts and jobs.locked_by = ${workerId}
  `.execute(db)
  return Number(result.numAffectedRows ?? 0)
}

/** A job state counted by queueDepth. */
export type QueueState = 'ready' | 'scheduled' | 'running' | 'dead'

/**
 * Jobs per kind and state, for /metrics: ready (due, waiting for a worker; includes same-key jobs waiting for
 * their head), scheduled (run_at later), running (leased), dead. Default `now`: the database's now().
 */
export async function queueDepth(
  db: Kysely<Database>,
  now?: Date,
): Promise<Array<{ kind: string; state: QueueState; count: number }>> {
  const at = now ?? sql`now()`
  const result = await sql<{ kind: string; state: QueueState; count: number }>`
    select kind, state, count(*)::int as count
    from (
      select kind, case
        when dead_at is not null then 'dead'
        when locked_until > ${at} then 'running'
        when run_at > ${at} then 'scheduled'
        else 'ready' end as state
      from jobs
    ) s
    group by kind, state
    order by kind, state
  `.execute(db)
  return result.rows
}

function toJob(row: JobRow): Job {
  return {
    id: row.id,
    kind: row.kind,
    payload: row.payload,
    companyId: row.company_id,
    queueKey: row.queue_key,
    runAt: row.run_at,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    createdAt: row.created_at,
  }
}
