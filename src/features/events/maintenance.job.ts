import { sql, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { enqueue } from '../../queue/enqueue.ts'
import type { JobHandler } from '../../queue/runner.ts'
import { EXTERNAL_ID_WINDOW_DAYS } from './events.queries.ts'

/** The job kind (src/jobs.ts): drops what has outlived its time, for every company. */
export const MAINTENANCE_JOB = 'events.maintenance'

/** Rows one statement deletes; more left means the job runs again at once, in a new short transaction. */
export const DELETE_CHUNK = 20_000

/** Time between runs when nothing is left over. */
const INTERVAL_MS = 60 * 60 * 1000
const DAY_MS = 24 * 60 * 60 * 1000

/** Whether a live maintenance job is queued (the running one deletes its own row first, so it does not count). */
async function maintenanceQueued(tx: Transaction<Database>): Promise<boolean> {
  const row = await tx
    .selectFrom('jobs')
    .select('id')
    .where('kind', '=', MAINTENANCE_JOB)
    .where('dead_at', 'is', null)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

/**
 * Makes sure the maintenance job exists; it reschedules itself, so this only seeds it. The event writer calls
 * it about once an hour per process, inside a batch's transaction. Two processes may both seed one: the
 * queue_key runs them one at a time, and a run that finds another queued does not reschedule, so one remains.
 */
export async function scheduleMaintenance(tx: Transaction<Database>, now: Date, runAt = now): Promise<void> {
  if (await maintenanceQueued(tx)) return
  await enqueue(tx, { kind: MAINTENANCE_JOB, payload: {}, queueKey: MAINTENANCE_JOB, runAt })
}

/** Deletes up to DELETE_CHUNK rows of `table` matching `where`; the number deleted. */
async function deleteChunk(tx: Transaction<Database>, table: string, key: string, where: ReturnType<typeof sql>): Promise<number> {
  const result = await sql`
    delete from ${sql.table(table)} where ${sql.ref(key)} in (
      select ${sql.ref(key)} from ${sql.table(table)} where ${where} limit ${DELETE_CHUNK})
  `.execute(tx)
  return Number(result.numAffectedRows ?? 0n)
}

/** Companies that keep events for a limited time: company setting `eventRetentionDays` (default: keep). */
async function retentionPolicies(tx: Transaction<Database>): Promise<Array<{ id: number; days: number }>> {
  const result = await sql<{ id: number; days: number }>`
    select id, (settings ->> 'eventRetentionDays')::int as days from companies
    where jsonb_typeof(settings -> 'eventRetentionDays') = 'number' and (settings ->> 'eventRetentionDays')::numeric >= 1
  `.execute(tx)
  return result.rows
}

/**
 * The maintenance run: expired Idempotency-Key answers (24 h), externalEventId claims past their 30 days, and each
 * company's events older than its `eventRetentionDays`, deleted in chunks by primary key. When a chunk was full it
 * runs again at once; otherwise in an hour. Rollups (counts, last purchase) are summaries and stay.
 */
export const maintenanceJob: JobHandler = async (_job, { tx, now }) => {
  let full = false
  const note = (deleted: number) => (full ||= deleted >= DELETE_CHUNK)
  note(await deleteChunk(tx, 'idempotency_keys', 'ctid', sql`expires_at < ${now}`))
  const claimCutoff = new Date(now.getTime() - EXTERNAL_ID_WINDOW_DAYS * DAY_MS)
  note(await deleteChunk(tx, 'event_external_ids', 'ctid', sql`claimed_at < ${claimCutoff}`))
  for (const { id, days } of await retentionPolicies(tx)) {
    const cutoff = new Date(now.getTime() - days * DAY_MS)
    note(await deleteChunk(tx, 'events', 'id', sql`company_id = ${id} and occurred_at < ${cutoff}`))
  }
  await scheduleMaintenance(tx, now, full ? now : new Date(now.getTime() + INTERVAL_MS))
}
