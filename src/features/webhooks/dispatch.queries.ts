import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { IdentifierValue } from './payload.ts'
import type { DeliveryStatus } from './webhooks.schema.ts'

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
  /** This attempt's number: also the fencing token that recordAttempt checks. */
  attempt: number
  windowStartedAt: Date
  attemptedAt: Date
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

/** Options of claimDeliveries. */
export interface ClaimOptions {
  now: Date
  /** The lease: a delivery still leased after this (its dispatcher died) is claimed again. */
  leaseUntil: Date
  /** Most deliveries to claim. */
  limit: number
  /** Most requests in flight per URL, counted over every dispatcher's leases. */
  perUrl: number
}

/**
 * Claims due deliveries in one statement. Each enabled webhook is probed for its oldest due deliveries (a range
 * scan of webhook_deliveries_due), at most `perUrl` each, so a URL with a large backlog cannot crowd out others:
 * the cost follows the number of enabled webhooks, not the backlog. Then per URL, the leases already out are
 * subtracted (requests in flight across dispatchers; two claiming in the same instant may briefly exceed the
 * limit together). SKIP LOCKED: a row another claim or a recorder holds is passed over, never waited for.
 *
 * Order per user: a delivery waits while an older one of the same user to the same webhook is still unsent
 * (attempts = 0) or in flight. An older one that failed and waits for its retry does not hold it back, so a
 * failing receiver can see one user's events out of order (docs/webhooks.md, "Ordering").
 */
export async function claimDeliveries(db: Kysely<Database>, options: ClaimOptions): Promise<ClaimedDelivery[]> {
  const { now, leaseUntil, limit, perUrl } = options
  const result = await sql<ClaimedDelivery>`
    with candidate as (
      select d.id, w.url, d.next_attempt_at
      from webhooks w
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
    in_flight as (
      select w.url, count(*)::int as n
      from webhook_deliveries x
      join webhooks w on w.id = x.webhook_id
      where x.locked_until is not null and x.locked_until > ${now}
      group by w.url
    ),
    ranked as (
      select c.id, c.url, row_number() over (partition by c.url order by c.next_attempt_at, c.id) as rank
      from candidate c
    ),
    chosen as (
      select r.id
      from ranked r
      left join in_flight f on f.url = r.url
      where r.rank <= ${perUrl} - coalesce(f.n, 0)
      -- When the global limit cuts, every URL gets its first delivery before any gets its second.
      order by r.rank, r.id
      limit ${limit}
    )
    update webhook_deliveries d
    set attempts = d.attempts + 1,
        locked_until = ${leaseUntil},
        window_started_at = coalesce(d.window_started_at, ${now}),
        first_attempt_at = coalesce(d.first_attempt_at, ${now}),
        last_attempt_at = ${now}
    from chosen c, webhooks w, domain_events e, companies co
    where d.id = c.id and w.id = d.webhook_id and e.id = d.domain_event_id and co.id = d.company_id
    returning d.id, d.company_id as "companyId", d.webhook_id as "webhookId", d.message_id as "messageId",
      d.event_type as "eventType", d.attempts as attempt, d.window_started_at as "windowStartedAt",
      d.last_attempt_at as "attemptedAt", w.url, w.secret, w.previous_secret as "previousSecret",
      w.previous_secret_expires_at as "previousSecretExpiresAt", e.type as "domainType", e.user_id as "userId",
      e.payload, e.occurred_at as "occurredAt", co.name as "companyName"
  `.execute(db)
  return result.rows
}

/** How an attempt ended, as recordAttempt stores it. */
export interface AttemptRecord {
  delivery: ClaimedDelivery
  /** The delivery's state after this attempt. */
  status: Exclude<DeliveryStatus, 'cancelled'>
  /** Next attempt, when status stays pending. */
  nextAttemptAt: Date | undefined
  statusCode: number | undefined
  latencyMs: number
  error: string | undefined
  responseExcerpt: string | undefined
  now: Date
}

/** The webhook's failure record after a failed attempt. */
export interface FailingState {
  failingSince: Date
  failingNoticeAt: Date | null
  disabledAt: Date | null
}

/**
 * Stores an attempt's outcome on the delivery, in its log, and in the webhook's failure record (cleared by a
 * 2xx, started by the first failure). Fenced by the attempt number: if the lease ran out and another dispatcher
 * claimed the delivery again, this stale outcome changes nothing and undefined is returned. A delivery
 * cancelled meanwhile stays cancelled unless this attempt succeeded.
 */
export async function recordAttempt(db: Kysely<Database>, record: AttemptRecord): Promise<FailingState | undefined> {
  const { delivery, status } = record
  const succeeded = status === 'succeeded'
  const result = await sql<{ failingSince: Date | null; failingNoticeAt: Date | null; disabledAt: Date | null }>`
    with d as (
      update webhook_deliveries
      set status = case when status = 'cancelled' and ${!succeeded} then 'cancelled' else ${status} end,
          locked_until = null,
          next_attempt_at = coalesce(${record.nextAttemptAt ?? null}::timestamptz, next_attempt_at),
          last_status_code = ${record.statusCode ?? null}::int,
          last_latency_ms = ${record.latencyMs},
          last_error = ${record.error ?? null}::text,
          delivered_at = case when ${succeeded} then ${record.now}::timestamptz else delivered_at end
      where id = ${delivery.id} and attempts = ${delivery.attempt}
      returning id, company_id, webhook_id
    ),
    a as (
      insert into webhook_delivery_attempts
        (company_id, delivery_id, attempt, attempted_at, status_code, latency_ms, error, response_excerpt)
      select company_id, id, ${delivery.attempt}, ${delivery.attemptedAt}, ${record.statusCode ?? null}::int,
        ${record.latencyMs}, ${record.error ?? null}::text, ${record.responseExcerpt?.slice(0, 1024) ?? null}::text
      from d
    ),
    w as (
      update webhooks
      set failing_since = case when ${succeeded} then null else coalesce(failing_since, ${delivery.attemptedAt}) end,
          failing_notice_at = case when ${succeeded} then null else failing_notice_at end
      where id in (select webhook_id from d) and (${!succeeded} or failing_since is not null)
      returning failing_since as "failingSince", failing_notice_at as "failingNoticeAt", disabled_at as "disabledAt"
    )
    select w.* from d left join w on true
  `.execute(db)
  const row = result.rows[0]
  if (!row) return undefined
  return { failingSince: row.failingSince ?? delivery.attemptedAt, failingNoticeAt: row.failingNoticeAt, disabledAt: row.disabledAt }
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
