import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { PostResult } from './deliver.ts'
import type { IdentifierValue } from './payload.ts'

/** Channel the fan-out trigger (migration 0040) and replays notify; dispatchers LISTEN on it. */
export const DELIVERIES_CHANNEL = 'attune_webhook_deliveries'

/** A delivery claimed for one attempt, with what signing and the payload need. */
export interface ClaimedDelivery {
  id: number
  companyId: number
  webhookId: number
  messageId: string
  /** The name the webhook registered. */
  eventType: string
  /** This attempt's number: also the fencing token that recording checks. */
  attempt: number
  /** Start of the 72 h retry window; null until the first attempt of the window is recorded. */
  windowStartedAt: Date | null
  url: string
  secret: string
  previousSecret: string | null
  previousSecretExpiresAt: Date | null
  domainType: string
  userId: number | null
  payload: Record<string, unknown>
  occurredAt: Date
  companyName: string
}

/**
 * The dispatcher commits its own bookkeeping (claims, outcomes) without waiting for the WAL flush. A crash can then
 * lose the last few hundred milliseconds of it, and each delivery so lost is sent again once its lease runs out,
 * under the same webhook-id: at least once, as ever. What it saves is a disk flush per claim and per batch of
 * outcomes, the dispatcher's bottleneck on a durable store (BENCHMARKS.md "webhooks"). The deliveries themselves
 * are written by the features' own transactions, durably.
 */
export async function relaxCommit(tx: Transaction<Database>): Promise<void> {
  await sql`set local synchronous_commit = off`.execute(tx)
}

/**
 * The same inside a single statement, which commits on its own: a CTE named `relax` that the statement reads
 * before touching any row, so no BEGIN and COMMIT round trips are needed around it.
 */
const relax = sql`relax as materialized (select set_config('synchronous_commit', 'off', true))`

/** Options of claimDeliveries. */
export interface ClaimOptions {
  now: Date
  /** The lease: a delivery still leased after this (its dispatcher died) is claimed again. */
  leaseUntil: Date
  /** Most deliveries to claim. */
  limit: number
  /** Most deliveries this dispatcher holds per URL (sending or waiting to be sent). */
  perUrl: number
  /** Deliveries this dispatcher already holds, by URL. */
  held: Record<string, number>
}

/**
 * Claims due deliveries in one statement. Each enabled webhook is probed for its oldest due deliveries (a range
 * scan of webhook_deliveries_due), at most `perUrl` each, so a URL with a large backlog cannot crowd out others:
 * the cost follows the number of enabled webhooks, not the backlog. Per URL, what this dispatcher already holds
 * is subtracted. SKIP LOCKED: a row another claim or a recorder holds is passed over, never waited for. The lease
 * and the attempt count are taken here; the attempt's times are written when it is recorded.
 *
 * Order per user: a delivery waits while an older one of the same user to the same webhook is still unsent
 * (attempts = 0) or leased. An older one that failed and waits for its retry does not hold it back, so a failing
 * receiver can see one user's events out of order (docs/webhooks.md, "Ordering").
 */
