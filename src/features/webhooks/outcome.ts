import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import {
  markFailingNotice,
  recordFailure,
  recordSuccesses,
  relaxCommit,
  type AttemptResult,
  type ClaimedDelivery,
  type FailingState,
} from './dispatch.queries.ts'
import { FAILING_DISABLE_MS, FAILING_NOTICE_MS, nextAttemptAt, parseRetryAfter } from './retry.ts'
import { disableWebhook, insertNotice } from './webhooks.queries.ts'

/** Whether an attempt succeeded: a 2xx (§4.4). */
export function succeeded(result: AttemptResult): boolean {
  return result.statusCode !== undefined && result.statusCode >= 200 && result.statusCode < 300
}

/**
 * Records finished attempts: every success of the batch in one statement, then each failure in a transaction of
 * its own, because a failure can go on to disable its webhook. `random` gives retry jitter, in [0, 1).
 */
export async function recordOutcomes(db: Kysely<Database>, results: AttemptResult[], now: Date, random: () => number): Promise<void> {
  await recordSuccesses(db, results.filter(succeeded), now)
  for (const result of results.filter((r) => !succeeded(r))) {
    await db.transaction().execute(async (tx) => {
      await relaxCommit(tx)
      await recordFailed(tx, result, now, random())
    })
  }
}

/**
 * A failed attempt: its next attempt on the schedule (none once the 72 h window is over), then what the failure
 * implies: a 410 Gone disables the webhook at once (Standard Webhooks); 24 h of failures records a notice; 72 h
 * disables it with another (ATTENTIVE_API.md §4.4). Disabling cancels the webhook's pending deliveries.
 */
async function recordFailed(tx: Transaction<Database>, result: AttemptResult, now: Date, random: number): Promise<void> {
  const { delivery } = result
  const code = result.statusCode
  const gone = code === 410
  const next = gone
    ? undefined
    : nextAttemptAt({
        attempt: delivery.attempt,
        windowStartedAt: delivery.windowStartedAt ?? result.attemptedAt,
        now,
        random,
        retryAfterMs: code === 429 || code === 503 ? parseRetryAfter(result.retryAfter, now) : undefined,
      })
  const state = await recordFailure(tx, result, next)
  if (!state) return
  if (gone) return disableAsGone(tx, delivery, now)
  await checkFailing(tx, delivery, state, now)
}

async function disableAsGone(tx: Transaction<Database>, delivery: ClaimedDelivery, now: Date): Promise<void> {
  if (!(await disableWebhook(tx, delivery.webhookId, 'gone', now))) return
  await insertNotice(tx, {
    companyId: delivery.companyId,
    webhookId: delivery.webhookId,
    kind: 'disabled_gone',
    message: `${delivery.url} answered 410 Gone; the webhook is disabled. Re-enable it with PUT {"disabled":false}.`,
    now,
  })
}

async function checkFailing(tx: Transaction<Database>, delivery: ClaimedDelivery, state: FailingState, now: Date) {
  if (state.disabledAt) return
  const failingFor = now.getTime() - state.failingSince.getTime()
  const since = state.failingSince.toISOString()
  const notice = { companyId: delivery.companyId, webhookId: delivery.webhookId, now }
  if (failingFor >= FAILING_DISABLE_MS) {
    if (!(await disableWebhook(tx, delivery.webhookId, 'failing', now))) return
    await insertNotice(tx, {
      ...notice,
      kind: 'disabled_failing',
      message: `${delivery.url} has not answered 2xx since ${since}; the webhook is disabled and its pending deliveries cancelled.`,
    })
    return
  }
  if (failingFor >= FAILING_NOTICE_MS && !state.failingNoticeAt && (await markFailingNotice(tx, delivery.webhookId, now))) {
    await insertNotice(tx, {
      ...notice,
      kind: 'failing',
      message: `${delivery.url} has not answered 2xx since ${since}; it will be disabled 72 h after that.`,
    })
  }
}
