import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { PostResult } from './deliver.ts'
import { markFailingNotice, recordAttempt, type ClaimedDelivery, type FailingState } from './dispatch.queries.ts'
import { FAILING_DISABLE_MS, FAILING_NOTICE_MS, nextAttemptAt, parseRetryAfter } from './retry.ts'
import { disableWebhook, insertNotice } from './webhooks.queries.ts'

/** One finished attempt, to be recorded. */
export interface Outcome {
  delivery: ClaimedDelivery
  result: PostResult
  now: Date
  /** Uniform in [0, 1), for retry jitter. */
  random: number
}

/**
 * Records an attempt in one transaction: the delivery's new state (succeeded; pending with its next attempt;
 * failed once the 72 h window is over), the attempt log, the webhook's failure record, and what that implies:
 * a 410 Gone disables the webhook at once (Standard Webhooks); 24 h of failures records a notice; 72 h disables
 * it with another (ATTENTIVE_API.md §4.4). Disabling cancels the webhook's pending deliveries.
 */
export async function recordOutcome(db: Kysely<Database>, outcome: Outcome): Promise<void> {
  const { delivery, result, now } = outcome
  const code = result.statusCode
  const succeeded = code !== undefined && code >= 200 && code < 300
  const gone = code === 410
  const next =
    succeeded || gone
      ? undefined
      : nextAttemptAt({
          attempt: delivery.attempt,
          windowStartedAt: delivery.windowStartedAt,
          now,
          random: outcome.random,
          retryAfterMs: code === 429 || code === 503 ? parseRetryAfter(result.retryAfter, now) : undefined,
        })
  const record = {
    delivery,
    status: succeeded ? ('succeeded' as const) : next ? ('pending' as const) : ('failed' as const),
    nextAttemptAt: next,
    statusCode: code,
    latencyMs: result.latencyMs,
    error: result.error,
    responseExcerpt: result.responseExcerpt,
    now,
  }
  // A success is one statement, atomic on its own; a failure may go on to disable the webhook.
  if (succeeded) {
    await recordAttempt(db, record)
    return
  }
  await db.transaction().execute(async (tx) => {
    const state = await recordAttempt(tx, record)
    if (!state) return
    if (gone) return disableAsGone(tx, delivery, now)
    await checkFailing(tx, delivery, state, now)
  })
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