export async function claimDeliveries(db: Kysely<Database>, options: ClaimOptions): Promise<ClaimedDelivery[]> {
  const { now, leaseUntil, limit, perUrl } = options
  const result = await sql<ClaimedDelivery>`
    with ${relax},
    candidate as (
      select d.id, w.url, d.next_attempt_at
      from relax, webhooks w
      cross join lateral (
        select d.id, d.next_attempt_at
        from webhook_deliveries d
        where d.webhook_id = w.id
          and d.status = 'pending'
          and d.next_attempt_at <= ${now}
          and (d.locked_until is null or d.locked_until <= ${now})
          and not exists (
            select 1 from webhook_deliveries o
            where o.webhook_id = d.webhook_id and o.user_id = d.user_id and o.id < d.id
              and o.status = 'pending' and (o.attempts = 0 or o.locked_until > ${now})
          )
        order by d.next_attempt_at, d.id
        limit ${perUrl}
        for update of d skip locked
      ) d
      where w.disabled_at is null
    ),
    ranked as (
      select c.id, c.url, row_number() over (partition by c.url order by c.next_attempt_at, c.id) as rank
      from candidate c
    ),
    chosen as (
      select r.id
      from ranked r
      where r.rank <= ${perUrl} - coalesce((${JSON.stringify(options.held)}::jsonb ->> r.url)::int, 0)
      -- When the global limit cuts, every URL gets its first delivery before any gets its second.
      order by r.rank, r.id
      limit ${limit}
    )
    update webhook_deliveries d
    set attempts = d.attempts + 1, locked_until = ${leaseUntil}
    from chosen c, webhooks w, domain_events e, companies co
    where d.id = c.id and w.id = d.webhook_id and e.id = d.domain_event_id and co.id = d.company_id
    returning d.id, d.company_id as "companyId", d.webhook_id as "webhookId", d.message_id as "messageId",
      d.event_type as "eventType", d.attempts as attempt, d.window_started_at as "windowStartedAt",
      w.url, w.secret, w.previous_secret as "previousSecret",
      w.previous_secret_expires_at as "previousSecretExpiresAt", e.type as "domainType", e.user_id as "userId",
      e.payload, e.occurred_at as "occurredAt", co.name as "companyName"
  `.execute(db)
  return result.rows
}

/**
 * Gives back deliveries claimed but never sent (the dispatcher is stopping): unleased, their attempt uncounted,
 * due again at once for whichever dispatcher claims next.
 */
export async function releaseDeliveries(db: Kysely<Database>, deliveries: ClaimedDelivery[]): Promise<void> {
  if (deliveries.length === 0) return
  await sql`
    update webhook_deliveries d
    set attempts = d.attempts - 1, locked_until = null
    from unnest(${deliveries.map((x) => x.id)}::bigint[], ${deliveries.map((x) => x.attempt)}::int[]) as r (id, attempt)
    where d.id = r.id and d.attempts = r.attempt
  `.execute(db)
}

/** One attempt's answer, as the recorders store it. */
export interface AttemptResult extends PostResult {
  delivery: ClaimedDelivery
  /** When the request was sent. */
  attemptedAt: Date
}

/** Keeps 1 KiB of a response body for the log. */
function excerpt(result: AttemptResult): string | null {
  return result.responseExcerpt?.slice(0, 1024) ?? null
}

/**
 * Records successful attempts in one statement, committed without waiting for the disk (relax): each delivery
 * succeeded, its attempt logged, its webhook's failure record cleared. Fenced by the attempt number, so an
 * outcome whose lease ran out and was claimed again changes nothing. A delivery cancelled meanwhile is marked
 * succeeded all the same: the receiver has it.
 */
export async function recordSuccesses(db: Kysely<Database>, results: AttemptResult[], now: Date): Promise<void> {
  if (results.length === 0) return
  const rows = results.map((r) => ({
    id: r.delivery.id,
    attempt: r.delivery.attempt,
    attempted_at: r.attemptedAt.toISOString(),
    status_code: r.statusCode ?? null,
    latency_ms: r.latencyMs,
    excerpt: excerpt(r),
  }))
  await sql`
    with ${relax},
    input as (
      select x.* from relax, jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as x (id bigint, attempt int, attempted_at timestamptz, status_code int, latency_ms int, excerpt text)
    ),
    d as (
      update webhook_deliveries w
      set status = 'succeeded', locked_until = null, delivered_at = ${now}, last_status_code = i.status_code,
          last_latency_ms = i.latency_ms, last_error = null, last_attempt_at = i.attempted_at,
          first_attempt_at = coalesce(w.first_attempt_at, i.attempted_at),
          window_started_at = coalesce(w.window_started_at, i.attempted_at)
      from input i
      where w.id = i.id and w.attempts = i.attempt
      returning w.id, w.company_id, w.webhook_id
    ),
    a as (
      insert into webhook_delivery_attempts
        (company_id, delivery_id, attempt, attempted_at, status_code, latency_ms, response_excerpt)
      select d.company_id, d.id, i.attempt, i.attempted_at, i.status_code, i.latency_ms, i.excerpt
      from d join input i on i.id = d.id
    )
    update webhooks set failing_since = null, failing_notice_at = null
    where id in (select webhook_id from d) and failing_since is not null
  `.execute(db)
}

