import { sql, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { enqueue } from '../../queue/enqueue.ts'
import type { JobHandler } from '../../queue/runner.ts'

/** The job kind (src/jobs.ts): sent messages with no final receipt after 72 h become `unknown`. */
export const RECEIPT_EXPIRY_JOB = 'message.expire_receipts'

/** Final carrier events can take 72 h; after that AWS reports UNKNOWN (COMPLIANCE.md §4.1), and so does Attune. */
export const RECEIPT_WAIT_MS = 72 * 3_600_000

const CHUNK = 10_000
const INTERVAL_MS = 15 * 60_000

/**
 * Makes sure the expiry job is queued (it reschedules itself, so this only seeds it); dispatchers call it when
 * they start. Two seeds race harmlessly: the queue_key runs them one at a time and a run that finds another
 * queued does not reschedule.
 */
export async function scheduleReceiptExpiry(tx: Transaction<Database>, now: Date): Promise<void> {
  const queued = await tx
    .selectFrom('jobs')
    .select('id')
    .where('kind', '=', RECEIPT_EXPIRY_JOB)
    .where('dead_at', 'is', null)
    .limit(1)
    .executeTakeFirst()
  if (!queued)
    await enqueue(tx, { kind: RECEIPT_EXPIRY_JOB, payload: {}, queueKey: RECEIPT_EXPIRY_JOB, runAt: now })
}

/**
 * Moves up to CHUNK messages `sent` more than 72 h ago to `unknown`, with a history row each. A receipt that
 * still arrives later moves them on (unknown → delivered is forward). Runs again at once when the chunk was full,
 * else in 15 minutes.
 */
export const expireReceiptsJob: JobHandler = async (_job, { tx, now }) => {
  const result = await sql<{ n: number }>`
    with expired as (
      update messages set state = 'unknown', updated_at = ${now}
      where id in (select id from messages where state = 'sent' and sent_at <= ${new Date(now.getTime() - RECEIPT_WAIT_MS)}
                   order by sent_at limit ${CHUNK} for update skip locked)
      returning id, company_id
    ),
    history as (
      insert into message_events (message_id, company_id, state, at, detail)
      select id, company_id, 'unknown', ${now}, jsonb_build_object('reason', 'no final receipt within 72 h') from expired
    )
    select count(*)::int as n from expired
  `.execute(tx)
  const full = (result.rows[0]?.n ?? 0) === CHUNK
  const others = await tx
    .selectFrom('jobs')
    .select('id')
    .where('kind', '=', RECEIPT_EXPIRY_JOB)
    .where('dead_at', 'is', null)
    .limit(1)
    .executeTakeFirst()
  if (!others) {
    await enqueue(tx, {
      kind: RECEIPT_EXPIRY_JOB,
      payload: {},
      queueKey: RECEIPT_EXPIRY_JOB,
      runAt: new Date(now.getTime() + (full ? 0 : INTERVAL_MS)),
    })
  }
}