/** The webhook's failure record after a failed attempt. */
export interface FailingState {
  failingSince: Date
  failingNoticeAt: Date | null
  disabledAt: Date | null
}

/**
 * Records a failed attempt: the delivery pending with its next attempt, or failed when there is none; the
 * attempt logged; the webhook's failure record started if it was not. Fenced by the attempt number like
 * recordSuccesses (undefined then). A delivery cancelled meanwhile stays cancelled.
 */
export async function recordFailure(
  tx: Transaction<Database>,
  result: AttemptResult,
  nextAttemptAt: Date | undefined,
): Promise<FailingState | undefined> {
  const { delivery, attemptedAt } = result
  const rows = await sql<FailingState>`
    with d as (
      update webhook_deliveries
      set status = case when status = 'cancelled' then 'cancelled' when ${nextAttemptAt !== undefined} then 'pending' else 'failed' end,
          locked_until = null,
          next_attempt_at = coalesce(${nextAttemptAt ?? null}::timestamptz, next_attempt_at),
          last_status_code = ${result.statusCode ?? null}::int,
          last_latency_ms = ${result.latencyMs},
          last_error = ${result.error ?? null}::text,
          last_attempt_at = ${attemptedAt},
          first_attempt_at = coalesce(first_attempt_at, ${attemptedAt}),
          window_started_at = coalesce(window_started_at, ${attemptedAt})
      where id = ${delivery.id} and attempts = ${delivery.attempt}
      returning id, company_id, webhook_id
    ),
    a as (
      insert into webhook_delivery_attempts
        (company_id, delivery_id, attempt, attempted_at, status_code, latency_ms, error, response_excerpt)
      select company_id, id, ${delivery.attempt}, ${attemptedAt}, ${result.statusCode ?? null}::int,
        ${result.latencyMs}, ${result.error ?? null}::text, ${excerpt(result)}::text
      from d
    )
    update webhooks
    set failing_since = coalesce(failing_since, ${attemptedAt})
    where id in (select webhook_id from d)
    returning failing_since as "failingSince", failing_notice_at as "failingNoticeAt", disabled_at as "disabledAt"
  `.execute(tx)
  return rows.rows[0]
}

/** Marks the webhook as having had its 24 h failure notice; false if another dispatcher already did. */
export async function markFailingNotice(tx: Transaction<Database>, webhookId: number, now: Date): Promise<boolean> {
  const result = await tx
    .updateTable('webhooks')
    .set({ failing_notice_at: now })
    .where('id', '=', webhookId)
    .where('failing_notice_at', 'is', null)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/** Wakes the dispatchers at commit (after a replay made deliveries due). */
export async function notifyDispatchers(tx: Transaction<Database>): Promise<void> {
  await sql`select pg_notify(${DELIVERIES_CHANNEL}, '')`.execute(tx)
}

/**
 * The current identifiers of the profiles these deliveries are about, oldest first, by the event's user id (a
 * profile merged away speaks through the one it was merged into): they complete what an event recorded about its
 * subscriber. One query per claimed batch.
 */
export async function loadProfileIdentifiers(db: Kysely<Database>, deliveries: ClaimedDelivery[]) {
  const pairs = new Map<number, number>()
  for (const d of deliveries) if (d.userId !== null) pairs.set(d.userId, d.companyId)
  if (pairs.size === 0) return new Map<number, IdentifierValue[]>()
  const result = await sql<IdentifierValue & { userId: number }>`
    select u.id as "userId", i.kind, i.name, i.value
    from unnest(${[...pairs.values()]}::bigint[], ${[...pairs.keys()]}::bigint[]) as w (company_id, user_id)
    join users u on u.company_id = w.company_id and u.id = w.user_id
    join user_identifiers i on i.company_id = u.company_id and i.user_id = coalesce(u.merged_into_id, u.id)
    order by i.created_at, i.value
  `.execute(db)
  const byUser = new Map<number, IdentifierValue[]>()
  for (const row of result.rows) {
    let list = byUser.get(row.userId)
    if (!list) byUser.set(row.userId, (list = []))
    list.push({ kind: row.kind, name: row.name, value: row.value })
  }
  return byUser
}
